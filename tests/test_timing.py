"""`--time` on the CPU: real, positive per-layer times that add up to the forward."""

from __future__ import annotations

import io

import pytest
import torch

import resnet_inspect
from resnet_inspect.analysis.timing import measure, time_forward
from resnet_inspect.errors import InspectError
from resnet_inspect.render.console import make_console
from resnet_inspect.render.timing_table import render_timing, timing_rows


@pytest.fixture(scope="module")
def timed():  # type: ignore[no-untyped-def]
    # Large enough an input that arithmetic, not Python, dominates each layer's time.
    return measure("resnet18", input_shape=(3, 128, 128), device="cpu", warmup=1, repeats=3)


@pytest.mark.slow
def test_every_layer_is_timed_and_positive(timed) -> None:  # type: ignore[no-untyped-def]
    report, timing = timed
    assert timing.method == "wall clock" and timing.device == "cpu"
    assert [layer.name for layer in timing.layers] == [r.name for r in report.layers]
    assert all(layer.seconds > 0 for layer in timing.layers)
    assert timing.bare_seconds > 0 and timing.forward_seconds > 0
    assert not timing.notes


@pytest.mark.slow
def test_layer_times_sum_close_to_the_measured_forward(timed) -> None:  # type: ignore[no-untyped-def]
    # Not a speed assertion: the layers run inside the forward, so their times add up to
    # most of it (the rest is Python between modules and flatten), and not more than it
    # beyond the noise of taking medians separately.
    # Compared within one pass (the fastest, least disturbed by other processes).
    _, timing = timed
    forward, layers = min(timing.passes)
    assert 0.5 * forward <= layers <= forward
    assert len(timing.passes) == timing.repeats


@pytest.mark.slow
def test_gflops_use_the_reports_flops(timed) -> None:  # type: ignore[no-untyped-def]
    report, timing = timed
    conv1 = timing.layers[0]
    assert conv1.name == "conv1"
    # 64 x 64 x 64 outputs x (3 x 7 x 7) MACs x 2 = 77,070,336 FLOPs
    assert conv1.flops == 2 * 64 * 64 * 64 * 3 * 7 * 7 == 77_070_336
    assert conv1.gflops_per_s == pytest.approx(conv1.flops / conv1.seconds / 1e9)
    assert timing.headline_flops == 2 * report.totals.macs
    assert timing.peak_inference_bytes is None  # CUDA only


@pytest.mark.slow
def test_rows_group_like_the_summary(timed) -> None:  # type: ignore[no-untyped-def]
    report, timing = timed
    stages = timing_rows(report, timing, "stage")
    assert [name for name, _, _ in stages] == ["conv1", "conv2_x", "conv3_x", "conv4_x",
                                               "conv5_x", "fc"]
    assert sum(s for _, s, _ in stages) == pytest.approx(timing.layer_seconds)
    buf = io.StringIO()
    render_timing(report, timing, make_console(width=80, file=buf), "stage")
    text = buf.getvalue()
    assert "Sum of layers" in text and "GFLOP/s" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80


def test_model_is_left_as_found() -> None:
    model = resnet_inspect.build("resnet18")
    model.train()
    report = resnet_inspect.inspect(model, (3, 32, 32), device="meta")
    time_forward(model, report, device="cpu", warmup=0, repeats=1, max_rounds=1)
    assert model.training and model.conv1.weight.device.type == "cpu"


def test_meta_cannot_be_timed() -> None:
    with pytest.raises(InspectError, match="real device"):
        measure("resnet18", device="meta")
    with pytest.raises(InspectError, match="--repeats"):
        measure("resnet18", input_shape=(3, 32, 32), device="cpu", repeats=0)


def test_progress_is_reported_per_pass() -> None:
    seen: list[tuple[int, int]] = []
    _, timing = measure(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), input_shape=(3, 8, 8),
                        device="cpu", warmup=2, repeats=3,
                        progress=lambda d, t: seen.append((d, t)))
    # 2 warm-up + 3 bare + 3 hooked passes a round; a round more while unsettled, and the
    # bar's total grows by 6 with each
    rounds = timing.repeats // 3
    assert timing.repeats % 3 == 0 and 1 <= rounds <= 8
    assert [d for d, _ in seen] == list(range(1, 2 + 6 * rounds + 1))
    assert seen[-1] == (2 + 6 * rounds, 2 + 6 * rounds)
    assert seen[0] == (1, 8)


def test_progress_bar_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from resnet_inspect.cli.progress import progress_bar

    with progress_bar("Timing", delay=0) as update:
        for i in range(3):
            update(i + 1, 3)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_docs_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 12: docs/timing.md's example failed with ImportError. Run its code block as
    # written, with the one call that needs a GPU and minutes made small (resnet18 on the
    # CPU, one pass each): every import and call of the example is exercised.
    import re
    from pathlib import Path

    import resnet_inspect.analysis.timing as timing_module

    text = (Path(__file__).parent.parent / "docs" / "timing.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    real = timing_module.measure

    def small(name: str, **kwargs: object):  # type: ignore[no-untyped-def]
        assert name == "resnet50" and kwargs["device"] == "cuda"
        return real("resnet18", input_shape=(3, 32, 32), device="cpu", warmup=1, repeats=1)

    monkeypatch.setattr(timing_module, "measure", small)
    buf = io.StringIO()
    monkeypatch.setattr("sys.stdout", buf)
    exec(block.group(1), {})
    # the example's table: its title, then level="stage": one row per paper stage, in order
    out = buf.getvalue()
    assert out.lstrip().startswith("Measured · resnet18 · 1x3x32x32")
    rows = [line.split()[0] for line in out.splitlines()
            if line.strip() and line.split()[0] in {"conv1", "conv2_x", "conv3_x", "conv4_x",
                                                       "conv5_x", "fc"}]
    assert rows == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
    assert "Sum of layers" in out
