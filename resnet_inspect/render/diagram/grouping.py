"""A report's rows regrouped into what a diagram draws: loose layers, residual blocks split
into their paths, runs of identical blocks folded into one, and layers chunked per node."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from resnet_inspect.counting.categories import Category
from resnet_inspect.report.model import LayerRecord, Report

# categories that get a node
ANCHORS = {Category.CONV, Category.LINEAR, Category.POOL, Category.ELEMENTWISE,
           Category.UNSUPPORTED}


@dataclass
class Block:
    """One residual block's layers, split into the paths the diagram draws."""

    name: str
    stage: str
    kind: str
    shortcut: str  # identity / projection / zero-pad / none
    main: list[LayerRecord] = field(default_factory=list)  # residual branch, in order
    side: list[LayerRecord] = field(default_factory=list)  # the shortcut's layers
    add: LayerRecord | None = None
    after: list[LayerRecord] = field(default_factory=list)  # after the addition (ReLU)

    @property
    def records(self) -> list[LayerRecord]:
        return self.main + self.side + ([self.add] if self.add else []) + self.after

    @property
    def params(self) -> int:
        return sum(r.params for r in self.records)

    @property
    def output_shape(self) -> list[int]:
        last = (self.after or ([self.add] if self.add else []) or self.main)[-1]
        return last.output_shape


Unit = LayerRecord | Block


def regroup(report: Report) -> list[Unit]:
    """Execution order with each block's layers gathered into one Block."""
    info = {b.name: b for b in report.blocks}
    units: list[Unit] = []
    current: Block | None = None
    for r in report.layers:
        if not r.block:
            current = None
            units.append(r)
            continue
        if current is None or current.name != r.block:
            b = info.get(r.block)
            current = Block(
                name=r.block,
                stage=r.stage,
                kind=b.kind if b else "",
                shortcut=b.shortcut if b else "identity",
            )
            units.append(current)
        if r.shortcut:
            current.side.append(r)
        elif r.category == Category.ELEMENTWISE:
            current.add = r
        elif current.add is not None:
            current.after.append(r)
        else:
            current.main.append(r)
    return units


def _signature(b: Block) -> tuple[object, ...]:
    """Everything a drawn block shows, with the block's own name taken off each layer's:
    two blocks with equal signatures draw the same picture, so one may stand for both."""
    def rel(name: str) -> str:
        return name[len(b.name):] if name.startswith(b.name) else name

    return (b.kind, b.shortcut, tuple(
        (rel(r.name), r.type, r.category, r.kernel, r.stride, r.groups, r.params, r.macs,
         tuple(r.input_shape), tuple(r.output_shape), r.shortcut, r.called)
        for r in b.records))


def fold_runs(blocks: Sequence[Block]) -> list[list[Block]]:
    """A stage's blocks as runs to draw once each: the first block alone (it carries the
    stage's projection or zero-pad shortcut), then each run of consecutive blocks that are
    really identical -- same layers, shapes, params and MACs, compared, never assumed."""
    runs: list[list[Block]] = []
    for i, b in enumerate(blocks):
        if i > 1 and _signature(b) == _signature(runs[-1][0]):
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def stage_items(members: Sequence[Unit], expand: bool) -> list[LayerRecord | list[Block]]:
    """A stage's units in order, each run of identical blocks gathered (one block per run
    when `expand`)."""
    items: list[LayerRecord | list[Block]] = []
    pending: list[Block] = []

    def flush() -> None:
        items.extend([[b] for b in pending] if expand else fold_runs(pending))
        pending.clear()

    for u in members:
        if isinstance(u, Block):
            pending.append(u)
        else:
            flush()
            items.append(u)
    flush()
    return items


def item_output(item: LayerRecord | list[Block]) -> list[int]:
    """The output shape of a stage item: a layer's, or the last block's of a run."""
    return item.output_shape if isinstance(item, LayerRecord) else item[-1].output_shape


def chunks(records: Sequence[LayerRecord]) -> list[list[LayerRecord]]:
    """One group per anchor layer (conv, fc, pool, add) with the batch-norm and activations
    that follow it, so a label lists its layers in the order they run.

    Norm and activation layers before the first anchor (a pre-activation block's opening
    BN-ReLU) form a group of their own: a projection shortcut branches off after them.
    """
    groups: list[list[LayerRecord]] = []
    for r in records:
        if r.category in ANCHORS or not groups:
            groups.append([r])
        else:
            groups[-1].append(r)
    return groups


def reads_preactivated(block_kind: str, shortcut: str) -> bool:
    """Pre-activation blocks feed their projection the BN-ReLU'd input, identity the raw x
    (He et al. 2016, "Identity Mappings", Figure 1b and 4e)."""
    return block_kind.startswith("preact") and shortcut == "projection"
