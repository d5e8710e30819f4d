"""Every limit on the input, stated once (no torch: the CLI checks them before any work).

The limits are far above any real network: they exist so that a typo or a hostile file
is refused in a moment with one line, instead of an overflow deep inside torch, minutes
of silence or gigabytes of memory. docs/errors.md lists them; tests/test_bad_input.py
tries each one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from resnet_inspect.errors import InspectError

# Config files are a few hundred bytes of flat keys.
MAX_CONFIG_BYTES = 64 * 1024
# Keys are flat and values are at most a list: nothing deeper than this is meaningful.
MAX_CONFIG_DEPTH = 4
# Stages per network (the paper has 4; 16 doubles of the width would be 2^16 x 64 channels).
MAX_STAGES = 16
# Blocks in one stage: ResNet-1202 (the paper's section 4.2) has 200 per stage.
MAX_BLOCKS_PER_STAGE = 1000
# Channels of any layer (stage widths, --stem-width, groups x width per group ...).
MAX_CHANNELS = 65536
# Classifier outputs: the largest common label sets have ~10^4-10^5 classes.
MAX_CLASSES = 10_000_000
# Batch size.
MAX_BATCH = 1_048_576
# Height and width of the input; 3 colour channels, up to MAX_CHANNELS.
MAX_SPATIAL = 65536
# Seconds to wait for a config FIFO's writer (`--config <(...)` writes at once).
CONFIG_WAIT_S = 10.0
# Items side by side in `compare`: the paper's Table 1 has 5 columns; 12 still read.
MAX_COMPARE_ITEMS = 12
# Elements of the input tensor (batch x C x H x W): with MAX_CHANNELS this keeps every
# activation's element count well inside int64, which torch's storage sizes need.
MAX_INPUT_ELEMENTS = 2**40

def check_range(value: int, low: int, high: int, what: str, example: str) -> int:
    """`value` itself when low <= value <= high; otherwise one-line InspectError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InspectError(f"{what} must be an integer, got {_short(value)}; e.g. {example}")
    if value < low:
        need = "a positive integer" if low == 1 else f"at least {low:,}"
        raise InspectError(f"{what} must be {need}, got {_short(value)}; e.g. {example}")
    if value > high:
        raise InspectError(f"{what} {_short(value)} is above the limit of {high:,}; "
                           f"e.g. {example}")
    return value


def too_small(shape: str) -> InspectError:
    """A shape with a dimension below 1, as given ('3x0x224')."""
    return InspectError(
        f"--input {shape}: every dimension must be at least 1; use CxHxW, e.g. 3x224x224"
    )


def check_traced(input_shape: Iterable[int], batch: int) -> None:
    """What a trace itself needs (the library's entry, with no CLI parser before it): a
    batch of at least 1 and an input shape whose every dimension is at least 1."""
    if batch < 1:
        raise InspectError(f"--batch {batch}: the batch size must be at least 1, e.g. --batch 8")
    dims = tuple(input_shape)
    if not dims or any(int(d) < 1 for d in dims):
        raise too_small("x".join(str(d) for d in dims))


def check_batch(batch: int) -> int:
    return check_range(batch, 1, MAX_BATCH, "--batch", "--batch 8")


def check_input(shape: Iterable[int], batch: int = 1, what: str = "--input",
                smaller: str = "--input") -> None:
    """An input shape (batch left out) in range: CxHxW for our networks, any rank for a
    user's model (each dimension up to MAX_SPATIAL), and at most MAX_INPUT_ELEMENTS."""
    dims = tuple(shape)
    if len(dims) == 3:
        c, h, w = dims
        check_range(c, 1, MAX_CHANNELS, f"{what}: the channel count", "3x224x224")
        check_range(h, 1, MAX_SPATIAL, f"{what}: the height", "3x224x224")
        check_range(w, 1, MAX_SPATIAL, f"{what}: the width", "3x224x224")
    else:
        for d in dims:
            check_range(d, 1, max(MAX_SPATIAL, MAX_CHANNELS), f"{what}: a dimension",
                        "3x224x224")
    elements = batch
    for d in dims:
        elements *= d
    if elements > MAX_INPUT_ELEMENTS:
        shown = "x".join(map(str, dims))
        raise InspectError(
            f"--batch {batch} x {what} {shown} is {elements:.3g} input elements, above the "
            f"limit of {MAX_INPUT_ELEMENTS:.3g}; use a smaller --batch or {smaller}"
        )


def check_list(values: tuple[int, ...], flag: str, high: int, example: str) -> None:
    """--layers / --widths: at most MAX_STAGES entries, each in 1..high."""
    if len(values) > MAX_STAGES:
        raise InspectError(f"{flag} has {len(values):,} entries, above the limit of "
                           f"{MAX_STAGES} stages; e.g. {flag} {example}")
    for v in values:
        check_range(v, 1, high, f"{flag} entry", f"{flag} {example}")


def block_inner_width(out_ch: int, width: int | None, bottleneck: bool,
                      expansion: int = 4) -> int:
    """A lone block's inner width (`compare basic bottleneck`, `diagram block`): --width,
    else the output over `expansion` (the ResNet rule: 256 -> 64). A bottleneck's last 1x1
    restores 4x its width, so its output must be a multiple of 4."""
    if bottleneck and out_ch % 4:
        raise InspectError(
            f"--channels {out_ch}: a bottleneck's output must be a multiple of 4 (its last 1x1 "
            "restores 4x its width); e.g. --channels 256"
        )
    inner = width if width is not None else out_ch // expansion
    if inner < 1:
        raise InspectError(f"--width must be a positive integer, got {inner}")
    return inner


def _short(value: Any) -> str:
    if isinstance(value, int) and abs(value).bit_length() > 100:  # str() refuses 4,300 digits

        digits = math.floor(math.log10(abs(value))) + 1
        if 10 ** (digits - 1) > abs(value):  # log10 rounds 10**4000 - 1 up to 4000.0
            digits -= 1
        return f"{'-' if value < 0 else ''}a number of {digits:,} digits"
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"


def check_block(in_ch: int, out_ch: int, h: int, w: int, width: int | None = None,
                batch: int = 1) -> None:
    """One block alone (`compare basic bottleneck`, `diagram block`): channels, inner
    width and spatial size in range, and the input tensor within MAX_INPUT_ELEMENTS."""
    for value, flag, high, example in (
        (in_ch, "--channels", MAX_CHANNELS, "--channels 256"),
        (out_ch, "--channels", MAX_CHANNELS, "--channels 256"),
        (h, "--spatial", MAX_SPATIAL, "--spatial 56"),
        (w, "--spatial", MAX_SPATIAL, "--spatial 56"),
    ):
        check_range(value, 1, high, flag, example)
    if width is not None:
        check_range(width, 1, MAX_CHANNELS, "--width", "--width 64")
    check_batch(batch)
    check_input((in_ch, h, w), batch, what="--channels x --spatial",
                smaller="--channels or --spatial")
