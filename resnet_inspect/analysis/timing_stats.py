"""When timed passes have settled, and whether a difference of medians stands above the noise.

`--time` on a shared CPU once printed a bare forward of 5,044 ms beside 2,706 ms with the
timing hooks: an overhead of -46%, five passes each, taken while other work came and went.
A median is kept only once its standard error is small beside it; more passes are taken
until then (or until the budget runs out, and then the figures are said to be unsettled);
and a difference of two medians is given only when it exceeds twice its standard error.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from resnet_inspect.errors import InspectError

# A median has settled when its standard error is within 2% of it.
TARGET = 0.02
# At most this many rounds of `repeats` passes, and no new round after this many seconds.
MAX_ROUNDS = 8
BUDGET_SECONDS = 30.0


def median_error(samples: Sequence[float]) -> float:
    """The standard error of a sample median: its asymptotic variance is 1 / (4 n f(m)^2),
    which for normal data is pi sigma^2 / (2 n), so 1.2533 x sigma / sqrt(n); sigma is read
    robustly from the interquartile range (IQR = 1.349 sigma for normal data). Infinite
    for fewer than two samples: one pass says nothing of its noise."""
    if len(samples) < 2:
        return math.inf
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return math.sqrt(math.pi / 2) * (q3 - q1) / 1.349 / math.sqrt(len(samples))


def settled(*sets: Sequence[float]) -> bool:
    """Whether every set's median is known to within TARGET of itself."""
    return all(median_error(s) <= TARGET * statistics.median(s) for s in sets)


def noise(a: Sequence[float], b: Sequence[float]) -> float:
    """Twice the standard error of median(b) - median(a): what a difference must exceed."""
    return 2 * math.hypot(median_error(a), median_error(b))


def difference(a: Sequence[float], b: Sequence[float]) -> float | None:
    """median(b) - median(a) when it stands above the noise and is positive; else None
    (the hooks cannot make a forward faster, so a negative one is noise by definition)."""
    diff = statistics.median(b) - statistics.median(a)
    return diff if diff > 0 and diff > noise(a, b) else None


def passes(device_type: str, warmup: int | None, repeats: int | None) -> tuple[int, int]:
    """Warm-up and timed passes per round, the device's defaults where not given."""
    # A GPU forward takes milliseconds and its first calls pick kernels: more of both.
    default_warmup, default_repeats = (5, 20) if device_type == "cuda" else (2, 5)
    warmup = default_warmup if warmup is None else warmup
    repeats = default_repeats if repeats is None else repeats
    if warmup < 0 or repeats < 1:
        raise InspectError("--repeats must be at least 1 and --warmup at least 0")
    return warmup, repeats

