"""Residual blocks side by side: each built alone at the same channels and stride, traced
at one spatial size, and set against the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from resnet_inspect.analysis.compare_data import BlockComparison, BlockLayer, BlockSide
from resnet_inspect.analysis.compare_items import block_or_error
from resnet_inspect.analysis.compare_text import block_headline, block_notes
from resnet_inspect.counting.categories import Category
from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import BlockKind
from resnet_inspect.spec.limits import block_inner_width, check_block, check_range

if TYPE_CHECKING:
    from resnet_inspect.report.model import LayerRecord, Report

# The seed material and the ResNet paper's Figure 5: a 256-d input and output, the
# bottleneck reducing to 64 channels, at conv2_x's 56x56.
DEFAULT_CHANNELS = 256
DEFAULT_SPATIAL = 56
DEFAULT_STRIDE = 1


def _conv_term(r: LayerRecord) -> str:
    in_per_group = r.input_shape[1] // max(r.groups, 1)
    return f"{r.kernel}x{in_per_group}x{r.output_shape[1]}"


def conv_formula(records: Sequence[LayerRecord]) -> str:
    """'3x3x256x256 x 2' or '1x1x256x64 + 3x3x64x64 + 1x1x64x256': kernel x in x out per
    conv, repeated terms folded; the shortcut's projection is marked."""
    terms: list[tuple[str, int]] = []
    for r in records:
        if r.category != Category.CONV:
            continue
        term = _conv_term(r) + (" (shortcut)" if r.shortcut else "")
        if terms and terms[-1][0] == term:
            terms[-1] = (term, terms[-1][1] + 1)
        else:
            terms.append((term, 1))
    return " + ".join(t if n == 1 else f"{t} x {n}" for t, n in terms)


def block_side(kind: BlockKind, report: Report, width: int, shortcut: str) -> BlockSide:
    rows = []
    for r in report.layers:
        shortcut_view = r.shortcut and r.category == Category.OTHER
        if r.category not in (Category.CONV, Category.NORM) and not shortcut_view:
            continue
        rows.append(BlockLayer(
            name=r.name, category=r.category, kernel=r.kernel, stride=r.stride, groups=r.groups,
            in_channels=r.input_shape[1] if len(r.input_shape) > 1 else 0,
            out_channels=r.output_shape[1] if len(r.output_shape) > 1 else 0,
            output_shape=r.output_shape, params=r.params, macs=r.macs, shortcut=r.shortcut,
        ))
    convs = [r for r in report.layers if r.category == Category.CONV]
    norms = [r for r in report.layers if r.category == Category.NORM]
    t = report.totals
    return BlockSide(
        kind=kind.value,
        in_channels=report.input_shape[1],
        out_channels=report.layers[-1].output_shape[1],
        width=width,
        stride=max((r.stride for r in convs), default=1),
        shortcut=shortcut,
        input_shape=report.input_shape,
        output_shape=report.layers[-1].output_shape,
        layers=rows,
        conv_weights=sum(r.params for r in convs),
        shortcut_weights=sum(r.params for r in convs if r.shortcut),
        bn_params=sum(r.params for r in norms),
        params=t.params,
        running_stats=t.running_stats,
        macs=sum(r.macs for r in convs),
        bn_macs=sum(r.macs for r in norms),
        flops=2 * sum(r.macs for r in convs),
        weighted_layers=sum(1 for r in convs if not r.shortcut),
        formula=conv_formula(report.layers),
    )


def compare_blocks(
    kinds: Sequence[BlockKind | str],
    channels: tuple[int, int] | int = DEFAULT_CHANNELS,
    width: int | None = None,
    spatial: tuple[int, int] | int = DEFAULT_SPATIAL,
    stride: int = 1,
    batch: int = 1,
    device: str = "meta",
) -> BlockComparison:
    """Build each block at the same channels and stride, trace it, and compare.

    `channels` is the block's input and output (an int for both, or (in, out)); `width` is
    the bottleneck's inner width (default output / 4, the ResNet rule: 256 -> 64).
    """
    from resnet_inspect.models.single_block import build_block
    from resnet_inspect.trace.tracer import resolve_device, trace

    block_kinds = [k if isinstance(k, BlockKind) else block_or_error(k) for k in kinds]
    in_ch, out_ch = (channels, channels) if isinstance(channels, int) else channels
    h, w = (spatial, spatial) if isinstance(spatial, int) else spatial

    check_block(in_ch, out_ch, h, w, width, batch)
    # a stride beyond the input samples nothing new: the output is 1x1 from stride max(h, w)
    check_range(stride, 1, max(h, w), "--stride", "--stride 2")
    has_bottleneck = any(k.expansion != 1 for k in block_kinds)
    if width is not None and not has_bottleneck:
        raise InspectError(
            "--width is a bottleneck's inner width, and none of the items is a bottleneck; drop it"
        )
    inner = block_inner_width(out_ch, width, has_bottleneck)
    sides = []
    for kind in block_kinds:
        # counts are the same everywhere: 'auto' builds on meta, which allocates nothing
        block = build_block(kind, in_ch, out_ch, inner, stride, resolve_device(device))
        report = trace(block, (in_ch, h, w), batch=batch, device=device, name=kind.value)
        side_width = inner if kind.expansion != 1 else out_ch
        use = getattr(block, "shortcut_use", None)
        sides.append(block_side(kind, report, side_width, getattr(use, "value", "identity")))
    return BlockComparison(
        form="blocks",
        in_channels=in_ch,
        out_channels=out_ch,
        width=inner,
        stride=stride,
        spatial=[h, w],
        batch=batch,
        blocks=sides,
        headline=block_headline(sides, (h, w)),
        notes=block_notes(sides),
    )
