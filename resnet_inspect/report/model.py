"""The report: plain data produced by one traced forward pass.

Everything a user sees (tables, diagrams, exports, comparisons) is a function of a Report;
no renderer touches the model. Reports round-trip through JSON (`to_dict`/`from_dict`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from resnet_inspect.counting.categories import (
    HEADLINE_CATEGORIES,
    Category,
    Headline,
    headline_values,
)
from resnet_inspect.report.graph import Dataflow

SCHEMA_VERSION = 3

_HEADLINE_TEXT = {
    "conv": "MACs = multiply-accumulates of conv, linear and attention products (the ResNet "
            "paper's 'FLOPs (multiply-adds)', torchvision's GFLOPS); FLOPs = 2 x MACs; biases "
            "not counted.",
    "conv+norm": "MACs = multiply-accumulates of conv, linear and attention products and "
                 "batch-norm (--count conv+norm; the paper's and torchvision's figure leaves "
                 "batch-norm out); FLOPs = 2 x MACs; biases not counted.",
    "all": "MACs = every multiply-accumulate (conv, linear, attention, norm) and FLOPs every "
           "operation with a formula (--count all: activations, pooling and elementwise ops "
           "are FLOPs without MACs, so FLOPs exceed 2 x MACs); biases not counted.",
}

CONVENTIONS = (
    _HEADLINE_TEXT["conv"],
    "Every operator that runs is counted and charged to the module running it. Batch-norm "
    "(eval: 1 MAC per element), activations, pooling and elementwise ops such as the residual "
    "add (FLOPs only) are counted in their own categories, outside the headline; an operator "
    "without a formula is named, never counted as zero.",
    "Params are trainable and frozen nn.Parameters (torchvision's count); BN running "
    "statistics are buffers, counted apart.",
)


def conventions_for(headline: str) -> list[str]:
    """The conventions printed with a report, true for its headline (`--count`)."""
    return [_HEADLINE_TEXT[headline], *CONVENTIONS[1:]]


@dataclass
class LayerRecord:
    """One call of one leaf module, or the operators a module runs in its own forward
    between its children's calls, in execution order. A module that never ran (an auxiliary
    head) has one row with `called` False, holding its parameters."""

    name: str  # torchvision-style module path, e.g. layer3.5.conv2
    type: str  # module class name
    stage: str  # the paper's stage: conv1, conv2_x ... conv5_x, fc
    block: str  # the residual block this layer belongs to ("layer3.5"), or ""
    category: str  # categories.Category value: the row's largest by FLOPs
    input_shape: list[int]
    output_shape: list[int]
    kernel: str = ""  # "3x3"
    stride: int = 1
    groups: int = 1
    params: int = 0
    trainable_params: int = 0
    buffers: int = 0
    macs: int = 0  # every category of the row
    flops: int = 0
    output_bytes: int = 0
    shortcut: bool = False  # on the shortcut path (projection / zero-pad), not the residual branch
    depth: int = 0  # nesting depth of the module path
    categories: dict[str, list[int]] = field(default_factory=dict)  # category -> [macs, flops]
    called: bool = True
    # a training step (--train): what autograd ran for this row's operators, by category,
    # and the bytes autograd saved for backward while this row ran (storages counted once)
    backward_categories: dict[str, list[int]] = field(default_factory=dict)
    backward_macs: int = 0
    backward_flops: int = 0
    saved_bytes: int = 0
    # the output's receptive field and jump in input pixels (report/receptive.py): an int
    # where every spatial axis agrees, [h, w] where not, a float where a jump fell below one
    # pixel; "global" (and no jump) once every output depends on the whole input; None where
    # not defined (docs/receptive-field.md says when)
    receptive_field: int | float | list[int | float] | str | None = None
    jump: int | float | list[int | float] | None = None
    # the output's shape came from the input's values (`y[y > 0]`, nonzero, unique): true of
    # the made-up input traced, not of every input; tables print it as ~192x2
    data_dependent: bool = False

    def work(self, categories: Collection[str]) -> tuple[int, int]:
        """MACs and FLOPs of this row in `categories`."""
        macs = flops = 0
        for cat, (m, f) in self.categories.items():
            if cat in categories:
                macs += m
                flops += f
        return macs, flops


def counted_on_data(rows: Iterable[LayerRecord], headline: str) -> bool:
    """Whether work counted in `headline`'s categories ran in a row whose shape came from
    the input's values (`head(y[y > 0])`): its MACs hold for the made-up input traced,
    not for every input, and are printed with '~' in front, as such a shape is."""
    data = [r for r in rows if r.data_dependent]
    if not data:  # nearly every model: no category lookups for each of its rows
        return False
    cats = [c.value for c in HEADLINE_CATEGORIES[Headline(headline)]]
    # a product that ran on no rows at all (the mask kept none) is as uncertain: ~0
    return any(c in r.categories for r in data for c in cats)


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
    # a training step (--train): backward work in the headline's categories, and by category
    backward_macs: int = 0
    backward_flops: int = 0
    backward_by_category: dict[str, dict[str, int]] = field(default_factory=dict)

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
class TrainingMemory:
    """One training step, in bytes, counted from what autograd does (--train).

    `activations_saved` are the tensors autograd saves for backward (their storages, each
    once; parameters excluded). `peak` is the most held at once: parameters, buffers and
    optimizer state, plus the largest live total of every tensor the forward and backward
    passes allocated (saved activations, outputs, gradients), followed operator by operator.
    """

    activations_saved: int
    params: int
    grads: int
    optimizer_state: int
    optimizer: str
    input: int
    peak: int
    live_peak: int  # the forward/backward part of the peak
    torchinfo_estimate: int  # torchinfo's rule: input + 2 x every layer's output + params
    amp: str | None = None  # autocast's lower precision, when counted under mixed precision


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
    # operators with arithmetic and no formula: [{"op": "aten._fft_r2c", "calls": 2}]
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    # every operator with arithmetic that ran: {"op", "category", "calls", "macs", "flops"}
    operators: list[dict[str, Any]] = field(default_factory=list)
    conventions: list[str] = field(default_factory=lambda: list(CONVENTIONS))
    spec: dict[str, Any] | None = None
    training_memory: TrainingMemory | None = None  # with --train
    graph: Dataflow | None = None  # the forward's dataflow graph (report/graph.py)
    # why a trace asked for on meta (--device auto) ran on `device` instead, e.g.
    # "aten.index has a data-dependent shape on meta"; "" when it ran where asked
    device_fallback: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["layers"] = [_layer(r) for r in data["layers"]]
        if data.get("schema_version", 1) < 2:  # unsupported was a list of module types
            kwargs["unsupported"] = [{"op": t, "calls": 0} for t in data.get("unsupported", [])]
        kwargs["blocks"] = [BlockRecord(**b) for b in data["blocks"]]
        kwargs["totals"] = Totals(**data["totals"])
        kwargs["memory"] = Memory(**data["memory"])
        kwargs["layer_count"] = LayerCount(**data["layer_count"])
        if data.get("training_memory") is not None:
            kwargs["training_memory"] = TrainingMemory(**data["training_memory"])
        if data.get("graph") is not None:
            kwargs["graph"] = Dataflow.from_dict(data["graph"])
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

    def text(self, level: str = "block", width: int | None = None) -> str:
        """The table `resnet-inspect summary` prints (render/notebook.py), plain text."""
        from resnet_inspect.render.notebook import report_text

        return report_text(self, level, width)

    def __str__(self) -> str:
        """`print(report)`: the summary table at block level, as the CLI prints it."""
        return self.text()

    def __repr__(self) -> str:
        # the dataclass repr of a ResNet-50 ran to 83 KB; a line, and how to see the rest
        t = self.totals
        return (f"<Report {self.model}: input {'x'.join(map(str, self.input_shape))}, "
                f"{t.params:,} params, {t.macs:,} MACs; print() it for the table>")

    def _repr_html_(self) -> str:
        """Jupyter: the summary table, stages collapsible (render/html.py)."""
        from resnet_inspect.render.html import report_html

        return report_html(self)

    def _repr_markdown_(self) -> str:
        """Markdown front ends: the block table and the footer (render/html.py)."""
        from resnet_inspect.render.html import report_markdown

        return report_markdown(self)


def _layer(row: dict[str, Any]) -> LayerRecord:
    record = LayerRecord(**row)
    if not record.categories and (record.macs or record.flops or record.category != Category.OTHER):
        record.categories = {record.category: [record.macs, record.flops]}  # schema 1
    return record


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
    backward_macs: int = 0  # a training step: the headline categories' backward MACs
    saved_bytes: int = 0
    receptive_field: int | float | list[int | float] | str | None = None  # of its output
    jump: int | float | list[int | float] | None = None


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
        backward_macs=sum(r.backward_macs for r in records),
        saved_bytes=sum(r.saved_bytes for r in records),
        receptive_field=main[-1].receptive_field,
        jump=main[-1].jump,
    )


def _changed(r: LayerRecord, **changes: Any) -> LayerRecord:
    """A shallow copy of a row with some fields changed. Not dataclasses.replace, which
    re-runs __init__ over every field (a fifth of a 10,000-block table), nor asdict, which
    deep-copies; the lists and dicts stay shared, as replace would share them."""
    row = object.__new__(LayerRecord)
    row.__dict__.update(r.__dict__, **changes)
    return row


def rollup(report: Report, level: str, categories: tuple[str, ...] | None = None) -> list[Rollup]:
    """Group the records by 'stage', 'block' or 'layer', keeping execution order.

    MACs/FLOPs of a group count only `categories` (default: the report's headline), so
    the rows of any level sum to the report's headline totals.
    """
    cats = frozenset(categories or headline_values(report.totals.headline))

    def headline_only(r: LayerRecord) -> LayerRecord:
        if r.backward_categories:
            back = sum(m for c, (m, _) in r.backward_categories.items() if c in cats)
            if back != r.backward_macs:
                r = _changed(r, backward_macs=back)
        if len(r.categories) <= 1 and (not r.categories or next(iter(r.categories)) in cats):
            return r
        macs, flops = r.work(cats)
        return _changed(r, macs=macs, flops=flops)

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
            kind = ", ".join(dict.fromkeys(r.type for r in recs if r.category != Category.OTHER))
        rows.append(_group(name, stage, kind, recs))
    return rows
