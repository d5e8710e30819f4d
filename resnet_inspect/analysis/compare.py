"""Comparisons: residual blocks side by side, and whole networks stage by stage.

Two forms, both plain data (JSON round-trips through `to_dict`), both built from traced
Reports so every figure comes from the same counter as `summary`:

- Blocks (`basic bottleneck`): each block is built from `resnet_inspect.models.blocks` at the given
  channels, width and stride, and traced at one spatial size. The default setting is the
  ResNet paper's Figure 5 and the seed material: 256 channels in and out, the bottleneck
  reducing to 64 -- conv weights 3x3x256x256 x 2 = 1,179,648 vs
  1x1x256x64 + 3x3x64x64 + 1x1x64x256 = 69,632, 16.94x fewer.
- Networks (`50 101`, or `18 34 50 101 152`): one row per paper stage (conv1, conv2_x ...
  conv5_x, fc) with blocks, weighted layers, output shape, params and MACs; two networks
  get deltas and ratios against the first, three or more read as the paper's Table 1.

`compare` below is the entry for the library and the CLI. The work is in modules of one
job each: compare_items.py reads the items, compare_blocks.py and compare_networks.py build
the two forms (plain data, compare_data.py), compare_text.py words their headlines and
notes. Nothing here prints: renderers in `render/compare.py` turn these objects into text.
"""

from __future__ import annotations

from collections.abc import Sequence

from resnet_inspect.analysis.compare_blocks import DEFAULT_CHANNELS, DEFAULT_SPATIAL, compare_blocks
from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
from resnet_inspect.analysis.compare_items import (
    classify,
    is_network,
    network_reports,
    resolve_network,
)
from resnet_inspect.analysis.compare_networks import compare_reports


def compare(
    items: Sequence[str],
    *,
    channels: tuple[int, int] | int = DEFAULT_CHANNELS,
    width: int | None = None,
    spatial: tuple[int, int] | int = DEFAULT_SPATIAL,
    stride: int = 1,
    input_shape: tuple[int, int, int] | None = None,
    batch: int = 1,
    device: str = "meta",
) -> BlockComparison | NetworkComparison:
    """Compare blocks (`["basic", "bottleneck"]`) or networks (`["50", "101"]`).

    >>> compare(["basic", "bottleneck"]).blocks[1].conv_weights
    69632
    """
    if classify(items, is_network) == "blocks":
        return compare_blocks(items, channels, width, spatial, stride, batch, device)
    return compare_reports(network_reports(items, resolve_network, input_shape, batch, device))
