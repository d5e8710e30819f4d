"""Output shapes of a ResNet's ops on meta tensors, computed in plain Python.

Tracing on the meta device computes nothing, but torch answers many meta ops through
Python decompositions and reference implementations: batch-norm costs ~650 us a call,
ReLU ~200 us, and the first call of some (the mean inside adaptive average pooling)
imports torch._dynamo and sympy, about a second on a small machine. The output of every
op a residual network uses is a shape rule from the PyTorch docs, so `MetaShapes` (a torch
function mode, active only while `trace` runs on meta) answers those ops with an empty
meta tensor of the right shape and dtype.

The rules only answer calls they cover completely (numeric padding, matching channels,
positive output sizes); anything else, including every call that should raise an error,
falls through to torch's own meta kernels, which give the authoritative answer or message.
tests/test_trace_speed.py checks every layer's shape against torch's kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from resnet_inspect.counting.meta_ops import int_tuple, registrar, window_length

Rule = Callable[..., "list[int] | torch.Tensor | None"]
_RULES: dict[Any, Rule] = {}
# concrete types, not collections.abc.Sequence: an ABC isinstance costs microseconds per call
_SEQ = (tuple, list, torch.Size)


_rule = registrar(_RULES)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str,
         default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


# the shape arithmetic is the dispatch-level rules' own (meta_ops.py), written once
_tuple = int_tuple
_window_out = window_length


@_rule(torch.conv1d, torch.conv2d, torch.conv3d)
def _conv(*args: Any, **kwargs: Any) -> list[int] | None:
    x, weight = args[0], _arg(args, kwargs, 1, "weight", None)
    if not isinstance(weight, torch.Tensor):
        return None
    n = weight.dim() - 2
    stride = _tuple(_arg(args, kwargs, 3, "stride", 1), n)
    padding = _tuple(_arg(args, kwargs, 4, "padding", 0), n)
    dilation = _tuple(_arg(args, kwargs, 5, "dilation", 1), n)
    groups = _arg(args, kwargs, 6, "groups", 1)
    if stride is None or padding is None or dilation is None or not isinstance(groups, int):
        return None
    if x.dim() != n + 2 or x.shape[1] != weight.shape[1] * groups:
        return None
    spatial = [
        _window_out(x.shape[2 + i], weight.shape[2 + i], stride[i], padding[i], dilation[i], False)
        for i in range(n)
    ]
    return [x.shape[0], weight.shape[0], *spatial]


def _pool(x: torch.Tensor, n: int, kernel: Any, stride: Any, padding: Any, dilation: Any,
          ceil_mode: Any) -> list[int] | None:
    k = _tuple(kernel, n)
    s = _tuple(stride, n) if stride not in (None, [], ()) else k
    p, d = _tuple(padding, n), _tuple(dilation, n)
    if k is None or s is None or p is None or d is None or x.dim() != n + 2:
        return None
    if any(2 * p[i] > k[i] for i in range(n)):  # torch rejects it: let it say so
        return None
    spatial = [
        _window_out(x.shape[2 + i], k[i], s[i], p[i], d[i], bool(ceil_mode)) for i in range(n)
    ]
    return [x.shape[0], x.shape[1], *spatial]


@_rule(F.max_pool2d)
def _max_pool2d(*args: Any, **kwargs: Any) -> list[int] | None:
    if _arg(args, kwargs, 6, "return_indices", False):
        return None
    return _pool(args[0], 2, _arg(args, kwargs, 1, "kernel_size", None),
                 _arg(args, kwargs, 2, "stride", None), _arg(args, kwargs, 3, "padding", 0),
                 _arg(args, kwargs, 4, "dilation", 1), _arg(args, kwargs, 5, "ceil_mode", False))


@_rule(F.avg_pool2d)
def _avg_pool2d(*args: Any, **kwargs: Any) -> list[int] | None:
    return _pool(args[0], 2, _arg(args, kwargs, 1, "kernel_size", None),
                 _arg(args, kwargs, 2, "stride", None), _arg(args, kwargs, 3, "padding", 0),
                 1, _arg(args, kwargs, 4, "ceil_mode", False))


@_rule(F.adaptive_avg_pool2d)
def _adaptive_pool2d(*args: Any, **kwargs: Any) -> list[int] | None:
    x, size = args[0], _arg(args, kwargs, 1, "output_size", None)
    if x.dim() != 4:
        return None
    if isinstance(size, int):
        size = (size, size)
    if not isinstance(size, _SEQ) or len(size) != 2:
        return None
    out = [x.shape[2 + i] if v is None else v for i, v in enumerate(size)]
    if not all(isinstance(v, int) and v > 0 for v in out):
        return None
    return [x.shape[0], x.shape[1], *out]


@_rule(torch.flatten, torch.Tensor.flatten)
def _flatten(*args: Any, **kwargs: Any) -> list[int] | None:
    x = args[0]
    start, end = _arg(args, kwargs, 1, "start_dim", 0), _arg(args, kwargs, 2, "end_dim", -1)
    if not isinstance(start, int) or not isinstance(end, int) or x.dim() == 0:
        return None
    shape = list(x.shape)
    start, end = start % len(shape), end % len(shape)
    if start > end:
        return None
    merged = 1
    for d in shape[start : end + 1]:
        merged *= d
    return [*shape[:start], merged, *shape[end + 1 :]]


@_rule(F.linear)
def _linear(*args: Any, **kwargs: Any) -> list[int] | None:
    x, weight = args[0], _arg(args, kwargs, 1, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2 or x.dim() < 1:
        return None
    if x.shape[-1] != weight.shape[1]:
        return None
    return [*x.shape[:-1], weight.shape[0]]


@_rule(F.pad)
def _pad(*args: Any, **kwargs: Any) -> list[int] | None:
    x, pad = args[0], _arg(args, kwargs, 1, "pad", None)
    if _arg(args, kwargs, 2, "mode", "constant") != "constant":
        return None
    if not isinstance(pad, _SEQ) or len(pad) % 2 or len(pad) // 2 > x.dim():
        return None
    shape = list(x.shape)
    for i in range(len(pad) // 2):
        axis = len(shape) - 1 - i
        shape[axis] += pad[2 * i] + pad[2 * i + 1]
    return shape if all(d >= 0 for d in shape) else None


@_rule(F.dropout, F.dropout2d)
def _dropout(*args: Any, **kwargs: Any) -> list[int] | torch.Tensor | None:
    if _arg(args, kwargs, 2, "training", True):
        return None  # random masks are torch's business
    return args[0] if _arg(args, kwargs, 3, "inplace", False) else list(args[0].shape)


@_rule(F.batch_norm, F.relu, F.relu6, torch.relu, torch.Tensor.relu, torch.sigmoid,
       torch.Tensor.sigmoid, torch.tanh, torch.Tensor.tanh, F.silu, F.gelu, F.hardswish)
def _same(*args: Any, **kwargs: Any) -> list[int] | torch.Tensor | None:
    x = args[0]
    if kwargs.get("inplace") or (len(args) > 1 and args[1] is True and not kwargs):
        return x  # F.relu(x, True): the input itself, as torch returns it
    return list(x.shape)


@_rule(torch.relu_, torch.Tensor.relu_, torch.Tensor.__iadd__, torch.Tensor.add_)
def _in_place(*args: Any, **kwargs: Any) -> torch.Tensor | None:
    x, other = args[0], args[1] if len(args) > 1 else None
    if other is not None and not (isinstance(other, torch.Tensor) and other.shape == x.shape):
        return None  # broadcasting in place: let torch check it
    return x


@_rule(torch.Tensor.add, torch.Tensor.__add__, torch.add)
def _add(*args: Any, **kwargs: Any) -> list[int] | None:
    x, other = args[0], _arg(args, kwargs, 1, "other", None)
    if isinstance(other, torch.Tensor) and other.shape == x.shape and other.dtype == x.dtype:
        return list(x.shape)
    return None  # broadcasting or type promotion: torch's own rules


class MetaShapes(torch.overrides.TorchFunctionMode):
    """Answer covered ops on meta tensors from `_RULES`; everything else runs as usual.

    `keep` names functions to leave to torch even when a rule covers them: a dispatch-level
    counter (torch.utils.flop_counter) must see the convolutions and matmuls it counts.
    """

    def __init__(self, keep: tuple[Any, ...] = ()) -> None:
        super().__init__()
        self.rules = {f: r for f, r in _RULES.items() if f not in keep}

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        rule = self.rules.get(func)
        if rule is not None and args:
            x = args[0]
            if isinstance(x, torch.Tensor) and x.device.type == "meta":
                out = rule(*args, **kwargs)
                if isinstance(out, torch.Tensor):
                    return out
                if out is not None and all(d > 0 for d in out):
                    return torch.empty(out, dtype=x.dtype, device="meta")
        return func(*args, **kwargs)


# What a FLOP counter working below torch functions counts: leave these to torch.
MATMUL_AND_CONV = (torch.conv1d, torch.conv2d, torch.conv3d, F.linear)


def covered() -> list[str]:
    """Names of the ops answered without torch's meta kernels (for docs and tests)."""
    return sorted({getattr(f, "__name__", str(f)) for f in _RULES})
