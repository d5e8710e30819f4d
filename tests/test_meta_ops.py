"""Every plain-Python meta shape rule against torch's own meta kernel: same shapes and
dtypes, and no answer (None) wherever the rule does not cover a call completely."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from resnet_inspect.counting.meta_ops import RULES

aten = torch.ops.aten


def m(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.empty(shape, device="meta", dtype=dtype)


CALLS: list[tuple[Any, tuple[Any, ...]]] = [
    (aten.convolution.default, (m(2, 3, 9, 9), m(8, 3, 3, 3), None, [2, 2], [1, 1], [1, 1],
                                False, [0, 0], 1)),
    (aten.convolution.default, (m(1, 4, 7, 7), m(4, 2, 3, 3), None, [1, 1], [2, 2], [2, 2],
                                False, [0, 0], 2)),
    (aten.convolution.default, (m(1, 3, 10), m(5, 3, 4), None, [3], [0], [1], False, [0], 1)),
    (aten.native_batch_norm.default, (m(2, 3, 4, 4), m(3), m(3), m(3), m(3), False, 0.1, 1e-5)),
    (aten._native_batch_norm_legit_no_training.default, (m(2, 3, 4, 4), m(3), m(3), m(3), m(3),
                                                         0.1, 1e-5)),
    (aten.native_layer_norm.default, (m(2, 5, 8), [8], m(8), m(8), 1e-5)),
    (aten.native_batch_norm.default, (m(2, 3, 4, 4, dtype=torch.bfloat16), m(3), m(3), m(3),
                                      m(3), True, 0.1, 1e-5)),
    (aten.native_layer_norm.default, (m(2, 5, 8, dtype=torch.float16), [8], None, None, 1e-5)),
    (aten.native_group_norm.default, (m(2, 6, 4, 4), m(6), m(6), 2, 6, 16, 3, 1e-5)),
    (aten.relu.default, (m(2, 3),)),
    (aten.gelu.default, (m(2, 3),)),
    (aten._softmax.default, (m(2, 3), -1, False)),
    (aten.add.Tensor, (m(2, 3), m(2, 3))),
    (aten.add.Tensor, (m(2, 3), m(3))),  # broadcasting: left to torch
    (aten.mul.Tensor, (m(2, 3), m(2, 3, dtype=torch.float16))),  # promotion: left to torch
    (aten.mul.Scalar, (m(2, 3), 0.5)),
    (aten.max_pool2d_with_indices.default, (m(1, 2, 7, 7), [3, 3], [2, 2], [1, 1])),
    (aten.max_pool2d_with_indices.default, (m(1, 2, 7, 7), [3, 3], [2, 2], [0, 0], [1, 1],
                                            True)),
    (aten.avg_pool2d.default, (m(1, 2, 7, 7), [2, 2], [2, 2], [0, 0], True)),
    (aten._adaptive_avg_pool2d.default, (m(1, 2, 7, 7), [1, 1])),
    (aten.mean.dim, (m(2, 3, 4, 4), [-1, -2], True)),
    (aten.sum.dim_IntList, (m(2, 3, 4, 4), [1])),
    (aten.addmm.default, (m(5), m(4, 3), m(3, 5))),
    (aten.mm.default, (m(4, 3), m(3, 5))),
    (aten.bmm.default, (m(2, 4, 3), m(2, 3, 5))),
]


def _shapes(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return (tuple(out.shape), out.dtype)
    return tuple(_shapes(o) for o in out)


@pytest.mark.parametrize(("op", "args"), CALLS, ids=[str(op) for op, _ in CALLS])
def test_rule_agrees_with_torchs_meta_kernel(op: Any, args: tuple[Any, ...]) -> None:
    ours = RULES[op](args, {})
    theirs = op(*args)
    if ours is not None:
        assert _shapes(ours) == _shapes(theirs)
    else:  # the rule declined: only where torch's own rules are needed
        assert op in (aten.add.Tensor, aten.mul.Tensor)


def test_in_place_rules_return_the_input_itself() -> None:
    x = m(2, 3)
    assert RULES[aten.relu_.default]((x,), {}) is x
    assert RULES[aten.add_.Tensor]((x, m(2, 3)), {}) is x


def test_a_channel_mismatch_is_left_to_torch_to_report() -> None:
    args = (m(1, 4, 5, 5), m(8, 3, 3, 3), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    assert RULES[aten.convolution.default](args, {}) is None
    with pytest.raises(RuntimeError, match="channel"):
        aten.convolution.default(*args)
