"""A network without residual blocks (VGG, AlexNet, LeNet) drawn in sections by output
resolution, as the ResNet paper's Figure 3 draws VGG-19 beside the residual networks:
224×224, 112×112, 56×56 ... each layer in the section of the feature map it makes (a pool
opens the smaller one), the classifier as the head. A ResNet keeps its paper stages."""

from __future__ import annotations

import re
from dataclasses import replace

from resnet_inspect.report.model import Report

_RESOLUTION = re.compile(r"(\d+)×(\d+)")


def by_resolution(report: Report) -> Report:
    """The report with each layer's stage renamed to its output's resolution ('56×56';
    vectors and 1×1 maps: 'fc', the head), for a network with no blocks; else as it is."""
    if report.blocks:
        return report
    layers = []
    for r in report.layers:
        out = r.output_shape
        spatial = len(out) == 4 and out[2] * out[3] > 1
        layers.append(replace(r, stage=f"{out[2]}×{out[3]}" if spatial else "fc"))
    return replace(report, layers=layers)


def resolution(stage: str) -> int | None:
    """A section's height in pixels ('56×56' -> 56), None for a named stage."""
    m = _RESOLUTION.fullmatch(stage)
    return int(m.group(1)) if m else None
