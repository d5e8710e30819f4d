"""The classic networks that ResNet is taught against: LeNet-5, AlexNet and VGG.

They have no stages or shortcuts, so they are not ArchSpecs: each preset is a ClassicSpec
(a name, the class count, the network's own input size); models/classic.py builds it.
"""

from __future__ import annotations

from collections.abc import Callable

from resnet_inspect.spec.arch import ClassicSpec
from resnet_inspect.spec.registry import register

ORDER = 70
FAMILY = "Classic CNN"

# Simonyan & Zisserman 2014, Table 1, configurations A, B, D, E: conv widths, "M" = max pool.
_VGG_LETTER = {11: "A", 13: "B", 16: "D", 19: "E"}
VGG_CONFIGS: dict[int, list[int | str]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
         512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"],
}


def _vgg_preset(depth: int, batch_norm: bool) -> Callable[[], ClassicSpec]:
    name = f"vgg{depth}" + ("_bn" if batch_norm else "")

    def make() -> ClassicSpec:
        return ClassicSpec(
            name=name, arch=f"vgg{depth}", batch_norm=batch_norm,
            description=f"VGG-{depth} (Simonyan & Zisserman 2014)"
            + (" with batch-norm" if batch_norm else ""),
        )

    return make


def _add(name: str, summary: str, make: Callable[[], ClassicSpec]) -> None:
    register(name, FAMILY, summary)(make)


def register_all() -> None:
    _add(
        "lenet5",
        "LeCun 1998, tanh, avg pool",
        lambda: ClassicSpec(
            name="lenet5", arch="lenet5", num_classes=10, input_shape=(1, 32, 32),
            description="LeNet-5 (LeCun et al. 1998), fully connected C3",
        ),
    )
    _add(
        "alexnet",
        "torchvision layout",
        lambda: ClassicSpec(
            name="alexnet", arch="alexnet",
            description="AlexNet (Krizhevsky et al. 2012), torchvision layout",
        ),
    )
    for depth in VGG_CONFIGS:
        for bn in (False, True):
            _add(
                f"vgg{depth}" + ("_bn" if bn else ""),
                f"config {_VGG_LETTER[depth]}" + (" + batch-norm" if bn else ""),
                _vgg_preset(depth, bn),
            )
