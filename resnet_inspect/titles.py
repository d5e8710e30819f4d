"""Human titles for network names, as the papers write them (no torch needed).

`title("resnet50d")` is "ResNet-50-D", `title("wrn28_10")` is "WRN-28-10": the spelling of
He et al. 2015 / 2016, Zagoruyko & Komodakis 2016, Xie et al. 2017 and He et al. 2018 (Bag
of Tricks). Diagram captions and table titles use it; a name it does not know (a user's own
model) comes back unchanged, so nothing is ever renamed wrongly.
"""

from __future__ import annotations

import re

__all__ = ["title"]

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Bag of Tricks variants: ResNet-50-D (He et al. 2018 write "ResNet-50-D" in Table 5)
    (re.compile(r"resnet(\d+)([bcd])"), "ResNet-{0}-{1!u}"),
    (re.compile(r"resnet(\d+)"), "ResNet-{0}"),
    (re.compile(r"preact_resnet(\d+)"), "Pre-activation ResNet-{0}"),
    (re.compile(r"wrn(\d+)_(\d+)"), "WRN-{0}-{1}"),
    (re.compile(r"wide_resnet(\d+)_(\d+)"), "Wide ResNet-{0}-{1}"),
    (re.compile(r"resnext(\d+)_(\d+)x(\d+)d"), "ResNeXt-{0} ({1}x{2}d)"),
    (re.compile(r"vgg(\d+)_bn"), "VGG-{0} (batch-norm)"),
    (re.compile(r"vgg(\d+)"), "VGG-{0}"),
    (re.compile(r"lenet(\d+)"), "LeNet-{0}"),
    (re.compile(r"alexnet"), "AlexNet"),
)
_PLAIN = re.compile(r"(.+?)[-_]plain")


def _fill(template: str, groups: tuple[str, ...]) -> str:
    out = template
    for i, value in enumerate(groups):
        out = out.replace(f"{{{i}!u}}", value.upper()).replace(f"{{{i}}}", value)
    return out


def title(name: str) -> str:
    """The paper's spelling of a preset name; any other name is returned as given.

    A plain twin ("resnet34-plain", built with --plain) is "34-layer plain", the paper's
    words for the network without shortcuts (He et al. 2015, Figure 3).
    """
    key = name.strip()
    plain = _PLAIN.fullmatch(key.lower())
    if plain:
        base = plain.group(1)
        depth = re.fullmatch(r"resnet(\d+)", base)
        if depth:
            return f"{depth.group(1)}-layer plain"
        inner = title(base)
        return f"{inner} (plain)" if inner != base else name
    for pattern, template in _RULES:
        found = pattern.fullmatch(key.lower())
        if found:
            return _fill(template, found.groups())
    return name
