"""The comparisons as plain data: blocks side by side and networks stage by stage.

These dataclasses are what `compare` returns and what the renderers read; `to_dict`
round-trips them through JSON (`--json`). Nothing here builds, traces or words anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

COMPARE_SCHEMA_VERSION = 1  # of the --json output; raise it when a field changes meaning

# The ResNet paper (He et al. 2016), Table 1, FLOPs row: multiply-adds of the bottleneck
# networks, whose first 1x1 conv of a stage carries the stride (v1).
PAPER_TABLE1_GFLOPS = {50: 3.8, 101: 7.6, 152: 11.3}


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

    def __repr__(self) -> str:
        # the data; print(ri.compare(...)) is the table (issue 23: this was a wall of text)
        return (f"<BlockComparison {' vs '.join(b.kind for b in self.blocks)}: "
                f"{self.in_channels} -> {self.out_channels} channels; .to_dict() for all>")


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
    # the stage output's receptive field and jump in input pixels, as report rows hold them
    receptive_field: int | float | list[int | float] | str | None = None
    jump: int | float | list[int | float] | None = None


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

    def __repr__(self) -> str:
        return (f"<NetworkComparison {' vs '.join(n.name for n in self.networks)}: "
                f"{len(self.stages)} stages; .to_dict() for all>")


def empty_stage(name: str) -> StageSide:
    """The stage a network lacks, as zeros, so that it lines up with the other's."""
    return StageSide(name, 0, 0, [], 0, 0, [], [])
