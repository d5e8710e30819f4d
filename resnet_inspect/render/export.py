"""Machine-readable exports of a Report: JSON (the whole report), CSV and Markdown rows.

CSV columns: `macs` and `flops` are the headline's (what --count chose; the rows of any
level sum to the report's totals); `all_macs` and `all_flops` are every counted category
of the row (batch-norm, activations, pooling and the residual add included), so a
batch-norm row is not shown as costing nothing; `category` names the row's categories.
"""

from __future__ import annotations

import csv
import io

from resnet_inspect.render.names import Namer, NameScheme
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, rollup

CSV_FIELDS = (
    "name",
    "stage",
    "kind",
    "category",
    "input_shape",
    "output_shape",
    "params",
    "macs",
    "flops",
    "all_macs",
    "all_flops",
    "output_bytes",
)


def to_json(report: Report) -> str:
    return report.to_json(indent=2)


def to_csv(report: Report, level: str = "layer", names: NameScheme | str = "torchvision") -> str:
    namer = Namer(report, names)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    train = report.training_memory is not None
    # a training step adds its backward MACs (headline categories) and the bytes saved
    writer.writerow((*CSV_FIELDS, "backward_macs", "saved_bytes") if train else CSV_FIELDS)
    from resnet_inspect.counting.categories import EVERY_CATEGORY

    every = rollup(report, level, categories=EVERY_CATEGORY)
    headline = rollup(report, level)
    for row, full in zip(headline, every, strict=True):
        worked = [r.category for r in full.records if r.macs or r.flops]
        categories = dict.fromkeys(worked or [r.category for r in full.records])
        extra = [row.backward_macs, row.saved_bytes] if train else []
        writer.writerow(
            [
                namer(row.name),
                row.stage,
                row.kind,
                "+".join(categories),
                fmt.shape(row.input_shape),
                fmt.shape(row.output_shape),
                row.params,
                row.macs,
                row.flops,
                full.macs,
                full.flops,
                row.output_bytes,
                *extra,
            ]
        )
    return buf.getvalue()


def to_markdown(
    report: Report, level: str = "block", names: NameScheme | str = "torchvision"
) -> str:
    namer = Namer(report, names)
    head = {"stage": "Stage", "block": "Block", "layer": "Layer"}[level]
    lines = [
        f"**{report.model}**, input {fmt.shape(report.input_shape)}: "
        f"{fmt.count(report.totals.params)} params, {fmt.si(report.totals.macs)} MACs "
        f"({report.layer_count.text})",
        "",
        f"| {head} | Type | Output shape | Params | MACs |",
        "|---|---|---|---:|---:|",
    ]
    for row in rollup(report, level):
        lines.append(
            f"| {namer(row.name)} | {row.kind} | {fmt.shape(row.output_shape)} | "
            f"{fmt.count(row.params)} | {fmt.count(row.macs)} |"
        )
    lines.append(
        f"| **Total** | | | **{fmt.count(report.totals.params)}** | "
        f"**{fmt.count(report.totals.macs)}** |"
    )
    return "\n".join(lines) + "\n"
