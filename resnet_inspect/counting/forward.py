"""Formulas of the operators a forward pass runs: products, norms, activations, pooling,
reductions and elementwise arithmetic, and the operators with no arithmetic at all. The
conventions are stated in ops.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resnet_inspect.counting.categories import Category
from resnet_inspect.counting.registry import (
    Counts,
    OpCount,
    Shape,
    arg,
    aten,
    formula,
    mac,
    no_arithmetic,
    numel,
    packets,
    per_output,
    pool_window,
)

# ------------------------------------------------------------------------ products


@formula(aten.convolution, aten._convolution)
def convolution(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, w = args[0], args[1]
    transposed = bool(arg(args, kwargs, 6, "transposed", False))
    # weight is [C_out, C_in / groups, *k] (transposed: [C_in, C_out / groups, *k]); every
    # output element takes (C_in / groups) x prod(k) MACs, and in a transposed conv every
    # input element scatters into (C_out / groups) x prod(k) outputs
    return mac(Category.CONV, numel(x if transposed else out) * numel(w[1:]))


@formula(aten.mm)
def mm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # a [M, K] @ b [K, N] -> [M, N]: M x N x K
    return mac(Category.LINEAR, numel(out) * args[0][1])


@formula(aten.addmm, aten._addmm_activation)
def addmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # bias + a [M, K] @ b [K, N]: M x N x K (the bias add is not counted)
    return mac(Category.LINEAR, numel(out) * args[1][1])


@formula(aten.mv)
def mv(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return mac(Category.LINEAR, numel(args[0]))  # [M, K] x [K]: M x K


@formula(aten.addmv)
def addmv(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return mac(Category.LINEAR, numel(args[1]))


@formula(aten.dot, aten.vdot)
def dot(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return mac(Category.LINEAR, args[0][0])


@formula(aten.bmm)
def bmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # a [B, M, K] @ b [B, K, N]: B x M x N x K
    return mac(Category.ATTENTION, numel(out) * args[0][2])


@formula(aten.baddbmm, aten.addbmm)
def baddbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    a, b = args[1], args[2]  # c + a [B, M, K] @ b [B, K, N] (addbmm sums over B)
    return mac(Category.ATTENTION, a[0] * a[1] * a[2] * b[2])


def attention_counts(batch_heads: int, q_len: int, kv_len: int, e_qk: int, e_v: int) -> Counts:
    # Q K^T: L x S x E_qk and P V: L x S x E_v MACs per batch and head; the softmax over the
    # L x S scores counts as softmax does elsewhere (5 FLOPs per element)
    macs = batch_heads * q_len * kv_len * (e_qk + e_v)
    return (mac(Category.ATTENTION, macs),
            OpCount(Category.ACTIVATION, 0, 5 * batch_heads * q_len * kv_len))


@formula(aten._scaled_dot_product_flash_attention, aten._scaled_dot_product_efficient_attention,
         aten._scaled_dot_product_cudnn_attention,
         aten._scaled_dot_product_flash_attention_for_cpu,
         *packets(["_scaled_dot_product_fused_attention_overrideable"]))
def fused_attention(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    q, k, v = args[0], args[1], args[2]  # [B, H, L, E], [B, H, S, E], [B, H, S, E_v]
    return attention_counts(numel(q[:-2]), q[-2], k[-2], q[-1], v[-1])


@formula(aten._flash_attention_forward, aten._efficient_attention_forward)
def attention_kernel(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    q, k, v = args[0], args[1], args[2]  # [B, L, H, E], [B, S, H, E], [B, S, H, E_v]
    return attention_counts(q[0] * q[2], q[1], k[1], q[3], v[3])


# --------------------------------------------------------------------------- norms


@formula(aten.native_batch_norm, aten._native_batch_norm_legit, aten.cudnn_batch_norm,
         aten.miopen_batch_norm)
def batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # (input, weight, bias, running_mean, running_var, training, momentum, eps); the
    # no-stats overload of _native_batch_norm_legit has no running buffers (5 args fewer)
    training = arg(args, kwargs, 5, "training", False)
    if not isinstance(training, bool):  # _native_batch_norm_legit(x, w, b, training, ...)
        training = bool(args[3])
    if not training:
        return mac(Category.NORM, numel(args[0]))  # folds to x * scale + shift
    return _statistics_norm(args[0], args[1] is not None)


@formula(aten._native_batch_norm_legit_no_training)
def batch_norm_eval(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return mac(Category.NORM, numel(args[0]))


@formula(aten._native_batch_norm_legit_functional)
def batch_norm_functional(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    if not args[5]:
        return mac(Category.NORM, numel(args[0]))
    return _statistics_norm(args[0], args[1] is not None)


def _statistics_norm(x: Shape, affine: bool) -> OpCount:
    # mean, variance, normalise, then scale-and-shift when the norm has one
    return mac(Category.NORM, numel(x) * (4 if affine else 3))


@formula(aten.native_layer_norm)
def layer_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _statistics_norm(args[0], arg(args, kwargs, 2, "weight") is not None)


@formula(aten.native_group_norm)
def group_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return _statistics_norm(args[0], arg(args, kwargs, 1, "weight") is not None)


@formula(*packets(["_fused_rms_norm"]))
def rms_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # mean of squares, normalise, then the scale when there is one
    scale = arg(args, kwargs, 2, "weight") is not None
    return mac(Category.NORM, numel(args[0]) * (3 if scale else 2))


# --------------------------------------------------------------------- activations


ACTIVATIONS = ("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
               "hardtanh", "leaky_relu", "elu", "celu", "selu", "softplus", "mish", "glu",
               "_prelu_kernel", "threshold", "log_sigmoid_forward", "rrelu_with_noise",
               "softshrink", "hardshrink")
formula(*packets(ACTIVATIONS, in_place=True))(per_output(Category.ACTIVATION, 1))
formula(aten._softmax, aten._log_softmax, aten._safe_softmax)(
    per_output(Category.ACTIVATION, 5))


# ------------------------------------------------------------- pooling, reductions


def _pool(dims: int, per_window: int) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
        window = pool_window(arg(args, kwargs, 1, "kernel_size"), dims)
        return OpCount(Category.POOL, 0, numel(out) * (window + per_window))

    return count


for _dims in (1, 2, 3):
    # the max of k values takes k - 1 comparisons; an average k - 1 additions and a divide
    formula(*packets([f"max_pool{_dims}d", f"max_pool{_dims}d_with_indices"]))(
        _pool(_dims, -1))
    formula(*packets([f"avg_pool{_dims}d"]))(_pool(_dims, 0))


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


formula(*packets(["upsample_linear1d"]))(per_output(Category.POOL, 3))
formula(*packets(["upsample_bilinear2d", "_upsample_bilinear2d_aa"]))(
    per_output(Category.POOL, 7))  # 4 products and 3 sums per output
formula(*packets(["upsample_trilinear3d"]))(per_output(Category.POOL, 15))
formula(*packets(["upsample_bicubic2d", "_upsample_bicubic2d_aa"]))(
    per_output(Category.POOL, 31))  # 16 products and 15 sums per output
# nearest-neighbour interpolation copies values: no arithmetic
no_arithmetic(*packets(["upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d",
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
formula(*packets(ELEMENTWISE, in_place=True))(per_output(Category.ELEMENTWISE, 1))
formula(*packets(["addcmul", "addcdiv", "lerp"], in_place=True))(
    per_output(Category.ELEMENTWISE, 2))


# ------------------------------------------------------------------- no arithmetic

no_arithmetic(*packets([
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
