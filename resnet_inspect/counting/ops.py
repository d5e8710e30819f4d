"""Operator-level counting: one registry, one small formula per ATen operator family.

The tracer (trace.py) sees every ATen operator a forward pass runs, through a
TorchDispatchMode, and asks this registry what each one costs. That is why a model's own
`forward` is counted as well as its layers: `F.linear`, `q @ k.transpose(-2, -1)`,
`out += identity` and attention all arrive here as the same few operators.

Convention, stated once and printed with every report:
- A MAC is one multiply-accumulate. The headline is the MACs of products: convolution,
  matmuls with a weight (mm, addmm: `nn.Linear`, `F.linear`, `x @ W`) and batched matmuls
  (bmm, baddbmm, scaled-dot-product attention). That is the ResNet paper's "FLOPs
  (multiply-adds)" and torchvision's GFLOPS. FLOPs = 2 x MACs for them, as
  torch.utils.flop_counter counts. Biases are not counted.
- Batch-norm in eval mode folds to y = x * scale + shift: 1 MAC per element. A norm that
  computes its statistics (layer, group, instance, RMS norm, batch-norm in training) counts
  4 MACs per element with a scale and shift (mean, variance, normalise, scale-and-shift), 3
  without; RMS norm 2 and 1 (mean square, normalise [, scale]).
- Activations are 1 FLOP per element, softmax and log-softmax 5 (max, subtract, exp, sum,
  divide). Max pooling counts k - 1 comparisons per output, average pooling k (k - 1 adds
  and a divide), reductions (mean, sum, max) one per input element. Elementwise arithmetic
  (the residual add among it) is 1 FLOP per output element, 2 for fused ones (addcmul).
  Interpolation counts the products and sums per output (bilinear 7, bicubic 31); nearest
  neighbour copies and counts none.
- Operators that only move or view data are an explicit list (`NO_ARITHMETIC`). Anything
  else has no formula: the report names it with its call count, never a silent zero.

Formulas take shapes, never tensors, so they run the same on every device, meta included.
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


def _packets(names: Sequence[str], in_place: bool = False) -> list[Any]:
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


def _arg(args: Sequence[Any], kwargs: dict[str, Any], index: int, name: str,
         default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _mac(category: Category, macs: int) -> OpCount:
    return OpCount(category, macs, 2 * macs)


# ------------------------------------------------------------------------ products


@formula(aten.convolution, aten._convolution)
def convolution(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, w = args[0], args[1]
    transposed = bool(_arg(args, kwargs, 6, "transposed", False))
    # weight is [C_out, C_in / groups, *k] (transposed: [C_in, C_out / groups, *k]); every
    # output element takes (C_in / groups) x prod(k) MACs, and in a transposed conv every
    # input element scatters into (C_out / groups) x prod(k) outputs
    return _mac(Category.CONV, numel(x if transposed else out) * numel(w[1:]))


@formula(aten.mm)
def mm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # a [M, K] @ b [K, N] -> [M, N]: M x N x K
    return _mac(Category.LINEAR, numel(out) * args[0][1])


@formula(aten.addmm, aten._addmm_activation)
def addmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # bias + a [M, K] @ b [K, N]: M x N x K (the bias add is not counted)
    return _mac(Category.LINEAR, numel(out) * args[1][1])


@formula(aten.mv)
def mv(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _mac(Category.LINEAR, numel(args[0]))  # [M, K] x [K]: M x K


@formula(aten.addmv)
def addmv(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _mac(Category.LINEAR, numel(args[1]))


@formula(aten.dot, aten.vdot)
def dot(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _mac(Category.LINEAR, args[0][0])


@formula(aten.bmm)
def bmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # a [B, M, K] @ b [B, K, N]: B x M x N x K
    return _mac(Category.ATTENTION, numel(out) * args[0][2])


@formula(aten.baddbmm, aten.addbmm)
def baddbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    a, b = args[1], args[2]  # c + a [B, M, K] @ b [B, K, N] (addbmm sums over B)
    return _mac(Category.ATTENTION, a[0] * a[1] * a[2] * b[2])


def _attention(batch_heads: int, q_len: int, kv_len: int, e_qk: int, e_v: int) -> Counts:
    # Q K^T: L x S x E_qk and P V: L x S x E_v MACs per batch and head; the softmax over the
    # L x S scores counts as softmax does elsewhere (5 FLOPs per element)
    macs = batch_heads * q_len * kv_len * (e_qk + e_v)
    return (_mac(Category.ATTENTION, macs),
            OpCount(Category.ACTIVATION, 0, 5 * batch_heads * q_len * kv_len))


@formula(aten._scaled_dot_product_flash_attention, aten._scaled_dot_product_efficient_attention,
         aten._scaled_dot_product_cudnn_attention,
         aten._scaled_dot_product_flash_attention_for_cpu,
         *_packets(["_scaled_dot_product_fused_attention_overrideable"]))
def fused_attention(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    q, k, v = args[0], args[1], args[2]  # [B, H, L, E], [B, H, S, E], [B, H, S, E_v]
    return _attention(numel(q[:-2]), q[-2], k[-2], q[-1], v[-1])


@formula(aten._flash_attention_forward, aten._efficient_attention_forward)
def attention_kernel(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    q, k, v = args[0], args[1], args[2]  # [B, L, H, E], [B, S, H, E], [B, S, H, E_v]
    return _attention(q[0] * q[2], q[1], k[1], q[3], v[3])


# --------------------------------------------------------------------------- norms


@formula(aten.native_batch_norm, aten._native_batch_norm_legit, aten.cudnn_batch_norm,
         aten.miopen_batch_norm)
def batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # (input, weight, bias, running_mean, running_var, training, momentum, eps); the
    # no-stats overload of _native_batch_norm_legit has no running buffers (5 args fewer)
    training = _arg(args, kwargs, 5, "training", False)
    if not isinstance(training, bool):  # _native_batch_norm_legit(x, w, b, training, ...)
        training = bool(args[3])
    if not training:
        return _mac(Category.NORM, numel(args[0]))  # folds to x * scale + shift
    return _statistics_norm(args[0], args[1] is not None)


@formula(aten._native_batch_norm_legit_no_training)
def batch_norm_eval(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _mac(Category.NORM, numel(args[0]))


@formula(aten._native_batch_norm_legit_functional)
def batch_norm_functional(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    if not args[5]:
        return _mac(Category.NORM, numel(args[0]))
    return _statistics_norm(args[0], args[1] is not None)


def _statistics_norm(x: Shape, affine: bool) -> OpCount:
    # mean, variance, normalise, then scale-and-shift when the norm has one
    return _mac(Category.NORM, numel(x) * (4 if affine else 3))


@formula(aten.native_layer_norm)
def layer_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _statistics_norm(args[0], _arg(args, kwargs, 2, "weight") is not None)


@formula(aten.native_group_norm)
def group_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _statistics_norm(args[0], _arg(args, kwargs, 1, "weight") is not None)


@formula(*_packets(["_fused_rms_norm"]))
def rms_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # mean of squares, normalise, then the scale when there is one
    scale = _arg(args, kwargs, 2, "weight") is not None
    return _mac(Category.NORM, numel(args[0]) * (3 if scale else 2))


# --------------------------------------------------------------------- activations


def _per_output(category: Category, per_element: int) -> Formula:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
        return OpCount(category, 0, per_element * numel(out))

    return count


ACTIVATIONS = ("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
               "hardtanh", "leaky_relu", "elu", "celu", "selu", "softplus", "mish", "glu",
               "_prelu_kernel", "threshold", "log_sigmoid_forward", "rrelu_with_noise",
               "softshrink", "hardshrink")
formula(*_packets(ACTIVATIONS, in_place=True))(_per_output(Category.ACTIVATION, 1))
formula(aten._softmax, aten._log_softmax, aten._safe_softmax)(
    _per_output(Category.ACTIVATION, 5))


# ------------------------------------------------------------- pooling, reductions


@formula(aten.max_pool2d_with_indices, aten.max_pool3d_with_indices, aten.max_pool2d,
         aten.max_pool1d, aten.max_pool3d, aten.max_pool1d_with_indices)
def max_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, kernel = args[0], _arg(args, kwargs, 1, "kernel_size")
    dims = len(x) - 2 if len(x) > 2 else 1
    window = numel(kernel) if len(kernel) == dims else kernel[0] ** dims
    # the max of k values takes k - 1 comparisons
    return OpCount(Category.POOL, 0, numel(out) * (window - 1))


@formula(aten.avg_pool1d, aten.avg_pool2d, aten.avg_pool3d)
def avg_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, kernel = args[0], _arg(args, kwargs, 1, "kernel_size")
    dims = len(x) - 2 if len(x) > 2 else 1
    window = numel(kernel) if len(kernel) == dims else kernel[0] ** dims
    # k - 1 additions and one division per output
    return OpCount(Category.POOL, 0, numel(out) * window)


@formula(aten._adaptive_avg_pool2d, aten._adaptive_avg_pool3d, aten.adaptive_max_pool2d,
         aten.adaptive_max_pool3d, aten.mean, aten.sum, aten.amax, aten.amin, aten.max,
         aten.min, aten.argmax, aten.argmin, aten.prod, aten.logsumexp, aten.cumsum,
         aten.norm, aten.linalg_vector_norm, aten.any, aten.all)
def reduction(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # each input element is taken into its window once (n - 1 adds or comparisons, and a
    # divide for a mean, per window): one per input element
    x = args[0]
    return OpCount(Category.POOL, 0, numel(x) if isinstance(x, tuple) else 0)


@formula(aten.var, aten.std, aten.var_mean, aten.std_mean)
def variance(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # mean (1), then a subtract and a squared accumulate (2) per input element
    return OpCount(Category.POOL, 0, 3 * numel(args[0]))


formula(*_packets(["upsample_linear1d"]))(_per_output(Category.POOL, 3))
formula(*_packets(["upsample_bilinear2d", "_upsample_bilinear2d_aa"]))(
    _per_output(Category.POOL, 7))  # 4 products and 3 sums per output
formula(*_packets(["upsample_trilinear3d"]))(_per_output(Category.POOL, 15))
formula(*_packets(["upsample_bicubic2d", "_upsample_bicubic2d_aa"]))(
    _per_output(Category.POOL, 31))  # 16 products and 15 sums per output
# nearest-neighbour interpolation copies values: no arithmetic
no_arithmetic(*_packets(["upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d",
                         "_upsample_nearest_exact1d", "_upsample_nearest_exact2d",
                         "_upsample_nearest_exact3d"]))


# ---------------------------------------------------------------------- elementwise

ELEMENTWISE = ("add", "sub", "mul", "div", "rsub", "neg", "reciprocal", "sqrt", "rsqrt", "exp",
               "exp2", "expm1", "log", "log2", "log10", "log1p", "pow", "abs", "sign", "sgn",
               "clamp", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
               "remainder", "fmod", "floor", "ceil", "round", "trunc", "frac", "sin", "cos",
               "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "erf", "erfc", "erfinv",
               "square", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
               "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
               "bitwise_not", "floor_divide", "true_divide", "nan_to_num", "hypot",
               "native_dropout")
formula(*_packets(ELEMENTWISE, in_place=True))(_per_output(Category.ELEMENTWISE, 1))
formula(*_packets(["addcmul", "addcdiv", "lerp"], in_place=True))(
    _per_output(Category.ELEMENTWISE, 2))


# ------------------------------------------------------------------------ backward
# What autograd runs for a training step. Gradients that are not needed are not computed,
# so they are not counted: the operators take an output mask (convolution_backward's
# [input, weight, bias]), and a frozen weight or the input image asks for none.


@formula(aten.convolution_backward)
def convolution_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    grad_out, x, w = args[0], args[1], args[2]
    transposed, mask = args[7], args[10]
    # the input gradient is a (transposed) convolution of grad_out with the weight, the
    # weight gradient one of grad_out with the input: each the forward's MACs; the bias
    # gradient is a sum, not counted (biases are not counted in the forward either)
    forward = numel(x if transposed else grad_out) * numel(w[1:])
    return _mac(Category.CONV, forward * (int(bool(mask[0])) + int(bool(mask[1]))))


@formula(aten.native_batch_norm_backward, aten.cudnn_batch_norm_backward,
         aten.miopen_batch_norm_backward, aten.batch_norm_backward,
         aten.native_layer_norm_backward, aten.native_group_norm_backward,
         *_packets(["_fused_rms_norm_backward"]))
def norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # two reductions over the gradient (sum g, sum g * x_hat, which also give the weight
    # and bias gradients) and the per-element combination: 4 MACs per element
    return _mac(Category.NORM, 4 * numel(args[1]))


formula(*_packets([name + "_backward" for name in (
    "threshold", "gelu", "silu", "sigmoid", "tanh", "hardtanh", "hardswish", "hardsigmoid",
    "leaky_relu", "elu", "softplus", "mish", "log_sigmoid", "glu", "_prelu_kernel",
    "rrelu_with_noise", "softshrink", "hardshrink")]))(_per_output(Category.ACTIVATION, 1))
# softmax backward: g * y, a sum per row, and y * (g - sum): 3 FLOPs per element
formula(aten._softmax_backward_data, aten._log_softmax_backward_data)(
    _per_output(Category.ACTIVATION, 3))


@formula(aten.max_pool2d_with_indices_backward, aten.max_pool3d_with_indices_backward)
def max_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[0]))  # each gradient added at its argmax


@formula(aten.avg_pool2d_backward, aten.avg_pool3d_backward)
def avg_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    kernel = args[2]
    dims = len(args[1]) - 2
    window = numel(kernel) if len(kernel) == dims else kernel[0] ** dims
    return OpCount(Category.POOL, 0, numel(args[0]) * window)  # spread over its window


@formula(aten._adaptive_avg_pool2d_backward, aten._adaptive_avg_pool3d_backward)
def adaptive_avg_pool_backward(args: Sequence[Any], kwargs: dict[str, Any],
                               out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[1]))  # one per input element


formula(aten.native_dropout_backward, aten.embedding_dense_backward)(
    _per_output(Category.ELEMENTWISE, 1))
formula(*_packets(["upsample_bilinear2d_backward"]))(_per_output(Category.POOL, 7))


@formula(*_packets(["upsample_nearest1d_backward", "upsample_nearest2d_backward",
                    "upsample_nearest3d_backward"]))
def nearest_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[0]))  # each gradient added to its source


def _attention_backward(q: Shape, k: Shape, v: Shape, heads_last: bool) -> Counts:
    if heads_last:  # [B, L, H, E]
        bh, q_len, kv_len, e_qk, e_v = q[0] * q[2], q[1], k[1], q[3], v[3]
    else:  # [B, H, L, E]
        bh, q_len, kv_len, e_qk, e_v = numel(q[:-2]), q[-2], k[-2], q[-1], v[-1]
    # recompute the scores and produce dV, dP, dQ, dK: twice the forward's products
    macs = 2 * bh * q_len * kv_len * (e_qk + e_v)
    return (_mac(Category.ATTENTION, macs),
            OpCount(Category.ACTIVATION, 0, 3 * bh * q_len * kv_len))


@formula(aten._scaled_dot_product_flash_attention_for_cpu_backward,
         aten._scaled_dot_product_efficient_attention_backward,
         aten._scaled_dot_product_flash_attention_backward,
         aten._scaled_dot_product_cudnn_attention_backward)
def fused_attention_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    return _attention_backward(args[1], args[2], args[3], heads_last=False)


@formula(aten._efficient_attention_backward, aten._flash_attention_backward)
def attention_kernel_backward(args: Sequence[Any], kwargs: dict[str, Any],
                              out: Shape) -> Counts:
    return _attention_backward(args[1], args[2], args[3], heads_last=True)


# ------------------------------------------------------------------- no arithmetic

no_arithmetic(*_packets([
    "view", "_unsafe_view", "_reshape_alias", "reshape", "as_strided", "expand", "permute",
    "transpose", "t", "squeeze", "unsqueeze", "select", "slice", "narrow", "diagonal",
    "index", "_unsafe_index", "index_select", "gather", "take", "masked_select", "cat",
    "stack", "split", "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes",
    "unsafe_chunk", "unbind", "chunk", "clone", "copy", "_to_copy",
    "lift_fresh", "lift_fresh_copy", "detach", "alias", "contiguous", "empty", "empty_like",
    "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like", "new_zeros",
    "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "zero",
    "scalar_tensor", "arange", "linspace", "constant_pad_nd", "reflection_pad1d",
    "reflection_pad2d", "reflection_pad3d", "replication_pad1d", "replication_pad2d",
    "replication_pad3d", "masked_fill", "where", "tril", "triu", "repeat",
    "repeat_interleave", "roll", "flip", "unfold", "im2col", "col2im", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "embedding",
    "_local_scalar_dense", "index_put", "_index_put_impl", "scatter", "index_copy",
    "index_fill", "bernoulli", "rand", "randn", "rand_like", "randn_like", "randint",
    "normal", "uniform", "view_as_real", "view_as_complex", "resize", "set",
    "_assert_async", "_assert_tensor_metadata", "sym_size", "sym_stride", "sym_numel",
    "nonzero", "_pin_memory", "unsqueeze_copy", "view_copy", "expand_copy",
    "permute_copy", "t_copy", "transpose_copy", "slice_copy", "select_copy", "split_copy",
    "detach_copy", "_unsafe_view_copy", "alias_copy", "as_strided_copy", "movedim",
    "unflatten", "flatten", "one_hot", "isnan", "isinf", "isfinite",
    "select_backward", "slice_backward", "index_select_backward", "unfold_backward",
    "diagonal_backward", "as_strided_scatter", "select_scatter", "slice_scatter",
], in_place=True))


# ------------------------------------------------------------------------- lookups


def shapes_of(args: Sequence[Any]) -> list[Any]:
    """Tensor arguments as their shapes (tuples); everything else as it is."""
    return [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args]


def formula_for(func: Any) -> Formula | None:
    """The formula of an ATen operator (OpOverload or packet), or None."""
    return FORMULAS.get(getattr(func, "overloadpacket", func))


def counts_for(func: Any, args: Sequence[Any], kwargs: dict[str, Any],
               out_shape: Sequence[int]) -> Counts | None:
    """What one call of `func` costs: a tuple of per-category counts; () for an operator
    with no arithmetic; None for one without a formula (to be named, never zero)."""
    packet = getattr(func, "overloadpacket", func)
    fn = FORMULAS.get(packet)
    if fn is None:
        return () if packet in NO_ARITHMETIC else None
    result = fn(shapes_of(args), {k: (tuple(v.shape) if isinstance(v, torch.Tensor) else v)
                                  for k, v in kwargs.items()}, tuple(out_shape))
    return result if isinstance(result, tuple) else (result,)


def op_name(func: Any) -> str:
    """'aten.convolution', without the overload: what reports list."""
    packet = getattr(func, "overloadpacket", func)
    return f"aten.{getattr(packet, '__name__', str(packet))}"
