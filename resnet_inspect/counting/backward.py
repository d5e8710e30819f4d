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
    per_output(Category.ELEMENTWISE, 1))
formula(*packets(["upsample_bilinear2d_backward"]))(per_output(Category.POOL, 7))


@formula(*packets(["upsample_nearest1d_backward", "upsample_nearest2d_backward",
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
    return (mac(Category.ATTENTION, macs),
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
