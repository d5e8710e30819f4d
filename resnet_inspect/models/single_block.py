"""One residual block on its own, as `compare basic bottleneck` and the block diagrams trace
it: built from `blocks.py` at given channels, width and stride, with the paper's option B
shortcut."""

from __future__ import annotations

import torch
from torch import nn

from resnet_inspect.models.blocks import BLOCKS
from resnet_inspect.spec.arch import BlockKind, ShortcutUse


def build_block(kind: BlockKind, in_channels: int, out_channels: int, width: int,
                stride: int, device: str | torch.device = "meta", *,
                stride_on_3x3: bool = True) -> nn.Module:
    """One block on `device` (meta: no memory), shortcut chosen as the paper's option B.

    Option B (ResNet paper, section 3.3, torchvision's choice): identity when the shape is
    kept, a 1x1 projection + BN when the stride or the channel count changes. `device` is
    one torch knows (callers resolve 'auto' and check that CUDA is there first).
    """
    changes_shape = stride != 1 or in_channels != out_channels
    use = ShortcutUse.PROJECTION if changes_shape else ShortcutUse.IDENTITY
    with torch.device(device):
        if kind.expansion == 1:
            return BLOCKS[kind](in_channels, out_channels, stride, use)
        # A bottleneck's class takes the width whose 4x is its output; `inner` is its 3x3's.
        return BLOCKS[kind](in_channels, out_channels // kind.expansion, stride, use,
                            inner=width, stride_on_3x3=stride_on_3x3)
