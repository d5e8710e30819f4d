"""One residual block traced alone: the Report a block diagram draws (the paper's Figure 5),
built from a block kind, channels, width, stride and input size."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import BlockKind
from resnet_inspect.spec.limits import block_inner_width, check_block

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report


def paper_channels(kind: BlockKind) -> int:
    """The channels of the paper's Figure 5: a basic block at 64, a bottleneck at 256
    (its inner 1x1 -> 64, as the figure's right half)."""
    return 64 if kind.expansion == 1 else 256


def block_report(kind: BlockKind, *, channels: tuple[int, int] | int | None = None,
                 width: int | None = None, stride: int = 1,
                 spatial: tuple[int, int] | int = 56, device: str = "auto",
                 stride_on_3x3: bool = True) -> Report:
    """Trace one residual block alone, in the same setting as `compare basic bottleneck`.

    Defaults are the paper's Figure 5: a basic block at 64 channels, a bottleneck at 256,
    at 56x56; a bottleneck's inner width is output / 4 (256 -> 64). The block is built by
    `single_block.build_block` (shortcut option B) and wrapped as `layer1.0`, so its report
    reads like a network's. `stride_on_3x3=False` is the paper's v1 bottleneck (stride on
    the first 1x1).
    """
    if channels is None:
        channels = paper_channels(kind)

    import torch
    from torch import nn

    from resnet_inspect.models.single_block import build_block
    from resnet_inspect.trace.device import resolve_device
    from resnet_inspect.trace.tracer import trace

    in_ch, out_ch = (channels, channels) if isinstance(channels, int) else channels
    h, w = (spatial, spatial) if isinstance(spatial, int) else spatial

    check_block(in_ch, out_ch, h, w, width)
    if stride not in (1, 2):
        raise InspectError(f"--stride {stride}: a ResNet block strides by 1 or 2; use --stride 2")
    if kind.expansion == 1 and width is not None:
        raise InspectError(
            f"--width is a bottleneck's inner width and a {kind.value} block has none; "
            "drop --width or draw a bottleneck"
        )
    inner = block_inner_width(out_ch, width, kind.expansion != 1, kind.expansion)
    target = resolve_device(device)
    if not stride_on_3x3 and kind.expansion == 1:
        raise InspectError(
            f"--stride-on places a bottleneck's stride and a {kind.value} block has no 1x1; "
            "drop --stride-on or draw a bottleneck"
        )
    block = build_block(kind, in_ch, out_ch, inner, stride,  # on the meta device
                        stride_on_3x3=stride_on_3x3)
    model = nn.Sequential(OrderedDict(layer1=nn.Sequential(block)))
    if target.type != "meta":  # counts need no weights: zeros on the chosen device
        model = model.to_empty(device=target)
        with torch.no_grad():
            for t in (*model.parameters(), *model.buffers()):
                t.zero_()
    return trace(model, (in_ch, h, w), device=target, name=f"{kind.value} block")
