"""Reference models written the way users write them (torchvision and timm do not load
beside the CPU torch here, so these are our own, in their styles).

Each is small enough to count by hand where a test does, and built from the same parts
the big ones are: torchvision's ViT encoder on nn.MultiheadAttention, Swin's habit of
applying a child Linear's weight with F.linear, attention through
F.scaled_dot_product_attention and through `q @ k.transpose(-2, -1)`, a CNN with only
functional ops, torchvision's Bottleneck with `out += identity`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EncoderBlock(nn.Module):
    """torchvision's ViT EncoderBlock: pre-norm MultiheadAttention and MLP, two residuals."""

    def __init__(self, dim: int, heads: int, mlp_dim: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class ViT(nn.Module):
    """torchvision's VisionTransformer layout: conv patchify, class token, position
    embedding, encoder blocks, final norm, head on the class token."""

    def __init__(self, image: int = 224, patch: int = 16, dim: int = 768, depth: int = 12,
                 heads: int = 12, mlp_dim: int = 3072, classes: int = 1000) -> None:
        super().__init__()
        self.patch = patch
        self.conv_proj = nn.Conv2d(3, dim, patch, stride=patch)
        tokens = (image // patch) ** 2 + 1
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, tokens, dim))
        self.layers = nn.Sequential(*(EncoderBlock(dim, heads, mlp_dim) for _ in range(depth)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.layers(x + self.pos_embedding)
        return self.head(self.ln(x)[:, 0])


class SwinStyleAttention(nn.Module):
    """Window attention as Swin writes it: qkv and proj are Linear children whose weights
    the forward applies with F.linear; scores by `q @ k.transpose(-2, -1)`; a relative
    position bias added to the scores."""

    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias = nn.Parameter(torch.zeros(heads, window * window, window * window))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = F.linear(x, self.qkv.weight, self.qkv.bias)
        q, k, v = qkv.reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = (attn + self.bias.unsqueeze(0)).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return F.linear(x, self.proj.weight, self.proj.bias)


class SdpaAttention(nn.Module):
    """Attention through F.scaled_dot_product_attention (timm's fused_attn path)."""

    def __init__(self, dim: int, heads: int, causal: bool = False) -> None:
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class FunctionalCNN(nn.Module):
    """Every operation functional: the weights are parameters of the model itself."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.zeros(8, 3, 3, 3))
        self.w2 = nn.Parameter(torch.zeros(16, 8, 3, 3))
        self.fc = nn.Parameter(torch.zeros(10, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.conv2d(x, self.w1, padding=1))
        x = F.max_pool2d(x, 2)
        x = F.relu(F.conv2d(x, self.w2, padding=1))
        x = torch.cat([x.mean((2, 3)), x.amax((2, 3))], dim=1)[:, :16]
        return F.linear(x, self.fc)


class TorchvisionBottleneck(nn.Module):
    """torchvision's Bottleneck, verbatim in structure: `out += identity`, then ReLU."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TorchvisionStyleNet(nn.Module):
    """A two-stage torchvision-style ResNet from TorchvisionBottleneck (layer1, layer2)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(TorchvisionBottleneck(64, 64), TorchvisionBottleneck(256, 64))
        self.layer2 = nn.Sequential(TorchvisionBottleneck(256, 128, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ConvLstmAttention(nn.Module):
    """What a new user tries: a conv front end, an LSTM and attention over time."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(8, 32, 3, padding=1)
        self.lstm = nn.LSTM(32, 32, batch_first=True)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.head = nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv(x)).transpose(1, 2)
        x, _ = self.lstm(x)
        x, _ = self.attn(x, x, x)
        return self.head(x.mean(1))


class WithAuxHead(nn.Module):
    """An auxiliary head that the forward never calls (as Inception's in eval)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.aux = nn.Sequential(nn.Linear(4, 3), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class SortedTokens(nn.Module):
    """A sort and a k-th value: arithmetic (comparisons) with no formula, which must be
    named, not counted as zero."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.sort(x).values, torch.kthvalue(x, 1, keepdim=True).values], -1)


def make_functional_cnn() -> nn.Module:
    """A factory for `--model tests/reference_models.py:make_functional_cnn`."""
    return FunctionalCNN()


def make_swin_block() -> nn.Module:
    """`--model tests/reference_models.py:make_swin_block --input 16x32`"""
    return SwinStyleAttention(32, 4, 4)


def make_encoder_block() -> nn.Module:
    """`--model tests/reference_models.py:make_encoder_block --input 10x64`"""
    return EncoderBlock(64, 4, 128)


class TorchvisionBasicBlock(nn.Module):
    """torchvision's BasicBlock, verbatim in structure: one ReLU(inplace=True) called twice,
    `out += identity`, a downsample Sequential(conv1x1, bn) when the shape changes."""

    def __init__(self, in_ch: int, width: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = None
        if stride != 1 or in_ch != width:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, width, 1, stride, bias=False),
                                            nn.BatchNorm2d(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TorchvisionResNet18(nn.Module):
    """torchvision.models.resnet18 in structure: the names, the in-place ReLUs and adds."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = (64, 128, 256, 512)
        for i, width in enumerate(widths, start=1):
            in_ch = widths[i - 2] if i > 1 else 64
            stride = 1 if i == 1 else 2
            self.add_module(f"layer{i}", nn.Sequential(
                TorchvisionBasicBlock(in_ch, width, stride), TorchvisionBasicBlock(width, width)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
