"""Token models written as Hugging Face writes BERT and GPT-2 (transformers is not installed
here, so these are our own, small, in their shapes): embeddings, self-attention, an MLP,
outputs that are ModelOutput-like (a dict that is also a dataclass) or plain tuples.

Sizes are small enough to count by hand: vocabulary 100, 16 positions, width 32, 4 heads.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

VOCAB, POSITIONS, DIM, HEADS, LAYERS = 100, 16, 32, 4, 2


class ModelOutput(OrderedDict):  # type: ignore[type-arg]
    """transformers.utils.ModelOutput in brief: a dataclass whose fields are also a dict's
    items, None ones left out."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None:
                self[f.name] = value


@dataclass
class BaseModelOutput(ModelOutput):
    last_hidden_state: torch.Tensor
    pooler_output: torch.Tensor | None = None


@dataclass
class CausalLMOutput(ModelOutput):
    logits: torch.Tensor
    past_key_values: tuple[Any, ...] | None = None


class SelfAttention(nn.Module):
    """BERT's BertSelfAttention + BertSelfOutput: q, k, v projections, softmax(QK^T/sqrt(d))V,
    an output projection, a residual and a LayerNorm."""

    def __init__(self, causal: bool = False) -> None:
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(DIM, DIM) for _ in range(3))
        self.dense = nn.Linear(DIM, DIM)
        self.norm = nn.LayerNorm(DIM)
        self.causal = causal

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, t, _ = x.shape

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, HEADS, DIM // HEADS).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = q @ k.transpose(-1, -2) / (DIM // HEADS) ** 0.5
        if self.causal:
            scores = scores.masked_fill(
                torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        if mask is not None:
            scores = scores + (1.0 - mask[:, None, None, :].to(scores.dtype)) * -1e4
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, DIM)
        return self.norm(x + self.dense(y))


class Layer(nn.Module):
    def __init__(self, causal: bool) -> None:
        super().__init__()
        self.attention = SelfAttention(causal)
        self.intermediate = nn.Linear(DIM, 4 * DIM)
        self.output = nn.Linear(4 * DIM, DIM)
        self.norm = nn.LayerNorm(DIM)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.attention(x, mask)
        return self.norm(x + self.output(F.gelu(self.intermediate(x))))


class TinyBert(nn.Module):
    """BertModel: word + position + token-type embeddings, encoder layers, a tanh pooler;
    `forward(input_ids, attention_mask=None)` returns a BaseModelOutput."""

    def __init__(self) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, DIM)
        self.position_embeddings = nn.Embedding(POSITIONS, DIM)
        self.token_type_embeddings = nn.Embedding(2, DIM)
        self.layers = nn.ModuleList(Layer(causal=False) for _ in range(LAYERS))
        self.pooler = nn.Linear(DIM, DIM)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> BaseModelOutput:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        types = torch.zeros_like(input_ids)
        x = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings(types))
        for layer in self.layers:
            x = layer(x, attention_mask)
        return BaseModelOutput(last_hidden_state=x, pooler_output=self.pooler(x[:, 0]).tanh())


class TinyGPT2(nn.Module):
    """GPT2LMHeadModel: token + position embeddings, causal layers, an LM head tied to the
    token embedding; returns a CausalLMOutput."""

    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Embedding(POSITIONS, DIM)
        self.layers = nn.ModuleList(Layer(causal=True) for _ in range(LAYERS))
        self.lm_head = nn.Linear(DIM, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2 ties them

    def forward(self, input_ids: torch.Tensor) -> CausalLMOutput:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(positions)
        for layer in self.layers:
            x = layer(x)
        return CausalLMOutput(logits=self.lm_head(x))


class EmbeddingLSTM(nn.Module):
    """The other model issue 23 met: ids -> embedding -> LSTM -> (logits, (h, c))."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.lstm = nn.LSTM(DIM, DIM, batch_first=True)
        self.head = nn.Linear(DIM, 2)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        out, state = self.lstm(self.embed(ids))
        return self.head(out[:, -1]), state
