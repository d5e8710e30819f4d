"""Architecture specs: plain frozen dataclasses describing a residual network.

No torch here: a spec is data that can be validated, compared, printed and written to a
file before anything is built. `models/builder.py` turns a spec into an `nn.Module`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import Enum

from resnet_inspect.errors import InspectError


class BlockKind(str, Enum):
    BASIC = "basic"
    BOTTLENECK = "bottleneck"
    PREACT_BASIC = "preact-basic"
    PREACT_BOTTLENECK = "preact-bottleneck"

    @property
    def expansion(self) -> int:
        # ResNet paper, Figure 5: a bottleneck block's last 1x1 restores 4x its width.
        return 4 if self in (BlockKind.BOTTLENECK, BlockKind.PREACT_BOTTLENECK) else 1

    @property
    def convs(self) -> int:
        """Weighted layers on the block's residual branch (what the depth counts)."""
        return 3 if self.expansion == 4 else 2

    @property
    def preact(self) -> bool:
        return self in (BlockKind.PREACT_BASIC, BlockKind.PREACT_BOTTLENECK)


class StemKind(str, Enum):
    IMAGENET = "imagenet"  # 7x7/2 conv, 3x3/2 max pool (ResNet paper, Table 1)
    CIFAR = "cifar"  # one 3x3 conv, no pool (ResNet paper, section 4.2)
    DEEP = "deep"  # three 3x3 convs then the max pool (Bag of Tricks, ResNet-C)


class ShortcutKind(str, Enum):
    """The ResNet paper's shortcut options (section 3.3 and Table 3)."""

    A = "A"  # zero-padded identity where the shape changes; no parameters
    B = "B"  # projection (1x1 conv + BN) where the shape changes, identity elsewhere
    C = "C"  # projection on every block


class StrideOn(str, Enum):
    """Where a downsampling bottleneck puts its stride.

    The ResNet paper (v1) strides the first 1x1; torchvision's "v1.5" strides the 3x3,
    which costs more MACs and is what torchvision's published figures use.
    """

    CONV1X1 = "1x1"
    CONV3X3 = "3x3"


class ShortcutUse(str, Enum):
    """What a built block actually does on its shortcut path (for tables and diagrams)."""

    IDENTITY = "identity"
    PROJECTION = "projection"
    ZERO_PAD = "zero-pad"
    NONE = "none"  # plain network: no shortcut at all


@dataclass(frozen=True)
class StageSpec:
    """One stage (the paper's conv2_x ...): `blocks` blocks whose inner width is `width`.

    The stage's output has `width * expansion` channels; the first block applies `stride`.
    """

    blocks: int
    width: int
    stride: int


@dataclass(frozen=True)
class ArchSpec:
    name: str
    block: BlockKind
    stages: tuple[StageSpec, ...]
    stem: StemKind = StemKind.IMAGENET
    stem_width: int = 64
    num_classes: int = 1000
    groups: int = 1
    width_per_group: int = 64
    shortcut: ShortcutKind = ShortcutKind.B
    stride_on: StrideOn = StrideOn.CONV3X3
    # Bag of Tricks, ResNet-D: a 2x2 average pool before the shortcut's 1x1 conv, so the
    # projection no longer discards three quarters of its input.
    avg_down: bool = False
    plain: bool = False
    input_shape: tuple[int, int, int] = (3, 224, 224)
    family: str = "custom"
    description: str = ""
    extras: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def layer_counts(self) -> tuple[int, ...]:
        return tuple(s.blocks for s in self.stages)

    @property
    def depth(self) -> int:
        """Weighted layers on the main path: stem convs + block convs + the classifier."""
        stem = 3 if self.stem is StemKind.DEEP else 1
        return stem + self.block.convs * sum(self.layer_counts) + 1

    def with_changes(self, **changes: object) -> ArchSpec:
        _known_fields(self, changes)
        return replace(self, **changes)  # type: ignore[arg-type]


def _known_fields(spec: object, changes: dict[str, object]) -> None:
    """A setting the spec does not have is a user error (vgg16 has no `block`)."""
    names = {f.name for f in fields(spec)}  # type: ignore[arg-type]
    unknown = [k for k in changes if k not in names]
    if unknown:
        what = "a residual network" if isinstance(spec, ArchSpec) else "this network"
        raise InspectError(
            f"{getattr(spec, 'name', 'the network')} has no setting {unknown[0]!r}; "
            f"{what} takes {', '.join(sorted(names - {'extras'}))}"
        )


def _positive(value: int, what: str, fix: str) -> None:
    if value <= 0:
        raise InspectError(f"{what} must be a positive integer, got {value}; {fix}")


def validate(spec: ArchSpec) -> None:
    if not spec.stages:
        raise InspectError("a network needs at least one stage; give --layers, e.g. 3,4,6,3")
    for i, stage in enumerate(spec.stages, start=1):
        _positive(stage.blocks, f"stage {i}'s block count", "e.g. --layers 3,4,6,3")
        _positive(stage.width, f"stage {i}'s width", "e.g. --widths 64,128,256,512")
        _positive(stage.stride, f"stage {i}'s stride", "use 1 or 2")
    _positive(spec.groups, "--groups", "use 1 for ResNet, 32 for ResNeXt-50 32x4d")
    _positive(spec.width_per_group, "--width-per-group", "64 is ResNet's, 4 is ResNeXt 32x4d's")
    _positive(spec.num_classes, "--num-classes", "e.g. 1000 for ImageNet, 10 for CIFAR-10")
    _positive(spec.stem_width, "the stem width", "64 for the ImageNet stem, 16 for CIFAR")
    if spec.groups > 1 and spec.block.expansion == 1:
        raise InspectError(
            f"--groups {spec.groups} needs a bottleneck block (grouped 3x3 as in ResNeXt); "
            "use --block bottleneck or drop --groups"
        )
    for i, stage in enumerate(spec.stages, start=1):
        inner = inner_width(spec, stage)
        if inner < 1:
            raise InspectError(
                f"stage {i}: its 3x3 width {stage.width} x {spec.width_per_group}/64 x "
                f"{spec.groups} groups rounds down to 0 channels; raise --width-per-group "
                "or --widths"
            )
        if inner % spec.groups:
            raise InspectError(
                f"stage {i}: {spec.groups} groups do not divide its inner width {inner}; "
                "pick --groups that divides it"
            )
    if spec.stem is StemKind.DEEP and spec.stem_width % 2:
        raise InspectError(
            f"the deep stem halves its width in the first two convs, so --stem-width "
            f"{spec.stem_width} must be even; e.g. --stem-width 64"
        )
    if len(spec.input_shape) != 3 or any(d <= 0 for d in spec.input_shape):
        raise InspectError(
            f"input shape {spec.input_shape} must be three positive sizes CxHxW, e.g. 3x224x224"
        )


def inner_width(spec: ArchSpec, stage: StageSpec) -> int:
    """Width of a bottleneck's 3x3 conv (torchvision's rule, shared by ResNeXt and WRN-2).

    ResNet-50 stage 1: 64 * 64/64 * 1 = 64; ResNeXt-50 32x4d: 64 * 4/64 * 32 = 128;
    Wide ResNet-50-2 (width_per_group 128): 64 * 128/64 = 128.
    """
    if spec.block.expansion == 1:
        return stage.width
    return int(stage.width * (spec.width_per_group / 64.0)) * spec.groups


def imagenet_stages(
    layers: tuple[int, ...], widths: tuple[int, ...] = (64, 128, 256, 512)
) -> tuple[StageSpec, ...]:
    """Stages as in the paper's Table 1: the first keeps the stem's resolution, every
    later one halves it. CIFAR networks (section 4.2) use the same rule on 16/32/64."""
    if len(layers) != len(widths):
        raise InspectError(
            f"--layers has {len(layers)} stages but --widths has {len(widths)}; "
            "give one width per stage"
        )
    return tuple(
        StageSpec(blocks=n, width=w, stride=1 if i == 0 else 2)
        for i, (n, w) in enumerate(zip(layers, widths, strict=True))
    )


def default_widths(stages: int, stem: StemKind) -> tuple[int, ...]:
    """64, 128, 256, 512 ... for ImageNet stems; 16, 32, 64 ... for the CIFAR stem."""
    base = 16 if stem is StemKind.CIFAR else 64
    return tuple(base * 2**i for i in range(stages))


@dataclass(frozen=True)
class ClassicSpec:
    """A non-residual network from the teaching material (LeNet-5, AlexNet, VGG).

    It has no stages or shortcuts to describe, so it is a name plus the few settings that
    still apply; `classic.build_classic` turns it into a module.
    """

    name: str
    arch: str  # builder key in classic.BUILDERS: "lenet5", "alexnet", "vgg16", ...
    num_classes: int = 1000
    batch_norm: bool = False
    input_shape: tuple[int, int, int] = (3, 224, 224)
    family: str = "Classic CNN"
    description: str = ""
    plain: bool = True  # no shortcuts at all, so every ResNet command can ask

    def __post_init__(self) -> None:
        _positive(self.num_classes, "--num-classes", "e.g. 1000 for ImageNet, 10 for CIFAR-10")
        if len(self.input_shape) != 3 or any(d <= 0 for d in self.input_shape):
            raise InspectError(
                f"input shape {self.input_shape} must be three positive sizes CxHxW"
            )

    def with_changes(self, **changes: object) -> ClassicSpec:
        _known_fields(self, changes)
        return replace(self, **changes)  # type: ignore[arg-type]


# What a preset name or a set of flags resolves to.
AnySpec = ArchSpec | ClassicSpec
