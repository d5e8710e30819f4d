"""ResNeXt (Xie et al. 2017): bottlenecks whose 3x3 is a grouped conv. Any
`resnext{depth}_{C}x{d}d` name works, listed or not."""

from __future__ import annotations

from functools import partial

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import ArchSpec, BlockKind
from resnet_inspect.spec.registry import register, register_pattern
from resnet_inspect.zoo.cifar import cifar_spec
from resnet_inspect.zoo.resnet import IMAGENET_DEPTHS, imagenet

ORDER = 60
FAMILY = "ResNeXt"


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
        # inner width = width * (width_per_group / 64) * groups: stage 1 is C x d
        return cifar_spec(name, BlockKind.BOTTLENECK, 3, (64, 128, 256), FAMILY,
                          f"{what}, CIFAR-10", stem_width=64, groups=cardinality,
                          width_per_group=group_width)
    if depth not in IMAGENET_DEPTHS or IMAGENET_DEPTHS[depth][0] is not BlockKind.BOTTLENECK:
        raise InspectError(
            f"{name}: ResNeXt depths are 29 (CIFAR) and 50, 101, 152 (ImageNet); "
            "e.g. resnext50_32x4d"
        )
    return imagenet(depth, name, FAMILY, what, groups=cardinality,
                    width_per_group=group_width)()


def register_all() -> None:
    for d, c, w in ((50, 32, 4), (101, 32, 8), (101, 64, 4)):
        register(f"resnext{d}_{c}x{w}d", FAMILY, "ImageNet, torchvision")(
            partial(resnext, d, c, w))
    for c in (8, 16):
        register(f"resnext29_{c}x64d", FAMILY, "CIFAR-10")(partial(resnext, 29, c, 64))
    register_pattern(r"resnext[-_]?(\d+)[-_](\d+)x(\d+)d", resnext)
