"""The machinery of the formula harness (tests/test_formula_harness.py): a row runs real
torch code on meta tensors, a recorder keeps every call of the row's operator with torch's
own output, and the row's reference says what those calls cost, independently of the
registry: torch.utils.flop_counter's formula where torch's is right, else a closed form
written in the row with its arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from resnet_inspect.counting.ops import counts_for

aten = torch.ops.aten
Costs = dict[str, tuple[int, int]]  # category -> (MACs, FLOPs)


@dataclass(frozen=True)
class Call:
    func: Any  # an OpOverload
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    out: Any

    @property
    def out_shape(self) -> tuple[int, ...]:
        first = self.out[0] if isinstance(self.out, (tuple, list)) else self.out
        return tuple(first.shape) if isinstance(first, torch.Tensor) else ()

    def arg(self, i: int) -> Any:
        return self.args[i]

    def shape(self, i: int) -> tuple[int, ...]:
        return tuple(self.args[i].shape)


@dataclass(frozen=True)
class Row:
    op: Any  # the OpOverloadPacket it proves
    run: Callable[[], Any]  # torch code on meta tensors; or returns [Call] for kernels
    expect: Callable[[list[Call]], Costs]  # that meta cannot run (shapes given)
    name: str

    def __str__(self) -> str:
        return f"{self.op.__name__}-{self.name}"


class Recorder(TorchDispatchMode):
    """Every operator call with its arguments and torch's own output."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        self.calls.append(Call(func, args, kwargs or {}, out))
        return out


def calls_of(row: Row) -> list[Call]:
    recorder = Recorder()
    with recorder:
        given = row.run()
    if isinstance(given, list) and given and isinstance(given[0], Call):
        return given
    return [c for c in recorder.calls if c.func.overloadpacket is row.op]


def ours(calls: Iterable[Call]) -> Costs:
    total: dict[str, list[int]] = {}
    for c in calls:
        counted = counts_for(c.func, c.args, c.kwargs, c.out_shape)
        assert counted is not None, f"{c.func} has no formula"
        for oc in counted:
            cell = total.setdefault(oc.category.value, [0, 0])
            cell[0] += oc.macs
            cell[1] += oc.flops
    return {k: (v[0], v[1]) for k, v in total.items() if v != [0, 0]}


# ------------------------------------------------------------------ references


def torch_counter(category: str) -> Callable[[list[Call]], Costs]:
    """torch.utils.flop_counter's own formula for each call (2 FLOPs per MAC)."""
    def expect(calls: list[Call]) -> Costs:
        flops = sum(flop_registry[c.func.overloadpacket](*c.args, out_val=c.out, **c.kwargs)
                    for c in calls)
        return {category: (flops // 2, flops)}

    return expect


def flops_per_output(category: str, per_element: int) -> Callable[[list[Call]], Costs]:
    """The documented FLOPs per element of torch's own output (docs/counting.md)."""
    def expect(calls: list[Call]) -> Costs:
        n = sum(math.prod(c.out_shape) for c in calls)
        return {category: (0, per_element * n)} if per_element * n else {}

    return expect


def both(*parts: Callable[[list[Call]], Costs]) -> Callable[[list[Call]], Costs]:
    def expect(calls: list[Call]) -> Costs:
        out: dict[str, tuple[int, int]] = {}
        for part in parts:
            for k, (m, f) in part(calls).items():
                a, b = out.get(k, (0, 0))
                out[k] = (a + m, b + f)
        return out

    return expect


def fixed(costs: Costs) -> Callable[[list[Call]], Costs]:
    """A closed form worked out in the row itself."""
    return lambda calls: costs


def macs(category: str, n: int) -> Costs:
    return {category: (n, 2 * n)}


def flops(category: str, n: int) -> Costs:
    return {category: (0, n)}


def m(*shape: int, dtype: torch.dtype = torch.float32, grad: bool = False) -> torch.Tensor:
    return torch.zeros(shape, dtype=dtype, device="meta", requires_grad=grad)


def backward_of(out: Any) -> None:
    """Run autograd from a gradient of ones on the first output."""
    first = out[0] if isinstance(out, (tuple, list)) else out
    first.backward(torch.ones_like(first))


def direct(func: Any, args: tuple[Any, ...], out_shape: tuple[int, ...],
           kwargs: dict[str, Any] | None = None) -> Callable[[], list[Call]]:
    """A call of a kernel that does not run here (CUDA only, or decomposed before the
    dispatcher sees it on meta and CPU): its arguments and output shape, given."""
    return lambda: [Call(func, args, kwargs or {}, m(*out_shape))]
