"""Comparisons: residual blocks side by side, and whole networks stage by stage.

Two forms, both plain data (JSON round-trips through `to_dict`), both built from traced
Reports so every figure comes from the same counter as `summary`:

- Blocks (`basic bottleneck`): each block is built from `resnet_inspect.models.blocks` at the given
  channels, width and stride, and traced at one spatial size. The default setting is the
  ResNet paper's Figure 5 and the seed material: 256 channels in and out, the bottleneck
  reducing to 64 -- conv weights 3x3x256x256 x 2 = 1,179,648 vs
  1x1x256x64 + 3x3x64x64 + 1x1x64x256 = 69,632, 16.94x fewer.
- Networks (`50 101`, or `18 34 50 101 152`): one row per paper stage (conv1, conv2_x ...
  conv5_x, fc) with blocks, weighted layers, output shape, params and MACs; two networks
  get deltas and ratios against the first, three or more read as the paper's Table 1.

Nothing here prints: renderers in `render/compare.py` turn these objects into text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec.arch import BlockKind

if TYPE_CHECKING:
    from torch import nn

    from resnet_inspect.report.model import LayerRecord, Report
    from resnet_inspect.spec.arch import AnySpec

BLOCK_NAMES: tuple[str, ...] = tuple(k.value for k in BlockKind)
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")

# The seed material and the ResNet paper's Figure 5: a 256-d input and output, the
# bottleneck reducing to 64 channels, at conv2_x's 56x56.
DEFAULT_CHANNELS = 256
DEFAULT_SPATIAL = 56
DEFAULT_STRIDE = 1
COMPARE_SCHEMA_VERSION = 1  # of the --json output; raise it when a field changes meaning


# ---------------------------------------------------------------------------------------
# Which kind of comparison the items ask for
# ---------------------------------------------------------------------------------------


def block_kind(item: str) -> BlockKind | None:
    """'bottleneck', 'Preact_Basic' -> BlockKind; None when the item is not a block name."""
    key = item.strip().lower().replace("_", "-")
    for kind in BlockKind:
        if key == kind.value:
            return kind
    return None


def is_config_file(item: str) -> bool:
    return item.lower().endswith(CONFIG_SUFFIXES)


def classify(items: Sequence[str], known_network: Callable[[str], bool]) -> str:
    """'blocks' or 'networks'; a user error (one line) for anything else.

    `known_network(item)` says whether an item names a network (a preset, a depth, a
    config file); it must not raise.
    """
    if len(items) < 2:
        got = f"one ({items[0]})" if items else "none"
        raise InspectError(
            f"compare needs at least two items, got {got}; e.g. `compare basic bottleneck` "
            "or `compare 50 101`"
        )
    blocks, networks = [], []
    for item in items:
        if block_kind(item) is not None:
            blocks.append(item)
        elif known_network(item):
            networks.append(item)
        else:
            raise unknown_item(item)
    if blocks and networks:
        raise InspectError(
            f"cannot compare blocks ({', '.join(blocks)}) with networks ({', '.join(networks)}); "
            "compare blocks with blocks (basic bottleneck) or networks with networks (50 101)"
        )
    return "blocks" if blocks else "networks"


def unknown_item(item: str) -> InspectError:
    from resnet_inspect.spec.registry import all_presets

    key = item.strip().lower().replace("_", "-")
    hint = did_you_mean(key, [*BLOCK_NAMES, *all_presets()])
    if not hint:  # 'resnet-5O' style: compare without dashes, as preset names are keyed
        hint = did_you_mean(key.replace("-", ""), list(all_presets()))
    return InspectError(
        f"unknown item {item!r}{hint}; compare blocks ({', '.join(BLOCK_NAMES)}) or networks "
        "(a depth such as 50, a preset name such as resnet50; `resnet-inspect list` names them)"
    )


# ---------------------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------------------


@dataclass
class BlockLayer:
    """One row of a block's table: a conv or batch-norm (ReLUs and the add carry nothing)."""

    name: str
    category: str  # counting.Category value: conv, norm, other (zero-pad)
    kernel: str  # "3x3", "" for batch-norm
    stride: int
    groups: int
    in_channels: int
    out_channels: int
    output_shape: list[int]
    params: int
    macs: int
    shortcut: bool


@dataclass
class BlockSide:
    """One block, traced: its rows and the totals the comparison is about."""

    kind: str  # BlockKind value
    in_channels: int
    out_channels: int
    width: int  # channels of the inner 3x3 (== out_channels for a basic block)
    stride: int
    shortcut: str  # ShortcutUse value
    input_shape: list[int]
    output_shape: list[int]
    layers: list[BlockLayer]
    conv_weights: int  # every conv weight, the shortcut's projection included
    shortcut_weights: int  # the projection's conv weights (0 for identity)
    bn_params: int  # batch-norm weight + bias
    params: int  # conv weights + batch-norm weight and bias (no conv biases here)
    running_stats: int  # BN running mean + variance (buffers; paddle.summary adds them)
    macs: int  # conv MACs (the headline convention)
    bn_macs: int  # batch-norm in eval mode: one MAC per element
    flops: int  # 2 x conv MACs
    weighted_layers: int  # convs on the residual branch (what the network's depth counts)
    formula: str  # "3x3x256x256 x 2", the sum that makes conv_weights

    @property
    def macs_with_bn(self) -> int:
        return self.macs + self.bn_macs


@dataclass
class BlockComparison:
    form: str  # always "blocks"
    in_channels: int
    out_channels: int
    width: int  # the bottleneck's inner width
    stride: int
    spatial: list[int]  # H, W of the input
    batch: int
    blocks: list[BlockSide]
    headline: str
    notes: list[str] = field(default_factory=list)
    schema_version: int = COMPARE_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_channels(text: str | None) -> tuple[int, int] | None:
    """'256' -> (256, 256); '64,128' -> (64, 128): input and output channels."""
    if text is None:
        return None
    parts = [p for p in text.replace(" ", "").replace("->", ",").split(",") if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or any(v < 1 for v in values):
        raise InspectError(
            f"--channels {text!r}: give one positive count (256) or input,output (64,128)"
        )
    return (values[0], values[-1])


def parse_spatial(text: str | int | None) -> tuple[int, int] | None:
    """'56' -> (56, 56); '28x40' -> (28, 40)."""
    if text is None:
        return None
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or any(v < 1 for v in values):
        raise InspectError(f"--spatial {text!r}: give a positive size, e.g. 56 or 56x56")
    return (values[0], values[-1])


def build_block(kind: BlockKind, in_channels: int, out_channels: int, width: int,
                stride: int, device: str = "meta", *, stride_on_3x3: bool = True) -> nn.Module:
    """One block on `device` (meta: no memory), shortcut chosen as the paper's option B.

    Option B (ResNet paper, section 3.3, torchvision's choice): identity when the shape is
    kept, a 1x1 projection + BN when the stride or the channel count changes.
    """
    import torch

    from resnet_inspect.models.blocks import BLOCKS
    from resnet_inspect.spec.arch import ShortcutUse
    from resnet_inspect.trace.device import resolve_device

    changes_shape = stride != 1 or in_channels != out_channels
    use = ShortcutUse.PROJECTION if changes_shape else ShortcutUse.IDENTITY
    target = resolve_device(device)
    if str(device) == "auto":  # counts are the same everywhere; meta allocates nothing
        target = torch.device("meta")
    with target:
        if kind.expansion == 1:
            return BLOCKS[kind](in_channels, out_channels, stride, use)
        # A bottleneck's class takes the width whose 4x is its output; `inner` is its 3x3's.
        return BLOCKS[kind](in_channels, out_channels // kind.expansion, stride, use,
                            inner=width, stride_on_3x3=stride_on_3x3)


def _conv_term(r: LayerRecord) -> str:
    in_per_group = r.input_shape[1] // max(r.groups, 1)
    return f"{r.kernel}x{in_per_group}x{r.output_shape[1]}"


def conv_formula(records: Sequence[LayerRecord]) -> str:
    """'3x3x256x256 x 2' or '1x1x256x64 + 3x3x64x64 + 1x1x64x256': kernel x in x out per
    conv, repeated terms folded; the shortcut's projection is marked."""
    terms: list[tuple[str, int]] = []
    for r in records:
        if r.category != "conv":
            continue
        term = _conv_term(r) + (" (shortcut)" if r.shortcut else "")
        if terms and terms[-1][0] == term:
            terms[-1] = (term, terms[-1][1] + 1)
        else:
            terms.append((term, 1))
    return " + ".join(t if n == 1 else f"{t} x {n}" for t, n in terms)


def block_side(kind: BlockKind, report: Report, width: int, shortcut: str) -> BlockSide:
    rows = []
    for r in report.layers:
        if r.category not in ("conv", "norm") and not (r.shortcut and r.category == "other"):
            continue
        rows.append(BlockLayer(
            name=r.name, category=r.category, kernel=r.kernel, stride=r.stride, groups=r.groups,
            in_channels=r.input_shape[1] if len(r.input_shape) > 1 else 0,
            out_channels=r.output_shape[1] if len(r.output_shape) > 1 else 0,
            output_shape=r.output_shape, params=r.params, macs=r.macs, shortcut=r.shortcut,
        ))
    convs = [r for r in report.layers if r.category == "conv"]
    norms = [r for r in report.layers if r.category == "norm"]
    t = report.totals
    return BlockSide(
        kind=kind.value,
        in_channels=report.input_shape[1],
        out_channels=report.layers[-1].output_shape[1],
        width=width,
        stride=max((r.stride for r in convs), default=1),
        shortcut=shortcut,
        input_shape=report.input_shape,
        output_shape=report.layers[-1].output_shape,
        layers=rows,
        conv_weights=sum(r.params for r in convs),
        shortcut_weights=sum(r.params for r in convs if r.shortcut),
        bn_params=sum(r.params for r in norms),
        params=t.params,
        running_stats=t.running_stats,
        macs=sum(r.macs for r in convs),
        bn_macs=sum(r.macs for r in norms),
        flops=2 * sum(r.macs for r in convs),
        weighted_layers=sum(1 for r in convs if not r.shortcut),
        formula=conv_formula(report.layers),
    )


def times(a: int, b: int) -> str:
    """'16.94x fewer' / '2.00x more': how b compares with a."""
    if a == b:
        return "same"
    if a == 0 or b == 0:
        return "more" if b > a else "fewer"
    return f"{a / b:.2f}x fewer" if b < a else f"{b / a:.2f}x more"


def compare_blocks(
    kinds: Sequence[BlockKind | str],
    channels: tuple[int, int] | int = DEFAULT_CHANNELS,
    width: int | None = None,
    spatial: tuple[int, int] | int = DEFAULT_SPATIAL,
    stride: int = 1,
    batch: int = 1,
    device: str = "meta",
) -> BlockComparison:
    """Build each block at the same channels and stride, trace it, and compare.

    `channels` is the block's input and output (an int for both, or (in, out)); `width` is
    the bottleneck's inner width (default output / 4, the ResNet rule: 256 -> 64).
    """
    from resnet_inspect.trace.tracer import trace

    block_kinds = [k if isinstance(k, BlockKind) else _block_or_error(k) for k in kinds]
    in_ch, out_ch = (channels, channels) if isinstance(channels, int) else channels
    h, w = (spatial, spatial) if isinstance(spatial, int) else spatial
    from resnet_inspect.spec.limits import check_block, check_range

    check_block(in_ch, out_ch, h, w, width, batch)
    # a stride beyond the input samples nothing new: the output is 1x1 from stride max(h, w)
    check_range(stride, 1, max(h, w), "--stride", "--stride 2")
    has_bottleneck = any(k.expansion != 1 for k in block_kinds)
    if has_bottleneck and out_ch % 4:
        raise InspectError(
            f"--channels {out_ch}: a bottleneck's output must be a multiple of 4 (its last 1x1 "
            "restores 4x its width); e.g. --channels 256"
        )
    if width is not None and not has_bottleneck:
        raise InspectError(
            "--width is a bottleneck's inner width, and none of the items is a bottleneck; drop it"
        )
    inner = width if width is not None else out_ch // 4
    if inner < 1:
        raise InspectError(f"--width must be a positive integer, got {inner}")
    sides = []
    for kind in block_kinds:
        block = build_block(kind, in_ch, out_ch, inner, stride, device)
        report = trace(block, (in_ch, h, w), batch=batch, device=device, name=kind.value)
        side_width = inner if kind.expansion != 1 else out_ch
        use = getattr(block, "shortcut_use", None)
        sides.append(block_side(kind, report, side_width, getattr(use, "value", "identity")))
    return BlockComparison(
        form="blocks",
        in_channels=in_ch,
        out_channels=out_ch,
        width=inner,
        stride=stride,
        spatial=[h, w],
        batch=batch,
        blocks=sides,
        headline=block_headline(sides, (h, w)),
        notes=block_notes(sides),
    )


def _block_or_error(item: str) -> BlockKind:
    kind = block_kind(item)
    if kind is None:
        raise unknown_item(item)
    return kind


def block_headline(sides: Sequence[BlockSide], spatial: tuple[int, int]) -> str:
    """'conv weights: basic 1,179,648 vs bottleneck 69,632, 16.94x fewer; MACs at 56x56: ...'

    Every other block is set against the first; with three or more, in one sentence.
    """
    first = sides[0]
    at = f"{spatial[0]}x{spatial[1]}"
    if len(sides) == 2:
        other = sides[1]
        return (f"conv weights: {first.kind} {first.conv_weights:,} vs {other.kind} "
                f"{other.conv_weights:,}, {times(first.conv_weights, other.conv_weights)}; "
                f"MACs at {at}: {times(first.macs, other.macs)}")
    parts = [f"{s.kind} {s.conv_weights:,} ({times(first.conv_weights, s.conv_weights)}, "
             f"MACs {times(first.macs, s.macs)})" for s in sides[1:]]
    return (f"conv weights against {first.kind}'s {first.conv_weights:,} at {at}: "
            + ", ".join(parts))


def block_notes(sides: Sequence[BlockSide]) -> list[str]:
    notes = [f"{s.kind}: {s.formula} = {s.conv_weights:,} conv weights" for s in sides]
    notes.append("Params + BN stats also counts batch-norm running mean and variance, as "
                 "paddle.summary does.")
    if any(s.shortcut == "projection" for s in sides):
        notes.append("The stride or channel change needs a projection shortcut (1x1 conv + "
                     "BN, the paper's option B); its weights are counted.")
    return notes


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------


@dataclass
class ConvShape:
    """One conv of a stage's first block (or of the stem), as the paper's Table 1 writes it."""

    kernel: str
    channels: int  # output channels
    groups: int = 1
    stride: int = 1


@dataclass
class StageSide:
    stage: str  # conv1, conv2_x ... conv5_x, fc
    blocks: int
    layers: int  # weighted layers on the main path (convs and fc; projections excluded)
    output_shape: list[int]  # without the batch
    params: int
    macs: int  # the report's headline convention
    convs: list[ConvShape]  # one block's residual branch (stem: its convs)
    extras: list[str]  # "3x3 max pool, /2", "average pool", "1000-d fc"


@dataclass
class NetworkSide:
    name: str
    description: str
    input_shape: list[int]
    params: int
    macs: int
    flops: int
    headline: str  # which categories the MACs count (counting.Headline value)
    layers: int
    layer_count: str
    stages: list[StageSide]
    block: str | None = None  # BlockKind value, when the report came from a spec
    stride_on: str | None = None  # StrideOn value, likewise
    paper_depth: int | None = None  # 50/101/152: the paper's Table 1 network (any stride)
    categories: list[str] = field(default_factory=list)  # categories with any work counted

    def stage(self, name: str) -> StageSide | None:
        return next((s for s in self.stages if s.stage == name), None)


@dataclass
class StageDelta:
    """The second network minus the first, per stage (ratio = second / first)."""

    stage: str
    blocks: int
    layers: int
    params: int
    macs: int
    params_ratio: float | None
    macs_ratio: float | None


@dataclass
class NetworkComparison:
    # "networks" for two, "table1" for three or more; "totals" when a network has no paper
    # stages (LeNet, AlexNet, VGG), so only whole networks line up
    form: str
    networks: list[NetworkSide]
    stages: list[str]  # every stage in order, aligned across the networks
    deltas: list[StageDelta]  # second vs first (two networks only)
    headline: str  # the stage where the networks differ most (two), or the growth (more)
    overall: str  # the whole networks side by side, in one sentence
    notes: list[str] = field(default_factory=list)
    schema_version: int = COMPARE_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stage_extras(stage: str, records: Sequence[LayerRecord]) -> list[str]:
    """What sits in a stage outside its blocks: the max pool in conv2_x (Table 1 lists it
    there), the average pool and classifier in fc."""
    out = []
    for r in records:
        if r.block or r.category not in ("pool", "linear"):
            continue
        if r.category == "linear":
            out.append(f"{r.output_shape[-1]}-d fc")
        elif r.type.startswith("Adaptive") or r.type.startswith("Avg"):
            out.append("average pool")
        else:
            kind = "max pool" if r.type.startswith("MaxPool") else "pool"
            stride = f", /{r.stride}" if r.stride > 1 else ""
            out.append(f"{r.kernel} {kind}{stride}")
    return out


def network_side(report: Report) -> NetworkSide:
    from resnet_inspect.report.model import rollup

    by_stage: dict[str, list[LayerRecord]] = {}
    for r in report.layers:
        by_stage.setdefault(r.stage, []).append(r)
    blocks_in: dict[str, list[str]] = {}
    for b in report.blocks:
        blocks_in.setdefault(b.stage, []).append(b.name)
    stages = []
    for row in rollup(report, "stage"):
        records = by_stage[row.stage]
        weighted = [r for r in records if r.category in ("conv", "linear") and not r.shortcut]
        first_block = blocks_in.get(row.stage, [""])[0]
        if first_block:
            shown = [r for r in weighted if r.block == first_block and r.category == "conv"]
        else:
            shown = [r for r in weighted if r.category == "conv"]
        stages.append(StageSide(
            stage=row.stage,
            blocks=len(blocks_in.get(row.stage, [])),
            layers=len(weighted),
            output_shape=row.output_shape[1:],
            params=row.params,
            macs=row.macs,
            convs=[ConvShape(r.kernel, r.output_shape[1], r.groups, r.stride) for r in shown],
            extras=_stage_extras(row.stage, records),
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
    return round(b / a, 4) if a else None


def signed_si(n: int) -> str:
    from resnet_inspect.report.format import si

    return ("+" if n > 0 else "-" if n < 0 else "±") + si(abs(n))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if abs(n) == 1 else "s")


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
            sa = a.stage(name) or _empty_stage(name)
            sb = b.stage(name) or _empty_stage(name)
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
        notes=network_notes(nets),
    )


_PAPER_STAGE = re.compile(r"^(conv1|conv\d+_x|fc)$")


def _empty_stage(name: str) -> StageSide:
    return StageSide(name, 0, 0, [], 0, 0, [], [])


def pair_headline(a: NetworkSide, b: NetworkSide, deltas: Sequence[StageDelta]) -> str:
    """'conv4_x: 6 vs 23 blocks (+17 blocks = +51 layers), +18.99 M params, +3.71 G MACs'.

    Names the stage whose parameters differ most (then MACs, then blocks), since that is
    where the two networks part ways; the totals follow.
    """
    changed = [d for d in deltas if d.params or d.macs or d.blocks or d.layers]
    if not changed:
        return f"{a.name} and {b.name} have the same stages, params and MACs"
    top = max(changed, key=lambda d: (abs(d.params), abs(d.macs), abs(d.blocks)))
    alike = [d.stage for d in changed
             if (d.params, d.macs, d.blocks, d.layers) == (top.params, top.macs, top.blocks,
                                                          top.layers)]
    sa = a.stage(top.stage) or _empty_stage(top.stage)
    sb = b.stage(top.stage) or _empty_stage(top.stage)
    if top.blocks:
        blocks = (f"{sa.blocks} vs {sb.blocks} blocks ({top.blocks:+d} "
                  f"{'block' if abs(top.blocks) == 1 else 'blocks'} = {top.layers:+d} layers)")
    elif len(alike) > 1:
        blocks = "same blocks"
    elif sa.blocks:
        blocks = f"{_plural(sa.blocks, 'block')} in both"
    else:
        blocks = f"{sa.layers} vs {sb.layers} layers" if top.layers else "same layers"
    params = f"{signed_si(top.params)} params" if top.params else "same params"
    macs = f"{signed_si(top.macs)} MACs" if top.macs else "same MACs"
    each = " each" if len(alike) > 1 else ""
    return f"{', '.join(alike)}: {blocks}, {params}, {macs}{each}"


def overall_sentence(nets: Sequence[NetworkSide]) -> str:
    """'resnet50 vs resnet101: 50 vs 101 layers, 25.56 M vs 44.55 M params (1.74x), ...'"""
    from resnet_inspect.report.format import si

    def series(values: list[int], fmt: Callable[[int], str], unit: str, ratio: bool) -> str:
        text = " vs ".join(fmt(v) for v in values) + f" {unit}"
        if ratio and len(values) == 2 and values[0]:
            text += f" ({values[1] / values[0]:.2f}x)"
        return text

    shapes = ["x".join(map(str, n.input_shape)) for n in nets]
    at = (f"at input {shapes[0]}" if len(set(shapes)) == 1
          else f"each at its own input ({', '.join(shapes)})")
    return (f"{' vs '.join(n.name for n in nets)}: "
            f"{series([n.layers for n in nets], str, 'layers', False)}, "
            f"{series([n.params for n in nets], si, 'params', True)}, "
            f"{series([n.macs for n in nets], si, 'MACs', True)} {at}")


def many_headline(nets: Sequence[NetworkSide]) -> str:
    first, last = nets[0], nets[-1]
    growth = ""
    if first.params and first.macs:
        growth = (f": {last.params / first.params:.2f}x params, "
                  f"{last.macs / first.macs:.2f}x MACs")
    # where the depth goes: the stage whose block count grows the most
    grows = []
    for s in first.stages:
        other = last.stage(s.stage)
        if other is not None and other.blocks != s.blocks:
            grows.append((other.blocks - s.blocks, s.stage, s.blocks, other.blocks))
    where = ""
    if grows:
        _, stage, n0, n1 = max(grows)
        where = f"; the most blocks are added in {stage} ({n0} -> {n1})"
    return f"{first.name} -> {last.name}{growth}{where}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def conventions_note(nets: Sequence[NetworkSide]) -> str:
    """What the MACs and FLOPs of these networks count, from their headline's categories
    (categories.py) and their own figures, so the sentence is true under every --count."""
    from resnet_inspect.counting.categories import HEADLINE_CATEGORIES, LABEL, Headline, unit

    present = {c for n in nets for c in n.categories}
    cats = [c.value for c in HEADLINE_CATEGORIES[Headline(nets[0].headline)]
            if c.value in present or not present]
    mac_cats = [LABEL[c] for c in cats if unit(c) == "macs"]
    flop_cats = [LABEL[c] for c in cats if unit(c) == "flops"]
    text = f"MACs are multiply-accumulates of {_join(mac_cats)} layers"
    if nets[0].headline == Headline.CONV.value:
        text += " (the ResNet paper's 'FLOPs')"
    if all(n.flops == 2 * n.macs for n in nets):
        return text + "; FLOPs = 2 x MACs."
    return (text + f"; FLOPs = 2 x MACs plus the FLOPs of {_join(flop_cats)}, which have no "
            "multiply-accumulate.")


# The ResNet paper (He et al. 2016), Table 1, FLOPs row: multiply-adds of the bottleneck
# networks, whose first 1x1 conv of a stage carries the stride (v1).
PAPER_TABLE1_GFLOPS = {50: 3.8, 101: 7.6, 152: 11.3}
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


def network_notes(nets: Sequence[NetworkSide]) -> list[str]:
    from resnet_inspect.counting.categories import Headline

    notes = [conventions_note(nets)]
    v15 = [n for n in nets if n.paper_depth is not None and n.stride_on == "3x3"]
    if v15 and nets[0].headline == Headline.CONV.value:
        # torchvision's resnet.py comments that its Bottleneck strides the 3x3 ("ResNet
        # V1.5") where the paper strides the first 1x1; Table 1's figures are v1.
        figures = ", ".join(f"{PAPER_TABLE1_GFLOPS[n.paper_depth]} G for {n.name}"
                            for n in v15 if n.paper_depth is not None)
        notes.append(f"Bottlenecks stride their 3x3 (torchvision's v1.5); the paper's Table 1 "
                     f"FLOPs ({figures}) stride the 1x1: add --stride-on 1x1.")
    return notes


# ---------------------------------------------------------------------------------------
# Entry point for the library and the CLI
# ---------------------------------------------------------------------------------------


def network_reports(
    items: Sequence[str],
    resolve: Callable[[str], AnySpec],
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "meta",
    train: bool = False,
    optimizer: str = "adam",
) -> list[Report]:
    """Build and trace each named network (`resolve` turns an item into a spec); with
    `train`, one training step each."""
    from resnet_inspect.trace.run import inspect

    return [inspect(resolve(item), input_shape=input_shape, batch=batch, device=device,
                    train=train, optimizer=optimizer)
            for item in items]


def is_network(item: str) -> bool:
    """A preset name or depth that presets.get_spec knows, or a config file's path."""
    from resnet_inspect.spec.registry import get_spec

    if is_config_file(item):
        return True  # a missing or bad file is reported when it is read
    try:
        get_spec(item)
    except InspectError:
        return False
    return True


def compare(
    items: Sequence[str],
    *,
    channels: tuple[int, int] | int = DEFAULT_CHANNELS,
    width: int | None = None,
    spatial: tuple[int, int] | int = DEFAULT_SPATIAL,
    stride: int = 1,
    input_shape: tuple[int, int, int] | None = None,
    batch: int = 1,
    device: str = "meta",
) -> BlockComparison | NetworkComparison:
    """Compare blocks (`["basic", "bottleneck"]`) or networks (`["50", "101"]`).

    >>> compare(["basic", "bottleneck"]).blocks[1].conv_weights
    69632
    """
    if classify(items, is_network) == "blocks":
        return compare_blocks(items, channels, width, spatial, stride, batch, device)
    return compare_reports(network_reports(items, resolve_network, input_shape, batch, device))


def resolve_network(item: str) -> AnySpec:
    """A preset name or depth through presets.get_spec; a .toml/.yaml/.json file through
    the config loader, as `--config` reads it."""
    from resnet_inspect.spec.registry import get_spec

    if not is_config_file(item):
        return get_spec(item)
    from resnet_inspect.spec.config import load_config
    from resnet_inspect.spec.merge import spec_from_settings

    spec: AnySpec = spec_from_settings(load_config(item))
    return spec
