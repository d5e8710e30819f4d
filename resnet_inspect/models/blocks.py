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

from resnet_inspect.spec.arch import BlockKind, ShortcutUse


def conv3x3(in_ch: int, out_ch: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)


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
        layers.append(nn.BatchNorm2d(out_ch))
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

    def _merge(self, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.add is None:  # plain network
            return residual
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.add(residual, shortcut)


class BasicBlock(ResidualBlock):
    """Two 3x3 convs (ResNet paper, Figure 5 left); post-activation."""

    kind = BlockKind.BASIC

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, **_: object) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_ch, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self._init_shortcut(shortcut, in_ch, width, stride, avg_down)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(self._merge(out, x))


class Bottleneck(ResidualBlock):
    """1x1 reduce, 3x3, 1x1 restore to 4x width (ResNet paper, Figure 5 right).

    `stride_on_3x3` is torchvision's "v1.5" (stride on the 3x3); the paper's v1 strides
    the first 1x1, which skips three quarters of the 3x3's positions and so costs fewer MACs.
    """

    kind = BlockKind.BOTTLENECK

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, inner: int | None = None, groups: int = 1,
                 stride_on_3x3: bool = True, **_: object) -> None:
        super().__init__()
        inner = inner or width
        out_ch = width * 4
        s1, s3 = (1, stride) if stride_on_3x3 else (stride, 1)
        self.conv1 = conv1x1(in_ch, inner, s1)
        self.bn1 = nn.BatchNorm2d(inner)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(inner, inner, s3, groups)
        self.bn2 = nn.BatchNorm2d(inner)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = conv1x1(inner, out_ch)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self._init_shortcut(shortcut, in_ch, out_ch, stride, avg_down)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(self._merge(out, x))


class PreActBasicBlock(ResidualBlock):
    """BN-ReLU-conv twice, nothing after the addition (He et al. 2016, Figure 4e)."""

    kind = BlockKind.PREACT_BASIC

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, **_: object) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.relu1 = nn.ReLU(inplace=False)
        self.conv1 = conv3x3(in_ch, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(width, width)
        self._init_shortcut(shortcut, in_ch, width, stride, avg_down)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.relu1(self.bn1(x))
        out = self.conv1(pre)
        out = self.conv2(self.relu2(self.bn2(out)))
        # A projection reads the pre-activated input; identity carries x untouched.
        return self._merge(out, pre if self.shortcut_use is ShortcutUse.PROJECTION else x)


class PreActBottleneck(ResidualBlock):
    """BN-ReLU-conv three times around the bottleneck (He et al. 2016)."""

    kind = BlockKind.PREACT_BOTTLENECK

    def __init__(self, in_ch: int, width: int, stride: int, shortcut: ShortcutUse,
                 avg_down: bool = False, inner: int | None = None, groups: int = 1,
                 stride_on_3x3: bool = True, **_: object) -> None:
        super().__init__()
        inner = inner or width
        out_ch = width * 4
        s1, s3 = (1, stride) if stride_on_3x3 else (stride, 1)
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.relu1 = nn.ReLU(inplace=False)
        self.conv1 = conv1x1(in_ch, inner, s1)
        self.bn2 = nn.BatchNorm2d(inner)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(inner, inner, s3, groups)
        self.bn3 = nn.BatchNorm2d(inner)
        self.relu3 = nn.ReLU(inplace=True)
        self.conv3 = conv1x1(inner, out_ch)
        self._init_shortcut(shortcut, in_ch, out_ch, stride, avg_down)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.relu1(self.bn1(x))
        out = self.conv1(pre)
        out = self.conv2(self.relu2(self.bn2(out)))
        out = self.conv3(self.relu3(self.bn3(out)))
        return self._merge(out, pre if self.shortcut_use is ShortcutUse.PROJECTION else x)


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
        nn.BatchNorm2d(stem_width),
        nn.ReLU(inplace=True),
        conv3x3(stem_width, stem_width),
        nn.BatchNorm2d(stem_width),
        nn.ReLU(inplace=True),
        conv3x3(stem_width, stem_width * 2),
    )
