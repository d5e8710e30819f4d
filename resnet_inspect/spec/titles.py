"""Preset names -> the names the papers print, for titles of diagrams and slides.

Torch-free on purpose (only `re`): a notebook or a docs script can title a figure without
importing torch. Names follow each paper's own spelling: "ResNet-50" (He et al. 2015),
"ResNet-50-D" (He et al. 2018, Bag of Tricks, Table 5 writes ResNet-50-D), "Pre-activation
ResNet-164" (He et al. 2016, Identity Mappings), "WRN-28-10" (Zagoruyko and Komodakis 2016,
WRN-n-k), "ResNeXt-50 (32x4d)" (Xie et al. 2017, Table 1), "VGG-19" (Simonyan and
Zisserman 2014). An unknown name comes back unchanged.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (r"resnet(\d+)", r"ResNet-\1"),
    (r"resnet(\d+)([bcd])", r"ResNet-\1-\2"),
    (r"preact_resnet(\d+)", r"Pre-activation ResNet-\1"),
    (r"wrn(\d+)_(\d+)", r"WRN-\1-\2"),
    (r"wide_resnet(\d+)_(\d+)", r"Wide ResNet-\1-\2"),
    (r"resnext(\d+)_(\d+)x(\d+)d", r"ResNeXt-\1 (\2x\3d)"),
    (r"vgg(\d+)", r"VGG-\1"),
    (r"vgg(\d+)_bn", r"VGG-\1 (batch-norm)"),
    (r"lenet5", "LeNet-5"),
    (r"alexnet", "AlexNet"),
)


def human_title(name: str, *, plain: bool = False) -> str:
    """'resnet50d' -> 'ResNet-50-D', 'wrn28_10' -> 'WRN-28-10'; with `plain`, the paper's
    shortcut-free baseline: 'resnet34' (or the registry's 'resnet34-plain') -> 'plain-34'
    (ResNet paper, Figure 3)."""
    if plain:
        name = name.removesuffix("-plain")
    for pattern, replacement in _RULES:
        m = re.fullmatch(pattern, name)
        if m:
            if plain and pattern == r"resnet(\d+)":
                return f"plain-{m.group(1)}"
            title = m.expand(replacement)
            if pattern == r"resnet(\d+)([bcd])":
                title = title[:-1] + m.group(2).upper()
            return f"{title} (plain)" if plain else title
    return f"{name} (plain)" if plain else name
