"""Comparisons as rich tables and Markdown.

Three forms, chosen by the data: blocks side by side (`compare basic bottleneck`), two
networks stage by stage with deltas (`compare 50 101`), three or more as the ResNet paper's
Table 1 (`compare 18 34 50 101 152`). Each takes a comparison object from
`resnet_inspect.analysis.compare`, never a model. Layouts adapt to the console width: from WIDE
columns up, block tables sit next to each other and network tables show exact shapes and
ratios; below it they stack and abbreviate, so 80 columns still read.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.compare_data import (
    BlockComparison,
    BlockLayer,
    BlockSide,
    ConvShape,
    NetworkComparison,
    NetworkSide,
    StageSide,
)
from resnet_inspect.analysis.compare_text import signed_si, times
from resnet_inspect.render.console import print_block
from resnet_inspect.report import format as fmt

WIDE = 110


def _table(title: str | None = None, width: int = 80) -> Table:
    # collapse_padding: one space of padding between columns, not two (with the box's own
    # blank divider that is still a clear gap), which is what lets 80 columns hold the
    # two-network table.
    return Table(title=title, title_justify="left", header_style="bold", pad_edge=False,
                 collapse_padding=True, box=box.SIMPLE_HEAD if width >= 60 else None,
                 title_style="bold")


def natural_width(renderable: RenderableType, console: Console) -> int:
    """The width a renderable wants with no limit (console.measure caps it at the console)."""
    options = console.options.update(max_width=10_000)
    return Measurement.get(console, options, renderable).maximum


def _inputs(nets: Sequence[NetworkSide]) -> str:
    shapes = list(dict.fromkeys(fmt.shape(n.input_shape) for n in nets))
    return f"input {shapes[0]}" if len(shapes) == 1 else f"inputs {', '.join(shapes)}"


def _heading(text: str) -> Text:
    """A title line above a table: it wraps at the console, not at the table's width."""
    return Text(text, style="bold", overflow="fold")


def _notes(lines: Sequence[str]) -> Group:
    return Group(*(Text(line, overflow="fold") for line in lines))


# ---------------------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------------------


def _kernel(layer: BlockLayer) -> str:
    if not layer.kernel:
        return ""
    text = layer.kernel + (f"/{layer.stride}" if layer.stride > 1 else "")
    return text + (f" g{layer.groups}" if layer.groups > 1 else "")


def _channels(layer: BlockLayer) -> str:
    if layer.category == "norm":
        return str(layer.out_channels)
    return f"{layer.in_channels}->{layer.out_channels}"


def block_table(side: BlockSide, width: int = 80, rows: int = 0) -> Table:
    """One block, layer by layer: convs and batch-norms (ReLUs and the add carry no weights
    and no MACs); the shortcut's rows are dimmed, the two totals close it. `rows` pads the
    layer rows with blank ones, so tables set side by side have their totals level."""
    title = f"{side.kind} · {side.shortcut} shortcut"
    table = _table(title, width)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Kernel", no_wrap=True)
    table.add_column("Channels", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    for layer in side.layers:
        style = "dim" if layer.shortcut else ("italic" if layer.category == "norm" else None)
        table.add_row(layer.name, _kernel(layer), _channels(layer),
                      fmt.count(layer.params) if layer.params else "-",
                      fmt.si(layer.macs) if layer.macs else "-", style=style)
    for _ in range(rows - len(side.layers)):
        table.add_row("", "", "", "", "")
    table.add_section()
    table.add_row("convs", "", "", fmt.count(side.conv_weights), fmt.si(side.macs),
                  style="bold")
    table.add_row("with BN", "", "", fmt.count(side.params), fmt.si(side.macs_with_bn))
    return table


def block_summary_table(cmp: BlockComparison, width: int = 80) -> Table:
    """The totals side by side; with two blocks a last column says how the second compares."""
    sides = cmp.blocks
    pair = len(sides) == 2
    table = _table(None, width)
    table.add_column("", no_wrap=True)
    for side in sides:
        table.add_column(side.kind, justify="right", no_wrap=True)
    if pair:
        table.add_column(f"{sides[1].kind} vs {sides[0].kind}", no_wrap=True)
    h, w = cmp.spatial
    rows: list[tuple[str, list[int | str], bool]] = [
        ("Conv weights", [s.conv_weights for s in sides], True),
        ("Params with BN", [s.params for s in sides], True),
        ("Params + BN stats", [s.params + s.running_stats for s in sides], False),
        (f"MACs at {h}x{w}", [s.macs for s in sides], True),
        ("MACs with BN", [s.macs_with_bn for s in sides], False),
        ("Weighted layers", [s.weighted_layers for s in sides], False),
        ("Output", [fmt.shape(s.output_shape[1:]) for s in sides], False),
        ("Shortcut", [s.shortcut for s in sides], False),
    ]
    for label, values, compared in rows:
        cells = [_cell(v, "MACs" in label) for v in values]
        if pair:
            a, b = values
            cells.append(times(a, b) if compared and isinstance(a, int)
                         and isinstance(b, int) else "")
        table.add_row(label, *cells, style="bold" if label == "Conv weights" else None)
    return table


def _cell(value: int | str, short: bool) -> str:
    if isinstance(value, str):
        return value
    return fmt.si(value) if short else fmt.count(value)


def _setting(cmp: BlockComparison) -> str:
    chans = (str(cmp.in_channels) if cmp.in_channels == cmp.out_channels
             else f"{cmp.in_channels} -> {cmp.out_channels}")
    width = (f", bottleneck width {cmp.width}"
             if any(s.width != s.out_channels for s in cmp.blocks) else "")
    shape = fmt.shape([cmp.batch, cmp.in_channels, *cmp.spatial])
    return (f"{' vs '.join(s.kind for s in cmp.blocks)} · {chans} channels{width}, "
            f"stride {cmp.stride}, input {shape}")


def _side_by_side(sides: Sequence[BlockSide], width: int, console: Console) -> RenderableType:
    """Block tables next to each other as far as they fit in `width`, the rest below."""
    rows_needed = max(len(s.layers) for s in sides)
    gap = 4
    rows: list[list[BlockSide]] = [[]]
    used = 0
    for side in sides:
        w = natural_width(block_table(side, width, rows_needed), console)
        if rows[-1] and used + gap + w > width:
            rows.append([])
            used = 0
        used += w + (gap if rows[-1] else 0)
        rows[-1].append(side)
    parts: list[RenderableType] = []
    for row in rows:
        if len(row) == 1:
            parts.append(block_table(row[0], width))
        else:
            grid = Table.grid(padding=(0, gap))
            for _ in row:
                grid.add_column(vertical="top")
            level = max(len(s.layers) for s in row)
            grid.add_row(*(block_table(s, width, level) for s in row))
            parts.append(grid)
        parts.append(Text(""))
    return Group(*parts[:-1])


def render_blocks(cmp: BlockComparison, console: Console) -> None:
    width = console.width
    print_block(console, Group(
        _heading(_setting(cmp)),
        Text(""),
        _side_by_side(cmp.blocks, width, console),
        Text(""),
        block_summary_table(cmp, width),
        Text(""),
        _notes([cmp.headline[:1].upper() + cmp.headline[1:] + ".", *cmp.notes,
                "MACs = multiply-accumulates of the convs (FLOPs = 2 x MACs); batch-norm "
                "in eval mode costs one MAC per element."]),
    ))


def blocks_markdown(cmp: BlockComparison) -> str:
    lines = [f"**{_setting(cmp)}**", ""]
    for side in cmp.blocks:
        lines += [f"*{side.kind}* ({side.shortcut} shortcut)", "",
                  "| Layer | Kernel | Channels | Params | MACs |", "|---|---|---|---:|---:|"]
        for layer in side.layers:
            name = f"{layer.name} (shortcut)" if layer.shortcut else layer.name
            lines.append(f"| {name} | {_kernel(layer)} | {_channels(layer)} | "
                         f"{fmt.count(layer.params)} | {fmt.count(layer.macs)} |")
        lines.append(f"| **convs** | | | **{fmt.count(side.conv_weights)}** | "
                     f"**{fmt.count(side.macs)}** |")
        lines.append(f"| with BN | | | {fmt.count(side.params)} | "
                     f"{fmt.count(side.macs_with_bn)} |")
        lines.append("")
    sides = cmp.blocks
    head = "| | " + " | ".join(s.kind for s in sides) + " |"
    lines += [head, "|---|" + "---:|" * len(sides)]
    h, w = cmp.spatial
    for label, values in (("Conv weights", [s.conv_weights for s in sides]),
                          ("Params with BN", [s.params for s in sides]),
                          ("Params + BN stats", [s.params + s.running_stats for s in sides]),
                          (f"MACs at {h}x{w}", [s.macs for s in sides]),
                          ("MACs with BN", [s.macs_with_bn for s in sides])):
        lines.append(f"| {label} | " + " | ".join(fmt.count(v) for v in values) + " |")
    lines += ["", cmp.headline[:1].upper() + cmp.headline[1:] + ".", ""]
    lines += [f"- {note}" for note in cmp.notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Two networks: stage by stage with deltas
# ---------------------------------------------------------------------------------------


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a} -> {b}"


def _ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


PAIR_LEVELS = ("full", "shapes", "narrow", "deltas")


def pair_table(cmp: NetworkComparison, width: int = 80, level: str = "full") -> Table:
    """level: 'full' (blocks, layers, output, params and MACs with deltas and ratios),
    'shapes' (no ratio columns), 'narrow' (blocks, params and MACs with deltas: 80 columns),
    'deltas' (blocks and the two deltas only, for consoles narrower still)."""
    if level == "deltas":
        return _deltas_table(cmp, width)
    a, b = cmp.networks
    wide = level in ("full", "shapes")
    ratios = level == "full"
    table = _table(None, width)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Blocks", justify="right", no_wrap=True)
    if wide:
        table.add_column("Layers", justify="right", no_wrap=True)
        table.add_column("Output", no_wrap=True)
    short_a, short_b = _short_names(a.name, b.name)
    table.add_column(f"Params\n{short_a}", justify="right", no_wrap=True)
    table.add_column(f"Params\n{short_b}", justify="right", no_wrap=True)
    table.add_column("\u0394 params", justify="right", no_wrap=True)
    if ratios:
        table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column(f"MACs\n{short_a}", justify="right", no_wrap=True)
    table.add_column(f"MACs\n{short_b}", justify="right", no_wrap=True)
    table.add_column("\u0394 MACs", justify="right", no_wrap=True)
    if ratios:
        table.add_column("ratio", justify="right", no_wrap=True)
    for name, d in zip(cmp.stages, cmp.deltas, strict=True):
        sa = a.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        sb = b.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        cells = [name, _pair(sa.blocks, sb.blocks) if sa.blocks or sb.blocks else ""]
        if wide:
            oa, ob = fmt.shape(sa.output_shape), fmt.shape(sb.output_shape)
            cells += [_pair(sa.layers, sb.layers), oa if oa == ob else f"{oa} / {ob}"]
        cells += [fmt.si(sa.params), fmt.si(sb.params), _delta(d.params)]
        if ratios:
            cells.append(_ratio(d.params_ratio))
        cells += [fmt.si(sa.macs), fmt.si(sb.macs), _delta(d.macs)]
        if ratios:
            cells.append(_ratio(d.macs_ratio))
        changed = d.params or d.macs or d.blocks
        table.add_row(*cells, style="bold" if changed else None)
    table.add_section()
    cells = ["Total", _pair(sum(s.blocks for s in a.stages), sum(s.blocks for s in b.stages))]
    if wide:
        cells += [_pair(a.layers, b.layers), ""]
    cells += [fmt.si(a.params), fmt.si(b.params), _delta(b.params - a.params)]
    if ratios:
        cells.append(_ratio(b.params / a.params if a.params else None))
    cells += [fmt.si(a.macs), fmt.si(b.macs), _delta(b.macs - a.macs)]
    if ratios:
        cells.append(_ratio(b.macs / a.macs if a.macs else None))
    table.add_row(*cells, style="bold")
    return table


def _deltas_table(cmp: NetworkComparison, width: int) -> Table:
    a, b = cmp.networks
    table = _table(None, width)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Blocks", justify="right", no_wrap=True)
    table.add_column("\u0394 params", justify="right", no_wrap=True)
    table.add_column("\u0394 MACs", justify="right", no_wrap=True)
    for name, d in zip(cmp.stages, cmp.deltas, strict=True):
        sa = a.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        sb = b.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        blocks = _pair(sa.blocks, sb.blocks) if sa.blocks or sb.blocks else ""
        table.add_row(name, blocks, _delta(d.params), _delta(d.macs),
                      style="bold" if d.params or d.macs or d.blocks else None)
    table.add_section()
    table.add_row("Total", _pair(sum(s.blocks for s in a.stages), sum(s.blocks for s in b.stages)),
                  _delta(b.params - a.params), _delta(b.macs - a.macs), style="bold")
    return table


def _delta(n: int) -> str:
    return "0" if n == 0 else signed_si(n)


def _exact_delta(n: int) -> str:
    return "0" if n == 0 else f"{n:+,}"


def _short_names(a: str, b: str) -> tuple[str, str]:
    """Column headers: 'resnet50' and 'resnet101' become '50' and '101' when both share the
    prefix, so the header does not set the column width."""
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix] and not a[prefix].isdigit():
        prefix += 1
    if prefix >= 3 and a[prefix:] and b[prefix:]:
        return a[prefix:], b[prefix:]
    return a, b


def fitted_pair_table(cmp: NetworkComparison, console: Console) -> Table:
    """The fullest level whose table fits the console (rich would otherwise cut cells)."""
    width = console.width
    for level in PAIR_LEVELS[:-1]:
        table = pair_table(cmp, width, level)
        if natural_width(table, console) <= width:
            return table
    return pair_table(cmp, width, PAIR_LEVELS[-1])


def render_pair(cmp: NetworkComparison, console: Console) -> None:
    a, b = cmp.networks
    print_block(console, Group(
        _heading(f"{a.name} vs {b.name} · {_inputs(cmp.networks)}"),
        fitted_pair_table(cmp, console),
        Text(""),
        _notes([cmp.headline, cmp.overall, *cmp.notes]),
    ))


def pair_markdown(cmp: NetworkComparison) -> str:
    a, b = cmp.networks
    lines = [f"**{a.name} vs {b.name}**, {_inputs(cmp.networks)}", "",
             f"| Stage | Blocks | Layers | Output | Params {a.name} | Params {b.name} | "
             f"Δ params | ratio | MACs {a.name} | MACs {b.name} | Δ MACs | ratio |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, d in zip(cmp.stages, cmp.deltas, strict=True):
        sa = a.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        sb = b.stage(name) or StageSide(name, 0, 0, [], 0, 0, [], [])
        oa, ob = fmt.shape(sa.output_shape), fmt.shape(sb.output_shape)
        lines.append(
            f"| {name} | {_pair(sa.blocks, sb.blocks) if sa.blocks or sb.blocks else ''} | "
            f"{_pair(sa.layers, sb.layers)} | "
            f"{oa if oa == ob else f'{oa} / {ob}'} | {fmt.count(sa.params)} | "
            f"{fmt.count(sb.params)} | {_exact_delta(d.params)} | {_ratio(d.params_ratio)} | "
            f"{fmt.count(sa.macs)} | {fmt.count(sb.macs)} | {_exact_delta(d.macs)} | "
            f"{_ratio(d.macs_ratio)} |")
    lines.append(
        f"| **Total** | | {_pair(a.layers, b.layers)} | | **{fmt.count(a.params)}** | "
        f"**{fmt.count(b.params)}** | {_exact_delta(b.params - a.params)} | "
        f"{_ratio(b.params / a.params if a.params else None)} | **{fmt.count(a.macs)}** | "
        f"**{fmt.count(b.macs)}** | {_exact_delta(b.macs - a.macs)} | "
        f"{_ratio(b.macs / a.macs if a.macs else None)} |")
    lines += ["", cmp.headline + ".", "", cmp.overall + ".", ""]
    lines += [f"- {note}" for note in cmp.notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Three or more networks: the ResNet paper's Table 1
# ---------------------------------------------------------------------------------------


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
    table = _table(None, width)
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
        _heading(f"Stage by stage, as in the ResNet paper's Table 1 · {_inputs(cmp.networks)}"),
        table1(cmp, console.width),
        Text(""),
        _notes([cmp.headline, *cmp.notes]),
    ))


def table1_markdown(cmp: NetworkComparison) -> str:
    nets = cmp.networks
    lines = [f"**{' vs '.join(n.name for n in nets)}**, {_inputs(nets)}",
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


# ---------------------------------------------------------------------------------------
# Networks without the paper's stages: whole networks only
# ---------------------------------------------------------------------------------------


def totals_table(cmp: NetworkComparison, width: int = 80) -> Table:
    nets = cmp.networks
    first = nets[0]
    table = _table(None, width)
    table.add_column("Network", no_wrap=True)
    table.add_column("Input", no_wrap=True)
    table.add_column("Layers", justify="right", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column(f"vs {first.name}", justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    table.add_column(f"vs {first.name}", justify="right", no_wrap=True)
    for n in nets:
        table.add_row(n.name, fmt.shape(n.input_shape), str(n.layers), fmt.count(n.params),
                      _ratio(n.params / first.params if first.params else None),
                      fmt.si(n.macs), _ratio(n.macs / first.macs if first.macs else None))
    return table


def render_totals(cmp: NetworkComparison, console: Console) -> None:
    print_block(console, Group(_heading("Whole networks"), totals_table(cmp, console.width),
                        Text(""),
                        _notes([cmp.headline, *cmp.notes])))


def totals_markdown(cmp: NetworkComparison) -> str:
    first = cmp.networks[0]
    lines = [f"| Network | Input | Layers | Params | vs {first.name} | MACs | vs {first.name} |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for n in cmp.networks:
        lines.append(f"| {n.name} | {fmt.shape(n.input_shape)} | {n.layers} | "
                     f"{fmt.count(n.params)} | "
                     f"{_ratio(n.params / first.params if first.params else None)} | "
                     f"{fmt.count(n.macs)} | "
                     f"{_ratio(n.macs / first.macs if first.macs else None)} |")
    lines += ["", cmp.headline + ".", ""] + [f"- {note}" for note in cmp.notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------


def render(cmp: BlockComparison | NetworkComparison, console: Console) -> None:
    if isinstance(cmp, BlockComparison):
        render_blocks(cmp, console)
    elif cmp.form == "networks":
        render_pair(cmp, console)
    elif cmp.form == "totals":
        render_totals(cmp, console)
    else:
        render_table1(cmp, console)


def to_markdown(cmp: BlockComparison | NetworkComparison) -> str:
    if isinstance(cmp, BlockComparison):
        return blocks_markdown(cmp)
    if cmp.form == "networks":
        return pair_markdown(cmp)
    if cmp.form == "totals":
        return totals_markdown(cmp)
    return table1_markdown(cmp)


def to_json(cmp: BlockComparison | NetworkComparison) -> str:
    import json

    return json.dumps(cmp.to_dict(), indent=2)

