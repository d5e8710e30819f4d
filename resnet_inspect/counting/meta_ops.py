"""Output shapes of common ATen operators on meta tensors, computed in plain Python.

On the meta device torch computes nothing, but many meta kernels are Python reference
implementations: one batch-norm call costs ~1.5 ms, layer-norm ~2 ms, an add ~0.2 ms. The
tracer's dispatch mode answers the operators below from these rules instead (a few
microseconds each), so ResNet-152 traces in tens of milliseconds.

A rule answers only a call it covers completely and returns None otherwise; the call then
goes to torch's own meta kernel, which gives the authoritative answer or error message.
Covered means: every tensor on meta (a model's host-side arithmetic, `torch.arange(4.) +
...` on the CPU during a meta trace, runs on the CPU as it would anywhere), contiguous
inputs wherever the output's layout follows the input's (torch's kernels give a
transposed input's activation a transposed output, and the layout decides later whether
`F.linear` runs as one addmm or a matmul and an add: the figures must not depend on the
device), matching shapes and dtypes, plain strides and padding, positive sizes. Every
output is contiguous, as torch's kernels make it for those inputs.
tests/test_meta_ops.py checks every rule against torch's kernels: shapes, dtypes, strides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from resnet_inspect.private import DispatchMode

aten = torch.ops.aten
Rule = Callable[[Sequence[Any], dict[str, Any]], Any]
RULES: dict[Any, Rule] = {}  # OpOverload -> rule


def registrar(table: dict[Any, Any]) -> Callable[..., Callable[[Any], Any]]:
    """A decorator factory: `@rule(op, ...)` files the function under each op in `table`."""
    def rule(*ops: Any) -> Callable[[Any], Any]:
        def wrap(fn: Any) -> Any:
            for op in ops:
                table[op] = fn
            return fn

        return wrap

    return rule


_rule = registrar(RULES)


_META = torch.device("meta")  # not the string: parsed again on every call


def _empty(shape: Sequence[int], like: torch.Tensor, dtype: torch.dtype | None = None,
           layout: torch.memory_format = torch.contiguous_format) -> Any:
    if shape and min(shape) <= 0:
        return None  # let torch say what is wrong
    return torch.empty(shape, dtype=dtype or like.dtype, device=_META, memory_format=layout)


_CHANNELS_LAST = torch.channels_last


def _channels_last(t: torch.Tensor) -> bool:
    """Whether a 4-D tensor is laid out channels-last (and not also plainly contiguous,
    as a tensor with one channel or a 1x1 image can be both)."""
    return t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(
        memory_format=_CHANNELS_LAST)


def _layout_of(*ts: torch.Tensor) -> torch.memory_format:
    """The output layout the CPU and CUDA kernels of a convolution or a norm give: channels
    last when an operand is (oneDNN's and cuDNN's rule, input or weight), otherwise
    contiguous, whatever other strides the input has. torch's own meta kernels give some
    of these outputs contiguous instead (a channels-last convolution, a transposed batch-
    norm input), so the rules answer every layout here rather than leave it to them."""
    return _CHANNELS_LAST if any(_channels_last(t) for t in ts) else torch.contiguous_format


def int_tuple(value: Any, n: int) -> tuple[int, ...] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, (list, tuple, torch.Size)):
        values = tuple(value)
        if len(values) == 1 and n > 1:
            values = values * n
        if len(values) == n and all(isinstance(v, int) for v in values):
            return values
    return None


def window_length(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil: bool) -> int:
    """Output length of a conv or pooling window on one axis (PyTorch docs, Conv2d and
    MaxPool2d 'Shape'); with ceil_mode the last window must start inside the input or the
    left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@_rule(aten.convolution.default)
def _convolution(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, w, _, stride, padding, dilation, transposed, output_padding, groups = args
    if not (x.is_meta and w.is_meta) or x.dtype != w.dtype:
        return None
    n = w.dim() - 2
    s, p, d = int_tuple(stride, n), int_tuple(padding, n), int_tuple(dilation, n)
    if s is None or p is None or d is None or x.dim() != n + 2:
        return None
    layout = _layout_of(x, w)
    if transposed:
        q = int_tuple(output_padding, n)
        if q is None or x.shape[1] != w.shape[0]:
            return None
        # ConvTranspose2d 'Shape': (in - 1) stride - 2 pad + dilation (k - 1) + out_pad + 1
        spatial = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w.shape[2 + i] - 1)
                   + q[i] + 1 for i in range(n)]
        return _empty([x.shape[0], w.shape[1] * groups, *spatial], x, layout=layout)
    if x.shape[1] != w.shape[1] * groups:
        return None
    spatial = [window_length(x.shape[2 + i], w.shape[2 + i], s[i], p[i], d[i], False)
               for i in range(n)]
    return _empty([x.shape[0], w.shape[0], *spatial], x, layout=layout)


def _stats_dtype(x: torch.Tensor) -> torch.dtype:
    # torch's meta kernels keep a half-precision input's statistics in float32
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


def _stats(x: torch.Tensor, channels: int) -> Any:
    return torch.empty((channels,), dtype=_stats_dtype(x), device=_META)


@_rule(aten.native_batch_norm.default)
def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, weight = args[0], args[1]
    if not x.is_meta or x.dim() < 2 or (weight is not None and weight.shape != (x.shape[1],)):
        return None
    out = _empty(x.shape, x, layout=_layout_of(x))
    return None if out is None else (out, _stats(x, x.shape[1]), _stats(x, x.shape[1]))


@_rule(aten._native_batch_norm_legit_no_training.default)
def _batch_norm_eval(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _batch_norm(args, kwargs)


@_rule(aten.native_layer_norm.default)
def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, normalized = args[0], list(args[1])
    if not (x.is_meta and x.is_contiguous()):
        return None
    k = len(normalized)
    if k == 0 or x.dim() < k or list(x.shape[-k:]) != normalized:
        return None
    out = _empty(x.shape, x)
    stats = [*x.shape[:-k], *([1] * k)]
    if out is None:
        return None
    return (out, torch.empty(stats, dtype=_stats_dtype(x), device=_META),
            torch.empty(stats, dtype=_stats_dtype(x), device=_META))


@_rule(aten.native_group_norm.default)
def _group_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, n, groups = args[0], args[3], args[6]
    if not x.is_meta:
        return None
    out = _empty(x.shape, x, layout=_layout_of(x))
    if out is None:
        return None
    return (out, torch.empty((n, groups), dtype=_stats_dtype(x), device=_META),
            torch.empty((n, groups), dtype=_stats_dtype(x), device=_META))


def _same_shape(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    if not (x.is_meta and x.is_contiguous() and x.is_floating_point()):
        return None
    return _empty(x.shape, x)


def _in_place(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    return x if x.is_meta else None


_UNARY = ("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "hardtanh",
          "leaky_relu", "elu", "mish", "softplus")
for _name in _UNARY:
    _packet = getattr(aten, _name)
    RULES[_packet.default] = _same_shape
    _inplace = getattr(aten, _name + "_", None)
    if _inplace is not None:
        RULES[_inplace.default] = _in_place
RULES[aten._softmax.default] = _same_shape
RULES[aten._safe_softmax.default] = _same_shape
RULES[aten._log_softmax.default] = _same_shape


@_rule(aten.add.Tensor, aten.sub.Tensor, aten.mul.Tensor, aten.div.Tensor)
def _binary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, y = args[0], args[1]
    if kwargs.get("rounding_mode") is not None or not isinstance(y, torch.Tensor):
        return None
    if y.shape != x.shape or y.dtype != x.dtype or not x.is_floating_point():
        return None  # broadcasting and type promotion: torch's own rules
    if x.is_meta and y.is_meta and x.is_contiguous() and y.is_contiguous():
        return _empty(x.shape, x)
    return None


@_rule(aten.add_.Tensor, aten.sub_.Tensor, aten.mul_.Tensor, aten.div_.Tensor)
def _binary_in_place(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, y = args[0], args[1]
    if not x.is_meta or (isinstance(y, torch.Tensor) and (
            y.shape != x.shape or y.dtype != x.dtype or not y.is_meta)):
        return None
    return x


@_rule(aten.mul.Scalar, aten.add.Scalar, aten.div.Scalar, aten.sub.Scalar)
def _scalar(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    if not (x.is_meta and x.is_contiguous() and x.is_floating_point()):
        return None
    return _empty(x.shape, x)


def _pool_shape(args: Sequence[Any], dilated: bool) -> list[int] | None:
    """Output shape of a 2-D max or average pool from its ATen arguments: (x, kernel, stride,
    padding[, dilation], ceil_mode); None where torch would refuse it (let it say so)."""
    x = args[0]
    k = int_tuple(args[1], 2)
    s = int_tuple(args[2], 2) if len(args) > 2 and args[2] not in ([], ()) else k
    p = int_tuple(args[3] if len(args) > 3 else 0, 2)
    d = int_tuple(args[4] if dilated and len(args) > 4 else 1, 2)
    ceil_at = 5 if dilated else 4
    ceil = bool(args[ceil_at]) if len(args) > ceil_at else False
    if k is None or s is None or p is None or d is None or x.dim() != 4:
        return None
    if not (x.is_meta and x.is_contiguous()) or any(2 * p[i] > k[i] for i in range(2)):
        return None
    return [x.shape[0], x.shape[1],
            *(window_length(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil) for i in range(2))]


@_rule(aten.max_pool2d_with_indices.default)
def _max_pool2d(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    shape = _pool_shape(args, dilated=True)
    out = None if shape is None else _empty(shape, args[0])
    if shape is None or out is None:
        return None
    return out, torch.empty(shape, dtype=torch.int64, device=_META)


@_rule(aten.mean.dim, aten.sum.dim_IntList)
def _reduce(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    dims = args[1] if len(args) > 1 else kwargs.get("dim")
    keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if kwargs.get("dtype") is not None or not x.is_floating_point() or not dims:
        return None
    if not (x.is_meta and x.is_contiguous()):
        return None
    if isinstance(dims, int):
        dims = [dims]
    axes = {d % x.dim() for d in dims}
    shape = [1 if i in axes else n for i, n in enumerate(x.shape)] if keep else [
        n for i, n in enumerate(x.shape) if i not in axes]
    return torch.empty(shape, dtype=x.dtype, device=_META)


def _matrix_product(a: torch.Tensor, b: torch.Tensor) -> Any:
    # the output is contiguous whatever the inputs' layout, on every device
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0] or a.dtype != b.dtype:
        return None
    if not (a.is_meta and b.is_meta):
        return None
    return _empty([a.shape[0], b.shape[1]], a)


@_rule(aten.addmm.default)
def _addmm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _matrix_product(args[1], args[2])


@_rule(aten.mm.default)
def _mm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _matrix_product(args[0], args[1])


@_rule(aten.bmm.default)
def _bmm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[0], args[1]
    if a.dim() != 3 or b.dim() != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        return None
    if not (a.is_meta and b.is_meta):
        return None
    return _empty([a.shape[0], a.shape[1], b.shape[2]], a) if a.dtype == b.dtype else None


@_rule(aten.avg_pool2d.default)
def _avg_pool2d(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    shape = None if kwargs else _pool_shape(args, dilated=False)
    return None if shape is None else _empty(shape, args[0])


@_rule(aten._adaptive_avg_pool2d.default)
def _adaptive_avg_pool2d(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, size = args[0], int_tuple(args[1], 2)
    if size is None or x.dim() != 4 or not (x.is_meta and x.is_contiguous()):
        return None
    return _empty([x.shape[0], x.shape[1], *size], x)


class MetaRules(DispatchMode):
    """The rules above as a dispatch mode of their own, for code that runs a model on meta
    outside the counter (the other tools `check` runs): covered operators are answered from
    RULES, everything else by torch. Entered before another dispatch mode (torch's
    FlopCounterMode), it answers the calls that mode passes on, so the mode still sees
    every operator. The one shape layer: the counter reads the same RULES."""

    def __torch_dispatch__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        rule = RULES.get(func)
        out = rule(args, kwargs) if rule is not None else None
        return func(*args, **kwargs) if out is None else out


class Autocast(torch.overrides.TorchFunctionMode):
    """Mixed precision as torch.autocast does it on CUDA, on any device, meta included
    (autocast itself does not apply to meta tensors): the operators on autocast's float16
    list run with their floating inputs cast to `dtype`, those on its float32 list in
    float32, everything else in the dtypes it is given. The casts happen above autograd,
    as autocast's do, so what autograd saves is what it would save under autocast."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.dtype = dtype
        import torch.nn.functional as F

        # PyTorch's "CUDA Ops that can autocast to float16" and "to float32" (torch.amp docs)
        self.lower = {F.conv1d, F.conv2d, F.conv3d, F.conv_transpose1d, F.conv_transpose2d,
                      F.conv_transpose3d, F.linear, torch.matmul, torch.mm, torch.bmm,
                      torch.addmm, torch.baddbmm, torch.addbmm, torch.Tensor.__matmul__,
                      torch.Tensor.matmul, torch.Tensor.mm, torch.Tensor.bmm, F.prelu,
                      F.scaled_dot_product_attention, torch.conv1d, torch.conv2d, torch.conv3d}
        self.full = {F.softmax, F.log_softmax, torch.softmax, torch.log_softmax,
                     torch.Tensor.softmax, torch.Tensor.log_softmax, F.layer_norm,
                     F.group_norm, torch.exp, torch.log, torch.pow, torch.cumsum, F.normalize,
                     torch.Tensor.sum, torch.sum, torch.Tensor.pow, F.cross_entropy, F.nll_loss,
                     F.mse_loss}

    def __torch_function__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func in self.lower:
            args, kwargs = _cast(args, self.dtype), _cast(kwargs, self.dtype)
        elif func in self.full:
            args, kwargs = _cast(args, torch.float32), _cast(kwargs, torch.float32)
        return func(*args, **kwargs)


def _cast(value: Any, dtype: torch.dtype) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() and value.dtype != dtype else value
    if isinstance(value, (tuple, list)):
        return type(value)(_cast(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    return value
