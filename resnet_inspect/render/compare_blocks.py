"""Blocks side by side (`compare basic bottleneck`) as rich tables and Markdown: each block
layer by layer, then their totals. Block tables sit next to each other as far as the
console allows; the rest stack below.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.compare_data import BlockComparison, BlockLayer, BlockSide
from resnet_inspect.analysis.compare_text import times
from resnet_inspect.counting.categories import Category
from resnet_inspect.render.compare_layout import compare_table, heading, natural_width, note_lines
from resnet_inspect.render.console import print_block
from resnet_inspect.report import format as fmt


def _kernel(layer: BlockLayer) -> str:
    if not layer.kernel:
        return ""
    text = layer.kernel + (f"/{layer.stride}" if layer.stride > 1 else "")
    return text + (f" g{layer.groups}" if layer.groups > 1 else "")


def _channels(layer: BlockLayer) -> str:
    if layer.category == Category.NORM:
        return str(layer.out_channels)
    return f"{layer.in_channels}->{layer.out_channels}"


def block_table(side: BlockSide, width: int = 80, rows: int = 0) -> Table:
    """One block, layer by layer: convs and batch-norms (ReLUs and the add carry no weights
    and no MACs); the shortcut's rows are dimmed, the two totals close it. `rows` pads the
    layer rows with blank ones, so tables set side by side have their totals level."""
    title = f"{side.kind} · {side.shortcut} shortcut"
    table = compare_table(title, width)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Kernel", no_wrap=True)
    table.add_column("Channels", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    for layer in side.layers:
        style = "dim" if layer.shortcut else ("italic" if layer.category == Category.NORM else None)
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
    table = compare_table(None, width)
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
        heading(_setting(cmp)),
        Text(""),
        _side_by_side(cmp.blocks, width, console),
        Text(""),
        block_summary_table(cmp, width),
        Text(""),
        note_lines([cmp.headline[:1].upper() + cmp.headline[1:] + ".", *cmp.notes,
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
