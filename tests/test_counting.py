"""Each counting formula on tiny shapes, the arithmetic written above each assertion."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from resnet_inspect.blocks import Add, ZeroPadShortcut
from resnet_inspect.counting import (
    FORMULAS,
    HEADLINE_CATEGORIES,
    Category,
    Headline,
    OpCount,
    count,
    formula,
    formula_for,
)


def run(module: nn.Module, *inputs: torch.Tensor) -> OpCount:
    """Count one call with the real output shape, as the tracer does."""
    out = module(*inputs)
    return count(module, [list(x.shape) for x in inputs], list(out.shape))


def test_conv2d() -> None:
    # out 2 x 4 x 3 x 3 = 72 elements, each (C_in 3 / groups 1) x 2 x 2 = 12 MACs: 864
    op = run(nn.Conv2d(3, 4, 2, bias=False), torch.zeros(2, 3, 4, 4))
    assert op == OpCount(Category.CONV, 864, 1_728)


def test_grouped_strided_conv_ignores_bias() -> None:
    # 4 -> 6 channels in 2 groups, 3x3, stride 2, pad 1 on 5x5: out 1 x 6 x 3 x 3 = 54;
    # each output sees 4 / 2 = 2 channels x 9 = 18 MACs: 54 x 18 = 972 (bias not counted)
    op = run(nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), torch.zeros(1, 4, 5, 5))
    assert (op.macs, op.flops) == (972, 1_944)


def test_conv1d_and_conv3d() -> None:
    # 1d: out 1 x 2 x 8 = 16 elements x (3 x 3) = 144
    assert run(nn.Conv1d(3, 2, 3), torch.zeros(1, 3, 10)).macs == 144
    # 3d: out 1 x 2 x 2 x 2 x 2 = 16 elements x (1 x 2 x 2 x 2) = 128
    assert run(nn.Conv3d(1, 2, 2), torch.zeros(1, 1, 3, 3, 3)).macs == 128


def test_linear() -> None:
    # 2 samples x 5 outputs x 3 inputs = 30 MACs; bias not counted
    assert run(nn.Linear(3, 5), torch.zeros(2, 3)) == OpCount(Category.LINEAR, 30, 60)
    # a 3-d input: 2 x 4 rows x 5 outputs x 3 inputs = 120
    assert run(nn.Linear(3, 5), torch.zeros(2, 4, 3)).macs == 120


@pytest.mark.parametrize(
    "module",
    [nn.BatchNorm2d(3).eval(), nn.GroupNorm(1, 3), nn.LayerNorm([3, 2, 2])],
)
def test_norm_is_one_mac_per_element(module: nn.Module) -> None:
    # eval mode folds to x * scale + shift: 2 x 3 x 2 x 2 = 24 elements, 24 MACs, 48 FLOPs
    assert run(module, torch.zeros(2, 3, 2, 2)) == OpCount(Category.NORM, 24, 48)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.ReLU6(), nn.SiLU(), nn.Sigmoid()])
def test_activation_is_one_flop_per_element_and_no_macs(module: nn.Module) -> None:
    # 2 x 3 x 4 = 24 elements
    assert run(module, torch.zeros(2, 3, 4)) == OpCount(Category.ACTIVATION, 0, 24)


def test_max_pool_takes_k_minus_one_comparisons() -> None:
    # ResNet's stem pool, 3x3 stride 2 pad 1 on 1 x 2 x 4 x 4: out 1 x 2 x 2 x 2 = 8
    # windows, each the max of 9 values = 8 comparisons: 64
    op = run(nn.MaxPool2d(3, 2, 1), torch.zeros(1, 2, 4, 4))
    assert op == OpCount(Category.POOL, 0, 64)


def test_avg_pool_adds_and_divides() -> None:
    # 2x2 windows on 1 x 1 x 4 x 4: 4 outputs x (3 additions + 1 division) = 16
    assert run(nn.AvgPool2d(2), torch.zeros(1, 1, 4, 4)) == OpCount(Category.POOL, 0, 16)


def test_adaptive_avg_pool_touches_each_input_once() -> None:
    # global pool of 2 x 3 x 4 x 4: 6 windows of 16 inputs, each 15 additions + 1
    # division = 16; 6 x 16 = 96, one per input element
    op = run(nn.AdaptiveAvgPool2d(1), torch.zeros(2, 3, 4, 4))
    assert op == OpCount(Category.POOL, 0, 96)


def test_residual_add_is_one_flop_per_output_element() -> None:
    # 2 x 3 x 2 x 2 = 24 additions
    a = torch.zeros(2, 3, 2, 2)
    assert run(Add(), a, a) == OpCount(Category.ELEMENTWISE, 0, 24)


@pytest.mark.parametrize(
    ("module", "x"),
    [(nn.Flatten(), torch.zeros(2, 3, 2)), (nn.Identity(), torch.zeros(2)),
     (nn.Dropout(), torch.zeros(2)), (ZeroPadShortcut(2, 4, 2), torch.zeros(1, 2, 4, 4))],
)
def test_no_arithmetic(module: nn.Module, x: torch.Tensor) -> None:
    assert run(module.eval(), x) == OpCount(Category.OTHER)


def test_a_module_without_a_formula_is_unsupported_not_zero_work() -> None:
    assert run(nn.Softplus(), torch.zeros(3)) == OpCount(Category.UNSUPPORTED)
    assert formula_for(nn.Softplus()) is None


def test_a_subclass_counts_as_its_registered_base() -> None:
    class MyConv(nn.Conv2d):
        pass

    # out 1 x 1 x 1 x 1 x (2 x 3 x 3) = 18
    assert run(MyConv(2, 1, 3), torch.zeros(1, 2, 3, 3)).macs == 18
    assert formula_for(MyConv(2, 1, 3)) is FORMULAS[nn.Conv2d]


def test_registering_a_type_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        formula(nn.Conv2d)(lambda m, i, o: OpCount(Category.CONV))


def test_headline_categories() -> None:
    # conv: the ResNet paper's and torchvision's figure (conv + fc); all: every category
    assert HEADLINE_CATEGORIES[Headline.CONV] == (Category.CONV, Category.LINEAR, Category.ATTENTION)
    assert Category.NORM in HEADLINE_CATEGORIES[Headline.CONV_NORM]
    assert set(HEADLINE_CATEGORIES[Headline.ALL]) == set(Category) - {
        Category.OTHER, Category.UNSUPPORTED}
