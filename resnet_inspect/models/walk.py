"""Every submodule of a model, in `named_modules()` order, in one flat pass.

`nn.Module.named_modules()` is a recursive generator: each module is passed up through
every ancestor's generator, so a walk costs modules x depth resumptions, a tenth of a
10,000-block trace. The builder and the tracer walk models this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from torch import nn

from resnet_inspect.private import child_modules

# The walk of the model being traced: its structure does not change during a trace.
_WALKED: ContextVar[tuple[nn.Module, list[tuple[str, nn.Module]]] | None] = ContextVar(
    "walked", default=None)
# Within `walks_kept`: the walks `set_eval` made of models just built, for the trace that
# follows (a walk of a 10,000-block network takes 0.15 s)
_KEPT: ContextVar[list[tuple[nn.Module, list[tuple[str, nn.Module]]]] | None] = ContextVar(
    "kept", default=None)


@contextmanager
def walks_kept() -> Iterator[None]:
    """Within, `walked_once` reuses the walk `set_eval` made of the same model: for a
    model that is built and then traced with nothing changing it in between."""
    token = _KEPT.set([])
    try:
        yield
    finally:
        _KEPT.reset(token)


@contextmanager
def walked_once(model: nn.Module) -> Iterator[None]:
    """Within, `named_modules(model)` walks the model once and then answers from that."""
    kept = next((pairs for m, pairs in _KEPT.get() or () if m is model), None)
    token = _WALKED.set((model, kept if kept is not None else _walk(model)))
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
                    for key, child in child_modules(m).items() if child is not None]
        stack.extend(reversed(children))
    return out


def modules(model: nn.Module) -> list[nn.Module]:
    """The modules of `named_modules(model)`, without their names."""
    return [m for _, m in named_modules(model)]


def set_eval(model: nn.Module) -> nn.Module:
    """`model.eval()` for a model whose modules do not override `train()` (ours): the flag
    set directly on each, without `train()`'s recursion and nn.Module.__setattr__."""
    pairs = named_modules(model)
    for _, m in pairs:
        m.__dict__["training"] = False
    kept = _KEPT.get()
    if kept is not None:
        kept.append((model, pairs))
    return model
