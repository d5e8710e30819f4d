"""Formulas of the operators autograd runs for a training step's backward pass
(convolution_backward, norm, pooling, interpolation and attention backward kernels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resnet_inspect.counting.categories import Category
from resnet_inspect.counting.registry import (
    Counts,
    OpCount,
    Shape,
    aten,
    formula,
    mac,
    numel,
    packets,
    per_output,
    pool_window,
)

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
    return mac(Category.CONV, forward * (int(bool(mask[0])) + int(bool(mask[1]))))


@formula(aten.native_batch_norm_backward, aten.cudnn_batch_norm_backward,
         aten.miopen_batch_norm_backward, aten.batch_norm_backward,
         aten.native_layer_norm_backward, aten.native_group_norm_backward,
         *packets(["_fused_rms_norm_backward"]))
def norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # two reductions over the gradient (sum g, sum g * x_hat, which also give the weight
    # and bias gradients) and the per-element combination: 4 MACs per element
    return mac(Category.NORM, 4 * numel(args[1]))


formula(*packets([name + "_backward" for name in (
    "threshold", "gelu", "silu", "sigmoid", "tanh", "hardtanh", "hardswish", "hardsigmoid",
    "leaky_relu", "elu", "softplus", "mish", "log_sigmoid", "glu", "_prelu_kernel",
    "rrelu_with_noise", "softshrink", "hardshrink")]))(per_output(Category.ACTIVATION, 1))
# softmax backward: g * y, a sum per row, and y * (g - sum): 3 FLOPs per element
formula(aten._softmax_backward_data, aten._log_softmax_backward_data)(
    per_output(Category.ACTIVATION, 3))


@formula(aten.max_pool2d_with_indices_backward, aten.max_pool3d_with_indices_backward)
def max_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[0]))  # each gradient added at its argmax


def _avg_pool_backward(dims: int) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
        # each gradient spread over its window (a divide and an add per element); the
        # window's axes come from the operator, not the input's rank (unbatched inputs)
        window = pool_window(args[2], dims)
        return OpCount(Category.POOL, 0, numel(args[0]) * window)

    return count


formula(aten.avg_pool2d_backward)(_avg_pool_backward(2))
formula(aten.avg_pool3d_backward)(_avg_pool_backward(3))


@formula(aten._adaptive_avg_pool2d_backward, aten._adaptive_avg_pool3d_backward)
def adaptive_avg_pool_backward(args: Sequence[Any], kwargs: dict[str, Any],
                               out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[1]))  # one per input element


formula(aten.native_dropout_backward)(per_output(Category.ELEMENTWISE, 1))


@formula(aten.embedding_dense_backward)
def embedding_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # each looked-up row's gradient is added into the weight's gradient: one add per
    # element of grad_output, not per element of the (usually far larger) table
    return OpCount(Category.ELEMENTWISE, 0, numel(args[0]))


def _interpolation_backward(per_element: int) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
        # the backward of a linear map is its transpose: each grad_out element is
        # multiplied by the same weights and added to the same sources as its forward
        # output was made from, the forward's FLOPs per element of grad_out (not of
        # grad_input, which is smaller when upsampling), as nearest's backward is counted
        return OpCount(Category.POOL, 0, per_element * numel(args[0]))

    return count


formula(*packets(["upsample_linear1d_backward"]))(_interpolation_backward(3))
formula(*packets(["upsample_bilinear2d_backward", "_upsample_bilinear2d_aa_backward"]))(
    _interpolation_backward(7))
formula(*packets(["upsample_trilinear3d_backward"]))(_interpolation_backward(15))
formula(*packets(["upsample_bicubic2d_backward", "_upsample_bicubic2d_aa_backward"]))(
    _interpolation_backward(31))


@formula(*packets(["upsample_nearest1d_backward", "upsample_nearest2d_backward",
                    "upsample_nearest3d_backward"]))
def nearest_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    return OpCount(Category.POOL, 0, numel(args[0]))  # each gradient added to its source


def _attention_backward(q: Shape, k: Shape, v: Shape, heads_last: bool) -> Counts:
    if heads_last:  # [B, L, H, E]
        bh, q_len, kv_len, e_qk, e_v = q[0] * q[2], q[1], k[1], q[3], v[3]
    else:  # [B, H, L, E]
        bh, q_len, kv_len, e_qk, e_v = numel(q[:-2]), q[-2], k[-2], q[-1], v[-1]
    # the fused kernels keep no scores, so they recompute Q K^T (L S E_qk), then make
    # dP = dO V^T and dV = P^T dO (L S E_v each), dQ = dS K and dK = dS^T Q (L S E_qk
    # each): torch.utils.flop_counter's sdpa_backward_flop_count, step by step
    macs = bh * q_len * kv_len * (3 * e_qk + 2 * e_v)
    return (mac(Category.ATTENTION, macs),
            OpCount(Category.ACTIVATION, 0, 3 * bh * q_len * kv_len))


@formula(aten._scaled_dot_product_flash_attention_for_cpu_backward,
         aten._scaled_dot_product_efficient_attention_backward,
         aten._scaled_dot_product_flash_attention_backward,
         aten._scaled_dot_product_cudnn_attention_backward,
         *packets(["_scaled_dot_product_fused_attention_overrideable_backward"]))
def fused_attention_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> Counts:
    return _attention_backward(args[1], args[2], args[3], heads_last=False)


@formula(aten._efficient_attention_backward, aten._flash_attention_backward)
def attention_kernel_backward(args: Sequence[Any], kwargs: dict[str, Any],
                              out: Shape) -> Counts:
    return _attention_backward(args[1], args[2], args[3], heads_last=True)
