"""Measured times (`--time`) as a rich table, grouped like the summary (stage, block,
layer), with the whole-network figures underneath."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.timing import Timing
from resnet_inspect.counting.categories import HEADLINE_LABEL, Headline
from resnet_inspect.render.columns import level_header
from resnet_inspect.render.console import TABLE_BOX, print_block
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.2f}"


def _rate(flops: int, seconds: float) -> str:
    return f"{flops / seconds / 1e9:,.1f}" if flops and seconds > 0 else "-"


def timing_rows(report: Report, timing: Timing,
                level: str = "block") -> list[tuple[str, float, int]]:
    """(group name, seconds, FLOPs) in execution order, grouped as the summary groups."""
    records: dict[str, Any] = {}
    for r in report.layers:  # a module called twice: its first row, as before
        records.setdefault(r.name, r)

    def key(layer: Any) -> str:
        record = records.get(layer.name)
        if level == "layer" or record is None:
            return str(layer.name)
        return record.block or record.name if level == "block" else record.stage

    rows: list[tuple[str, float, int]] = []
    for name, run in groupby(timing.layers, key):  # consecutive layers of one group
        layers = list(run)
        rows.append((name, sum(x.seconds for x in layers), sum(x.flops for x in layers)))
    return rows


def timing_table(report: Report, timing: Timing, level: str = "block") -> Table:
    table = Table(
        title=f"Measured · {timing.model} · {fmt.shape(timing.input_shape)}",
        title_justify="left", header_style="bold", pad_edge=False, box=TABLE_BOX,
    )
    table.add_column(level_header(level), overflow="fold")
    table.add_column("Time (ms)", justify="right", no_wrap=True)
    table.add_column("Share", justify="right", no_wrap=True)
    table.add_column("GFLOP/s", justify="right", no_wrap=True)
    total = timing.layer_seconds or 1.0
    for name, seconds, flops in timing_rows(report, timing, level):
        table.add_row(fmt.visible(name), _ms(seconds), f"{100 * seconds / total:.1f}%",
                      _rate(flops, seconds))
    table.add_section()
    table.add_row("Sum of layers", _ms(timing.layer_seconds), "100%",
                  _rate(sum(layer.flops for layer in timing.layers), timing.layer_seconds),
                  style="bold")
    return table


def timing_text(timing: Timing) -> Text:
    overhead = timing.hook_overhead_seconds
    if not timing.settled:
        # the medians never settled (other load on the machine): no difference is given
        said = (f"not settled after {timing.repeats} passes each, other load on the "
                "machine?, so no overhead is given")
    elif overhead is None:
        said = f"the hooks' overhead is below the noise, {_ms(timing.noise_seconds)} ms"
    else:
        share = 100 * overhead / timing.bare_seconds
        said = f"overhead {_ms(overhead)} ms, {share:.1f}%"
    lines = [
        f"Timed on {timing.device}, {timing.device_name}, {timing.method}: median of "
        f"{timing.repeats} after {timing.warmup} warm-up",
        f"Forward: {_ms(timing.bare_seconds)} ms bare, {_ms(timing.forward_seconds)} ms with "
        f"the timing hooks ({said}); layers sum to {_ms(timing.layer_seconds)} ms",
        f"Achieved: {timing.gflops_per_s:,.1f} GFLOP/s ({HEADLINE_LABEL[Headline.CONV]} "
        "FLOPs = 2 x MACs, over the bare forward)",
    ]
    if timing.peak_inference_bytes is not None:
        lines.append(
            f"Peak memory (torch.cuda.max_memory_allocated): inference "
            f"{fmt.mib(timing.peak_inference_bytes)} (estimate at least "
            f"{fmt.mib(timing.estimate_inference_bytes)}), with autograd "
            f"{fmt.mib(timing.peak_training_bytes or 0)} (estimate "
            f"{fmt.mib(timing.estimate_bytes)})"
        )
    else:
        lines.append("Peak memory: measured on CUDA only (the estimate is in the summary)")
    lines += timing.notes
    return Text("\n".join(lines))


def render_timing(report: Report, timing: Timing, console: Console, level: str = "block") -> None:
    print_block(console, Group(timing_table(report, timing, level), timing_text(timing)))


