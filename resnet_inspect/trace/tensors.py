"""The model's own tensors as a trace sees them: their totals, each counted once; the
input's dtype; and empty meta stand-ins that take their place for a trace on meta."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from resnet_inspect.models.walk import modules
from resnet_inspect.private import own_buffers, own_parameters


@dataclass
class Sizes:
    """Parameter and buffer totals of a model, each tensor counted once (tied weights)."""

    params: int = 0
    trainable: int = 0
    buffers: int = 0
    running_stats: int = 0
    param_bytes: int = 0
    buffer_bytes: int = 0
    # id(module) -> (params, trainable, buffers) of the tensors it is the first owner of, so
    # that rows sum to the totals even when modules share a weight
    own: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    all_meta: bool = True  # every tensor is on meta
    dtypes: set[torch.dtype] = field(default_factory=set)  # floating ones, when casting


def tensor_sizes(model: nn.Module, dtype: torch.dtype | None) -> Sizes:
    """One walk over the modules: the model's totals and each module's own counts."""
    cast = torch.empty((), dtype=dtype).element_size() if dtype is not None else None
    sizes = Sizes()
    seen: set[int] = set()
    for m in modules(model):
        params, buffers = own_parameters(m), own_buffers(m)
        if not params and not buffers:  # most modules: ReLU, Add, containers
            continue
        p_own = t_own = b_own = 0
        for p in params.values():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            p_own += n
            t_own += n if p.requires_grad else 0
            sizes.param_bytes += n * _element_size(sizes, p, cast)
        for key, b in buffers.items():
            if b is None or id(b) in seen:
                continue
            seen.add(id(b))
            n = b.numel()
            b_own += n
            sizes.buffer_bytes += n * _element_size(sizes, b, cast)
            if key in _RUNNING and isinstance(m, _BATCH_NORM):
                sizes.running_stats += n
        sizes.params += p_own
        sizes.trainable += t_own
        sizes.buffers += b_own
        if p_own or b_own:
            sizes.own[id(m)] = (p_own, t_own, b_own)
    return sizes


def _element_size(sizes: Sizes, t: torch.Tensor, cast: int | None) -> int:
    """A tensor's bytes an element as traced (`cast` for a floating one when the trace
    casts); notes on the way whether it is on meta and, when casting, its floating dtype,
    for whether a trace on meta must swap the model's tensors for meta stand-ins."""
    if not t.is_meta:
        sizes.all_meta = False
    if cast and t.is_floating_point():
        sizes.dtypes.add(t.dtype)
        return cast
    return t.element_size()


_RUNNING = ("running_mean", "running_var")
_BATCH_NORM = nn.modules.batchnorm._BatchNorm


def input_dtype(model: nn.Module, dtype: torch.dtype | None) -> torch.dtype:
    """`dtype`, else the model's first floating parameter's or buffer's, else float32."""
    if dtype is not None:
        return dtype
    for m in model.modules():
        for t in (*own_parameters(m).values(), *own_buffers(m).values()):
            if t is not None and t.is_floating_point():
                return t.dtype
    return torch.float32


def tensors_in(value: Any) -> list[torch.Tensor]:
    """The tensors in a module's output, in order: a tensor, or a tuple, list, dict or
    dataclass of them, nested (a Hugging Face ModelOutput is a dict and a dataclass; an
    LSTM returns (output, (h, c)))."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, Mapping):
        value = list(value.values())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, f.name) for f in dataclasses.fields(value)]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    return []


def batch_numel(shape: Sequence[int]) -> int:
    """The number of elements in a tensor of this shape."""
    return math.prod(shape)


@contextmanager
def meta_stand_ins(model: nn.Module, dtype: torch.dtype | None,
                   shared: bool = True) -> Iterator[None]:
    """Swap every parameter and buffer for an empty meta tensor (of `dtype`, or of its own
    dtype when None), and put the real ones back afterwards.

    This is what torch.func.functional_call does, without its generality (and its cost:
    a third of the trace): the model is not copied and no data is touched.
    """
    # Meta tensors hold no data, so one stand-in serves every tensor of the same shape
    # and kind (ResNet-152: ~930 tensors, ~60 distinct): the forward only reads shapes,
    # and eval mode updates no buffer. Sizes were taken from the real tensors already.
    made: dict[tuple[Any, ...], torch.Tensor] = {}
    swapped: list[tuple[dict[str, Any], str, Any]] = []

    def stand_in(t: torch.Tensor) -> torch.Tensor:
        param = isinstance(t, nn.Parameter)
        want = dtype if dtype is not None and t.is_floating_point() else t.dtype
        # a training step gives every parameter its own gradient: no sharing then
        key = (t.shape, want, param, t.requires_grad) if shared else (id(t),)
        new = made.get(key)
        if new is None:
            new = torch.empty(t.shape, device="meta", dtype=want)
            if param:
                new = nn.Parameter(new, requires_grad=t.requires_grad)
            made[key] = new
        return new

    try:
        for m in model.modules():
            tables: tuple[dict[str, Any], ...] = (own_parameters(m), own_buffers(m))
            for table in tables:
                for key, t in table.items():
                    if t is not None:
                        swapped.append((table, key, t))
                        table[key] = stand_in(t)
        yield
    finally:
        for table, key, t in reversed(swapped):
            table[key] = t
