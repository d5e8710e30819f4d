"""A diagram's subtitle marks its MACs '~', as the table marks a shape, where work it
counts ran on a tensor whose shape came from the data (`head(y[y > 0])`): the figure holds
for the made-up input traced, not for every input. Every diagram with a subtitle: the
dataflow one (`--model`), the network at each level, networks side by side (both looks)
and the single block."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect import InspectWarning
from resnet_inspect.render.diagram import block_diagram, make_diagram, side_by_side
from resnet_inspect.report.model import Report
from tests.reference_models import TorchvisionBasicBlock
from tests.test_data_dependent_notes import After, M

# Mask: Linear(4, 2) whose every output is 1, then `y[y > 0]`: all 96 x 2 = 192 kept;
# MaskThenLinear: a Linear(1, 3) on the 192 values kept, its MACs the data's
Mask, MaskThenLinear = M, After


class MaskedBlock(nn.Module):
    """torchvision's BasicBlock at 8 channels on the rows a mask keeps (all 16 of 16)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(TorchvisionBasicBlock(8, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keep = x[0, 0, :, 0] > -1e9
        return self.layer1(x[:, :, keep])


def _subtitle(dot: str) -> str:
    """The graph's label: title and subtitle lines."""
    return re.search(r"graph \[.*?label=<(.*?)> labeljust", dot, re.S).group(1)  # type: ignore[union-attr]


def _dataflow(model: nn.Module, shape: tuple[int, ...]) -> str:
    with pytest.warns(InspectWarning, match="data-dependent"):
        return resnet_inspect.diagram(model, input_shape=shape).source


def test_dataflow_subtitle_marks_macs_counted_after_the_mask() -> None:
    # lin: 96 x 4 x 2 = 768 MACs; head: 192 kept values x 1 x 3 = 576; 768 + 576 = 1,344.
    # params: lin 4 x 2 + 2 = 10, head 1 x 3 + 3 = 6.
    line = _subtitle(_dataflow(MaskThenLinear(), (96, 4)))
    assert ">16 params · ~1.34 k MACs · input 96×4<" in line, line


def test_dataflow_subtitle_keeps_macs_counted_before_the_mask_exact() -> None:
    # lin's 96 x 4 x 2 = 768 MACs ran on the input, before the mask: exact for any input
    line = _subtitle(_dataflow(Mask(), (96, 4)))
    assert ">10 params · 768 MACs · input 96×4<" in line, line


@pytest.fixture(scope="module")
def masked_block() -> Report:
    with pytest.warns(InspectWarning, match="data-dependent"):
        return resnet_inspect.inspect(MaskedBlock(), input_shape=(8, 16, 16))


# two 3x3 convs, 8 -> 8, on 16 x 16 kept rows x 16 columns: 2 x (3 x 3 x 8 x 8) x 256 =
# 294,912 MACs; params 2 x 576 conv weights + 2 x 16 batch-norm = 1,184
MASKED_TOTALS = "1,184 params · ~294.91 k MACs · input 8×16×16"


@pytest.mark.parametrize("level", ["stage", "block", "layer"])
def test_network_subtitle_marks_masked_macs(masked_block: Report, level: str) -> None:
    assert MASKED_TOTALS in _subtitle(make_diagram(masked_block, "dot", level=level).source)


def test_beside_subtitles_mark_masked_macs(masked_block: Report) -> None:
    dot = side_by_side([masked_block, masked_block]).source
    assert dot.count(MASKED_TOTALS) == 2, dot  # each column's title
    compact = side_by_side([masked_block, masked_block], compact=True).source
    assert compact.count('COLOR="#555555">~294.91 k MACs</FONT>') == 2, compact


def test_block_subtitle_marks_masked_macs_and_size(masked_block: Report) -> None:
    # the block's convs and their 16 x 16 maps both stand on the 16 rows the mask kept
    line = _subtitle(block_diagram(masked_block).source)
    assert "1,152 conv weights + 32 batch-norm · ~294.91 k MACs at ~16×16<" in line, line
