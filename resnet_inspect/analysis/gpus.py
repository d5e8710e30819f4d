"""The cards `--gpu` knows: each with the memory its vendor sells it with, and the
spellings people write ("H100 80GB", h100-80gb, "NVIDIA A10G", RTX-4090, v100_32gb).

Capacities are the vendors' data sheets, in decimal GB as sold:
- NVIDIA T4 16 GB GDDR6 (T4 data sheet); V100 16 or 32 GB HBM2 (V100 data sheet);
  GeForce RTX 3090 and 4090 24 GB GDDR6X (NVIDIA's product pages); L4 24 GB GDDR6 (L4
  data sheet); A10 24 GB GDDR6 (A10 data sheet); A10G 24 GB GDDR6 (AWS EC2 G5 page: "NVIDIA
  A10G Tensor Core GPUs ... 24 GB of memory per GPU"); L40 and L40S 48 GB GDDR6 (L40 and
  L40S data sheets); A100 40 or 80 GB HBM2e (A100 data sheet); H100 SXM and PCIe 80 GB, H100
  NVL 94 GB (H100 data sheet); H200 141 GB HBM3e (H200 data sheet);
- AMD Instinct MI250 and MI250X 128 GB HBM2e, MI300X 192 GB HBM3 (AMD's data sheets).
"""

from __future__ import annotations

import difflib
import re

from resnet_inspect.errors import InspectError

GB = 10**9

# name -> (label, bytes as sold); the name is the spelling the help and hints show
GPUS: dict[str, tuple[str, int]] = {
    "t4": ("NVIDIA T4 16 GB", 16 * GB),
    "v100-16gb": ("NVIDIA V100 16 GB", 16 * GB),
    "v100-32gb": ("NVIDIA V100 32 GB", 32 * GB),
    "rtx3090": ("NVIDIA RTX 3090 24 GB", 24 * GB),
    "rtx4090": ("NVIDIA RTX 4090 24 GB", 24 * GB),
    "l4": ("NVIDIA L4 24 GB", 24 * GB),
    "a10": ("NVIDIA A10 24 GB", 24 * GB),
    "a10g": ("NVIDIA A10G 24 GB", 24 * GB),
    "l40": ("NVIDIA L40 48 GB", 48 * GB),
    "l40s": ("NVIDIA L40S 48 GB", 48 * GB),
    "a100-40gb": ("NVIDIA A100 40 GB", 40 * GB),
    "a100-80gb": ("NVIDIA A100 80 GB", 80 * GB),
    "h100": ("NVIDIA H100 80 GB", 80 * GB),
    "h100-94gb": ("NVIDIA H100 NVL 94 GB", 94 * GB),
    "h200": ("NVIDIA H200 141 GB", 141 * GB),
    "mi250": ("AMD Instinct MI250 128 GB", 128 * GB),
    "mi250x": ("AMD Instinct MI250X 128 GB", 128 * GB),
    "mi300x": ("AMD Instinct MI300X 192 GB", 192 * GB),
}

# other names of one card, as _squeeze writes them
_ALIASES = {"h10080gb": "h100", "h100nvl": "h100-94gb", "h200141gb": "h200",
            "t416gb": "t4", "l424gb": "l4", "a1024gb": "a10", "a10g24gb": "a10g",
            "l4048gb": "l40", "l40s48gb": "l40s", "rtx309024gb": "rtx3090",
            "rtx409024gb": "rtx4090", "3090": "rtx3090", "4090": "rtx4090"}
_VENDOR = re.compile(r"nvidia|geforce|tesla|amd|radeon|instinct|sxm\d?|pcie|[\s_\-.]")


def _squeeze(name: str) -> str:
    """A spelling without vendor words, separators or case: "NVIDIA H100 80GB" -> h10080gb."""
    return _VENDOR.sub("", name.lower())


_LOOKUP = {**{_squeeze(k): k for k in GPUS}, **_ALIASES}


def find_gpu(name: str) -> str:
    """The card `name` means, by the name GPUS lists it under; a bad input otherwise, with
    the nearest real names (the same model number: a100 is an A100 of either size, never
    an A10)."""
    key = _squeeze(name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    family = [k for k in GPUS if k.split("-")[0] == key]
    if family:
        raise InspectError(f"--gpu {name}: this card is sold with more than one memory "
                           f"size; use {' or '.join(family)}")
    number = re.sub(r"\D", "", key)
    same = [k for k in GPUS if re.sub(r"\D", "", k.split("-")[0]) == number
            and k[0] == key[:1]] if number else list(GPUS)  # the same model, mistyped
    close = difflib.get_close_matches(key, [_squeeze(k) for k in same], n=1, cutoff=0.6) \
        or difflib.get_close_matches(key, [k for k in _LOOKUP if len(k) > len(key)], n=1,
                                     cutoff=0.8)  # a character lost: rtx490, never rtx4080
    hint = f" (did you mean {_LOOKUP[close[0]]}?)" if close else ""
    hint = f"{hint}; use one of {', '.join(GPUS)}, or --fit SIZE (e.g. --fit 24GiB)"
    raise InspectError(f"--gpu {name}: not a card this tool knows{hint}")
