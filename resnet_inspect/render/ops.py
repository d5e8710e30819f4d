"""Per-op-type columns for the summary (`--ops`): one column per layer type that does work.

Multiply-accumulate types (conv, fc, batch-norm) are shown in MACs and the rest
(activations, pooling, residual adds) in FLOPs, each unit in its header. Rows come from
the same rollup as the table's, so they line up and each column sums to the report's
by-category total.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from resnet_inspect.counting.categories import COUNTED, SHORT, UNIT_LABEL, unit
from resnet_inspect.render.columns import level_header
from resnet_inspect.render.console import print_block
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, rollup

# (category, header, unit): MACs where the work is multiply-accumulates, FLOPs elsewhere
OP_COLUMNS = tuple((c.value, SHORT[c.value], unit(c.value)) for c in COUNTED)


@dataclass
class OpColumn:
    category: str
    header: str  # two lines: the layer type, then its unit
    cells: list[str]  # one per rollup row, in order
    total: str
    values: list[int]  # the raw numbers behind `cells`
    total_value: int


def op_columns(report: Report, level: str) -> list[OpColumn]:
    """The columns that have any work in this network (a plain net has no 'add')."""
    out = []
    for category, label, kind in OP_COLUMNS:
        total = report.totals.by_category.get(category, {}).get(kind, 0)
        if not total:
            continue
        rows = rollup(report, level, categories=(category,))
        values = [row.macs if kind == "macs" else row.flops for row in rows]
        out.append(OpColumn(
            category=category,
            header=f"{label}\n{UNIT_LABEL[kind]}",
            cells=[fmt.si(v) if v else "-" for v in values],
            total=fmt.si(total),
            values=values,
            total_value=total,
        ))
    return out


def ops_table(report: Report, level: str = "block") -> Table:
    """Name, then one column per op type, then the row's total in the headline's terms."""
    from rich.box import SIMPLE_HEAD

    columns = op_columns(report, level)
    rows = rollup(report, level)
    table = Table(title=f"Per op type · {report.model} · input {fmt.shape(report.input_shape)}",
                  title_justify="left", header_style="bold", pad_edge=False, box=SIMPLE_HEAD)
    table.add_column(level_header(level), overflow="fold")
    for column in columns:
        table.add_column(column.header, justify="right", no_wrap=True)
    for i, row in enumerate(rows):
        table.add_row(row.name, *(c.cells[i] for c in columns),
                      style="dim" if level == "layer" and row.records[0].shortcut else None)
    table.add_section()
    table.add_row("Total", *(c.total for c in columns), style="bold")
    return table


def other_tools_text(report: Report) -> Text:
    """What torchinfo, fvcore, torch's counter and paddle.summary would print, by rule."""
    from resnet_inspect.analysis.check_rules import footer_lines

    lines = ["Other tools, by their rules (resnet-inspect check runs them):"]
    lines += [f"  {line}" for line in footer_lines(report)]
    return Text("\n".join(lines))


def render_ops(report: Report, console: Console, level: str = "block") -> None:
    # the table's own bottom edge is the blank line before the text
    print_block(console, Group(ops_table(report, level), other_tools_text(report)))
