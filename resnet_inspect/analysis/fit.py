""""Will it fit?": the largest batch whose training step fits a memory size.

A training step's peak memory is affine in the batch: parameters, gradients and
optimizer state do not grow with it; activations, gradients of activations and the input
grow linearly. So two counted steps (batch 1 and 2) give the line; solving it gives the
largest batch; counting at that batch (and the next) confirms it.

Cards (gpus.py) are listed with the memory their vendors sell them with (decimal GB). Usable memory
is less: the CUDA context and the caching allocator's slack take some, so the size used
here is the card's less `RESERVED` bytes, said in every answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from resnet_inspect.analysis.gpus import GB, GPUS, find_gpu
from resnet_inspect.errors import InspectError
from resnet_inspect.report.model import Report
from resnet_inspect.spec.limits import MAX_BATCH
from resnet_inspect.spec.numbers import shown

GIB = 2**30
RESERVED = GIB  # CUDA context (~0.3-0.5 GiB) and allocator slack, set aside on a card

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
    label, sold = GPUS[find_gpu(name)]
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
    """The largest batch whose counted peak fits `capacity`, confirmed by counting at it
    and at the next batch.

    The peak is the larger of two lines in the batch: the backward's, which grows with
    the activations, and the optimizer step's (gradients and its temporaries), nearly
    flat. A line through two counts holds only where both lie on the same one, so the
    answer is solved on the line through the two counts nearest it, again until it stays
    (a secant), then walked to where the counts say. The slope reported is the one at
    the answer: the peak at the next batch less the peak at it."""
    reports: dict[int, Report] = {}

    def peak(b: int) -> int:
        if b not in reports:
            reports[b] = count(b)
        return _peak(reports[b])

    lo, hi, batch = 1, 2, -1
    for _ in range(8):
        slope = max((peak(hi) - peak(lo)) / (hi - lo), 1.0)
        guess = max(int(hi + (capacity - peak(hi)) // slope), 1)
        if guess == batch or guess in (lo, hi) or guess > MAX_BATCH:
            batch = guess
            break
        batch, lo, hi = guess, hi, guess
    batch = max(batch, 1)
    if batch > MAX_BATCH:  # counted at once, never searched for: 10 TiB is 10^5 samples
        per_sample = max(peak(2) - peak(1), 1)
        raise InspectError(
            f"{label} holds more than {MAX_BATCH:,} samples of this step (the --batch limit; "
            f"{(peak(1) - per_sample) / GIB:.2f} GiB fixed, {per_sample / 2**20:.2f} MiB a "
            "sample); give a smaller --fit")
    while batch > 0 and peak(batch) > capacity:
        batch -= 1
    while peak(batch + 1) <= capacity and batch < MAX_BATCH:
        batch += 1
    after = peak(batch + 1)
    if batch == 0:
        per_sample = max(peak(2) - after, 1)
        return Fit(capacity, label, 0, 0, per_sample, after - per_sample, {}, after)
    per_sample = max(after - peak(batch), 1)
    fixed = peak(batch) - per_sample * batch
    tm = reports[batch].training_memory
    assert tm is not None
    parts = {"activations": tm.live_peak - tm.grads + tm.input, "weights": tm.params,
             "gradients": tm.grads, "optimizer state": tm.optimizer_state}
    return Fit(capacity, label, batch, tm.peak, per_sample, fixed, parts, after)


def _peak(report: Report) -> int:
    assert report.training_memory is not None
    return report.training_memory.peak
