"""Residual blocks, shortcuts and stems, with torchvision's module names.

Every parameter lives where torchvision puts it (`conv1`, `bn1`, `layer3.5.conv2`,
`layer2.0.downsample.0`), so a torchvision state dict loads into these modules. Two things
are added for the tracer: each ReLU is its own module (`relu1`, `relu2`, ...), and the
residual addition is an `Add` module, so both appear as rows instead of being lost inside
`forward`. Neither has parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from resnet_inspect.models.layers import batch_norm2d, conv2d
from resnet_inspect.spec.arch import BlockKind, ShortcutUse


def conv3x3(in_ch: int, out_ch: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return conv2d(in_ch, out_ch, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return conv2d(in_ch, out_ch, 1, stride=stride, bias=False)


class Add(nn.Module):
    """The residual addition y = F(x) + shortcut(x), as a module so hooks see it."""

    def forward(self, residual: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        return residual + shortcut


class ZeroPadShortcut(nn.Module):
    """Shortcut option A (ResNet paper, section 3.3): identity with the extra channels
    zero-padded and the spatial size subsampled by the stride. No parameters."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.in_ch, self.out_ch, self.stride = in_ch, out_ch, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_ch - self.in_ch))

    def extra_repr(self) -> str:
        return f"{self.in_ch}->{self.out_ch}, stride={self.stride}"


def projection(in_ch: int, out_ch: int, stride: int, avg_down: bool,
               norm: bool = True) -> nn.Sequential:
    """Shortcut option B/C: 1x1 conv + BN (torchvision's `downsample`).

    With `avg_down` (Bag of Tricks, ResNet-D) a 2x2 average pool does the striding, so the
    1x1 conv sees every input position instead of one in four. Pre-activation blocks pass
    `norm=False`: their projection reads an input that is already normalised and feeds
    the addition directly, so it is a bare 1x1 conv (He et al. 2016's code; the official
    Wide ResNet code, whose WRN-28-10 count of 36,479,194 the tests reproduce).
    """
    layers: list[nn.Module] = []
    if avg_down and stride > 1:
        layers.append(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False))
        stride = 1
    layers.append(conv1x1(in_ch, out_ch, stride))
    if norm:
        layers.append(batch_norm2d(out_ch))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """Common shortcut handling for the four block kinds.

    `shortcut_use` says what the shortcut path does; `downsample` holds its module (None
    for identity, as in torchvision). Pre-activation blocks take the projection from the
    pre-activated input (He et al. 2016, "Identity Mappings", Figure 1b).
    """

    kind: BlockKind
    shortcut_use: ShortcutUse
    downsample: nn.Module | None
    relu: nn.Module  # post-activation blocks: the ReLU after the addition

    def _init_shortcut(
        self, use: ShortcutUse, in_ch: int, out_ch: int, stride: int, avg_down: bool
    ) -> None:
        self.shortcut_use = use
        self.in_channels, self.out_channels, self.stride = in_ch, out_ch, stride
        if use is ShortcutUse.PROJECTION:
            self.downsample = projection(in_ch, out_ch, stride, avg_down, norm=not self.kind.preact)
        elif use is ShortcutUse.ZERO_PAD:
            self.downsample = ZeroPadShortcut(in_ch, out_ch, stride)
        else:
            self.downsample = None
        self.add = Add() if use is not ShortcutUse.NONE else None

    def _layers(self, *convs: nn.Conv2d) -> None:
        """Declare the residual branch with torchvision's names: conv1, bn1, relu1, conv2 ...

        Post-activation (ResNet paper): conv-BN-ReLU, the last ReLU after the addition.
        Pre-activation (He et al. 2016): BN-ReLU-conv; the first ReLU's output may feed a
        projection too, so it is not in place.
        """
        self.n_convs = len(convs)
        for i, conv in enumerate(convs, start=1):
            if self.kind.preact:
                setattr(self, f"bn{i}", batch_norm2d(conv.in_channels))
                setattr(self, f"relu{i}", nn.ReLU(inplace=i > 1))
                setattr(self, f"conv{i}", conv)
            else:
                setattr(self, f"conv{i}", conv)
                setattr(self, f"bn{i}", batch_norm2d(conv.out_channels))
                if i < len(convs):
                    setattr(self, f"relu{i}", nn.ReLU(inplace=True))

    def _layer(self, kind: str, i: int) -> nn.Module:
        layer = self._modules[f"{kind}{i}"]  # not getattr: nn.Module.__getattr__ is slow
        assert layer is not None
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind.preact:
            pre = self._layer("relu", 1)(self._layer("bn", 1)(x))
            out = self._layer("conv", 1)(pre)
            for i in range(2, self.n_convs + 1):
                out = self._layer("conv", i)(self._layer("relu", i)(self._layer("bn", i)(out)))
            # A projection reads the pre-activated input; identity carries x untouched.
            return self._merge(out, pre if self.shortcut_use is ShortcutUse.PROJECTION else x)
        out = x
        for i in range(1, self.n_convs + 1):
            out = self._layer("bn", i)(self._layer("conv", i)(out))
            if i < self.n_convs:
                out = self._layer("relu", i)(out)
        return self.relu(self._merge(out, x))

    def _merge(self, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.add is None:  # plain network
            return residual
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.add(residual, shortcut)


def _strides(stride: int, stride_on_3x3: bool) -> tuple[int, int]:
    """(first 1x1's stride, 3x3's stride) of a bottleneck: torchvision's "v1.5" strides
    the 3x3; the paper's v1 strides the first 1x1, which skips three quarters of the 3x3's
    positions and so costs fewer MACs."""
    return (1, stride) if stride_on_3x3 else (stride, 1)


class BasicBlock(ResidualBlock):
    """Two 3x3 convs (ResNet paper, Figure 5 left); post-activation."""

    kind = BlockKind.BASIC

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, **_: object) -> None:
        super().__init__()
        self._layers(conv3x3(in_ch, width, stride), conv3x3(width, width))
        self._init_shortcut(shortcut, in_ch, width, stride, avg_down)
        if not self.kind.preact:
            self.relu = nn.ReLU(inplace=True)


class Bottleneck(ResidualBlock):
    """1x1 reduce, 3x3, 1x1 restore to 4x width (ResNet paper, Figure 5 right)."""

    kind = BlockKind.BOTTLENECK

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, inner: int | None = None, groups: int = 1,
                 stride_on_3x3: bool = True, **_: object) -> None:
        super().__init__()
        inner = inner or width
        s1, s3 = _strides(stride, stride_on_3x3)
        self._layers(conv1x1(in_ch, inner, s1), conv3x3(inner, inner, s3, groups),
                     conv1x1(inner, width * 4))
        self._init_shortcut(shortcut, in_ch, width * 4, stride, avg_down)
        if not self.kind.preact:
            self.relu = nn.ReLU(inplace=True)


class PreActBasicBlock(BasicBlock):
    """BN-ReLU-conv twice, nothing after the addition (He et al. 2016, Figure 4e)."""

    kind = BlockKind.PREACT_BASIC


class PreActBottleneck(Bottleneck):
    """BN-ReLU-conv three times around the bottleneck (He et al. 2016)."""

    kind = BlockKind.PREACT_BOTTLENECK


BLOCKS: dict[BlockKind, type[ResidualBlock]] = {
    BlockKind.BASIC: BasicBlock,
    BlockKind.BOTTLENECK: Bottleneck,
    BlockKind.PREACT_BASIC: PreActBasicBlock,
    BlockKind.PREACT_BOTTLENECK: PreActBottleneck,
}


def deep_stem(in_ch: int, stem_width: int) -> nn.Sequential:
    """ResNet-C (Bag of Tricks): three 3x3 convs replace the 7x7; output 2 x stem_width.

    Laid out as timm's `resnet50d` (stem_width 32 -> 32 -> 64), whose parameter count
    the tests check.
    """
    return nn.Sequential(
        conv3x3(in_ch, stem_width, 2),
        batch_norm2d(stem_width),
        nn.ReLU(inplace=True),
        conv3x3(stem_width, stem_width),
        batch_norm2d(stem_width),
        nn.ReLU(inplace=True),
        conv3x3(stem_width, stem_width * 2),
    )
