"""Layer names in three schemes (`--names`).

- torchvision: the module path (`layer3.22.conv3`).
- paper: the ResNet paper's stage rows, blocks counted from 1 (`conv4_x.23.conv3`).
- caffe: the original Caffe release's names, as the seed material lists them
  (`res4b22_branch2c`, `bn2a_branch1`, `pool5`, `fc1000`). In that release ResNet-50
  letters its blocks a, b, c, ...; ResNet-101 and -152 letter only the first block of a long
  stage and number the rest (res4a, res4b1 ... res4b22).
"""

from __future__ import annotations

import re
import string
from enum import Enum

from resnet_inspect.report.format import visible
from resnet_inspect.report.model import Report


class NameScheme(str, Enum):
    TORCHVISION = "torchvision"
    PAPER = "paper"
    CAFFE = "caffe"


_LAYER = re.compile(r"layer(\d+)\.(\d+)(?:\.(.*))?$")
_BRANCH = {"conv1": "2a", "conv2": "2b", "conv3": "2c"}
_CAFFE_TOP = {
    "conv1": "conv1",
    "bn1": "bn_conv1",
    "relu": "conv1_relu",
    "maxpool": "pool1",
    "avgpool": "pool5",
}


def _block_label(index: int, stage_blocks: int, numbered: bool) -> str:
    if numbered and stage_blocks > 3:
        return "a" if index == 0 else f"b{index}"
    if index < len(string.ascii_lowercase):
        return string.ascii_lowercase[index]
    return f"b{index}"


class Namer:
    def __init__(self, report: Report, scheme: NameScheme | str) -> None:
        self.scheme = NameScheme(scheme)
        self.fc_name = "fc"
        fc = next((r for r in report.layers if r.name == "fc"), None)
        if fc is not None and fc.output_shape:
            self.fc_name = f"fc{fc.output_shape[-1]}"
        self.blocks_per_stage: dict[int, int] = {}
        for b in report.blocks:
            m = _LAYER.match(b.name)
            if m:
                s = int(m.group(1))
                self.blocks_per_stage[s] = self.blocks_per_stage.get(s, 0) + 1
        # The Caffe release numbers blocks (b1, b2, ...) in networks with a long stage.
        self.numbered = any(n > 6 for n in self.blocks_per_stage.values())

    def __call__(self, name: str) -> str:
        """The name in this scheme, its control characters escaped (format.visible)."""
        return visible(self._named(name))

    def _named(self, name: str) -> str:
        if self.scheme is NameScheme.TORCHVISION:
            return name
        m = _LAYER.match(name) or re.match(r"layer(\d+)(?:\.(\d+))?$", name)
        if self.scheme is NameScheme.PAPER:
            return self._paper(name, m)
        return self._caffe(name, m)

    def _paper(self, name: str, m: re.Match[str] | None) -> str:
        if m is None:
            if name == "maxpool":
                return "conv2_x.maxpool"
            return name
        stage = f"conv{int(m.group(1)) + 1}_x"
        if m.group(2) is None:
            return stage
        rest = m.groups()[2] if len(m.groups()) > 2 else None
        block = f"{stage}.{int(m.group(2)) + 1}"
        return f"{block}.{rest}" if rest else block

    def _caffe(self, name: str, m: re.Match[str] | None) -> str:
        if m is None:
            if name == "fc":
                return self.fc_name
            return _CAFFE_TOP.get(name, name)
        stage = int(m.group(1)) + 1
        if m.group(2) is None:
            return f"res{stage}"
        index = int(m.group(2))
        label = _block_label(index, self.blocks_per_stage.get(stage - 1, 0), self.numbered)
        unit = f"{stage}{label}"
        rest = m.groups()[2] if len(m.groups()) > 2 else None
        if rest is None:
            return f"res{unit}"
        leaf = rest.split(".")
        if leaf[0] in _BRANCH:
            return f"res{unit}_branch{_BRANCH[leaf[0]]}"
        if leaf[0].startswith("bn") and leaf[0][2:] in {"1", "2", "3"}:
            return f"bn{unit}_branch{_BRANCH['conv' + leaf[0][2:]]}"
        if leaf[0].startswith("relu") and leaf[0][4:] in {"1", "2", "3"}:
            return f"res{unit}_branch{_BRANCH['conv' + leaf[0][4:]]}_relu"
        if leaf[0] == "downsample":
            last = leaf[-1] if len(leaf) > 1 else ""
            return f"bn{unit}_branch1" if last == "1" else f"res{unit}_branch1"
        if leaf[0] == "add":
            return f"res{unit}"
        if leaf[0] == "relu":
            return f"res{unit}_relu"
        return f"res{unit}.{rest}"
