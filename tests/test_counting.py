"""Each operator formula on tiny shapes, the arithmetic written above each assertion.

The operators are called for real (on CPU) so that their output shapes are torch's own;
`ops` runs a function under the tracer's counter and returns what each category got.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import resnet_inspect
from resnet_inspect.counting.categories import Category
from resnet_inspect.counting.ops import FORMULAS, NO_ARITHMETIC, OpCount, counts_for, formula

aten = torch.ops.aten


class _Fn(nn.Module):
    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> Any:
        return self.fn(*xs)


def ops(fn: Callable[..., Any], *shape: int, device: str = "cpu") -> dict[str, list[int]]:
    """{category: [macs, flops]} of one call of `fn` on a zero tensor of `shape`."""
    report = resnet_inspect.inspect(_Fn(fn), shape[1:], batch=shape[0], device=device)
    return {c: [v["macs"], v["flops"]] for c, v in report.totals.by_category.items()}


def test_conv2d() -> None:
    w = torch.zeros(4, 3, 2, 2)
    # out 2 x 4 x 3 x 3 = 72 elements, each (C_in 3 / groups 1) x 2 x 2 = 12 MACs: 864
    assert ops(lambda x: F.conv2d(x, w), 2, 3, 4, 4) == {"conv": [864, 1_728]}


def test_grouped_strided_conv_ignores_bias() -> None:
    w, b = torch.zeros(6, 2, 3, 3), torch.zeros(6)
    # 4 -> 6 channels in 2 groups, 3x3, stride 2, pad 1 on 5x5: out 1 x 6 x 3 x 3 = 54;
    # each output sees 4 / 2 = 2 channels x 9 = 18 MACs: 54 x 18 = 972 (bias not counted)
    got = ops(lambda x: F.conv2d(x, w, b, stride=2, padding=1, groups=2), 1, 4, 5, 5)
    assert got == {"conv": [972, 1_944]}


def test_conv1d_and_conv3d() -> None:
    # 1d: out 1 x 2 x 8 = 16 elements x (3 x 3) = 144
    assert ops(lambda x: F.conv1d(x, torch.zeros(2, 3, 3)), 1, 3, 10)["conv"][0] == 144
    # 3d: out 1 x 2 x 2 x 2 x 2 = 16 elements x (1 x 2 x 2 x 2) = 128
    assert ops(lambda x: F.conv3d(x, torch.zeros(2, 1, 2, 2, 2)), 1, 1, 3, 3, 3)["conv"][0] == 128


def test_transposed_conv_counts_per_input_element() -> None:
    w = torch.zeros(3, 2, 2, 2)  # [C_in 3, C_out 2, 2, 2]
    # every one of 1 x 3 x 2 x 2 = 12 input elements scatters into 2 x 2 x 2 = 8 outputs: 96
    assert ops(lambda x: F.conv_transpose2d(x, w, stride=2), 1, 3, 2, 2) == {"conv": [96, 192]}


def test_linear_matmul_and_at_are_all_seen() -> None:
    w = torch.zeros(5, 3)
    # F.linear on 2 x 3: 2 samples x 5 outputs x 3 inputs = 30 MACs; bias not counted
    assert ops(lambda x: F.linear(x, w, torch.zeros(5)), 2, 3) == {"linear": [30, 60]}
    # a 3-d input through `@`: 2 x 4 rows x 5 outputs x 3 inputs = 120
    assert ops(lambda x: x @ w.t(), 2, 4, 3) == {"linear": [120, 240]}
    # matrix-vector: [2, 3] x [3] = 6
    assert ops(lambda x: torch.mv(x, torch.zeros(3)), 2, 3) == {"linear": [6, 12]}


def test_batched_matmuls_are_attention_products() -> None:
    # q @ k^T on 2 x 3 x 4: per batch 3 x 3 outputs x 4 = 36, x 2 batches = 72
    assert ops(lambda q: q @ q.transpose(-2, -1), 2, 3, 4) == {"attention": [72, 144]}
    # baddbmm adds the same product: 72 (the added tensor is not counted)
    got = ops(lambda q: torch.baddbmm(torch.zeros(2, 3, 3), q, q.transpose(1, 2)), 2, 3, 4)
    assert got == {"attention": [72, 144]}


def test_scaled_dot_product_attention_counts_both_products_and_the_softmax() -> None:
    # q = k = v: batch 1 x 2 heads x 5 tokens x 4; Q K^T: 2 x 5 x 5 x 4 = 200 and P V 200
    # MACs; softmax over 2 x 5 x 5 = 50 scores at 5 FLOPs each = 250; the math path also
    # scales q and k by sqrt(1/sqrt(4)) each: 2 x (2 x 5 x 4) = 80 multiplies
    got = ops(lambda q: F.scaled_dot_product_attention(q, q, q), 1, 2, 5, 4)
    assert got == {"attention": [400, 800], "activation": [0, 250], "elementwise": [0, 80]}


@pytest.mark.parametrize("op", [aten._scaled_dot_product_flash_attention_for_cpu.default,
                                aten._scaled_dot_product_efficient_attention.default,
                                aten._scaled_dot_product_flash_attention.default,
                                aten._scaled_dot_product_cudnn_attention.default])
def test_every_fused_attention_kernel_has_the_same_formula(op: Any) -> None:
    q = (1, 2, 5, 4)  # [B, H, L, E]
    # 2 x 5 x 5 x (4 + 4) = 400 MACs, softmax 2 x 5 x 5 x 5 = 250 FLOPs
    assert counts_for(op, [q, q, q], {}, q) == (OpCount(Category.ATTENTION, 400, 800),
                                                OpCount(Category.ACTIVATION, 0, 250))


def test_memory_efficient_kernel_layout_is_batch_length_heads() -> None:
    q = (1, 5, 2, 4)  # [B, L, H, E]
    assert counts_for(aten._efficient_attention_forward.default, [q, q, q], {}, q)[0] == \
        OpCount(Category.ATTENTION, 400, 800)


def test_eval_batch_norm_is_one_mac_per_element() -> None:
    bn = nn.BatchNorm2d(3).eval()
    # eval folds to x * scale + shift: 2 x 3 x 2 x 2 = 24 elements, 24 MACs, 48 FLOPs
    assert ops(bn, 2, 3, 2, 2) == {"norm": [24, 48]}


@pytest.mark.parametrize(
    ("module", "per_element"),
    [(nn.LayerNorm([2, 2]), 4), (nn.LayerNorm([2, 2], elementwise_affine=False), 3),
     (nn.GroupNorm(1, 3), 4), (nn.InstanceNorm2d(3), 3)],
)
def test_norms_with_statistics(module: nn.Module, per_element: int) -> None:
    # 24 elements; mean, variance, normalise (+ scale and shift): 4 with affine, 3 without
    assert ops(module, 2, 3, 2, 2) == {"norm": [24 * per_element, 48 * per_element]}


def test_rms_norm_on_cpu_is_counted_through_the_operators_it_runs() -> None:
    # no fused kernel on CPU: x^2 (24), mean over the last 2 x 2 (24 inputs), + eps and
    # rsqrt on the 6 means (6 + 6), x * rsqrt (24), * weight (24): elementwise 84, pool 24
    assert ops(nn.RMSNorm([2, 2]), 2, 3, 2, 2) == {"elementwise": [0, 84], "pool": [0, 24]}
    # the fused kernel, where a device has it: mean square, normalise, scale = 3 per element
    got = counts_for(aten._fused_rms_norm.default, [(2, 3, 2, 2), [2, 2], (2, 2), None], {},
                     (2, 3, 2, 2))
    assert got == (OpCount(Category.NORM, 72, 144),)


@pytest.mark.parametrize("fn", [F.relu, F.gelu, F.silu, torch.sigmoid, torch.tanh, F.hardswish,
                                F.hardsigmoid, F.relu6, F.leaky_relu, F.elu, F.mish, F.softplus])
def test_activation_is_one_flop_per_element(fn: Callable[..., Any]) -> None:
    # 2 x 3 x 4 = 24 elements
    assert ops(fn, 2, 3, 4) == {"activation": [0, 24]}


@pytest.mark.parametrize("fn", [lambda x: x.softmax(-1), lambda x: F.log_softmax(x, -1)])
def test_softmax_is_five_flops_per_element(fn: Callable[..., Any]) -> None:
    # max, subtract, exp, sum, divide on each of 24 elements: 120
    assert ops(fn, 2, 3, 4) == {"activation": [0, 120]}


def test_max_pool_takes_k_minus_one_comparisons() -> None:
    # ResNet's stem pool, 3x3 stride 2 pad 1 on 1 x 2 x 4 x 4: out 1 x 2 x 2 x 2 = 8
    # windows, each the max of 9 values = 8 comparisons: 64
    assert ops(nn.MaxPool2d(3, 2, 1), 1, 2, 4, 4) == {"pool": [0, 64]}
    # 1-d: windows of 2 on 1 x 1 x 6: 3 outputs x 1 comparison = 3
    assert ops(lambda x: F.max_pool1d(x, 2), 1, 1, 6) == {"pool": [0, 3]}


def test_avg_pool_adds_and_divides() -> None:
    # 2x2 windows on 1 x 1 x 4 x 4: 4 outputs x (3 additions + 1 division) = 16
    assert ops(nn.AvgPool2d(2), 1, 1, 4, 4) == {"pool": [0, 16]}


@pytest.mark.parametrize("fn", [nn.AdaptiveAvgPool2d(1), lambda x: x.mean((2, 3)),
                                lambda x: x.sum((2, 3)), lambda x: x.amax((2, 3))])
def test_global_pool_and_reductions_touch_each_input_once(fn: Callable[..., Any]) -> None:
    # 2 x 3 x 4 x 4 = 96 inputs, each added (or compared) into its window once
    assert ops(fn, 2, 3, 4, 4) == {"pool": [0, 96]}


def test_interpolation() -> None:
    # bilinear x2 on 1 x 1 x 2 x 2: 16 outputs x (4 products + 3 sums) = 112
    up = ops(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), 1, 1, 2, 2)
    assert up == {"pool": [0, 112]}
    # nearest neighbour copies: no arithmetic
    assert ops(lambda x: F.interpolate(x, scale_factor=2), 1, 1, 2, 2) == {}


@pytest.mark.parametrize("fn", [lambda x: x + x, lambda x: x - 1, lambda x: x * x,
                                lambda x: x / 2, lambda x: torch.maximum(x, x),
                                lambda x: x.clone().add_(1), lambda x: x.sqrt()])
def test_elementwise_is_one_flop_per_output_element(fn: Callable[..., Any]) -> None:
    # 2 x 3 x 2 x 2 = 24
    assert ops(fn, 2, 3, 2, 2) == {"elementwise": [0, 24]}


def test_broadcast_add_counts_the_output() -> None:
    # [2, 3, 1] + [3, 4] broadcasts to 2 x 3 x 4 = 24 additions
    assert ops(lambda x: x + torch.zeros(3, 4), 2, 3, 1) == {"elementwise": [0, 24]}


@pytest.mark.parametrize("fn", [lambda x: x.view(2, -1), lambda x: x.permute(1, 0, 2),
                                lambda x: torch.cat([x, x]), lambda x: x[:, 1:].contiguous(),
                                lambda x: F.pad(x, (1, 1)), lambda x: x.flatten(1),
                                lambda x: F.dropout(x, 0.5, training=False),
                                lambda x: x.expand(2, 3, 4).clone()])
def test_no_arithmetic(fn: Callable[..., Any]) -> None:
    assert ops(fn, 2, 3, 4) == {}


def test_an_operator_without_a_formula_is_named_with_its_calls() -> None:
    report = resnet_inspect.inspect(
        _Fn(lambda x: torch.sort(torch.sort(x).values.abs()).values), (8,), batch=2)
    assert report.unsupported == [{"op": "aten.sort", "calls": 2}]
    # abs of the sorted values is counted (2 x 8 outputs), the sorts are not
    assert report.totals.by_category["elementwise"] == {"macs": 0, "flops": 16}


def test_registering_an_operator_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        formula(aten.convolution)(lambda a, k, o: OpCount(Category.CONV))
    with pytest.raises(RuntimeError, match="already registered"):
        formula(aten.view)(lambda a, k, o: OpCount(Category.OTHER))


def test_no_operator_is_both_counted_and_free() -> None:
    assert not set(FORMULAS) & NO_ARITHMETIC
