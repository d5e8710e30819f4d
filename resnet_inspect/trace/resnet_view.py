"""The ResNet view of module names: torchvision-style paths (conv1, layer3.5.conv2,
downsample, fc) read as the paper's stages, blocks and shortcuts, and its layer count."""

from __future__ import annotations

import re
from enum import Enum
from functools import cache

from torch import nn

from resnet_inspect.counting.categories import Category
from resnet_inspect.report.graph import Dataflow, shortcut
from resnet_inspect.report.model import BlockRecord, LayerCount, LayerRecord

_CONV, _LINEAR = Category.CONV.value, Category.LINEAR.value
_STAGE = re.compile(r"layer(\d+)$")
_STEM = {"conv1", "bn1", "relu"}
_SHORTCUT_PARTS = {"downsample", "shortcut"}


def paper_stage(name: str) -> str:
    """The ResNet paper's Table 1 row for a torchvision module path.

    The 3x3 max pool belongs to conv2_x (Table 1 lists it there); the stem conv, BN and ReLU
    are conv1; pooling and the classifier after the last stage are the fc row.
    """
    return stage_of(name.split(".", 1)[0])


@cache
def stage_of(top: str) -> str:
    """`paper_stage` of a path whose first part is `top`."""
    m = _STAGE.match(top)
    if m:
        return f"conv{int(m.group(1)) + 1}_x"
    if top in _STEM:
        return "conv1"
    if top == "maxpool":
        return "conv2_x"
    if top in {"avgpool", "fc", "final_bn", "final_relu", "flatten"}:
        return "fc"
    return top


def shortcut_in(parts: list[str]) -> bool:
    """Whether a module path (split at its dots) lies on a shortcut (a projection), off
    the main path."""
    return not _SHORTCUT_PARTS.isdisjoint(parts)


def block_records(
    modules: dict[str, nn.Module], shapes: dict[str, tuple[list[int], list[int]]],
    graph: Dataflow | None = None, records: list[LayerRecord] | None = None,
) -> list[BlockRecord]:
    """One record per residual block that ran, from its module and its (input, output)
    shapes: kind, shortcut use, channels and stride.

    The shortcut is read from the dataflow graph, what the block's forward did (identity:
    its output adds its own input; projection: the added tensor went through a conv;
    none: nothing is added), and the rows of a projection's layers are marked as on the
    shortcut, whatever they are named. Without a graph: from the module's attributes."""
    calls = {c.module: k for k, c in enumerate(graph.calls)} if graph is not None else {}
    out = []
    for name, m in modules.items():
        if name not in shapes:
            continue
        in_shape, out_shape = shapes[name]
        if graph is not None and name in calls:
            use_value, side, _ = shortcut(graph, calls[name])
            for node in side:
                row = graph.row[node]
                if records is not None and graph.leaf[node] and row >= 0:
                    records[row].shortcut = True
        elif isinstance(use := getattr(m, "shortcut_use", None), Enum):
            use_value = use.value
        else:  # a foreign torchvision-style block: downsample means projection
            use_value = "projection" if getattr(m, "downsample", None) is not None else "identity"
        kind = getattr(m, "kind", None)
        out.append(
            BlockRecord(
                name=name,
                stage=paper_stage(name),
                kind=kind.value if isinstance(kind, Enum) else type(m).__name__,
                shortcut=use_value,
                in_channels=in_shape[1] if len(in_shape) > 1 else 0,
                out_channels=out_shape[1] if len(out_shape) > 1 else 0,
                stride=(
                    in_shape[2] // out_shape[2]
                    if len(in_shape) > 2 and len(out_shape) > 2 and out_shape[2]
                    else 1
                ),
                input_shape=in_shape,
                output_shape=out_shape,
            )
        )
    return out


def layer_count(records: list[LayerRecord], blocks: list[BlockRecord],
                resnet: bool = True, calls: dict[int, list[int]] | None = None) -> LayerCount:
    """Weighted layers (conv and linear) on the main path; shortcut projections excluded.

    ResNet-101: 1 conv + 3 x (3 + 4 + 23 + 3) block convs + 1 fc = 101. `resnet` False (a
    network whose blocks do not all add a shortcut, a MobileNet's stride-2 blocks): a plain
    count of its convs and fc layers, as for VGG; so do blocks of linear layers (a ViT's).
    A torch layer's row is one layer when it runs a conv or linear product; the row of a
    module of the user's own is as many as the products it calls (`calls`, id(row) ->
    [convolutions, products reading a parameter]): FunctionalCNN's F.conv2d twice and
    F.linear once are 3 layers, `q @ k.transpose(-2, -1)` none.
    """
    weighted: list[tuple[LayerRecord, bool]] = []  # (row, a conv) per weighted layer
    for r in records:
        if r.shortcut:
            continue
        own = calls.get(id(r)) if calls is not None else None
        if own is not None:
            weighted += [(r, True)] * own[0] + [(r, False)] * own[1]
        elif _CONV in r.categories or _LINEAR in r.categories:
            # not only its largest category: a long sequence's attention products
            # outweigh nn.MultiheadAttention's projections, one layer all the same
            weighted.append((r, _CONV in r.categories))
    in_block = [r for r, _ in weighted if r.block]
    first_block = next((i for i, (r, _) in enumerate(weighted) if r.block), len(weighted))
    stem = first_block
    head = len(weighted) - stem - len(in_block)
    per_block: dict[str, int] = {}
    for r in in_block:
        per_block[r.block] = per_block.get(r.block, 0) + 1
    stage_blocks: dict[str, list[int]] = {}
    for b in blocks:
        stage_blocks.setdefault(b.stage, []).append(per_block.get(b.name, 0))
    counts = [len(v) for v in stage_blocks.values()]
    convs = sorted({c for v in stage_blocks.values() for c in v})
    total = len(weighted)
    stem_text = f"{stem} conv" + ("s" if stem != 1 else "")
    head_text = f"{head} fc"
    # VGG, AlexNet, LeNet-5, a MobileNet, a ViT (blocks of linear layers: "block convs"
    # would be wrong): count convs and fc layers
    if not blocks or not resnet or any(r.block and not conv for r, conv in weighted):
        head = sum(not conv for _, conv in weighted)
        noun = "layer" if total == 1 else "layers"  # a one-conv model: "1 layer = ..."
        text = f"{total} {noun} = {total - head} conv + {head} fc"
    elif len(convs) == 1:
        inner = " + ".join(str(n) for n in counts)
        text = f"{total} layers = {stem_text} + {convs[0]} x ({inner}) block convs + {head_text}"
    else:
        parts = " + ".join(f"{sum(v)}" for v in stage_blocks.values())
        text = f"{total} layers = {stem_text} + ({parts}) block convs + {head_text}"
    return LayerCount(
        total=total,
        stem=stem,
        stage_blocks=counts,
        convs_per_block=[v[0] if v else 0 for v in stage_blocks.values()],
        head=head,
        text=text,
    )


# Zagoruyko & Komodakis name WRN-n-k by a depth n = 6N + 4 that also counts the strided 1x1
# shortcut convs ("did you count downsampling convolutions?", their answer to "why 6n + 4",
# szagoruyko/wide-residual-networks issue 18); the count above, as the ResNet paper counts,
# leaves shortcuts out.
_WRN = re.compile(r"wrn[-_]?(\d+)[-_]\d+$")


def named_depth(name: str, count: LayerCount, records: list[LayerRecord]) -> LayerCount:
    """`count`, its text saying where a name's other depth comes from (wrn28_10: 26 layers
    as the ResNet paper counts, 28 with the two strided shortcut convs)."""
    match = _WRN.match(name)
    if match is None or int(match.group(1)) == count.total:
        return count
    named = int(match.group(1))
    strided = sum(1 for r in records if r.shortcut and r.stride > 1
                  and r.category == Category.CONV.value)
    if count.total + strided == named:
        count.text += (f"; the name's {named} also counts the {strided} strided 1x1 "
                       "shortcut convs, as Zagoruyko & Komodakis do")
    return count
