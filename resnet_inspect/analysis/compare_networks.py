"""Whole networks stage by stage: one row per paper stage (conv1, conv2_x ... fc) of each
traced report, aligned across the networks, with deltas and ratios for two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from resnet_inspect.analysis.compare_data import (
    PAPER_TABLE1_GFLOPS,
    ConvShape,
    NetworkComparison,
    NetworkSide,
    StageDelta,
    StageSide,
    empty_stage,
)
from resnet_inspect.analysis.compare_text import (
    field_note,
    many_headline,
    network_notes,
    overall_sentence,
    pair_headline,
)
from resnet_inspect.counting.categories import Category
from resnet_inspect.errors import InspectError
from resnet_inspect.report.model import rollup

if TYPE_CHECKING:
    from resnet_inspect.report.model import LayerRecord, Report


def _stage_extras(stage: str, records: Sequence[LayerRecord]) -> list[str]:
    """What sits in a stage outside its blocks: the max pool in conv2_x (Table 1 lists it
    there), the average pool and classifier in fc."""
    out = []
    for r in records:
        if r.block or r.category not in (Category.POOL, Category.LINEAR):
            continue
        if r.category == Category.LINEAR:
            out.append(f"{r.output_shape[-1]}-d fc")
        elif r.type.startswith("Adaptive") or r.type.startswith("Avg"):
            out.append("average pool")
        else:
            kind = "max pool" if r.type.startswith("MaxPool") else "pool"
            stride = f", /{r.stride}" if r.stride > 1 else ""
            out.append(f"{r.kernel} {kind}{stride}")
    return out


def network_side(report: Report) -> NetworkSide:
    by_stage: dict[str, list[LayerRecord]] = {}
    for r in report.layers:
        by_stage.setdefault(r.stage, []).append(r)
    blocks_in: dict[str, list[str]] = {}
    for b in report.blocks:
        blocks_in.setdefault(b.stage, []).append(b.name)
    stages = []
    for row in rollup(report, "stage"):
        records = by_stage[row.stage]
        weighted = [r for r in records
                    if r.category in (Category.CONV, Category.LINEAR) and not r.shortcut]
        first_block = blocks_in.get(row.stage, [""])[0]
        if first_block:
            shown = [r for r in weighted if r.block == first_block and r.category == Category.CONV]
        else:
            shown = [r for r in weighted if r.category == Category.CONV]
        stages.append(StageSide(
            stage=row.stage,
            blocks=len(blocks_in.get(row.stage, [])),
            layers=len(weighted),
            output_shape=row.output_shape[1:],
            params=row.params,
            macs=row.macs,
            convs=[ConvShape(r.kernel, r.output_shape[1], r.groups, r.stride) for r in shown],
            extras=_stage_extras(row.stage, records),
            receptive_field=row.receptive_field,
            jump=row.jump,
        ))
    t = report.totals
    return NetworkSide(
        name=report.model,
        description=report.description,
        input_shape=report.input_shape,
        params=t.params,
        macs=t.macs,
        flops=t.flops,
        headline=t.headline,
        layers=report.layer_count.total,
        layer_count=report.layer_count.text,
        stages=stages,
        block=(report.spec or {}).get("block"),
        stride_on=(report.spec or {}).get("stride_on"),
        paper_depth=paper_depth(report.spec, report.input_shape),
        categories=[c for c, v in t.by_category.items() if v.get("macs") or v.get("flops")],
    )


def _ratio(a: int, b: int) -> float | None:
    # four decimals, and four significant digits below 0.01: 314 / 11,689,512 is
    # 2.686e-05, not 0.0
    if not a:
        return None
    r = b / a
    return round(r, 4) if r >= 0.01 else float(f"{r:.4g}")


def compare_reports(reports: Sequence[Report]) -> NetworkComparison:
    """Align two or more network reports stage by stage."""
    if len(reports) < 2:
        raise InspectError("compare needs at least two networks, e.g. `compare 50 101`")
    nets = [network_side(r) for r in reports]
    if len({n.headline for n in nets}) > 1:
        raise InspectError("the reports count MACs differently (--count); trace them alike")
    order: dict[str, None] = {}
    for n in nets:
        for s in n.stages:
            order.setdefault(s.stage, None)
    stages = list(order)
    deltas = []
    staged = all(_PAPER_STAGE.match(name) for name in stages)
    if staged:  # conv1, conv2_x ... in number order, fc last, whichever network has them
        stages.sort(key=lambda name: 10**6 if name == "fc" else int(re.sub(r"\D", "", name)))
    else:
        return NetworkComparison(
            form="totals", networks=nets, stages=stages, deltas=[],
            headline=overall_sentence(nets), overall="",
            notes=[*network_notes(nets),
                   "Stage by stage needs the paper's stages (conv1, conv2_x ... fc) in every "
                   "network; these networks are compared whole."],
        )
    if len(nets) == 2:
        a, b = nets
        for name in stages:
            sa = a.stage(name) or empty_stage(name)
            sb = b.stage(name) or empty_stage(name)
            deltas.append(StageDelta(
                stage=name,
                blocks=sb.blocks - sa.blocks,
                layers=sb.layers - sa.layers,
                params=sb.params - sa.params,
                macs=sb.macs - sa.macs,
                params_ratio=_ratio(sa.params, sb.params),
                macs_ratio=_ratio(sa.macs, sb.macs),
            ))
        headline = pair_headline(a, b, deltas)
    else:
        headline = many_headline(nets)
    overall = overall_sentence(nets)
    return NetworkComparison(
        form="networks" if len(nets) == 2 else "table1",
        networks=nets,
        stages=stages,
        deltas=deltas,
        headline=headline,
        overall=overall,
        notes=[*network_notes(nets), *field_note(*nets[:2])] if len(nets) == 2 else
        network_notes(nets),
    )


_PAPER_STAGE = re.compile(r"^(conv1|conv\d+_x|fc)$")


# fields that do not change the network's arithmetic, or that the note is about
_NOT_STRUCTURE = {"name", "description", "stride_on"}


def paper_depth(spec: dict[str, Any] | None, input_shape: Sequence[int]) -> int | None:
    """50, 101 or 152 when a report's spec is that network of the paper's Table 1 (at one
    224x224 image) up to where the stride sits; None for anything else (ResNeXt, WRN,
    custom widths, another input ...), for which the paper gives no figure."""
    if spec is None or list(input_shape) != [1, 3, 224, 224]:
        return None
    from resnet_inspect.spec.registry import get_spec

    for depth in PAPER_TABLE1_GFLOPS:
        preset = json.loads(json.dumps(asdict(get_spec(f"resnet{depth}")),
                                       default=lambda e: e.value))
        # JSON on both sides: tuples and lists, enums and their values compare alike
        mine = json.loads(json.dumps(spec, default=lambda e: getattr(e, "value", str(e))))
        if all(mine.get(k) == v for k, v in preset.items() if k not in _NOT_STRUCTURE):
            return depth
    return None
