"""Harness rows of the per-element operators: elementwise arithmetic, activations, softmax
and their backward kernels, each called through ATen on meta tensors (binary ones with
broadcasting), in place where an in-place form exists. The reference is the documented
FLOPs per element (docs/counting.md) times the number of elements torch itself returns:
elementwise 1 (addcmul, addcdiv, lerp 2), activations 1, softmax 5, softmax backward 3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from tests.harness import Row, aten, backward_of, direct, flops_per_output, m

ELEM, ACT = "elementwise", "activation"


def x() -> torch.Tensor:
    return m(2, 3, 4)  # 24 elements


def y() -> torch.Tensor:
    return m(3, 1)  # broadcasts against x to 2 x 3 x 4


def i() -> torch.Tensor:
    return m(2, 3, 4, dtype=torch.int64)


def b() -> torch.Tensor:
    return m(2, 3, 4, dtype=torch.bool)


Args = Callable[[], tuple[Any, ...]]
UNARY: Args = lambda: (x(),)  # noqa: E731
BINARY: Args = lambda: (x(), y())  # noqa: E731
# the arguments each operator takes (unary float by default)
ARGS: dict[str, Args] = {
    **{n: BINARY for n in ("add", "sub", "mul", "div", "rsub", "atan2", "maximum", "minimum",
                           "fmax", "fmin", "remainder", "fmod", "eq", "ne", "lt", "le", "gt",
                           "ge", "floor_divide", "true_divide", "hypot", "pow")},
    **{n: lambda: (b(), b()) for n in ("logical_and", "logical_or", "logical_xor")},
    **{n: lambda: (i(), i()) for n in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    "bitwise_not": lambda: (i(),), "logical_not": lambda: (b(),),
    "clamp": lambda: (x(), 0.0, 1.0), "clamp_min": lambda: (x(), 0.0),
    "clamp_max": lambda: (x(), 1.0), "native_dropout": lambda: (x(), 0.5, True),
    "addcmul": lambda: (x(), x(), y()), "addcdiv": lambda: (x(), x(), y()),
    "lerp": lambda: (x(), y(), 0.5), "threshold": lambda: (x(), 0.0, 0.0),
    "glu": lambda: (x(), -1), "_prelu_kernel": lambda: (x(), m(4)),
    "rrelu_with_noise": lambda: (x(), x(), 0.1, 0.3, False),
    "_softmax": lambda: (x(), -1, False), "_log_softmax": lambda: (x(), 1, False),
    "_safe_softmax": lambda: (x(), -1),
}
# per-element FLOPs of each registered family (docs/counting.md)
PER_ELEMENT = {"addcmul": 2, "addcdiv": 2, "lerp": 2, "_softmax": 5, "_log_softmax": 5,
               "_safe_softmax": 5}
ACTIVATIONS = {"relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
               "hardtanh", "leaky_relu", "elu", "celu", "selu", "softplus", "mish", "glu",
               "_prelu_kernel", "threshold", "log_sigmoid_forward", "rrelu_with_noise",
               "softshrink", "hardshrink", "_softmax", "_log_softmax", "_safe_softmax"}
ELEMENTWISE = ("add", "sub", "mul", "div", "rsub", "neg", "reciprocal", "sqrt", "rsqrt", "exp",
               "exp2", "expm1", "log", "log2", "log10", "log1p", "pow", "abs", "sign", "sgn",
               "clamp", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
               "remainder", "fmod", "floor", "ceil", "round", "trunc", "frac", "sin", "cos",
               "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "erf", "erfc", "erfinv",
               "square", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
               "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
               "bitwise_not", "floor_divide", "true_divide", "nan_to_num", "hypot",
               "native_dropout", "addcmul", "addcdiv", "lerp")


# decomposed into other operators before the dispatcher in this torch (square is pow,
# true_divide div, selu elu; mish's backward and dropout's are made of elementwise ones):
# their calls are given as shapes
DECOMPOSED = {"square", "true_divide", "selu", "mish_backward", "native_dropout_backward"}


def _row(name: str, in_place: bool) -> Row | None:
    packet = getattr(aten, name + ("_" if in_place else ""), None)
    if packet is None:
        return None
    make = ARGS.get(name, UNARY)
    category = ACT if name in ACTIVATIONS else ELEM
    run = direct(packet, make(), (2, 3, 4)) if name in DECOMPOSED else lambda: packet(*make())
    return Row(packet, run,
               flops_per_output(category, PER_ELEMENT.get(name, 1)),
               "in-place" if in_place else "broadcast")


ROWS: list[Row] = [r for name in (*ELEMENTWISE, *sorted(ACTIVATIONS)) for in_place in
                   (False, True) if (r := _row(name, in_place)) is not None]


# ---- backward kernels, from autograd of the forward on meta: 1 FLOP per element, softmax
# backward 3 (g * y, a row sum, y * (g - sum))
def _grad(fn: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, ...] = (2, 3, 4),
          ) -> Callable[[], None]:
    return lambda: backward_of(fn(m(*shape, grad=True)))


BACKWARD: dict[str, Callable[[], None]] = {
    "threshold_backward": _grad(F.relu), "gelu_backward": _grad(F.gelu),
    "silu_backward": _grad(F.silu), "sigmoid_backward": _grad(torch.sigmoid),
    "tanh_backward": _grad(torch.tanh), "hardtanh_backward": _grad(F.hardtanh),
    "hardswish_backward": _grad(F.hardswish), "hardsigmoid_backward": _grad(F.hardsigmoid),
    "leaky_relu_backward": _grad(F.leaky_relu), "elu_backward": _grad(F.elu),
    "softplus_backward": _grad(F.softplus), "mish_backward": _grad(F.mish),
    "log_sigmoid_backward": _grad(F.logsigmoid), "glu_backward": _grad(F.glu),
    "_prelu_kernel_backward": lambda: backward_of(F.prelu(m(2, 3, 4, grad=True),
                                                          m(3, grad=True))),
    "rrelu_with_noise_backward": _grad(lambda t: F.rrelu(t, training=False)),
    "softshrink_backward": _grad(F.softshrink), "hardshrink_backward": _grad(F.hardshrink),
    "native_dropout_backward": _grad(lambda t: F.dropout(t, 0.5, training=True)),
    "_softmax_backward_data": _grad(lambda t: t.softmax(-1)),
    "_log_softmax_backward_data": _grad(lambda t: t.log_softmax(1)),
}
BACKWARD["mish_backward"] = direct(aten.mish_backward, (x(), x()), (2, 3, 4))
BACKWARD["native_dropout_backward"] = direct(aten.native_dropout_backward, (x(), b(), 2.0),
                                             (2, 3, 4))
for _name, _run in BACKWARD.items():
    _per = 3 if "softmax" in _name else 1
    _cat = ELEM if _name == "native_dropout_backward" else ACT
    ROWS.append(Row(getattr(aten, _name), _run, flops_per_output(_cat, _per), "autograd"))
