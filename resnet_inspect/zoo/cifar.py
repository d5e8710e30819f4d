"""The ResNet paper's CIFAR-10 networks (He et al. 2015, section 4.2): 6n+2 layers."""

from __future__ import annotations

from functools import partial

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import ArchSpec, BlockKind, ShortcutKind, StemKind, imagenet_stages
from resnet_inspect.spec.registry import register

ORDER = 30
FAMILY = "ResNet (CIFAR)"
CIFAR_INPUT = (3, 32, 32)

# ResNet paper, section 4.2: 6n+2 layers, n blocks in each of three stages.
CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)


def cifar_spec(name: str, block: BlockKind, n: int, widths: tuple[int, int, int], family: str,
               description: str, stem_width: int = 16, **more: object) -> ArchSpec:
    """The CIFAR-10 layout every family shares (ResNet paper, section 4.2): a 3x3 stem,
    three stages of n blocks at full, half and quarter resolution, 10 classes, 32x32."""
    spec = ArchSpec(
        name=name, block=block, stages=imagenet_stages((n, n, n), widths), stem=StemKind.CIFAR,
        stem_width=stem_width, num_classes=10, input_shape=CIFAR_INPUT, family=family,
        description=description,
    )
    return spec.with_changes(**more) if more else spec


def cifar_resnet(depth: int) -> ArchSpec:
    """6n+2 layers: a 3x3 stem, three stages of n basic blocks at 16/32/64 channels, and
    option A shortcuts (zero-padded identity), the paper's CIFAR-10 setting (section 4.2)."""
    if depth < 8 or (depth - 2) % 6:
        raise InspectError(
            f"a CIFAR ResNet has 6n+2 layers, and {depth} is not of that form; "
            "use 20, 32, 44, 56, 110 or 1202"
        )
    n = (depth - 2) // 6
    return cifar_spec(f"resnet{depth}", BlockKind.BASIC, n, (16, 32, 64), FAMILY,
                      f"ResNet-{depth} for CIFAR-10 (He et al. 2015, section 4.2, option A)",
                      shortcut=ShortcutKind.A)


def register_all() -> None:
    for d in CIFAR_DEPTHS:
        register(f"resnet{d}", FAMILY, "CIFAR-10, option A")(partial(cifar_resnet, d))
