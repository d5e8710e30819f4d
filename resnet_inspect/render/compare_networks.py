"""Two networks stage by stage with deltas (`compare 50 101`), and networks without the
paper's stages compared whole, as rich tables and Markdown. The two-network table drops
columns until it fits the console, so 80 columns still read.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.compare_data import NetworkComparison, StageSide, empty_stage
from resnet_inspect.analysis.compare_text import field_text, signed_si
from resnet_inspect.render.compare_layout import (
    compare_table,
    heading,
    inputs_text,
    natural_width,
    note_lines,
)
from resnet_inspect.render.console import print_block
from resnet_inspect.report import format as fmt


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a} -> {b}"


def _field_pair(a: StageSide, b: StageSide) -> str:
    """The stage's receptive field in both networks: 291 -> 835, or one value if alike."""
    fa, fb = field_text(a.receptive_field), field_text(b.receptive_field)
    if not a.output_shape or not b.output_shape:  # a stage one network lacks
        return fa if a.output_shape else fb
    return fa if fa == fb else f"{fa} -> {fb}"


def _ratio(r: float | None) -> str:
    return "-" if r is None else fmt.times(r)


PAIR_LEVELS = ("fields", "full", "shapes", "narrow", "deltas")


def pair_table(cmp: NetworkComparison, width: int = 80, level: str = "full") -> Table:
    """level: 'fields' (full, and each stage's receptive field: the first to go, as the
    notes say it too), 'full' (blocks, layers, output, params and MACs with deltas and ratios),
    'shapes' (no ratio columns), 'narrow' (blocks, params and MACs with deltas: 80 columns),
    'deltas' (blocks and the two deltas only, for consoles narrower still)."""
    if level == "deltas":
        return _deltas_table(cmp, width)
    a, b = cmp.networks
    wide = level in ("fields", "full", "shapes")
    ratios = level in ("fields", "full")
    fields = level == "fields"
    table = compare_table(None, width)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Blocks", justify="right", no_wrap=True)
    if wide:
        table.add_column("Layers", justify="right", no_wrap=True)
        table.add_column("Output", no_wrap=True)
    if fields:
        table.add_column("RF (px)", justify="right", no_wrap=True)
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
        sa = a.stage(name) or empty_stage(name)
        sb = b.stage(name) or empty_stage(name)
        cells = [name, _pair(sa.blocks, sb.blocks) if sa.blocks or sb.blocks else ""]
        if wide:
            oa, ob = fmt.shape(sa.output_shape), fmt.shape(sb.output_shape)
            cells += [_pair(sa.layers, sb.layers), oa if oa == ob else f"{oa} / {ob}"]
        if fields:
            cells.append(_field_pair(sa, sb))
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
    if fields:
        cells.append("")
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
    table = compare_table(None, width)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Blocks", justify="right", no_wrap=True)
    table.add_column("\u0394 params", justify="right", no_wrap=True)
    table.add_column("\u0394 MACs", justify="right", no_wrap=True)
    for name, d in zip(cmp.stages, cmp.deltas, strict=True):
        sa = a.stage(name) or empty_stage(name)
        sb = b.stage(name) or empty_stage(name)
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
        heading(f"{a.name} vs {b.name} · {inputs_text(cmp.networks)}"),
        fitted_pair_table(cmp, console),
        Text(""),
        note_lines([cmp.headline, cmp.overall, *cmp.notes]),
    ))


def pair_markdown(cmp: NetworkComparison) -> str:
    a, b = cmp.networks
    lines = [f"**{a.name} vs {b.name}**, {inputs_text(cmp.networks)}", "",
             f"| Stage | Blocks | Layers | Output | RF (px) | Params {a.name} | "
             f"Params {b.name} | Δ params | ratio | MACs {a.name} | MACs {b.name} | Δ MACs | "
             "ratio |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, d in zip(cmp.stages, cmp.deltas, strict=True):
        sa = a.stage(name) or empty_stage(name)
        sb = b.stage(name) or empty_stage(name)
        oa, ob = fmt.shape(sa.output_shape), fmt.shape(sb.output_shape)
        lines.append(
            f"| {name} | {_pair(sa.blocks, sb.blocks) if sa.blocks or sb.blocks else ''} | "
            f"{_pair(sa.layers, sb.layers)} | "
            f"{oa if oa == ob else f'{oa} / {ob}'} | {_field_pair(sa, sb)} | "
            f"{fmt.count(sa.params)} | "
            f"{fmt.count(sb.params)} | {_exact_delta(d.params)} | {_ratio(d.params_ratio)} | "
            f"{fmt.count(sa.macs)} | {fmt.count(sb.macs)} | {_exact_delta(d.macs)} | "
            f"{_ratio(d.macs_ratio)} |")
    lines.append(
        f"| **Total** | | {_pair(a.layers, b.layers)} | | | **{fmt.count(a.params)}** | "
        f"**{fmt.count(b.params)}** | {_exact_delta(b.params - a.params)} | "
        f"{_ratio(b.params / a.params if a.params else None)} | **{fmt.count(a.macs)}** | "
        f"**{fmt.count(b.macs)}** | {_exact_delta(b.macs - a.macs)} | "
        f"{_ratio(b.macs / a.macs if a.macs else None)} |")
    lines += ["", cmp.headline + ".", "", cmp.overall + ".", ""]
    lines += [f"- {note}" for note in cmp.notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Networks without the paper's stages: whole networks only
# ---------------------------------------------------------------------------------------


def totals_table(cmp: NetworkComparison, width: int = 80) -> Table:
    nets = cmp.networks
    first = nets[0]
    table = compare_table(None, width)
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
    print_block(console, Group(heading("Whole networks"), totals_table(cmp, console.width),
                        Text(""),
                        note_lines([cmp.headline, *cmp.notes])))


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
