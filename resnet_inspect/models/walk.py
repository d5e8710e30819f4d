"""Every submodule of a model, in `named_modules()` order, in one flat pass.

`nn.Module.named_modules()` is a recursive generator: each module is passed up through
every ancestor's generator, so a walk costs modules x depth resumptions, a tenth of a
10,000-block trace. The builder and the tracer walk models this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch
from torch import nn

# The walk of the model being traced: its structure does not change during a trace.
_WALKED: ContextVar[tuple[nn.Module, list[tuple[str, nn.Module]]] | None] = ContextVar(
    "walked", default=None)


@contextmanager
def walked_once(model: nn.Module) -> Iterator[None]:
    """Within, `named_modules(model)` walks the model once and then answers from that."""
    token = _WALKED.set((model, _walk(model)))
    try:
        yield
    finally:
        _WALKED.reset(token)


def named_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) pairs as `model.named_modules()` gives them: pre-order, children in
    registration order, a module reached twice listed once, under its first name."""
    walked = _WALKED.get()
    if walked is not None and walked[0] is model:
        return walked[1]
    return _walk(model)


def _walk(model: nn.Module) -> list[tuple[str, nn.Module]]:
    out: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:
        name, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        out.append((name, m))
        children = [(f"{name}.{key}" if name else key, child)
                    for key, child in m._modules.items() if child is not None]
        stack.extend(reversed(children))
    return out


def modules(model: nn.Module) -> list[nn.Module]:
    """The modules of `named_modules(model)`, without their names."""
    return [m for _, m in named_modules(model)]


def own_tensors(model: nn.Module) -> list[torch.Tensor]:
    """Every parameter and buffer of every module (a shared one may appear twice)."""
    return [t for m in modules(model)
            for t in (*m._parameters.values(), *m._buffers.values()) if t is not None]


def set_eval(model: nn.Module) -> nn.Module:
    """`model.eval()` for a model whose modules do not override `train()` (ours): the flag
    set directly on each, without `train()`'s recursion and nn.Module.__setattr__."""
    for m in modules(model):
        m.__dict__["training"] = False
    return model
