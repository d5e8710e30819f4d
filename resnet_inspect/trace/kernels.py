"""The kernel a device would run, for a training step traced on meta.

On meta, torch decomposes F.scaled_dot_product_attention into its math path (two matmuls
and a softmax), which keeps the whole attention matrix for the backward. The CPU (and a
GPU) run a fused kernel instead whenever its conditions hold, and that kernel keeps only
the output and the log-sum-exp of each row (batch x heads x queries floats). So that the
memory counted is the memory a step uses, a step on meta asks torch which kernel its CPU
would pick for the same shapes, dtypes and flags, and runs that one (its meta kernel).

The FLOPs do not change: the fused operators are counted with the math path's products
(counting/forward.py, backward.py: the backward as twice the forward's products).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from resnet_inspect import private

_FLASH = 1  # torch.nn.attention.SDPBackend.FLASH_ATTENTION
_SDPA_ARGS = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale",
              "enable_gqa")
_SDPA_DEFAULTS: dict[str, Any] = {"attn_mask": None, "dropout_p": 0.0, "is_causal": False,
                                  "scale": None, "enable_gqa": False}


def _cpu_like(t: torch.Tensor) -> torch.Tensor:
    """A CPU tensor with `t`'s shape, dtype, last stride 1 and requires_grad, holding one
    row (the others repeat it by stride 0): enough for torch to pick a kernel."""
    row = torch.empty(t.shape[-1] if t.dim() else 1, dtype=t.dtype,
                      requires_grad=t.requires_grad and t.is_floating_point())
    return row.expand(t.shape)


def cpu_attention_kernel(call: dict[str, Any]) -> int:
    """The SDPBackend torch's CPU would run for this scaled_dot_product_attention call
    (asked through a private torch API: resnet_inspect/private.py guards it)."""
    mask = call["attn_mask"]
    # outside the counter: asking is neither work nor memory of the model
    with private.no_dispatch_modes():
        return private.fused_sdp_choice(
            _cpu_like(call["query"]), _cpu_like(call["key"]), _cpu_like(call["value"]),
            _cpu_like(mask) if isinstance(mask, torch.Tensor) else None,
            call["dropout_p"], call["is_causal"], scale=call["scale"],
            enable_gqa=call["enable_gqa"])


class DeviceKernels(TorchFunctionMode):
    """Scaled-dot-product attention on meta as the CPU would run it: the fused CPU flash
    kernel where torch would pick it, else the math path torch itself would take."""

    def __torch_function__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func is F.scaled_dot_product_attention:
            call = {**_SDPA_DEFAULTS, **dict(zip(_SDPA_ARGS, args, strict=False)), **kwargs}
            q = call["query"]
            if isinstance(q, torch.Tensor) and q.is_meta and not call["enable_gqa"] \
                    and cpu_attention_kernel(call) == _FLASH:
                out = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
                    q, call["key"], call["value"], call["dropout_p"], call["is_causal"],
                    attn_mask=call["attn_mask"], scale=call["scale"])
                return out[0]
        return func(*args, **kwargs)


class FusedRecompute(TorchFunctionMode):
    """Watches scaled_dot_product_attention calls on meta (running them as they are) and
    adds up the Q K^T products a fused CPU kernel would recompute in its backward
    (batch x heads x queries x keys x E_qk MACs a call): what separates the math path's
    count from the fused kernel's, for `check --train`."""

    def __init__(self) -> None:
        super().__init__()
        self.macs = 0

    def __torch_function__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func is F.scaled_dot_product_attention:
            call = {**_SDPA_DEFAULTS, **dict(zip(_SDPA_ARGS, args, strict=False)), **kwargs}
            q, k = call["query"], call["key"]
            if isinstance(q, torch.Tensor) and q.is_meta and not call["enable_gqa"] \
                    and q.requires_grad and cpu_attention_kernel(call) == _FLASH:
                self.macs += q.shape[:-2].numel() * q.shape[-2] * k.shape[-2] * q.shape[-1]
        return func(*args, **kwargs)
