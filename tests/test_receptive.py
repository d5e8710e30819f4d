"""The receptive-field recurrence on hand-built graphs: one test per kind of layer, the
arithmetic above each assertion (r_out = r_in + (k - 1) * d * j_in, j_out = j_in * s).

The transposed conv and the upsampling are also checked against autograd: with all-ones
weights, the input pixels whose gradient from one output position is non-zero are exactly
the pixels that output reads, an independent measure of the field."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
from torch import nn

from resnet_inspect.report.receptive import (
    GLOBAL,
    INPUT,
    PASS,
    Field,
    Kind,
    Node,
    Step,
    as_json,
    receptive_fields,
    unknown,
    window,
)


def chain(*steps: Step) -> list[Node]:
    """A single path: each node reads the one before (the first reads the input)."""
    return [Node((i - 1 if i else INPUT,), s) for i, s in enumerate(steps)]


def last(nodes: list[Node], axes: int = 2) -> Field:
    return receptive_fields(nodes, axes)[-1]


def conv(k: int, s: int = 1, d: int = 1) -> Step:
    return window((k, k), (s, s), (d, d))


def test_conv_grows_by_kernel_minus_one_times_jump() -> None:
    # 3x3/1: r = 1 + (3 - 1) * 1 * 1 = 3, j = 1; a second 3x3: r = 3 + 2 * 1 = 5
    fields = receptive_fields(chain(conv(3), conv(3)), 2)
    assert as_json(fields[0]) == (3, 1)
    assert as_json(fields[1]) == (5, 1)


def test_stride_multiplies_the_jump_the_next_layer_grows_by() -> None:
    # 7x7/2: r = 1 + 6 * 1 = 7, j = 2; 3x3/2 pool: r = 7 + 2 * 2 = 11, j = 4;
    # 3x3/1: r = 11 + 2 * 4 = 19, j = 4 (ResNet's stem and its first 3x3)
    fields = receptive_fields(chain(conv(7, 2), conv(3, 2), conv(3)), 2)
    assert [as_json(f) for f in fields] == [(7, 2), (11, 4), (19, 4)]


def test_dilation_spreads_the_kernel() -> None:
    # 3x3 dilation 2 after a stride-2 layer: r = 2 + (3 - 1) * 2 * 2 = 10, j = 2
    assert as_json(last(chain(conv(2, 2), conv(3, 1, 2)))) == (10, 2)


def test_a_1x1_conv_and_a_position_wise_layer_pass_the_field_through() -> None:
    # 1x1: r = 7 + (1 - 1) * 2 = 7; ReLU / BN: unchanged
    assert as_json(last(chain(conv(7, 2), conv(1), PASS))) == (7, 2)


def test_non_square_kernels_strides_and_dilations_give_h_and_w() -> None:
    # h: 1 + (3 - 1) * 1 * 1 = 3, j 1;  w: 1 + (5 - 1) * 2 * 1 = 9, j 2
    step = window((3, 5), (1, 2), (1, 2))
    assert as_json(last(chain(step))) == ([3, 9], [1, 2])


def test_one_dimensional_networks_have_one_axis() -> None:
    # a 1-D conv k=5 then k=3/2: r = 5, then 5 + 2 * 1 = 7, j = 2
    nodes = chain(window((5,), (1,), (1,)), window((3,), (2,), (1,)))
    assert as_json(last(nodes, axes=1)) == (7, 2)


def test_add_takes_the_largest_field_over_its_paths() -> None:
    # a residual block: main path 3x3 then 3x3 (r 5), shortcut identity (r 1): r = max = 5
    nodes = [Node((INPUT,), conv(3)), Node((0,), conv(3)), Node((1, INPUT), PASS)]
    assert as_json(last(nodes)) == (5, 1)


def test_projection_shortcut_with_stride_meets_the_main_path_on_the_same_grid() -> None:
    # main: 1x1/2 (r 1, j 2) then 3x3 (r 1 + 2 * 2 = 5, j 2); shortcut: 1x1/2 (r 1, j 2)
    nodes = [Node((INPUT,), conv(1, 2)), Node((0,), conv(3)), Node((INPUT,), conv(1, 2)),
             Node((1, 2), PASS)]
    assert as_json(last(nodes)) == (5, 2)


def test_cat_of_branches_takes_the_largest_per_axis() -> None:
    # Inception-style: a 1x3 branch (h 1, w 3) and a 3x1 branch (h 3, w 1): cat -> [3, 3]
    nodes = [Node((INPUT,), window((1, 3), (1, 1), (1, 1))),
             Node((INPUT,), window((3, 1), (1, 1), (1, 1))), Node((0, 1), PASS)]
    assert as_json(last(nodes)) == (3, 1)
    # a 1x3 and a 1x5 branch: h max(1, 1) = 1, w max(3, 5) = 5
    nodes = [Node((INPUT,), window((1, 3), (1, 1), (1, 1))),
             Node((INPUT,), window((1, 5), (1, 1), (1, 1))), Node((0, 1), PASS)]
    assert as_json(last(nodes)) == ([1, 5], 1)


def test_inputs_with_different_jumps_leave_the_field_undefined() -> None:
    # 2x2/2 gives j 2; a 3x3/1 gives j 1: one output position is not one jump of the input
    nodes = [Node((INPUT,), conv(2, 2)), Node((INPUT,), conv(3)), Node((0, 1), PASS),
             Node((2,), conv(3))]
    fields = receptive_fields(nodes, 2)
    assert as_json(fields[2]) == (None, None)
    assert fields[2].reason == "an add or cat of inputs with different jumps (1 and 2 px)"
    # and so is everything computed from it, with the same reason
    assert as_json(fields[3]) == (None, None)
    assert fields[3].reason == fields[2].reason


def test_global_pool_and_what_follows_it_are_global() -> None:
    fields = receptive_fields(chain(conv(3), GLOBAL, PASS, conv(1)), 2)
    assert [as_json(f) for f in fields[1:]] == [("global", None)] * 3


def test_a_global_path_into_a_multiply_makes_it_global() -> None:
    # squeeze-and-excitation: x * sigmoid(fc(avgpool(x))): each output reads the whole input
    nodes = [Node((INPUT,), conv(3)), Node((0,), GLOBAL), Node((0, 1), PASS)]
    assert as_json(last(nodes)) == ("global", None)


def test_unknown_steps_say_why() -> None:
    fields = receptive_fields(chain(conv(3), unknown("a grid_sample"), conv(3)), 2)
    assert as_json(fields[2]) == (None, None)
    assert fields[2].reason == "a grid_sample"


def test_an_input_without_spatial_axes_has_no_field() -> None:
    field = last(chain(PASS), axes=0)
    assert as_json(field) == (None, None)
    assert field.reason == "the input has no spatial axes"


def _measured(model: nn.Module, size: int, at: int) -> tuple[int, int]:
    """(first, last) input column whose gradient from output column `at` (row 0 of a one-row
    image) is non-zero, with every weight 1: the field that output reads, measured; (0, -1)
    for an output that reads nothing (a dilated transposed conv leaves some empty)."""
    for p in model.parameters():
        nn.init.ones_(p)
    x = torch.ones(1, 1, 1, size, requires_grad=True)
    model(x)[0, 0, 0, at].backward()
    assert x.grad is not None
    cols = x.grad[0, 0, 0].nonzero().flatten().tolist()
    return (cols[0], cols[-1]) if cols else (0, -1)


def _widest(model: nn.Module, size: int, outs: int) -> int:
    return max(b - a + 1 for a, b in (_measured(model, size, o) for o in range(outs)))


@pytest.mark.parametrize(("k", "s", "d"), [(2, 2, 1), (3, 2, 1), (4, 2, 1), (3, 3, 1),
                                           (5, 2, 2), (3, 2, 3), (4, 4, 2)])
def test_transposed_conv_matches_autograd(k: int, s: int, d: int) -> None:
    # after a 3-wide/1 conv (r 3, j 1): a transposed conv of stride s divides the jump by s
    # and reads at most ceil(k * g / s) input positions, d / g apart (g = gcd(d, s)).
    # e.g. k 4, s 2, d 1: ceil(4 / 2) = 2 positions, r = 3 + (2 - 1) * 1 * 1 = 4, j = 1/2
    model = nn.Sequential(nn.Conv2d(1, 1, (1, 3), bias=False),
                          nn.ConvTranspose2d(1, 1, (1, k), stride=(1, s), dilation=(1, d),
                                             bias=False))
    step = Step(Kind.TRANSPOSED, (1, k), (1, s), (1, d))
    field = last(chain(window((1, 3), (1, 1), (1, 1)), step))
    assert field.jump == (1, Fraction(1, s))
    assert field.size is not None
    assert field.size[1] == _widest(model, 12, 12)


@pytest.mark.parametrize(("mode", "taps"), [("nearest", 1), ("bilinear", 2), ("bicubic", 4)])
def test_upsampling_matches_autograd(mode: str, taps: int) -> None:
    # after a 2-wide/2 conv (r 2, j 2), x2 upsampling: j = 2 / 2 = 1, and an output reads
    # `taps` input positions: r = 2 + (taps - 1) * 2 (nearest 2, bilinear 4, bicubic 8)
    model = nn.Sequential(nn.Conv2d(1, 1, (1, 2), stride=(1, 2), bias=False),
                          nn.Upsample(scale_factor=(1, 2), mode=mode))
    # (the height is not scaled: one tap there)
    step = Step(Kind.UPSAMPLE, scale=(1, 2), taps=(1, taps))
    field = last(chain(window((1, 2), (1, 2), (1, 1)), step))
    assert as_json(field) == ([1, 2 + (taps - 1) * 2], 1)
    # the widest of the outputs away from the border (a border output reads fewer)
    assert max(b - a + 1 for a, b in (_measured(model, 24, o) for o in range(6, 18))) \
        == 2 + (taps - 1) * 2


def test_anything_computed_from_a_global_value_alone_is_global() -> None:
    # VGG's classifier: Linear, ReLU, Dropout on [N, 4096] after the flatten into fc6
    fields = receptive_fields(chain(conv(3), GLOBAL, unknown("no spatial axes"), PASS), 2)
    assert [as_json(f)[0] for f in fields] == [3, "global", "global", "global"]


def test_a_global_step_over_an_undefined_field_stays_undefined() -> None:
    # a flatten into a linear layer after a layer we could not read: the linear layer mixes
    # every position it is given, but which pixels those positions see is not known
    fields = receptive_fields(chain(unknown("a grid_sample"), GLOBAL), 2)
    assert as_json(fields[1]) == (None, None)
    assert fields[1].reason == "a grid_sample"
