"""Harness rows of the products: convolutions, matrix products, attention, forward and
backward. torch.utils.flop_counter is the reference wherever it has a formula and is
right; a closed form, with its arithmetic, where it has none or is wrong (said why)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tests.harness import (
    Row,
    aten,
    backward_of,
    both,
    fixed,
    flops,
    m,
    macs,
    torch_counter,
)

CONV, LINEAR, ATT, ACT = "conv", "linear", "attention", "activation"

ROWS: list[Row] = [
    # ---- convolution: torch's conv_flop_count, 2 x out positions x C_out x C_in/g x k
    Row(aten.convolution, lambda: F.conv2d(m(2, 4, 9, 9), m(6, 2, 3, 3), m(6), stride=2,
                                           padding=1, dilation=2, groups=2),
        torch_counter(CONV), "grouped-dilated-bias"),
    Row(aten.convolution, lambda: F.conv2d(m(4, 9, 9), m(6, 4, 3, 3)), torch_counter(CONV),
        "unbatched"),
    Row(aten.convolution, lambda: F.conv1d(m(2, 3, 10), m(5, 3, 4), stride=3),
        torch_counter(CONV), "1d"),
    Row(aten.convolution, lambda: F.conv3d(m(1, 2, 5, 5, 5), m(4, 2, 2, 2, 2), padding=1),
        torch_counter(CONV), "3d"),
    Row(aten.convolution, lambda: F.conv_transpose2d(m(2, 4, 5, 5), m(4, 3, 3, 3), stride=2,
                                                     output_padding=1, groups=2),
        torch_counter(CONV), "transposed-grouped"),
    Row(aten.convolution, lambda: torch.nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect",
                                                  bias=False, device="meta")(m(1, 3, 7, 7)),
        torch_counter(CONV), "reflect-padding"),
    Row(aten.convolution, lambda: F.conv2d(m(1, 8, 6, 6), m(8, 1, 3, 3), groups=8,
                                           padding="same"),
        torch_counter(CONV), "depthwise-same"),
    Row(aten._convolution, lambda: aten._convolution(
        m(1, 3, 6, 6), m(4, 3, 3, 3), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1,
        False, False, True, True), torch_counter(CONV), "default"),
    # ---- convolution_backward: grad_input and grad_weight each cost the forward's MACs
    Row(aten.convolution_backward, lambda: backward_of(F.conv2d(
        m(2, 3, 8, 8, grad=True), m(4, 3, 3, 3, grad=True), m(4, grad=True), padding=1)),
        torch_counter(CONV), "input-weight-bias"),
    Row(aten.convolution_backward, lambda: backward_of(F.conv2d(
        m(2, 3, 8, 8), m(4, 3, 3, 3, grad=True))), torch_counter(CONV), "weight-only"),
    Row(aten.convolution_backward, lambda: backward_of(F.conv_transpose1d(
        m(2, 4, 7, grad=True), m(4, 3, 3, grad=True), stride=2)),
        torch_counter(CONV), "transposed"),
    # Grouped: torch's conv_backward_flop computes the weight gradient as a conv of the
    # transposed input [C_in, B, ...] with grad_out [C_out, B, ...], ignoring groups, so it
    # counts C_in where each weight sees C_in / groups: `groups` times too much. Closed
    # form instead: forward out 2 x 6 x 6 x 6 = 432 positions x (4 / 2 x 9) = 7,776 MACs;
    # grad_input 7,776 + grad_weight 7,776 = 15,552.
    Row(aten.convolution_backward, lambda: backward_of(F.conv2d(
        m(2, 4, 8, 8, grad=True), m(6, 2, 3, 3, grad=True), groups=2)),
        fixed(macs(CONV, 15_552)), "grouped"),
    # ---- matrix products
    Row(aten.mm, lambda: m(3, 4) @ m(4, 5), torch_counter(LINEAR), "2d"),
    Row(aten.mm, lambda: m(2, 3, 4, 5) @ m(5, 6), torch_counter(LINEAR), "broadcast-4d"),
    Row(aten.addmm, lambda: F.linear(m(7, 4), m(5, 4), m(5)), torch_counter(LINEAR), "linear"),
    Row(aten.addmm, lambda: F.linear(m(2, 3, 4), m(5, 4), m(5)), torch_counter(LINEAR),
        "linear-3d"),
    # _addmm_activation(bias, a [3, 4], b [4, 5]): torch has no formula; 3 x 5 x 4 = 60
    Row(aten._addmm_activation, lambda: aten._addmm_activation(m(5), m(3, 4), m(4, 5)),
        fixed(macs(LINEAR, 60)), "relu"),
    # torch has no formula for the vector products: mv [3, 4] x [4] = 12, addmv the same
    Row(aten.mv, lambda: torch.mv(m(3, 4), m(4)), fixed(macs(LINEAR, 12)), "3x4"),
    Row(aten.addmv, lambda: torch.addmv(m(3), m(3, 4), m(4)), fixed(macs(LINEAR, 12)), "3x4"),
    Row(aten.dot, lambda: torch.dot(m(6), m(6)), fixed(macs(LINEAR, 6)), "6"),  # 6 products
    Row(aten.vdot, lambda: torch.vdot(m(6), m(6)), fixed(macs(LINEAR, 6)), "6"),
    Row(aten.bmm, lambda: m(2, 3, 4) @ m(2, 4, 5), torch_counter(ATT), "3d"),
    Row(aten.bmm, lambda: m(2, 1, 3, 4) @ m(3, 4, 5), torch_counter(ATT), "broadcast"),
    Row(aten.baddbmm, lambda: torch.baddbmm(m(2, 3, 5), m(2, 3, 4), m(2, 4, 5)),
        torch_counter(ATT), "3d"),
    # addbmm sums B products: torch has no formula; 2 x 3 x 5 x 4 = 120
    Row(aten.addbmm, lambda: torch.addbmm(m(3, 5), m(2, 3, 4), m(2, 4, 5)),
        fixed(macs(ATT, 120)), "3d"),
]

# ---- fused attention: q [B, H, L, E] = [2, 3, 5, 4], k [2, 3, 6, 4], v [2, 3, 6, Ev]
# torch's sdpa_flop_count gives the two products; the softmax over B H L S = 180 scores
# is 5 FLOPs each (docs/counting.md) = 900, which torch does not count. The fused kernels
# compute every score whatever the mask (causal or not), as torch's counter also assumes.
SOFTMAX = fixed(flops(ACT, 5 * 2 * 3 * 5 * 6))


def _qkv(ev: int = 4, grad: bool = False) -> tuple[torch.Tensor, ...]:
    return m(2, 3, 5, 4, grad=grad), m(2, 3, 6, 4, grad=grad), m(2, 3, 6, ev, grad=grad)


def _heads_second(*ts: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return tuple(t.transpose(1, 2) for t in ts)  # [B, L, H, E], the kernels' layout


ROWS += [
    Row(aten._scaled_dot_product_efficient_attention, lambda: aten.
        _scaled_dot_product_efficient_attention(*_qkv(7), m(2, 3, 5, 6), False),
        both(torch_counter(ATT), SOFTMAX), "masked"),
    Row(aten._scaled_dot_product_flash_attention, lambda: aten.
        _scaled_dot_product_flash_attention(*_qkv(), is_causal=True),
        both(torch_counter(ATT), SOFTMAX), "causal"),
    Row(aten._scaled_dot_product_cudnn_attention, lambda: aten.
        _scaled_dot_product_cudnn_attention(*_qkv(7), None, False),
        both(torch_counter(ATT), SOFTMAX), "plain"),
    # The kernels under sdpa take [B, L, H, E]; torch's counter passes that dense layout
    # to sdpa_flop_count as if it were [B, H, L, E] (right only for its nested [T, H, E]
    # path), so closed forms: Q K^T 720 MACs, P V 2 x 3 x 5 x 6 x Ev (4: 720, 7: 1,260)
    Row(aten._flash_attention_forward, lambda: aten._flash_attention_forward(
        *_heads_second(*_qkv()), None, None, 5, 6, 0.0, True, False),
        both(fixed(macs(ATT, 720 + 720)), SOFTMAX), "causal"),
    Row(aten._efficient_attention_forward, lambda: aten._efficient_attention_forward(
        *_heads_second(*_qkv(7)), None, None, None, None, None, 0.0, 0, False),
        both(fixed(macs(ATT, 720 + 1_260)), SOFTMAX), "plain"),
    # torch has no formula for the CPU flash kernel nor the overrideable one: Q K^T
    # 2 x 3 x 5 x 6 x 4 = 720 and P V 2 x 3 x 5 x 6 x 7 = 1,260 MACs
    Row(aten._scaled_dot_product_flash_attention_for_cpu, lambda: aten.
        _scaled_dot_product_flash_attention_for_cpu(*_qkv(7), is_causal=True),
        both(fixed(macs(ATT, 720 + 1_260)), SOFTMAX), "causal"),
    Row(aten._scaled_dot_product_fused_attention_overrideable, lambda: aten.
        _scaled_dot_product_fused_attention_overrideable(*_qkv(7)),
        both(fixed(macs(ATT, 720 + 1_260)), SOFTMAX), "plain"),
]

# ---- fused attention backward: torch's sdpa_backward_flop_count (scores recomputed,
# then dP, dV, dQ, dK); softmax backward 3 FLOPs per score = 540, not counted by torch
SOFTMAX_BACK = fixed(flops(ACT, 3 * 2 * 3 * 5 * 6))


def _grad_of(fused: object, ev: int = 4, heads_second: bool = False, *rest: object) -> None:
    q, k, v = _qkv(ev, grad=True)
    qkv = _heads_second(q, k, v) if heads_second else (q, k, v)
    backward_of(fused(*qkv, *rest))  # type: ignore[operator]


ROWS += [
    Row(aten._scaled_dot_product_efficient_attention_backward, lambda: _grad_of(
        aten._scaled_dot_product_efficient_attention, 7, False, None, True),
        both(torch_counter(ATT), SOFTMAX_BACK), "default"),
    Row(aten._scaled_dot_product_flash_attention_backward, lambda: _grad_of(
        aten._scaled_dot_product_flash_attention, 4),
        both(torch_counter(ATT), SOFTMAX_BACK), "default"),
    Row(aten._scaled_dot_product_cudnn_attention_backward, lambda: _grad_of(
        aten._scaled_dot_product_cudnn_attention, 7, False, None, True),
        both(torch_counter(ATT), SOFTMAX_BACK), "default"),
    # per B H = 6, L S = 30 scores x (3 x E 4 + 2 x Ev): torch's steps, as above, where
    # its counter has no formula (the CPU kernel) or misreads the [B, L, H, E] layout:
    # Ev 4: 30 x 20 x 6 = 3,600 MACs; Ev 7: 30 x 26 x 6 = 4,680
    Row(aten._flash_attention_backward, lambda: _grad_of(
        aten._flash_attention_forward, 4, True, None, None, 5, 6, 0.0, False, False),
        both(fixed(macs(ATT, 3_600)), SOFTMAX_BACK), "default"),
    Row(aten._efficient_attention_backward, lambda: _grad_of(
        aten._efficient_attention_forward, 7, True, None, None, None, None, None, 0.0, 0,
        True), both(fixed(macs(ATT, 4_680)), SOFTMAX_BACK), "default"),
    Row(aten._scaled_dot_product_flash_attention_for_cpu_backward, lambda: _grad_of(
        aten._scaled_dot_product_flash_attention_for_cpu, 7),
        both(fixed(macs(ATT, 4_680)), SOFTMAX_BACK), "default"),
    Row(aten._scaled_dot_product_fused_attention_overrideable_backward, lambda: _grad_of(
        aten._scaled_dot_product_fused_attention_overrideable, 7),
        both(fixed(macs(ATT, 4_680)), SOFTMAX_BACK), "default"),
]
