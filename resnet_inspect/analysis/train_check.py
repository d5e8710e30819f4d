"""`check --train`: our training step's products against torch's own counter.

torch.utils.flop_counter.FlopCounterMode counts the convolutions and matrix products of
a forward and backward pass, 2 FLOPs per MAC, gradients only where autograd computes
them. Our forward and backward MACs of those categories, doubled, must equal it exactly,
but for one known difference, which is torch's: its `convolution_backward` formula
computes a weight gradient as a convolution of the transposed input with grad_out and
ignores `groups`, so it counts each of a grouped convolution's weight gradients `groups`
times over (a depthwise conv's C_in times). Ours charges each weight C_in / groups inputs,
as the forward does (tests/test_formula_harness.py has the closed form). That excess is
measured on the very calls torch counts, and shown as the explanation of the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resnet_inspect.counting.categories import PRODUCTS
from resnet_inspect.report.model import Report


@dataclass
class TrainCheck:
    torch_version: str
    torch_flops: int  # forward + backward, FlopCounterMode on meta
    forward_macs: int  # ours, conv + linear + attention
    backward_macs: int
    # torch's count beyond ours on grouped convolutions' weight gradients (its formula
    # ignores groups), and how many such calls
    grouped_excess_flops: int = 0
    grouped_calls: int = 0

    @property
    def ours_flops(self) -> int:
        return 2 * (self.forward_macs + self.backward_macs)

    @property
    def accounted(self) -> bool:
        return self.torch_flops == self.ours_flops + self.grouped_excess_flops

    def text(self) -> str:
        mark = "✓" if self.accounted else "✗ (NOT equal)"
        line = (f"torch counter {self.torch_version}, one training step: "
                f"{self.torch_flops:,} FLOPs = 2 x (forward {self.forward_macs:,} + backward "
                f"{self.backward_macs:,} MACs) = {self.ours_flops:,}")
        if not self.grouped_excess_flops:
            return f"{line} {mark}"
        return (f"{line} + {self.grouped_excess_flops:,} {mark}\n"
                f"  + {self.grouped_excess_flops:,}: torch's convolution_backward formula "
                f"ignores groups in the weight gradient, counting each of "
                f"{self.grouped_calls} grouped convolutions' weight gradients groups times "
                "over; ours counts C_in / groups inputs per weight, as the forward does")


def _grouped_excess() -> Any:
    """A dispatch mode that sums what torch's formula counts beyond ours on grouped
    convolutions' weight gradients: torch's figure for the call less ours, both read
    from the call's own shapes."""
    from torch.utils.flop_counter import flop_registry

    from resnet_inspect.counting.ops import counts_for
    from resnet_inspect.private import DispatchMode

    class GroupedExcess(DispatchMode):
        excess = 0
        calls = 0

        def __torch_dispatch__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                               kwargs: dict[str, Any] | None = None) -> Any:
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            packet = func.overloadpacket
            if packet.__name__ == "convolution_backward" and args[9] > 1 and args[10][1]:
                theirs = flop_registry[packet](*args, out_val=out, **kwargs)
                first = out[0] if out[0] is not None else out[1]
                ours = sum(c.flops for c in counts_for(func, args, kwargs, first.shape) or ())
                self.excess += theirs - ours
                self.calls += 1
            return out

    return GroupedExcess()


def check_training(subject: Any, report: Report) -> TrainCheck:
    import torch
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    from resnet_inspect.models.builder import build_model
    from resnet_inspect.trace.kernels import FusedRecompute
    from resnet_inspect.trace.tensors import meta_stand_ins
    from resnet_inspect.trace.training import train_mode

    model = subject if isinstance(subject, nn.Module) else build_model(subject, device="meta",
                                                                         init=False)
    shape = report.input_shape
    grouped = _grouped_excess()
    recompute = FusedRecompute()
    with train_mode(model), meta_stand_ins(model, None, shared=False), \
            FlopCounterMode(display=False) as counter, grouped, recompute:
        out = model(torch.zeros(shape, device="meta"))
        outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(t, torch.Tensor) and t.requires_grad]
        torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
    fwd = sum(report.totals.by_category.get(c, {}).get("macs", 0) for c in PRODUCTS)
    back = sum(report.totals.backward_by_category.get(c, {}).get("macs", 0) for c in PRODUCTS)
    # torch's counter runs attention's math path on meta; the CPU's fused kernel, which
    # our step counts, also recomputes Q K^T in its backward (2 FLOPs a MAC)
    total = int(counter.get_total_flops()) + 2 * recompute.macs
    return TrainCheck(torch.__version__.split("+")[0], total, fwd, back, grouped.excess,
                      grouped.calls)
