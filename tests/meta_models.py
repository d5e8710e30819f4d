"""Small models written after the timm families whose meta and CPU traces differed
(issue 22), for tests/test_meta_cpu.py: each does what made the difference, in a few
lines, with torch alone (timm does not install beside the CPU torch here)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResMlpBlock(nn.Module):
    """resmlp: a linear over tokens on a transposed view, then the channel MLP on a
    GELU of a transposed tensor, whose layout decides addmm or mm + add."""

    def __init__(self, tokens: int = 6, dim: int = 8) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.tokens = nn.Linear(tokens, tokens)
        self.fc1, self.fc2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.scale * self.tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        y = F.gelu(self.fc1(self.norm2(x)).transpose(1, 2))
        return x + self.fc2(y.transpose(1, 2))


class PvtBlock(nn.Module):
    """pvt_v2: attention whose keys come from a strided conv over the tokens laid back
    out as an image, and a depthwise conv inside the MLP on transposed tokens."""

    def __init__(self, dim: int = 8, side: int = 4, heads: int = 2) -> None:
        super().__init__()
        self.side, self.heads = side, heads
        self.norm, self.q, self.kv = nn.LayerNorm(dim), nn.Linear(dim, dim), nn.Linear(dim, 2 * dim)
        self.sr, self.sr_norm = nn.Conv2d(dim, dim, 2, stride=2), nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, dim)
        self.fc1, self.dw = nn.Linear(dim, 2 * dim), nn.Conv2d(2 * dim, 2 * dim, 3, padding=1,
                                                               groups=2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        h = self.norm(x)
        q = self.q(h).reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)
        img = h.permute(0, 2, 1).reshape(b, c, self.side, self.side)
        r = self.sr_norm(self.sr(img).reshape(b, c, -1).permute(0, 2, 1))
        k, v = self.kv(r).reshape(b, -1, 2, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-2, -1) * (c // self.heads) ** -0.5).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, n, c))
        y = self.fc1(x)
        y = self.dw(y.transpose(1, 2).view(b, -1, self.side, self.side))
        return x + self.fc2(F.gelu(y.flatten(2).transpose(1, 2)))


class ConvitPositions(nn.Module):
    """convit: relative positions made on the host in forward (`torch.arange(4.)`
    arithmetic and `.item()`), then used with the activations."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ind = torch.arange(4.0)
        rel = ind.view(1, -1) - ind.view(-1, 1)  # on the CPU, whatever the trace's device
        dist = rel * rel + rel * rel
        scale = float(dist.max().item()) + 1.0
        return self.fc(x) / scale + torch.relu(dist).sum().item()


class SequencerBlock(nn.Module):
    """sequencer2d: bidirectional LSTMs along the rows and the columns of a permuted
    feature map, their outputs concatenated and projected."""

    def __init__(self, dim: int = 4, hidden: int = 3) -> None:
        super().__init__()
        self.rows = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.cols = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, H, W, C]
        b, h, w, c = x.shape
        rows, _ = self.rows(x.reshape(-1, w, c))
        cols, _ = self.cols(x.permute(0, 2, 1, 3).reshape(-1, h, c))
        rows = rows.reshape(b, h, w, -1)
        cols = cols.reshape(b, w, h, -1).permute(0, 2, 1, 3)
        return x + self.fc(torch.cat([rows, cols], dim=-1))


class OutlookAttention(nn.Module):
    """volo: attention weights per window from a linear over pooled pixels, applied to
    unfolded neighbourhoods and folded back."""

    def __init__(self, dim: int = 4, k: int = 3) -> None:
        super().__init__()
        self.k = k
        self.v, self.attn = nn.Linear(dim, dim), nn.Linear(dim, k ** 4)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, H, W, C]
        b, h, w, c = x.shape
        k = self.k
        v = self.v(x).permute(0, 3, 1, 2)
        v = F.unfold(v, k, padding=1).reshape(b, c, k * k, h * w).permute(0, 3, 2, 1)
        a = self.attn(x).reshape(b, h * w, k * k, k * k).softmax(-1)
        out = (a @ v).permute(0, 3, 2, 1).reshape(b, c * k * k, h * w)
        out = F.fold(out, (h, w), k, padding=1)
        return self.proj(out.permute(0, 2, 3, 1))


class ChannelsLastNet(nn.Module):
    """A conv net run in channels-last layout (torch keeps that layout through convs,
    batch-norm and activations)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn(self.conv(x.contiguous(memory_format=torch.channels_last))))
        y = F.max_pool2d(y + y, 1)
        return self.fc(y.flatten(1))
