"""Per-layer MAC/FLOP formulas: one registry, one small function per layer type.

Convention, stated once and printed with every report:
- A MAC is one multiply-accumulate. Conv and linear MACs are the headline figure: what the
  ResNet paper calls "FLOPs (multiply-adds)" and torchvision's model tables call GFLOPS.
  FLOPs = 2 x MACs (what torch.utils.flop_counter reports). Biases are not counted.
- Batch-norm in eval mode folds to y = x * scale + shift: one MAC per element.
- ReLU (one max per element), pooling (comparisons or additions) and the residual addition
  (one add per element) are not multiply-accumulates: they are counted as FLOPs only, in
  their own categories, and never mixed into the headline unless asked.

Formulas take shapes, never tensors, so they run the same on every device, meta included.
A leaf module whose type has no formula is reported as unsupported, never counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from torch import nn

from resnet_inspect.blocks import Add, ZeroPadShortcut
from resnet_inspect.categories import HEADLINE_CATEGORIES, Category, Headline

Shape = Sequence[int]


@dataclass(frozen=True)
class OpCount:
    category: Category
    macs: int = 0
    flops: int = 0


Formula = Callable[[nn.Module, Sequence[Shape], Shape], OpCount]
FORMULAS: dict[type[nn.Module], Formula] = {}


def formula(*types: type[nn.Module]) -> Callable[[Formula], Formula]:
    """Register `fn` for module types; a type registered twice is a bug, so it raises."""

    def wrap(fn: Formula) -> Formula:
        for t in types:
            if t in FORMULAS:
                raise RuntimeError(f"a formula for {t.__name__} is already registered")
            FORMULAS[t] = fn
        return fn

    return wrap


def numel(shape: Shape) -> int:
    return math.prod(shape)


def _pair(v: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v, v)
    return tuple(v)


@formula(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def conv(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    assert isinstance(m, nn.modules.conv._ConvNd)
    # every output element: (C_in / groups) x kernel multiply-accumulates
    per_output = (m.in_channels // m.groups) * math.prod(m.kernel_size)
    macs = numel(out) * per_output
    return OpCount(Category.CONV, macs, 2 * macs)


@formula(nn.Linear)
def linear(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    assert isinstance(m, nn.Linear)
    macs = numel(out) * m.in_features
    return OpCount(Category.LINEAR, macs, 2 * macs)


@formula(nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.LayerNorm)
def norm(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    # eval mode: statistics are constants, so normalisation folds to one FMA per element
    macs = numel(inputs[0])
    return OpCount(Category.NORM, macs, 2 * macs)


@formula(nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Hardswish)
def activation(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    return OpCount(Category.ACTIVATION, 0, numel(out))


@formula(nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
def max_pool(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    assert isinstance(m, nn.modules.pooling._MaxPoolNd)
    window = math.prod(_pair(m.kernel_size))
    # the max of k values takes k - 1 comparisons
    return OpCount(Category.POOL, 0, numel(out) * (window - 1))


@formula(nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
def avg_pool(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    assert isinstance(m, nn.modules.pooling._AvgPoolNd)
    window = math.prod(_pair(m.kernel_size))  # type: ignore[arg-type]
    # k - 1 additions and one division per output
    return OpCount(Category.POOL, 0, numel(out) * window)


@formula(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
def adaptive_avg_pool(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    # each input element is added once; each output divides once: n - 1 + 1 per window
    return OpCount(Category.POOL, 0, numel(inputs[0]))


@formula(Add)
def residual_add(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    return OpCount(Category.ELEMENTWISE, 0, numel(out))


@formula(nn.Flatten, nn.Identity, nn.Dropout, nn.Dropout2d, ZeroPadShortcut)
def no_arithmetic(m: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    return OpCount(Category.OTHER)


def formula_for(module: nn.Module) -> Formula | None:
    """The registered formula for a module's type; a subclass counts as its nearest base."""
    fn = FORMULAS.get(type(module))
    if fn is None:
        for t in type(module).__mro__[1:]:
            fn = FORMULAS.get(t)
            if fn is not None:
                break
    return fn


def count(module: nn.Module, inputs: Sequence[Shape], out: Shape) -> OpCount:
    fn = formula_for(module)
    if fn is None:
        return OpCount(Category.UNSUPPORTED)
    return fn(module, inputs, out)
