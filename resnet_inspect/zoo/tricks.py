"""ResNet-B, -C and -D (He et al. 2018, "Bag of Tricks for Image Classification", Figure 2).

B: stride on the 3x3 (torchvision's v1.5, so resnetNb == resnetN); C: B + a deep stem of
three 3x3 convs (32, 32, 64 wide, timm's stem_width=32); D: C + a 2x2 average pool before
the shortcut's 1x1 projection."""

from __future__ import annotations

from typing import Any

from resnet_inspect.spec.arch import BlockKind, StemKind, StrideOn
from resnet_inspect.spec.registry import register
from resnet_inspect.zoo.resnet import IMAGENET_DEPTHS, imagenet

ORDER = 20
FAMILY = "ResNet-B/C/D (Bag of Tricks)"

TRICKS: dict[str, tuple[str, dict[str, Any]]] = {
    "b": ("stride on the 3x3", {"stride_on": StrideOn.CONV3X3}),
    "c": ("deep 3x3 stem", {"stem": StemKind.DEEP}),
    "d": ("C + avg-pool shortcut", {"stem": StemKind.DEEP, "avg_down": True}),
}


def register_all() -> None:
    for d in IMAGENET_DEPTHS:
        for letter, (what, changes) in TRICKS.items():
            note = ""
            if letter == "b" and IMAGENET_DEPTHS[d][0] is BlockKind.BASIC:
                note = f" (same as resnet{d}: a basic block has no 1x1 to stride)"
            register(f"resnet{d}{letter}", FAMILY,
                     f"{letter.upper()}: " + (f"same as resnet{d}" if note else what))(
                imagenet(d, f"resnet{d}{letter}", FAMILY,
                         f"ResNet-{d}{letter.upper()}: {what} (He et al. 2018, Bag of "
                         f"Tricks){note}",
                         **changes))
