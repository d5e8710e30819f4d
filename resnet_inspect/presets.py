"""Named architectures -> ArchSpec.

One registry: each preset is a function returning a spec, registered under its name with
the family `resnet-inspect list` groups it by. Block counts and widths are data, as in the
papers' tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec import ArchSpec, BlockKind, imagenet_stages


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    make: Callable[[], ArchSpec]
    summary: str = ""


PRESETS: dict[str, Preset] = {}


def register(name: str, family: str, summary: str = "") -> Callable[[Callable[[], ArchSpec]], Callable[[], ArchSpec]]:
    def wrap(make: Callable[[], ArchSpec]) -> Callable[[], ArchSpec]:
        if name in PRESETS:
            raise RuntimeError(f"preset {name!r} registered twice")
        PRESETS[name] = Preset(name, family, make, summary)
        return make

    return wrap


# ResNet paper, Table 1: blocks per stage for each depth; 18/34 use basic blocks.
IMAGENET_DEPTHS: dict[int, tuple[BlockKind, tuple[int, ...]]] = {
    18: (BlockKind.BASIC, (2, 2, 2, 2)),
    34: (BlockKind.BASIC, (3, 4, 6, 3)),
    50: (BlockKind.BOTTLENECK, (3, 4, 6, 3)),
    101: (BlockKind.BOTTLENECK, (3, 4, 23, 3)),
    152: (BlockKind.BOTTLENECK, (3, 8, 36, 3)),
}


def _imagenet(depth: int) -> Callable[[], ArchSpec]:
    block, layers = IMAGENET_DEPTHS[depth]

    def make() -> ArchSpec:
        return ArchSpec(
            name=f"resnet{depth}",
            block=block,
            stages=imagenet_stages(layers),
            family="ImageNet ResNet",
            description=f"ResNet-{depth} (He et al. 2015, Table 1; torchvision layout, v1.5)",
        )

    return make


for _depth in IMAGENET_DEPTHS:
    register(f"resnet{_depth}", "ImageNet ResNet", f"ResNet-{_depth}, torchvision v1.5")(
        _imagenet(_depth)
    )


def preset_names() -> list[str]:
    return list(PRESETS)


def get_spec(name: str) -> ArchSpec:
    """The spec of a preset name; 'resnet50', '50' and 'ResNet-50' all work."""
    key = name.strip().lower().replace("-", "")
    if key.isdigit():
        key = f"resnet{key}"
    if key in PRESETS:
        return PRESETS[key].make()
    raise InspectError(
        f"unknown architecture {name!r}{did_you_mean(key, PRESETS)}; "
        "run `resnet-inspect list` for the names, or describe your own with --block/--layers"
    )


def spec_for_depth(depth: int) -> ArchSpec:
    if depth not in IMAGENET_DEPTHS:
        valid = ", ".join(str(d) for d in IMAGENET_DEPTHS)
        raise InspectError(
            f"--depth {depth} is not a ResNet depth; use one of {valid}, "
            "or build your own with --block and --layers (e.g. --block basic --layers 2,3,4,2)"
        )
    return get_spec(f"resnet{depth}")
