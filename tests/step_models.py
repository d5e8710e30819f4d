"""Models a real training step is measured on (tests/real_step.py): each family whose
memory a step holds differently: a plain CNN, checkpointed stages (non-reentrant and
reentrant, per stage or per block), an LSTM, a GRU, a ViT on F.scaled_dot_product_attention
and one on nn.MultiheadAttention.

`make(name, **size)` builds one on CPU; the same call with device="meta" builds it for a
trace. Sizes are arguments so that tests run small ones and the benchmark the issue's.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from resnet_inspect.models.builder import build_model
from resnet_inspect.spec.registry import get_spec


class Checkpointed(nn.Module):
    """A torchvision ResNet, its modules under their own names (conv1, layer1, ..., fc),
    whose stages (or each block) run under torch.utils.checkpoint: only each segment's
    input is kept for the backward, the rest recomputed there."""

    def __init__(self, net: nn.Module, reentrant: bool, per_block: bool) -> None:
        super().__init__()
        for name, child in net.named_children():
            self.add_module(name, child)
        self.reentrant = reentrant
        self.per_block = per_block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            for seg in (list(stage) if self.per_block else [stage]):
                x = checkpoint(seg, x, use_reentrant=self.reentrant)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Lstm(nn.Module):
    """A stacked LSTM over a sequence, the last layer's outputs returned."""

    def __init__(self, features: int, hidden: int, layers: int, bias: bool = True,
                 bidirectional: bool = False, proj_size: int = 0, packed: bool = False) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, bias=bias,
                            bidirectional=bidirectional, proj_size=proj_size)
        self.packed = packed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.packed:
            return self.lstm(x)[0]
        # every sequence its full length: a PackedSequence of T x batch rows
        lengths = torch.full((x.shape[1],), x.shape[0], dtype=torch.int64, device="cpu")
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths)
        return self.lstm(packed)[0].data


class Gru(nn.Module):
    """A stacked GRU over a sequence (torch's unfused path on CPU: no oneDNN GRU there)."""

    def __init__(self, features: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gru(x)[0]


class MhaBlock(nn.Module):
    """A pre-norm encoder block on nn.MultiheadAttention, called with need_weights=False
    (so that it calls F.scaled_dot_product_attention inside)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class SdpaBlock(nn.Module):
    """A pre-norm encoder block whose attention is F.scaled_dot_product_attention."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, c // self.heads) \
            .permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c)
        x = x + self.proj(y)
        return x + self.mlp(self.norm2(x))


class SmallViT(nn.Module):
    """Patchify by a strided conv, position embedding, SDPA blocks, mean-pooled head."""

    def __init__(self, image: int, patch: int, dim: int, depth: int, heads: int,
                 block: type[nn.Module] = SdpaBlock) -> None:
        super().__init__()
        self.patchify = nn.Conv2d(3, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(1, (image // patch) ** 2, dim))
        self.blocks = nn.Sequential(*(block(dim, heads) for _ in range(depth)))
        self.head = nn.Linear(dim, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patchify(x).flatten(2).transpose(1, 2) + self.pos
        return self.head(self.blocks(x).mean(1))


def make(name: str, device: str = "cpu", **size: Any) -> nn.Module:
    """One of: resnet (depth), checkpoint (depth, reentrant, per_block), lstm (features,
    hidden, layers, bias, bidirectional, proj_size, packed) and gru (features, hidden,
    layers), vit and mha-vit (image, patch, dim, depth, heads)."""
    torch.manual_seed(0)
    if name in ("resnet", "checkpoint"):
        net = build_model(get_spec(f"resnet{size.get('depth', 18)}"), device=device)
        if name == "resnet":
            return net
        return Checkpointed(net, size.get("reentrant", False), size.get("per_block", False))
    with torch.device(device):
        if name == "lstm":
            return Lstm(size["features"], size["hidden"], size["layers"], size.get("bias", True),
                        size.get("bidirectional", False), size.get("proj_size", 0),
                        size.get("packed", False))
        if name == "gru":
            return Gru(size["features"], size["hidden"], size["layers"])
        if name in ("vit", "mha-vit"):
            return SmallViT(size["image"], size["patch"], size["dim"], size["depth"],
                            size["heads"], SdpaBlock if name == "vit" else MhaBlock)
    raise ValueError(name)
