"""The ResNet paper's ImageNet networks (He et al. 2015, Table 1), torchvision's layout.

`IMAGENET_DEPTHS` and `imagenet()` are shared by the families built on the same stages
(Bag of Tricks, pre-activation, Wide ResNet-50-2, ResNeXt)."""

from __future__ import annotations

from collections.abc import Callable

from resnet_inspect.spec.arch import ArchSpec, BlockKind, imagenet_stages
from resnet_inspect.spec.registry import DEPTH_FAMILY, register

ORDER = 10
FAMILY = DEPTH_FAMILY

# ResNet paper (He et al. 2015), Table 1: blocks per stage for each depth; 18/34 basic.
IMAGENET_DEPTHS: dict[int, tuple[BlockKind, tuple[int, ...]]] = {
    18: (BlockKind.BASIC, (2, 2, 2, 2)),
    34: (BlockKind.BASIC, (3, 4, 6, 3)),
    50: (BlockKind.BOTTLENECK, (3, 4, 6, 3)),
    101: (BlockKind.BOTTLENECK, (3, 4, 23, 3)),
    152: (BlockKind.BOTTLENECK, (3, 8, 36, 3)),
}


def imagenet(depth: int, name: str, family: str, description: str, **changes: object
             ) -> Callable[[], ArchSpec]:
    """A maker for the Table 1 network of `depth`, with fields changed by keyword."""
    block, layers = IMAGENET_DEPTHS[depth]

    def make() -> ArchSpec:
        spec = ArchSpec(
            name=name, block=block, stages=imagenet_stages(layers), family=family,
            description=description,
        )
        return spec.with_changes(**changes) if changes else spec

    return make


def register_all() -> None:
    # torchvision layout: "v1.5", the stride on the bottleneck's 3x3
    for d in IMAGENET_DEPTHS:
        register(f"resnet{d}", FAMILY, "torchvision layout (v1.5)")(
            imagenet(d, f"resnet{d}", FAMILY,
                     f"ResNet-{d} (He et al. 2015, Table 1; torchvision layout, v1.5)"))
