"""The operator registry: `@formula` files a formula under ATen operators, `no_arithmetic`
lists those that only move or view data, and `counts_for` looks a call up. The formulas
themselves are in forward.py and backward.py; ops.py loads them all (import that).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from resnet_inspect.counting.categories import Category

aten = torch.ops.aten
Shape = tuple[int, ...]


@dataclass(frozen=True)
class OpCount:
    category: Category
    macs: int = 0
    flops: int = 0


Counts = tuple[OpCount, ...]
# formula(args, kwargs, out) with every tensor argument (and the output) given as its shape
Formula = Callable[[Sequence[Any], dict[str, Any], Shape], "OpCount | Counts"]
FORMULAS: dict[Any, Formula] = {}  # OpOverloadPacket -> formula
NO_ARITHMETIC: set[Any] = set()  # OpOverloadPackets that only move, view or make data


def packets(names: Sequence[str], in_place: bool = False) -> list[Any]:
    """The ATen packets by name (and their in-place `name_` forms), skipping any a given
    torch build does not have."""
    out = []
    for name in names:
        for n in (name, name + "_") if in_place else (name,):
            packet = getattr(aten, n, None)
            if packet is not None:
                out.append(packet)
    return out


def _refuse_twice(packet: Any) -> None:
    if packet in FORMULAS or packet in NO_ARITHMETIC:
        raise RuntimeError(f"a formula for aten.{packet.__name__} is already registered")


def formula(*packets: Any) -> Callable[[Formula], Formula]:
    """Register `fn` for ATen operator packets; an operator registered twice is a bug."""

    def wrap(fn: Formula) -> Formula:
        for p in packets:
            _refuse_twice(p)
            FORMULAS[p] = fn
        return fn

    return wrap


def no_arithmetic(*packets: Any) -> None:
    for p in packets:
        _refuse_twice(p)
        NO_ARITHMETIC.add(p)


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)


def arg(args: Sequence[Any], kwargs: dict[str, Any], index: int, name: str,
         default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def mac(category: Category, macs: int) -> OpCount:
    return OpCount(category, macs, 2 * macs)


def per_output(category: Category, per_element: int) -> Formula:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
        return OpCount(category, 0, per_element * numel(out))

    return count


def pool_window(kernel: Any, dims: int) -> int:
    """Elements in a pooling window of an operator over `dims` spatial axes: a kernel of one
    size stands for every axis. The axes come from the operator (max_pool2d: 2), never
    from the input's rank: an unbatched [C, H, W] input has 2 spatial axes, not 1."""
    sizes = (kernel,) if isinstance(kernel, int) else tuple(kernel)
    return numel(sizes) if len(sizes) == dims else sizes[0] ** dims


# ------------------------------------------------------------------------- lookups


def shapes_of(args: Sequence[Any]) -> list[Any]:
    """Tensor arguments as their shapes (tuples); everything else as it is."""
    return [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args]


def counts_for(func: Any, args: Sequence[Any], kwargs: dict[str, Any],
               out_shape: Sequence[int]) -> Counts | None:
    """What one call of `func` costs: a tuple of per-category counts; () for an operator
    with no arithmetic; None for one without a formula (to be named, never zero)."""
    packet = getattr(func, "overloadpacket", func)
    fn = FORMULAS.get(packet)
    if fn is None:
        return () if packet in NO_ARITHMETIC else None
    return apply(fn, args, kwargs, out_shape)


def apply(fn: Formula, args: Sequence[Any], kwargs: dict[str, Any],
          out_shape: Sequence[int]) -> Counts:
    """Run a formula on one call: tensors become their shapes, the result a tuple."""
    shaped = {k: (tuple(v.shape) if isinstance(v, torch.Tensor) else v)
              for k, v in kwargs.items()} if kwargs else kwargs
    result = fn(shapes_of(args), shaped, tuple(out_shape))
    return result if isinstance(result, tuple) else (result,)


def op_name(func: Any) -> str:
    """'aten.convolution', without the overload: what reports list."""
    packet = getattr(func, "overloadpacket", func)
    return f"aten.{getattr(packet, '__name__', str(packet))}"
