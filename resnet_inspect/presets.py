"""Named architectures -> spec.

One registry: each preset is a function returning a spec (an ArchSpec for residual
networks, a ClassicSpec for LeNet-5/AlexNet/VGG, registered by classic.py), filed under
the family `resnet-inspect list` groups it by. Block counts and widths are data, as in the
papers' tables. Two families also have name patterns, so any valid member works without
being listed: `wrn{depth}_{k}` (Wide ResNet on CIFAR) and `resnext{depth}_{C}x{d}d`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec import (
    AnySpec,
    ArchSpec,
    BlockKind,
    ShortcutKind,
    StemKind,
    StrideOn,
    imagenet_stages,
)

IMAGENET = "ResNet (ImageNet)"
TRICKS = "ResNet-B/C/D (Bag of Tricks)"
CIFAR = "ResNet (CIFAR)"
PREACT = "Pre-activation ResNet"
WIDE = "Wide ResNet"
RESNEXT = "ResNeXt"

CIFAR_INPUT = (3, 32, 32)


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    make: Callable[[], AnySpec]
    summary: str = ""


PRESETS: dict[str, Preset] = {}


def register(
    name: str, family: str, summary: str = ""
) -> Callable[[Callable[[], AnySpec]], Callable[[], AnySpec]]:
    def wrap(make: Callable[[], AnySpec]) -> Callable[[], AnySpec]:
        if name in PRESETS:
            raise RuntimeError(f"preset {name!r} registered twice")
        PRESETS[name] = Preset(name, family, make, summary)
        return make

    return wrap


def _add(name: str, family: str, summary: str, make: Callable[[], AnySpec]) -> None:
    register(name, family, summary)(make)


# ResNet paper (He et al. 2015), Table 1: blocks per stage for each depth; 18/34 basic.
IMAGENET_DEPTHS: dict[int, tuple[BlockKind, tuple[int, ...]]] = {
    18: (BlockKind.BASIC, (2, 2, 2, 2)),
    34: (BlockKind.BASIC, (3, 4, 6, 3)),
    50: (BlockKind.BOTTLENECK, (3, 4, 6, 3)),
    101: (BlockKind.BOTTLENECK, (3, 4, 23, 3)),
    152: (BlockKind.BOTTLENECK, (3, 8, 36, 3)),
}

# ResNet paper, section 4.2: 6n+2 layers, n blocks in each of three stages.
CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)

# He et al. 2016 ("Identity Mappings"), Table 2 / section 5: CIFAR bottleneck networks,
# 9n+2 layers.
PREACT_CIFAR_DEPTHS = (164, 1001)

# Zagoruyko & Komodakis 2016, Tables 1 and 4: the widths and depths they report on.
WRN_PRESETS = ((16, 4), (16, 8), (16, 10), (22, 8), (22, 10), (28, 10), (28, 12),
               (40, 1), (40, 2), (40, 4), (40, 8))


def _imagenet(depth: int, name: str, family: str, description: str, **changes: object
              ) -> Callable[[], ArchSpec]:
    block, layers = IMAGENET_DEPTHS[depth]

    def make() -> ArchSpec:
        spec = ArchSpec(
            name=name, block=block, stages=imagenet_stages(layers), family=family,
            description=description,
        )
        return spec.with_changes(**changes) if changes else spec

    return make


# --- ImageNet ResNets (torchvision layout: "v1.5", stride on the 3x3) ---------------------
for _d in IMAGENET_DEPTHS:
    _add(f"resnet{_d}", IMAGENET, "torchvision layout (v1.5)",
         _imagenet(_d, f"resnet{_d}", IMAGENET,
                   f"ResNet-{_d} (He et al. 2015, Table 1; torchvision layout, v1.5)"))

# --- Bag of Tricks (He et al. 2018, "Bag of Tricks for Image Classification", Figure 2) --
# B: stride on the 3x3 (torchvision's v1.5, so resnetNb == resnetN); C: B + a deep stem of
# three 3x3 convs (32, 32, 64 wide, timm's stem_width=32); D: C + a 2x2 average pool
# before the shortcut's 1x1 projection.
_TRICKS: dict[str, tuple[str, dict[str, Any]]] = {
    "b": ("stride on the 3x3", {"stride_on": StrideOn.CONV3X3}),
    "c": ("deep 3x3 stem", {"stem": StemKind.DEEP}),
    "d": ("C + avg-pool shortcut", {"stem": StemKind.DEEP, "avg_down": True}),
}
for _d in IMAGENET_DEPTHS:
    for _letter, (_what, _changes) in _TRICKS.items():
        _note = ""
        if _letter == "b" and IMAGENET_DEPTHS[_d][0] is BlockKind.BASIC:
            _note = f" (same as resnet{_d}: a basic block has no 1x1 to stride)"
        _add(f"resnet{_d}{_letter}", TRICKS,
             f"{_letter.upper()}: " + (f"same as resnet{_d}" if _note else _what),
             _imagenet(_d, f"resnet{_d}{_letter}", TRICKS,
                       f"ResNet-{_d}{_letter.upper()}: {_what} (He et al. 2018, Bag of "
                       f"Tricks){_note}",
                       **_changes))


# --- CIFAR ResNets ---------------------------------------------------------------------
def cifar_resnet(depth: int) -> ArchSpec:
    """6n+2 layers: a 3x3 stem, three stages of n basic blocks at 16/32/64 channels, and
    option A shortcuts (zero-padded identity), the paper's CIFAR-10 setting (section 4.2)."""
    if depth < 8 or (depth - 2) % 6:
        raise InspectError(
            f"a CIFAR ResNet has 6n+2 layers, and {depth} is not of that form; "
            "use 20, 32, 44, 56, 110 or 1202"
        )
    n = (depth - 2) // 6
    return ArchSpec(
        name=f"resnet{depth}", block=BlockKind.BASIC,
        stages=imagenet_stages((n, n, n), (16, 32, 64)), stem=StemKind.CIFAR, stem_width=16,
        num_classes=10, shortcut=ShortcutKind.A, input_shape=CIFAR_INPUT, family=CIFAR,
        description=f"ResNet-{depth} for CIFAR-10 (He et al. 2015, section 4.2, option A)",
    )


for _d in CIFAR_DEPTHS:
    _add(f"resnet{_d}", CIFAR, "CIFAR-10, option A",
         partial(cifar_resnet, _d))


# --- Pre-activation ResNets (He et al. 2016, "Identity Mappings in Deep Residual Nets") ---
_PREACT_BLOCK = {BlockKind.BASIC: BlockKind.PREACT_BASIC,
                 BlockKind.BOTTLENECK: BlockKind.PREACT_BOTTLENECK}
for _d, (_block, _layers) in IMAGENET_DEPTHS.items():
    _add(f"preact_resnet{_d}", PREACT, "ImageNet",
         _imagenet(_d, f"preact_resnet{_d}", PREACT,
                   f"Pre-activation ResNet-{_d} (He et al. 2016), BN-ReLU before each conv",
                   block=_PREACT_BLOCK[_block]))


def preact_cifar(depth: int) -> ArchSpec:
    """9n+2 layers: three stages of n pre-activation bottlenecks, 16/32/64 wide (64/128/256
    out), as the paper's ResNet-164 and ResNet-1001 on CIFAR-10."""
    if depth < 11 or (depth - 2) % 9:
        raise InspectError(
            f"a pre-activation CIFAR bottleneck ResNet has 9n+2 layers, and {depth} is not "
            "of that form; use 164 or 1001"
        )
    n = (depth - 2) // 9
    return ArchSpec(
        name=f"preact_resnet{depth}", block=BlockKind.PREACT_BOTTLENECK,
        stages=imagenet_stages((n, n, n), (16, 32, 64)), stem=StemKind.CIFAR, stem_width=16,
        num_classes=10, input_shape=CIFAR_INPUT, family=PREACT,
        description=f"Pre-activation ResNet-{depth} for CIFAR-10 (He et al. 2016)",
    )


for _d in PREACT_CIFAR_DEPTHS:
    _add(f"preact_resnet{_d}", PREACT, "CIFAR-10, bottleneck",
         partial(preact_cifar, _d))


# --- Wide ResNets --------------------------------------------------------------------------
def wide_resnet_cifar(depth: int, k: int) -> ArchSpec:
    """WRN-depth-k (Zagoruyko & Komodakis 2016, Table 1): depth = 6n+4, three groups of n
    pre-activation basic blocks, 16k/32k/64k wide, a 1x1 projection where the width
    changes. (Dropout between the convs, when used, adds no parameters.)"""
    if depth < 10 or (depth - 4) % 6:
        raise InspectError(
            f"WRN-{depth}-{k}: a Wide ResNet's depth is 6n+4 (10, 16, 22, 28, 34, 40, ...), "
            f"and {depth} is not; e.g. wrn28_10"
        )
    if k < 1:
        raise InspectError(f"WRN-{depth}-{k}: the widening factor k must be at least 1")
    n = (depth - 4) // 6
    return ArchSpec(
        name=f"wrn{depth}_{k}", block=BlockKind.PREACT_BASIC,
        stages=imagenet_stages((n, n, n), (16 * k, 32 * k, 64 * k)), stem=StemKind.CIFAR,
        stem_width=16, num_classes=10, input_shape=CIFAR_INPUT, family=WIDE,
        description=f"Wide ResNet WRN-{depth}-{k} for CIFAR-10 (Zagoruyko & Komodakis 2016)",
    )


for _d, _k in WRN_PRESETS:
    _add(f"wrn{_d}_{_k}", WIDE, f"WRN-{_d}-{_k}, CIFAR-10",
         partial(wide_resnet_cifar, _d, _k))

# torchvision's wide_resnet50_2 / 101_2: ResNet-50/101 with the bottleneck's inner width
# doubled (width_per_group 128); the outer 256/512/1024/2048 stay.
for _d in (50, 101):
    _add(f"wide_resnet{_d}_2", WIDE, "ImageNet, torchvision",
         _imagenet(_d, f"wide_resnet{_d}_2", WIDE,
                   f"Wide ResNet-{_d}-2: ResNet-{_d} with 2x wide bottlenecks (torchvision)",
                   width_per_group=128))


# --- ResNeXt (Xie et al. 2017) -------------------------------------------------------------
def resnext(depth: int, cardinality: int, group_width: int) -> ArchSpec:
    """ResNeXt-depth (C x d): bottlenecks whose 3x3 is a grouped conv of C groups, d wide.

    ImageNet depths 50/101/152 take ResNet's Table 1 layout; depth 29 is the CIFAR network
    of the paper's section 5.3: a 64-wide 3x3 stem and three stages of three blocks whose
    outputs are 256/512/1024 (so stage 1 has C x d channels in its 3x3, C x 2d in stage 2).
    """
    if cardinality < 1 or group_width < 1:
        raise InspectError(
            f"ResNeXt {cardinality}x{group_width}d: cardinality and width must be positive"
        )
    name = f"resnext{depth}_{cardinality}x{group_width}d"
    what = f"ResNeXt-{depth} ({cardinality}x{group_width}d) (Xie et al. 2017)"
    if depth == 29:
        return ArchSpec(
            name=name, block=BlockKind.BOTTLENECK,
            stages=imagenet_stages((3, 3, 3), (64, 128, 256)), stem=StemKind.CIFAR,
            stem_width=64, num_classes=10, groups=cardinality,
            # inner width = width * (width_per_group / 64) * groups: stage 1 is C x d
            width_per_group=group_width, input_shape=CIFAR_INPUT, family=RESNEXT,
            description=f"{what}, CIFAR-10",
        )
    if depth not in IMAGENET_DEPTHS or IMAGENET_DEPTHS[depth][0] is not BlockKind.BOTTLENECK:
        raise InspectError(
            f"{name}: ResNeXt depths are 29 (CIFAR) and 50, 101, 152 (ImageNet); "
            "e.g. resnext50_32x4d"
        )
    return _imagenet(depth, name, RESNEXT, what, groups=cardinality,
                     width_per_group=group_width)()


for _d, _c, _w in ((50, 32, 4), (101, 32, 8), (101, 64, 4)):
    _add(f"resnext{_d}_{_c}x{_w}d", RESNEXT, "ImageNet, torchvision",
         partial(resnext, _d, _c, _w))
for _c in (8, 16):
    _add(f"resnext29_{_c}x64d", RESNEXT, "CIFAR-10",
         partial(resnext, 29, _c, 64))


# --- lookup ----------------------------------------------------------------------------------
_WRN = re.compile(r"wrn[-_]?(\d+)[-_](\d+)$")
_RESNEXT = re.compile(r"resnext[-_]?(\d+)[-_](\d+)x(\d+)d$")
_PLAIN = re.compile(r"plain[-_]?(\d+)$|(.+?)[-_]plain$")


def preset_names() -> list[str]:
    return list(PRESETS)


def _normalise(name: str) -> list[str]:
    """Keys to try for a user's spelling: 'ResNet-50' and '50' mean resnet50."""
    key = name.strip().lower()
    if key.isdigit():
        key = f"resnet{key}"
    return list(dict.fromkeys([key, key.replace("-", ""), key.replace("-", "_")]))


_LOOKALIKE = str.maketrans({"o": "0", "l": "1", "i": "1"})


def _suggest(key: str) -> str:
    """' (did you mean resnet50?)': a letter O typed for a zero is the likeliest slip,
    so names that match once look-alike characters are equated win over mere closeness."""
    alike = {name.translate(_LOOKALIKE): name for name in PRESETS}
    exact = alike.get(key.translate(_LOOKALIKE))
    if exact is not None:
        return f" (did you mean {exact}?)"
    return did_you_mean(key, PRESETS)


def get_spec(name: str) -> AnySpec:
    """The spec of a preset name; 'resnet50', '50' and 'ResNet-50' all work, as does any
    valid `wrn{depth}_{k}` or `resnext{depth}_{C}x{d}d`. 'plain34' (the paper's name) or
    any name with '-plain' is that network with every shortcut removed."""
    keys = _normalise(name)
    for key in keys:
        if key in PRESETS:
            return PRESETS[key].make()
    for key in keys:
        base = _PLAIN.match(key)
        if base:  # the paper's plain baselines: plain34, resnet34-plain, wrn16_8_plain
            depth = base.group(1)
            if depth is not None and f"resnet{depth}" not in PRESETS:
                raise InspectError(
                    f"unknown architecture {name!r}; plain networks take a ResNet depth "
                    "(plain18, plain34, plain56 ...) or a name ending in -plain (wrn16_8-plain)"
                )
            spec = get_spec(f"resnet{depth}" if depth else base.group(2))
            return spec.with_changes(plain=True, name=f"{spec.name}-plain")
    for key in keys:
        m = _WRN.match(key)
        if m:
            return wide_resnet_cifar(int(m.group(1)), int(m.group(2)))
        m = _RESNEXT.match(key)
        if m:
            return resnext(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise InspectError(
        f"unknown architecture {name!r}{_suggest(keys[0])}; "
        "run `resnet-inspect list` for the names, or describe your own with --block/--layers"
    )


def spec_for_depth(depth: int) -> ArchSpec:
    if depth not in IMAGENET_DEPTHS:
        valid = ", ".join(str(d) for d in IMAGENET_DEPTHS)
        other = PRESETS.get(f"resnet{depth}")
        if other is not None:  # a CIFAR depth: --depth means the ImageNet family
            raise InspectError(
                f"--depth {depth} is not an ImageNet ResNet depth ({valid}); "
                f"for the {other.family} network name it: resnet{depth}"
            )
        raise InspectError(
            f"--depth {depth} is not a ResNet depth; use one of {valid}, "
            "or build your own with --block and --layers (e.g. --block basic --layers 2,3,4,2)"
        )
    spec = get_spec(f"resnet{depth}")
    assert isinstance(spec, ArchSpec)
    return spec


def families() -> dict[str, list[Preset]]:
    """Presets grouped by family, in registration order (what `list` prints)."""
    out: dict[str, list[Preset]] = {}
    for preset in PRESETS.values():
        out.setdefault(preset.family, []).append(preset)
    return out


@dataclass(frozen=True)
class Figures:
    """What `resnet-inspect list` shows for a preset, from one trace on the meta device."""

    name: str
    family: str
    summary: str
    params: int
    macs: int  # conv + fc multiply-accumulates at the preset's own input
    input_shape: tuple[int, int, int]


def figures(preset: Preset) -> Figures:
    """Params and MACs of a preset at its own input size.

    Read from the generated table (preset_table.py) when its row was made from this very
    spec; otherwise (a new or changed preset) traced on the meta device, so the figures
    are always the tracer's. tests/test_list_table.py recomputes every row.
    """
    from resnet_inspect.preset_table import ROWS
    from resnet_inspect.preset_table_gen import fingerprint

    spec = preset.make()
    row = ROWS.get(preset.name)
    if row is not None and row[0] == fingerprint(spec):
        params, macs = row[1], row[2]
    else:
        from resnet_inspect import inspect

        totals = inspect(spec, device="meta").totals
        params, macs = totals.params, totals.macs
    return Figures(preset.name, preset.family, preset.summary, params, macs,
                   tuple(spec.input_shape))  # type: ignore[arg-type]


# The classic networks register themselves; imported last, as they use `register`.
from resnet_inspect import classic  # noqa: E402, F401
