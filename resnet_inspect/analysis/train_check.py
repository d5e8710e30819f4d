"""`check --train`: our training step's products against torch's own counter.

torch.utils.flop_counter.FlopCounterMode counts the convolutions and matrix products of
a forward and backward pass, 2 FLOPs per MAC, gradients only where autograd computes
them. Our forward and backward MACs of those categories, doubled, must equal it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resnet_inspect.counting.categories import Category
from resnet_inspect.report.model import Report


@dataclass
class TrainCheck:
    torch_version: str
    torch_flops: int  # forward + backward, FlopCounterMode on meta
    forward_macs: int  # ours, conv + linear + attention
    backward_macs: int

    @property
    def ours_flops(self) -> int:
        return 2 * (self.forward_macs + self.backward_macs)

    @property
    def accounted(self) -> bool:
        return self.torch_flops == self.ours_flops

    def text(self) -> str:
        mark = "✓" if self.accounted else "✗ (NOT equal)"
        return (f"torch counter {self.torch_version}, one training step: "
                f"{self.torch_flops:,} FLOPs = 2 x (forward {self.forward_macs:,} + backward "
                f"{self.backward_macs:,} MACs) = {self.ours_flops:,} {mark}")


def check_training(subject: Any, report: Report) -> TrainCheck:
    import torch
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    from resnet_inspect.models.builder import build_model
    from resnet_inspect.trace.tensors import meta_stand_ins
    from resnet_inspect.trace.training import train_mode

    model = subject if isinstance(subject, nn.Module) else build_model(subject, device="meta",
                                                                         init=False)
    shape = report.input_shape
    with train_mode(model), meta_stand_ins(model, None, shared=False), \
            FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(shape, device="meta"))
        outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(t, torch.Tensor) and t.requires_grad]
        torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
    heads = (Category.CONV, Category.LINEAR, Category.ATTENTION)
    fwd = sum(report.totals.by_category.get(c, {}).get("macs", 0) for c in heads)
    back = sum(report.totals.backward_by_category.get(c, {}).get("macs", 0) for c in heads)
    return TrainCheck(torch.__version__.split("+")[0], int(counter.get_total_flops()), fwd, back)
