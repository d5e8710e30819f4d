"""Comparisons as rich tables and Markdown.

Three forms, chosen by the data: blocks side by side (`compare basic bottleneck`), two
networks stage by stage with deltas (`compare 50 101`), three or more as the ResNet paper's
Table 1 (`compare 18 34 50 101 152`). Each takes a comparison object from
`resnet_inspect.usecases.compare`, never a model. Layouts adapt to the console width: from WIDE
columns up, block tables sit next to each other and network tables show exact shapes and
ratios; below it they stack and abbreviate, so 80 columns still read.

This module picks the form; compare_blocks.py, compare_networks.py (two networks, and
networks compared whole) and compare_table1.py lay them out, with compare_layout.py's
shared table style.
"""

from __future__ import annotations

import json

from rich.console import Console

from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
from resnet_inspect.render.compare_blocks import blocks_markdown, render_blocks
from resnet_inspect.render.compare_networks import (
    pair_markdown,
    render_pair,
    render_totals,
    totals_markdown,
)
from resnet_inspect.render.compare_table1 import render_table1, table1_markdown


def render(cmp: BlockComparison | NetworkComparison, console: Console) -> None:
    if isinstance(cmp, BlockComparison):
        render_blocks(cmp, console)
    elif cmp.form == "networks":
        render_pair(cmp, console)
    elif cmp.form == "totals":
        render_totals(cmp, console)
    else:
        render_table1(cmp, console)


def to_markdown(cmp: BlockComparison | NetworkComparison) -> str:
    if isinstance(cmp, BlockComparison):
        return blocks_markdown(cmp)
    if cmp.form == "networks":
        return pair_markdown(cmp)
    if cmp.form == "totals":
        return totals_markdown(cmp)
    return table1_markdown(cmp)


def to_json(cmp: BlockComparison | NetworkComparison) -> str:
    return json.dumps(cmp.to_dict(), indent=2)
