"""Wide ResNets: WRN-n-k on CIFAR-10 (Zagoruyko & Komodakis 2016) and torchvision's
wide_resnet50_2 / 101_2. Any `wrn{depth}_{k}` name works, listed or not."""

from __future__ import annotations

from functools import partial

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import ArchSpec, BlockKind
from resnet_inspect.spec.registry import register, register_pattern
from resnet_inspect.zoo.cifar import cifar_spec
from resnet_inspect.zoo.resnet import imagenet

ORDER = 50
FAMILY = "Wide ResNet"

# Zagoruyko & Komodakis 2016, Tables 1 and 4: the widths and depths they report on.
WRN_PRESETS = ((16, 4), (16, 8), (16, 10), (22, 8), (22, 10), (28, 10), (28, 12),
               (40, 1), (40, 2), (40, 4), (40, 8))


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
    return cifar_spec(f"wrn{depth}_{k}", BlockKind.PREACT_BASIC, n, (16 * k, 32 * k, 64 * k),
                      FAMILY, f"Wide ResNet WRN-{depth}-{k} for CIFAR-10 "
                      "(Zagoruyko & Komodakis 2016)")


def register_all() -> None:
    for d, k in WRN_PRESETS:
        register(f"wrn{d}_{k}", FAMILY, f"WRN-{d}-{k}, CIFAR-10")(partial(wide_resnet_cifar, d, k))
    # torchvision's wide_resnet50_2 / 101_2: ResNet-50/101 with the bottleneck's inner width
    # doubled (width_per_group 128); the outer 256/512/1024/2048 stay.
    for d in (50, 101):
        register(f"wide_resnet{d}_2", FAMILY, "ImageNet, torchvision")(
            imagenet(d, f"wide_resnet{d}_2", FAMILY,
                     f"Wide ResNet-{d}-2: ResNet-{d} with 2x wide bottlenecks (torchvision)",
                     width_per_group=128))
    register_pattern(r"wrn[-_]?(\d+)[-_](\d+)", wide_resnet_cifar)
