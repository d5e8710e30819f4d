"""Three or more networks as the ResNet paper's Table 1 (`compare 18 34 50 101 152`): one
column per network, each stage's block in brackets with "x n", as rich tables and Markdown.
Below WIDE columns the cells are compact.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.compare_data import (
    ConvShape,
    NetworkComparison,
    NetworkSide,
    StageSide,
)
from resnet_inspect.render.compare_layout import compare_table, heading, inputs_text, note_lines
from resnet_inspect.render.console import print_block
from resnet_inspect.report import format as fmt

WIDE = 110


def _conv_text(c: ConvShape, compact: bool) -> str:
    sep = "," if compact else ", "
    text = f"{c.kernel}{sep}{c.channels}"
    if c.groups > 1:
        text += f"{sep}C={c.groups}"  # ResNeXt paper, Table 1: C is the cardinality
    return text


def structure_lines(stage: StageSide, compact: bool) -> list[str]:
    """A Table 1 cell, one line per conv: '[3x3, 64 ]' ... with ' x 2' on the middle line;
    compact (narrow consoles): '3x3,64' lines then 'x2'."""
    if stage.blocks == 0:  # stem and head: their convs with strides, then pools and fc
        sep = "," if compact else ", "
        lines = [_conv_text(c, compact) + (f"{sep}/{c.stride}" if c.stride > 1 else "")
                 for c in stage.convs]
        return lines + [_extra(e, compact) for e in stage.extras]
    lines = [_extra(e, compact) for e in stage.extras]
    convs = [_conv_text(c, compact) for c in stage.convs]
    if compact:
        return [*lines, *convs, f"x{stage.blocks}"]
    pad = max((len(c) for c in convs), default=0)
    middle = (len(convs) - 1) // 2
    for i, c in enumerate(convs):
        lines.append(f"[{c.ljust(pad)}]" + (f" x {stage.blocks}" if i == middle else ""))
    return lines


def structure_inline(stage: StageSide) -> str:
    """'[3x3, 64; 3x3, 64] x 2', the issue's and the notes' one-line form (Markdown)."""
    if stage.blocks == 0:
        parts = [_conv_text(c, False) + (f", stride {c.stride}" if c.stride > 1 else "")
                 for c in stage.convs]
        return "; ".join(parts + stage.extras)
    inner = "[" + "; ".join(_conv_text(c, False) for c in stage.convs) + f"] x {stage.blocks}"
    return "; ".join([*stage.extras, inner])


def _extra(text: str, compact: bool) -> str:
    if not compact:
        return text
    return text.replace(" max pool, /", " max/").replace("average pool", "avg pool")


def _output_size(stage: StageSide) -> str:
    dims = stage.output_shape
    return "x".join(map(str, dims[1:])) if len(dims) == 3 else fmt.shape(dims[1:] or dims)


def table1(cmp: NetworkComparison, width: int = 80) -> Table:
    compact = width < WIDE
    nets = cmp.networks
    table = compare_table(None, width)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Output", no_wrap=True)
    for n in nets:  # wrap rather than cut when even the compact cells do not fit
        table.add_column(n.name, overflow="fold")
    for name in cmp.stages:
        stages = [n.stage(name) for n in nets]
        sizes = {_output_size(s) for s in stages if s is not None}
        cells = []
        for s in stages:
            if s is None:
                cells.append("-")
                continue
            lines = structure_lines(s, compact)
            if len(sizes) > 1:
                lines.append(f"-> {_output_size(s)}")
            cells.append("\n".join(lines))
        size = sizes.pop() if len(sizes) == 1 else "varies"
        table.add_row(name, size, *cells, end_section=True)
    table.add_row("Layers", "", *[str(n.layers) for n in nets], style="bold")
    table.add_row("Params", "", *[fmt.si(n.params) for n in nets], style="bold")
    table.add_row(*_macs_row(nets), style="bold")
    return table


def _macs_row(nets: Sequence[NetworkSide]) -> list[str]:
    """'GMACs', '', '1.81', ... as Table 1 gives FLOPs in units of 10^9; small (CIFAR)
    networks get 'MACs' with their own units instead of 0.04."""
    if all(n.macs >= 10**8 for n in nets):
        return ["GMACs", "", *[f"{n.macs / 1e9:.2f}" for n in nets]]
    return ["MACs", "", *[fmt.si(n.macs) for n in nets]]


def render_table1(cmp: NetworkComparison, console: Console) -> None:
    print_block(console, Group(
        # the columns name the networks; the heading says what the layout is
        heading(f"Stage by stage, as in the ResNet paper's Table 1 · {inputs_text(cmp.networks)}"),
        table1(cmp, console.width),
        Text(""),
        note_lines([cmp.headline, *cmp.notes]),
    ))


def table1_markdown(cmp: NetworkComparison) -> str:
    nets = cmp.networks
    lines = [f"**{' vs '.join(n.name for n in nets)}**, {inputs_text(nets)}",
             "", "| Stage | Output | " + " | ".join(n.name for n in nets) + " |",
             "|---|---|" + "---|" * len(nets)]
    for name in cmp.stages:
        stages = [n.stage(name) for n in nets]
        sizes = {_output_size(s) for s in stages if s is not None}
        cells = ["-" if s is None else structure_inline(s) for s in stages]
        lines.append(f"| {name} | {sizes.pop() if len(sizes) == 1 else 'varies'} | "
                     + " | ".join(cells) + " |")
    lines.append("| Layers | | " + " | ".join(str(n.layers) for n in nets) + " |")
    lines.append("| Params | | " + " | ".join(fmt.count(n.params) for n in nets) + " |")
    label, _, *values = _macs_row(nets)
    lines.append(f"| {label} | | " + " | ".join(values) + " |")
    lines += ["", cmp.headline + ".", ""]
    lines += [f"- {note}" for note in cmp.notes]
    return "\n".join(lines) + "\n"
