"""ArchSpec -> nn.Module, laid out and named as torchvision's ResNet.

The builder never prints and never counts: it turns data into a module. Building on the
meta device and skipping weight initialisation (`init=False`) is what `inspect` uses when
only shapes and counts are wanted; `build()` for users initialises like torchvision.
"""

from __future__ import annotations

import torch
from torch import nn

from resnet_inspect.models.blocks import BLOCKS, conv3x3, deep_stem
from resnet_inspect.models.classic import build_classic
from resnet_inspect.models.layers import batch_norm2d, conv2d, layers_on, linear
from resnet_inspect.models.walk import set_eval
from resnet_inspect.spec.arch import (
    AnySpec,
    ArchSpec,
    ClassicSpec,
    ShortcutKind,
    ShortcutUse,
    StemKind,
    StrideOn,
    inner_width,
)


def shortcut_use(spec: ArchSpec, in_ch: int, out_ch: int, stride: int) -> ShortcutUse:
    if spec.plain:
        return ShortcutUse.NONE
    changes_shape = stride != 1 or in_ch != out_ch
    if spec.shortcut is ShortcutKind.C or (changes_shape and spec.shortcut is ShortcutKind.B):
        return ShortcutUse.PROJECTION
    if changes_shape:  # option A
        return ShortcutUse.ZERO_PAD if out_ch >= in_ch else ShortcutUse.PROJECTION
    return ShortcutUse.IDENTITY


class ResNet(nn.Module):
    """A residual network built from an ArchSpec; `spec` stays attached for reports."""

    def __init__(self, spec: ArchSpec) -> None:
        super().__init__()
        self.spec = spec
        in_ch = spec.input_shape[0]
        preact = spec.block.preact
        if spec.stem is StemKind.DEEP:
            self.conv1: nn.Module = deep_stem(in_ch, spec.stem_width // 2)
        elif spec.stem is StemKind.CIFAR:
            self.conv1 = conv3x3(in_ch, spec.stem_width)
        else:
            self.conv1 = conv2d(in_ch, spec.stem_width, 7, stride=2, padding=3, bias=False)
        # A pre-activation network normalises at the start of each block instead.
        self.bn1 = None if preact else batch_norm2d(spec.stem_width)
        self.relu = None if preact else nn.ReLU(inplace=True)
        self.maxpool = (
            None if spec.stem is StemKind.CIFAR else nn.MaxPool2d(3, stride=2, padding=1)
        )
        channels = spec.stem_width
        block_cls = BLOCKS[spec.block]
        for index, stage in enumerate(spec.stages, start=1):
            out_ch = stage.width * spec.block.expansion
            blocks = []
            for b in range(stage.blocks):
                stride = stage.stride if b == 0 else 1
                blocks.append(
                    block_cls(
                        channels,
                        stage.width,
                        stride,
                        shortcut_use(spec, channels, out_ch, stride),
                        avg_down=spec.avg_down,
                        inner=inner_width(spec, stage),
                        groups=spec.groups,
                        stride_on_3x3=spec.stride_on is StrideOn.CONV3X3,
                    )
                )
                channels = out_ch
            self.add_module(f"layer{index}", nn.Sequential(*blocks))
        self.num_stages = len(spec.stages)
        # He et al. 2016: the last pre-activation block's output still needs BN-ReLU.
        self.final_bn = batch_norm2d(channels) if preact else None
        self.final_relu = nn.ReLU(inplace=True) if preact else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = linear(channels, spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        if self.bn1 is not None and self.relu is not None:
            x = self.relu(self.bn1(x))
        if self.maxpool is not None:
            x = self.maxpool(x)
        for index in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{index}")(x)
        if self.final_bn is not None and self.final_relu is not None:
            x = self.final_relu(self.final_bn(x))
        x = self.avgpool(x)
        return self.fc(torch.flatten(x, 1))


def init_weights(model: nn.Module) -> None:
    """torchvision's initialisation: Kaiming-normal convs (fan_out) with zero biases, BN at
    identity, linear layers as nn.Linear initialises them."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.Linear)):
            m.reset_parameters()


def build_model(spec: AnySpec, device: str | torch.device = "cpu", init: bool = True) -> nn.Module:
    """Build on the meta device (no memory, no init cost), then materialise on `device`.

    With init=False the weights are zeros and BN statistics neutral: a valid model for
    tracing shapes and counts at a fraction of the build time. A ClassicSpec (LeNet-5,
    AlexNet, VGG) is built by classic.py the same way.
    """
    with layers_on(torch.device("meta")):
        model = build_classic(spec) if isinstance(spec, ClassicSpec) else ResNet(spec)
    device = torch.device(device)
    if device.type == "meta":
        return set_eval(model)
    model = model.to_empty(device=device)
    if init:
        init_weights(model)
    else:
        with torch.no_grad():
            for t in (*model.parameters(), *model.buffers()):
                t.zero_()
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
                    m.running_var.fill_(1.0)
    return model.eval()
