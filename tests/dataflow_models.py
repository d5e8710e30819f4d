"""Small networks whose every edge is known from their `forward`, for the dataflow graph
and its diagram (tests/test_dataflow_diagram.py; `diagram --model` reads this file)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualAdds(nn.Module):
    """The issue's model: an add in forward, then two parallel convs added."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.main = nn.Conv2d(8, 8, 3, padding=1)
        self.skip = nn.Conv2d(8, 8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(x + self.bn(self.conv(x)))
        return torch.relu(self.main(x) + self.skip(x))


class Unit(nn.Module):
    """A user's residual unit: relu(x + bn(conv(x)))."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.bn(self.conv(x)))


class Six(nn.Module):
    """Six units of a user class in a row: one drawn unit "x 6"."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.units = nn.Sequential(*[Unit(16) for _ in range(6)])
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.units(self.stem(x))
        return self.head(x.mean((2, 3)))


class UNet(nn.Module):
    """One level of a U-Net: the encoder's features concatenated to the decoder's."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = F.relu(self.down(x))
        m = F.relu(self.mid(self.pool(d)))
        return self.out(torch.cat([d, self.up(m)], dim=1))


class Attention(nn.Module):
    """Multi-head self-attention written out (q @ k^T, softmax, @ v) or with sdpa."""

    def __init__(self, dim: int, heads: int, sdpa: bool) -> None:
        super().__init__()
        self.heads, self.sdpa = heads, sdpa
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.sdpa:
            y = F.scaled_dot_product_attention(q, k, v)
        else:
            a = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
            y = a.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """A pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, sdpa: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, 2, sdpa)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """A small ViT: 8x8 patches, a class token concatenated, a position embedding added."""

    def __init__(self, sdpa: bool = False, depth: int = 2) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, 32, 8, stride=8)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 32))
        self.pos = nn.Parameter(torch.zeros(1, 17, 32))
        self.blocks = nn.Sequential(*[Block(32, sdpa) for _ in range(depth)])
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.blocks(x)[:, 0])


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand, depthwise, project; the input added back only where
    the stride is 1 and the channels stay (torchvision's `use_res_connect`)."""

    def __init__(self, inp: int, oup: int, stride: int, expand: int = 4) -> None:
        super().__init__()
        hidden = inp * expand
        self.use_res = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetish(nn.Module):
    """Five inverted residuals, the second and fourth with stride 2 and no add."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.features = nn.Sequential(
            InvertedResidual(16, 16, 1), InvertedResidual(16, 24, 2), InvertedResidual(24, 24, 1),
            InvertedResidual(24, 32, 2), InvertedResidual(32, 32, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(self.stem(x)).mean((2, 3)))


def make_residual_adds() -> nn.Module:
    return ResidualAdds()


def make_six() -> nn.Module:
    return Six()


def make_unet() -> nn.Module:
    return UNet()


def make_vit() -> nn.Module:
    return ViT()


def make_vit_sdpa() -> nn.Module:
    return ViT(sdpa=True)


def make_mobile() -> nn.Module:
    return MobileNetish()
