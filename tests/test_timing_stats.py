"""When timed passes have settled, and when an overhead may be printed (issue 23, point 8)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from resnet_inspect.analysis import timing_stats as stats
from resnet_inspect.analysis.timing import Timing
from resnet_inspect.render.timing_table import timing_text


def test_median_error_of_known_samples() -> None:
    # 1..5: quartiles 2 and 4 (inclusive method), IQR 2, sigma 2 / 1.349 = 1.4826;
    # SE = sqrt(pi/2) x 1.4826 / sqrt(5) = 1.2533 x 0.66304 = 0.83099
    assert stats.median_error([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(0.83099, rel=1e-4)
    assert stats.median_error([7.0]) == math.inf  # one pass says nothing of its noise
    assert stats.median_error([2.0, 2.0, 2.0]) == 0.0


def test_settled_needs_a_small_error_beside_the_median() -> None:
    quiet = [100.0, 100.5, 101.0, 100.2, 100.8]  # IQR 0.6: SE 0.33, 0.33% of 100.5
    busy = [100.0, 180.0, 95.0, 260.0, 120.0]  # IQR 80: SE 33, 28% of 120
    assert stats.settled(quiet) and not stats.settled(busy)
    assert not stats.settled(quiet, busy)


def test_a_difference_is_given_only_above_its_noise() -> None:
    bare = [10.0, 10.1, 10.2, 10.1, 10.0]
    assert stats.difference(bare, [12.0, 12.1, 12.2, 12.1, 12.0]) == pytest.approx(2.0)
    assert stats.difference(bare, [10.1, 10.2, 10.0, 10.1, 10.2]) is None  # within the noise
    # issue 23's run: 5,043.77 ms bare, 2,706.35 ms hooked: never a negative overhead
    assert stats.difference([5043.77] * 5, [2706.35] * 5) is None


def _timing(**changes: object) -> Timing:
    base = Timing(model="resnet18", device="cpu", device_name="a CPU", input_shape=[1, 3, 8, 8],
                  dtype="float32", method="wall clock", warmup=2, repeats=40, layers=[],
                  forward_seconds=2.70635, bare_seconds=5.04377, headline_flops=0)
    return replace(base, **changes)  # type: ignore[arg-type]


def _text(timing: Timing) -> str:
    return str(timing_text(timing))


def test_issue_23s_run_prints_no_negative_overhead() -> None:
    text = _text(_timing(settled=False))
    assert "-" not in text.split("Forward:")[1].split("\n")[0].replace("warm-up", "")
    assert ("not settled after 40 passes each, other load on the machine?, so no overhead "
            "is given") in text
    settled = _text(_timing(settled=True, noise_seconds=0.05))
    assert "below the noise, 50.00 ms" in settled and "overhead -" not in settled


def test_a_settled_overhead_is_printed_with_its_share() -> None:
    t = _timing(forward_seconds=0.0105, bare_seconds=0.0100, noise_seconds=0.0002)
    # 0.5 ms over 10 ms: 5.0%
    assert t.hook_overhead_seconds == pytest.approx(0.0005)
    assert "overhead 0.500 ms, 5.0%" in _text(t)
    assert t.to_dict()["hook_overhead_seconds"] == pytest.approx(0.0005)
    assert _timing(settled=False).to_dict()["hook_overhead_seconds"] is None
