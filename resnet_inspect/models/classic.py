"""The classic networks that ResNet is taught against: LeNet-5, AlexNet and VGG.

They have no stages or shortcuts, so they are not ArchSpecs: each preset is a ClassicSpec
(a name, the class count, the network's own input size) and a builder here turns it into a
module. AlexNet and VGG use torchvision's layout and module names (`features.N`,
`avgpool`, `classifier.N`), so torchvision's state dicts load and the counts can be checked
against torchvision's model tables. The presets and VGG's configurations are in
zoo/classic.py.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from resnet_inspect.errors import InspectError
from resnet_inspect.models.layers import batch_norm2d, conv2d, linear
from resnet_inspect.spec.arch import ClassicSpec
from resnet_inspect.zoo.classic import VGG_CONFIGS


class ClassicNet(nn.Module):
    """features -> avgpool -> flatten -> classifier: torchvision's AlexNet and VGG layout,
    also used for LeNet-5 (built below)."""

    def __init__(self, features: nn.Module, avgpool: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.avgpool = avgpool
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))



def _classifier_net(features: nn.Module, avgpool: nn.Module, classifier: nn.Module) -> nn.Module:
    return ClassicNet(features, avgpool, classifier)


def lenet5(spec: ClassicSpec) -> nn.Module:
    """LeNet-5 (LeCun et al. 1998) as it is usually taught: 32x32 grey input, tanh, average
    pooling for the subsampling layers, and a fully connected C5 (the paper's C3 connects
    only some input maps; full connections make it 2,416 parameters instead of 1,516).

    C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850 = 61,706 parameters.
    """
    in_ch = spec.input_shape[0]
    features = nn.Sequential(
        conv2d(in_ch, 6, 5), nn.Tanh(), nn.AvgPool2d(2),  # C1, S2
        conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),  # C3, S4
        conv2d(16, 120, 5), nn.Tanh(),  # C5: 1x1 output at 32x32 input
    )
    classifier = nn.Sequential(linear(120, 84), nn.Tanh(), linear(84, spec.num_classes))
    return _classifier_net(features, nn.Identity(), classifier)


def alexnet(spec: ClassicSpec) -> nn.Module:
    """AlexNet in torchvision's single-tower form (Krizhevsky 2014, "One weird trick"),
    whose widths (64, 192, 384, 256, 256) differ from the 2012 paper's two-GPU split."""
    in_ch = spec.input_shape[0]
    features = nn.Sequential(
        conv2d(in_ch, 64, 11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2),
        conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2),
        conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
        conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
        conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2),
    )
    classifier = nn.Sequential(
        nn.Dropout(0.5), linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), linear(4096, 4096), nn.ReLU(inplace=True),
        linear(4096, spec.num_classes),
    )
    return _classifier_net(features, nn.AdaptiveAvgPool2d((6, 6)), classifier)


def vgg(spec: ClassicSpec) -> nn.Module:
    """VGG-11/13/16/19, optionally with batch-norm after every conv (torchvision's `_bn`)."""
    depth = int(spec.arch.removeprefix("vgg"))
    layers: list[nn.Module] = []
    in_ch = spec.input_shape[0]
    for item in VGG_CONFIGS[depth]:
        if item == "M":
            layers.append(nn.MaxPool2d(2, stride=2))
            continue
        assert isinstance(item, int)
        layers.append(conv2d(in_ch, item, 3, padding=1))
        if spec.batch_norm:
            layers.append(batch_norm2d(item))
        layers.append(nn.ReLU(inplace=True))
        in_ch = item
    classifier = nn.Sequential(
        linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        linear(4096, spec.num_classes),
    )
    return _classifier_net(nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7)), classifier)


BUILDERS: dict[str, Callable[[ClassicSpec], nn.Module]] = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    **{f"vgg{d}": vgg for d in VGG_CONFIGS},
}


def build_classic(spec: ClassicSpec) -> nn.Module:
    """The module for a ClassicSpec; the spec stays attached for reports."""
    if spec.arch not in BUILDERS:
        raise InspectError(f"no builder for classic network {spec.arch!r}; use one of "
                           f"{', '.join(BUILDERS)}")
    model = BUILDERS[spec.arch](spec)
    model.spec = spec  # type: ignore[assignment]
    return model


