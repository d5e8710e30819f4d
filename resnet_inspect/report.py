"""The report: plain data produced by one traced forward pass.

Everything a user sees (tables, diagrams, exports, comparisons) is a function of a Report;
no renderer touches the model. Reports round-trip through JSON (`to_dict`/`from_dict`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

SCHEMA_VERSION = 1

CONVENTIONS = (
    "MACs = multiply-accumulates of conv and linear layers (the ResNet paper's 'FLOPs "
    "(multiply-adds)', torchvision's GFLOPS); FLOPs = 2 x MACs; biases not counted.",
    "Batch-norm (eval: 1 MAC per element), activations, pooling and residual additions "
    "(FLOPs only) are counted in their own categories, outside the headline.",
    "Params are trainable and frozen nn.Parameters (torchvision's count); BN running "
    "statistics are buffers, counted apart.",
)


@dataclass
class LayerRecord:
    """One call of one leaf module, in execution order."""

    name: str  # torchvision-style module path, e.g. layer3.5.conv2
    type: str  # module class name
    stage: str  # the paper's stage: conv1, conv2_x ... conv5_x, fc
    block: str  # the residual block this layer belongs to ("layer3.5"), or ""
    category: str  # counting.Category value
    input_shape: list[int]
    output_shape: list[int]
    kernel: str = ""  # "3x3"
    stride: int = 1
    groups: int = 1
    params: int = 0
    trainable_params: int = 0
    buffers: int = 0
    macs: int = 0
    flops: int = 0
    output_bytes: int = 0
    shortcut: bool = False  # on the shortcut path (projection / zero-pad), not the residual branch
    depth: int = 0  # nesting depth of the module path


@dataclass
class BlockRecord:
    """One residual block: what its shortcut does, for tables, diagrams and comparisons."""

    name: str
    stage: str
    kind: str  # BlockKind value, or the module class for foreign models
    shortcut: str  # ShortcutUse value
    in_channels: int
    out_channels: int
    stride: int
    input_shape: list[int]
    output_shape: list[int]


@dataclass
class Totals:
    params: int
    trainable_params: int
    buffers: int
    running_stats: int  # BN running mean + variance elements (what paddle.summary adds)
    macs: int  # headline, per `headline`
    flops: int
    headline: str  # counting.Headline value
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)  # cat -> {macs, flops}

    @property
    def frozen_params(self) -> int:
        return self.params - self.trainable_params


@dataclass
class Memory:
    """Estimate in the style of torchinfo and paddle.summary, in bytes."""

    input_bytes: int
    activation_bytes: int  # sum of every layer's output
    forward_backward_bytes: int  # activations kept for backward: 2 x activation_bytes
    param_bytes: int
    buffer_bytes: int
    total_bytes: int
    measured_peak_bytes: int | None = None


@dataclass
class LayerCount:
    """How the name's depth is made: weighted layers on the main path."""

    total: int
    stem: int
    stage_blocks: list[int]
    convs_per_block: list[int]
    head: int
    text: str


@dataclass
class Report:
    model: str
    input_shape: list[int]  # batch included
    device: str
    dtype: str
    layers: list[LayerRecord]
    blocks: list[BlockRecord]
    totals: Totals
    memory: Memory
    layer_count: LayerCount
    description: str = ""
    unsupported: list[str] = field(default_factory=list)
    conventions: list[str] = field(default_factory=lambda: list(CONVENTIONS))
    spec: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["layers"] = [LayerRecord(**r) for r in data["layers"]]
        kwargs["blocks"] = [BlockRecord(**b) for b in data["blocks"]]
        kwargs["totals"] = Totals(**data["totals"])
        kwargs["memory"] = Memory(**data["memory"])
        kwargs["layer_count"] = LayerCount(**data["layer_count"])
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))

    @property
    def stages(self) -> list[str]:
        """Stage labels in execution order."""
        seen: dict[str, None] = {}
        for r in self.layers:
            seen.setdefault(r.stage, None)
        return list(seen)

    def _repr_html_(self) -> str:
        """Jupyter: the summary table, stages collapsible (render/html.py)."""
        from resnet_inspect.render.html import report_html

        return report_html(self)

    def _repr_markdown_(self) -> str:
        """Markdown front ends: the block table and the footer (render/html.py)."""
        from resnet_inspect.render.html import report_markdown

        return report_markdown(self)


@dataclass
class Rollup:
    """A group of layer records: a stage, a block, or a single layer."""

    name: str
    stage: str
    kind: str
    input_shape: list[int]
    output_shape: list[int]
    params: int
    macs: int
    flops: int
    output_bytes: int
    layers: int  # leaf records in the group
    records: list[LayerRecord] = field(default_factory=list, repr=False)


def _group(name: str, stage: str, kind: str, records: list[LayerRecord]) -> Rollup:
    main = [r for r in records if not r.shortcut] or records
    return Rollup(
        name=name,
        stage=stage,
        kind=kind,
        input_shape=main[0].input_shape,
        output_shape=main[-1].output_shape,
        params=sum(r.params for r in records),
        macs=sum(r.macs for r in records),
        flops=sum(r.flops for r in records),
        output_bytes=sum(r.output_bytes for r in records),
        layers=len(records),
        records=records,
    )


def rollup(report: Report, level: str, categories: tuple[str, ...] | None = None) -> list[Rollup]:
    """Group the records by 'stage', 'block' or 'layer', keeping execution order.

    MACs/FLOPs of a group count only `categories` (default: the report's headline), so
    the rows of any level sum to the report's headline totals.
    """
    from resnet_inspect.categories import HEADLINE_CATEGORIES, Headline

    cats = categories or tuple(
        c.value for c in HEADLINE_CATEGORIES[Headline(report.totals.headline)]
    )

    def headline_only(r: LayerRecord) -> LayerRecord:
        if r.category in cats:
            return r
        return replace(r, macs=0, flops=0)  # not asdict(): that deep-copies every row

    records = [headline_only(r) for r in report.layers]
    kinds = {b.name: b.kind for b in report.blocks}
    groups: list[tuple[str, str, str, list[LayerRecord]]] = []
    for r in records:
        if level == "layer":
            key = r.name
        elif level == "block":
            key = r.block or r.stage
        else:
            key = r.stage
        if groups and groups[-1][0] == key:
            groups[-1][3].append(r)
        else:
            kind = kinds.get(key, r.type if level == "layer" else "")
            groups.append((key, r.stage, kind, [r]))
    rows = []
    for key, stage, kind, recs in groups:
        name = key
        if level == "block" and not recs[0].block and len(recs) == 1:
            name = recs[0].name  # a lone stem or head layer (maxpool) keeps its own name
        if level != "layer" and not kind:
            kind = ", ".join(dict.fromkeys(r.type for r in recs if r.category != "other"))
        rows.append(_group(name, stage, kind, recs))
    return rows
