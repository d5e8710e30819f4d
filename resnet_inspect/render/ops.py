"""Per-op-type columns for the summary (`--ops`): one column per layer type that does work.

Multiply-accumulate types (conv, fc, batch-norm) are shown in MACs and the rest
(activations, pooling, residual adds) in FLOPs, each unit in its header. Rows come from
the same rollup as the table's, so they line up and each column sums to the report's
by-category total.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.render import format as fmt
from resnet_inspect.report import Report, rollup

# (category, header, unit): MACs where the work is multiply-accumulates, FLOPs elsewhere
OP_COLUMNS = (
    ("conv", "conv", "macs"),
    ("linear", "fc", "macs"),
    ("norm", "BN", "macs"),
    ("activation", "act", "flops"),
    ("pool", "pool", "flops"),
    ("add", "add", "flops"),
)


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
    for category, label, unit in OP_COLUMNS:
        total = report.totals.by_category.get(category, {}).get(unit, 0)
        if not total:
            continue
        rows = rollup(report, level, categories=(category,))
        values = [row.macs if unit == "macs" else row.flops for row in rows]
        out.append(OpColumn(
            category=category,
            header=f"{label}\n{'MACs' if unit == 'macs' else 'FLOPs'}",
            cells=[fmt.si(v) if v else "-" for v in values],
            total=fmt.si(total),
            values=values,
            total_value=total,
        ))
    return out
