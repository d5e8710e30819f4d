"""Every plain-Python meta shape rule against torch's own kernels: the shapes and dtypes
of its meta kernel, the strides its CPU kernel gives (the layout decides which operators
run next, so it decides the counts), and no answer (None) wherever the rule does not
cover a call completely: other layouts, tensors that are not on meta."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from resnet_inspect.counting.meta_ops import _UNARY, RULES

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


CL = torch.channels_last


def cl(*shape: int) -> torch.Tensor:
    return m(*shape).contiguous(memory_format=CL)


CALLS += [
    # layouts: channels-last convolutions and norms follow oneDNN and cuDNN (channels last
    # out when the input or the weight is); torch's meta kernel says contiguous there
    (aten.convolution.default, (cl(2, 4, 6, 6), m(6, 4, 3, 3), None, [1, 1], [1, 1], [1, 1],
                                False, [0, 0], 1)),
    (aten.convolution.default, (m(2, 4, 6, 6).transpose(2, 3), cl(6, 4, 3, 3), None, [1, 1],
                                [0, 0], [1, 1], False, [0, 0], 1)),
    (aten.convolution.default, (cl(2, 4, 5, 5), m(4, 3, 3, 3), None, [2, 2], [1, 1], [1, 1],
                                True, [1, 1], 1)),
    (aten.convolution.default, (m(1, 4, 5), m(4, 2, 3), None, [2], [0], [1], True, [0], 2)),
    (aten.native_batch_norm.default, (m(2, 3, 4, 4).transpose(2, 3), m(3), m(3), m(3), m(3),
                                      False, 0.1, 1e-5)),
    (aten.native_batch_norm.default, (cl(2, 3, 4, 4), m(3), m(3), m(3), m(3), True, 0.1,
                                      1e-5)),
    (aten.native_group_norm.default, (cl(2, 6, 4, 4), m(6), m(6), 2, 6, 16, 3, 1e-5)),
    (aten.mm.default, (m(3, 4).t(), m(3, 5))),
    (aten.relu.default, (m(2, 3).t(),)),  # transposed: left to torch
    (aten.add.Tensor, (cl(1, 2, 3, 3), cl(1, 2, 3, 3))),  # channels last: left to torch
    (aten.avg_pool2d.default, (m(1, 2, 6, 6), [2, 2])),
    (aten._safe_softmax.default, (m(2, 3), -1)),
    (aten._log_softmax.default, (m(2, 3), 1, False)),
    (aten.div.Tensor, (m(2, 3), m(2, 3))), (aten.sub.Tensor, (m(2, 3), m(2, 3))),
    (aten.add.Scalar, (m(2, 3), 1.0)), (aten.sub.Scalar, (m(2, 3), 1.0)),
    (aten.div.Scalar, (m(2, 3), 2.0)),
]
# every activation the rules answer, out of place and in place; the in-place binary ops
_ACTIVATION_OPS = [op for op in RULES if op.overloadpacket.__name__.rstrip("_") in _UNARY]
CALLS += [(op, (m(2, 3),)) for op in _ACTIVATION_OPS]
CALLS += [(getattr(aten, name + "_").Tensor, (m(2, 3), m(2, 3)))
          for name in ("add", "sub", "mul", "div")]
# a rule declines these: other layouts, broadcasting, promotion (torch's own rules)
DECLINED = {aten.add.Tensor, aten.mul.Tensor, aten.relu.default}


def _cpu(value: Any) -> Any:
    """The same call's arguments on the CPU, strides kept."""
    if isinstance(value, torch.Tensor):
        return torch.zeros_like(torch.empty_strided(value.shape, value.stride(),
                                                    dtype=value.dtype))
    if isinstance(value, (list, tuple)):
        return type(value)(_cpu(v) for v in value)
    return value


def _layout(out: Any) -> Any:
    # the first output, which the next operators read (a norm's saved statistics differ
    # between CPU and meta kernels in ways no count depends on: eval batch-norm's are
    # empty on the CPU, a float16 layer-norm's are float16 there)
    first = out if isinstance(out, torch.Tensor) else out[0]
    return (tuple(first.shape), first.dtype, first.stride())


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
        # the strides of torch's CPU kernel, which meta must match for equal counts
        assert _layout(ours) == _layout(op(*_cpu(args)))
    else:  # the rule declined: only where torch's own rules are needed
        assert op in DECLINED


def test_every_rule_is_checked() -> None:
    # a rule added without a call above fails here
    assert set(RULES) - {op for op, _ in CALLS} == set()


def test_tensors_off_meta_are_left_alone() -> None:
    # a model's host-side arithmetic during a meta trace runs on the CPU, as anywhere
    for op, args in CALLS:
        assert RULES[op](_cpu(args), {}) is None, op


def test_in_place_rules_return_the_input_itself() -> None:
    x = m(2, 3)
    assert RULES[aten.relu_.default]((x,), {}) is x
    assert RULES[aten.add_.Tensor]((x, m(2, 3)), {}) is x


def test_a_channel_mismatch_is_left_to_torch_to_report() -> None:
    args = (m(1, 4, 5, 5), m(8, 3, 3, 3), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    assert RULES[aten.convolution.default](args, {}) is None
    with pytest.raises(RuntimeError, match="channel"):
        aten.convolution.default(*args)
