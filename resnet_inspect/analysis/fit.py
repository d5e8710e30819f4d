""""Will it fit?": the largest batch whose training step fits a memory size.

A training step's peak memory is affine in the batch: parameters, gradients and
optimizer state do not grow with it; activations, gradients of activations and the input
grow linearly. So two counted steps (batch 1 and 2) give the line; solving it gives the
largest batch; counting at that batch (and the next) confirms it.

Cards are listed with the memory their vendors sell them with (decimal GB). Usable memory
is less: the CUDA context and the caching allocator's slack take some, so the size used
here is the card's less `RESERVED` bytes, said in every answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.report.model import Report
from resnet_inspect.spec.limits import MAX_BATCH
from resnet_inspect.spec.numbers import shown

GB = 10**9
GIB = 2**30
RESERVED = GIB  # CUDA context (~0.3-0.5 GiB) and allocator slack, set aside on a card

# name -> (label, bytes as sold): the vendors' data sheets
GPUS: dict[str, tuple[str, int]] = {
    "t4": ("NVIDIA T4 16 GB", 16 * GB),
    "v100-16gb": ("NVIDIA V100 16 GB", 16 * GB),
    "v100-32gb": ("NVIDIA V100 32 GB", 32 * GB),
    "rtx3090": ("NVIDIA RTX 3090 24 GB", 24 * GB),
    "rtx4090": ("NVIDIA RTX 4090 24 GB", 24 * GB),
    "l4": ("NVIDIA L4 24 GB", 24 * GB),
    "a10": ("NVIDIA A10 24 GB", 24 * GB),
    "a100-40gb": ("NVIDIA A100 40 GB", 40 * GB),
    "a100-80gb": ("NVIDIA A100 80 GB", 80 * GB),
    "h100": ("NVIDIA H100 80 GB", 80 * GB),
    "h200": ("NVIDIA H200 141 GB", 141 * GB),
}

# ASCII digits only (spec/numbers.py's rule: Python's \d would take '１６GB')
_SIZE = re.compile(r"^\s*([0-9]{1,30}(?:\.[0-9]{1,30})?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$",
                   re.IGNORECASE | re.ASCII)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": GB, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": GIB, "tib": 2**40}


def parse_size(text: str) -> int:
    """'24GiB', '16 GB', '512MiB', '2e9' bytes -> bytes."""
    m = _SIZE.match(text)
    if m is None:
        raise InspectError(f"--fit {shown(text)}: not a memory size; use a number with a unit, "
                           "e.g. --fit 24GiB or --fit 16GB")
    value = float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()]
    if value < 1:
        raise InspectError(f"--fit {text}: the size must be more than 0, e.g. --fit 24GiB")
    return int(value)


def gpu_bytes(name: str) -> tuple[str, int]:
    """A known card's label and usable bytes (as sold, less RESERVED)."""
    key = name.lower().replace(" ", "").replace("_", "-")
    if key not in GPUS:
        raise InspectError(f"--gpu {name}: not a card this tool knows{did_you_mean(key, GPUS)}; "
                           f"use one of {', '.join(GPUS)}, or --fit SIZE (e.g. --fit 24GiB)")
    label, sold = GPUS[key]
    return f"{label} less 1 GiB reserved", sold - RESERVED


@dataclass
class Fit:
    capacity: int  # bytes the step may use
    label: str  # what the capacity is ("24.00 GiB", "NVIDIA T4 16 GB less 1 GiB reserved")
    batch: int  # the largest batch that fits (0: not even batch 1)
    peak: int  # the counted peak at that batch
    per_sample: int  # bytes each sample adds (the line's slope)
    fixed: int  # bytes that do not grow with the batch (the line at batch 0)
    parts: dict[str, int]  # at `batch`: activations, weights, gradients, optimizer state
    next_peak: int  # the counted peak at batch + 1, which does not fit

    @property
    def dominant(self) -> str:
        return max(self.parts, key=lambda k: self.parts[k])


def largest_batch(count: Callable[[int], Report], capacity: int, label: str) -> Fit:
    """Solve peak(batch) = fixed + per_sample x batch <= capacity, then confirm it by
    counting at the answer and at the next batch (the line is exact for the networks
    here; should it not be, the answer walks to where the counts say)."""
    p1, p2 = _peak(count(1)), _peak(count(2))
    per_sample = max(p2 - p1, 1)
    fixed = p1 - per_sample
    batch = max((capacity - fixed) // per_sample, 0)
    if batch > MAX_BATCH:  # counted at once, never searched for: 10 TiB is 10^5 samples
        raise InspectError(
            f"{label} holds more than {MAX_BATCH:,} samples of this step (the --batch limit; "
            f"{fixed / GIB:.2f} GiB fixed, {per_sample / 2**20:.2f} MiB a sample); give a "
            "smaller --fit")
    report = count(batch) if batch else None
    while batch and report is not None and _peak(report) > capacity:
        batch -= 1
        report = count(batch) if batch else None
    after = count(batch + 1)
    while _peak(after) <= capacity and batch < MAX_BATCH:
        batch += 1
        report, after = after, count(batch + 1)
    if report is None:
        return Fit(capacity, label, 0, 0, per_sample, fixed, {}, _peak(after))
    tm = report.training_memory
    assert tm is not None
    parts = {"activations": tm.live_peak - tm.grads + tm.input, "weights": tm.params,
             "gradients": tm.grads, "optimizer state": tm.optimizer_state}
    return Fit(capacity, label, batch, tm.peak, per_sample, fixed, parts, _peak(after))


def _peak(report: Report) -> int:
    assert report.training_memory is not None
    return report.training_memory.peak
