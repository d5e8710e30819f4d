"""Machine-readable exports of a Report: JSON (the whole report), CSV and Markdown rows.

CSV columns: `macs` and `flops` are the headline's (what --count chose; the rows of any
level sum to the report's totals); `all_macs` and `all_flops` are every counted category
of the row (batch-norm, activations, pooling and the residual add included), so a
batch-norm row is not shown as costing nothing; `category` names the row's categories.
Every column is declared in `render/columns.py`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from resnet_inspect.counting.categories import EVERY_CATEGORY
from resnet_inspect.render.columns import CSV, MARKDOWN, View
from resnet_inspect.render.names import NameScheme
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, Rollup, counted_on_data, rollup


def to_json(report: Report) -> str:
    return report.to_json(indent=2)


def to_csv(report: Report, level: str = "layer", names: NameScheme | str = "torchvision") -> str:
    view = View(report, level, CSV, names=names)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(view.headers())
    every = rollup(report, level, categories=EVERY_CATEGORY)
    headline = rollup(report, level)
    for row, full in zip(headline, every, strict=True):
        writer.writerow(view.values(row, full))
    return buf.getvalue()


def markdown_cell(text: str) -> str:
    """Text safe in a Markdown table cell: a '|' in a module's name ended the cell, a
    backslash escaped what followed, a newline ended the row, '<' opened HTML."""
    return (" ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace("`", "\\`"))


def _markdown_line(cells: Sequence[str], total: bool = False) -> str:
    """A Markdown table row; the total row writes its blanks as one space."""
    parts = [f" {c} " if c or not total else " " for c in cells]
    return "|" + "|".join(parts) + "|"


def markdown_table(view: View, rows: list[Rollup], escape: Callable[[str], str] = str) -> list[str]:
    """The view's table in Markdown: header, alignment, one line a row (`escape` applied to
    the rows' text), then the total in bold."""
    lines = [_markdown_line(view.headers()),
             "|" + "|".join("---:" if r else "---" for r in view.right()) + "|"]
    lines += [_markdown_line(view.cells(row, lambda c, text: escape(text))) for row in rows]
    lines.append(_markdown_line(view.totals(lambda c, text: f"**{text}**"), total=True))
    return lines


def to_markdown(
    report: Report, level: str = "block", names: NameScheme | str = "torchvision"
) -> str:
    on_data = counted_on_data(report.layers, report.totals.headline)
    lines = [
        f"**{markdown_cell(fmt.visible(report.model))}**, input {fmt.shape(report.input_shape)}: "
        f"{fmt.count(report.totals.params)} params, "
        f"{fmt.uncertain(fmt.si(report.totals.macs), on_data)} MACs "
        f"({report.layer_count.text})",
        "",
        *markdown_table(View(report, level, MARKDOWN, names=names), rollup(report, level),
                        escape=markdown_cell),
    ]
    return "\n".join(lines) + "\n"
