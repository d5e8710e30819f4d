"""Pre-activation ResNets (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
BN-ReLU before each conv, on ImageNet (Table 1's stages) and on CIFAR-10 (9n+2 layers)."""

from __future__ import annotations

from functools import partial

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import ArchSpec, BlockKind
from resnet_inspect.spec.registry import register
from resnet_inspect.zoo.cifar import cifar_spec
from resnet_inspect.zoo.resnet import IMAGENET_DEPTHS, imagenet

ORDER = 40
FAMILY = "Pre-activation ResNet"

# He et al. 2016, Table 2 / section 5: CIFAR bottleneck networks, 9n+2 layers.
PREACT_CIFAR_DEPTHS = (164, 1001)
_PREACT_BLOCK = {BlockKind.BASIC: BlockKind.PREACT_BASIC,
                 BlockKind.BOTTLENECK: BlockKind.PREACT_BOTTLENECK}


def preact_cifar(depth: int) -> ArchSpec:
    """9n+2 layers: three stages of n pre-activation bottlenecks, 16/32/64 wide (64/128/256
    out), as the paper's ResNet-164 and ResNet-1001 on CIFAR-10."""
    if depth < 11 or (depth - 2) % 9:
        raise InspectError(
            f"a pre-activation CIFAR bottleneck ResNet has 9n+2 layers, and {depth} is not "
            "of that form; use 164 or 1001"
        )
    n = (depth - 2) // 9
    return cifar_spec(f"preact_resnet{depth}", BlockKind.PREACT_BOTTLENECK, n, (16, 32, 64),
                      FAMILY, f"Pre-activation ResNet-{depth} for CIFAR-10 (He et al. 2016)")


def register_all() -> None:
    for d, (block, _layers) in IMAGENET_DEPTHS.items():
        register(f"preact_resnet{d}", FAMILY, "ImageNet")(
            imagenet(d, f"preact_resnet{d}", FAMILY,
                     f"Pre-activation ResNet-{d} (He et al. 2016), BN-ReLU before each conv",
                     block=_PREACT_BLOCK[block]))
    for d in PREACT_CIFAR_DEPTHS:
        register(f"preact_resnet{d}", FAMILY, "CIFAR-10, bottleneck")(partial(preact_cifar, d))
