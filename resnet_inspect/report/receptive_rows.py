"""The receptive-field graph read from a report's rows, for a trace without the dataflow
graph (`trace(..., graph=False)`; report/receptive_graph.py reads the graph).

What the rows say of dataflow: they run in execution order; a residual block's shortcut
rows (`shortcut`) read the block's input and the row that runs its addition (the block's
first row with elementwise work) adds the last main-path row to the shortcut's result (or
to the block's input, for an identity shortcut); every other row reads the main-path row
before it. That is exact for the ResNets, VGG, AlexNet and any single-path network; a
user's network with parallel paths outside residual blocks is left undefined where a row
reads a tensor the row before it did not make.

Each row's step comes from its layer (`steps`, filled by the tracer from the module:
kernel, stride, dilation); a row without one passes the field through when it keeps the
resolution and does only position-wise work, and is left undefined, with the reason,
when it does anything else this reading cannot see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.counting.categories import Category
from resnet_inspect.report.model import BlockRecord, LayerRecord
from resnet_inspect.report.receptive import GLOBAL, INPUT, PASS, Node, Step, unknown

# work that reads one input position per output position
_POSITION_WISE = frozenset({Category.NORM.value, Category.ACTIVATION.value,
                            Category.ELEMENTWISE.value, Category.OTHER.value})


def row_nodes(layers: Sequence[LayerRecord], blocks: Sequence[BlockRecord],
              steps: Sequence[Step | None], input_rank: int) -> list[Node]:
    """One Node per row, in the rows' order; `input_rank` is the network input's number of
    dimensions, batch included (4 for N x C x H x W)."""
    adds = {b.name for b in blocks if b.shortcut != "none"}
    nodes: list[Node] = []
    main = INPUT  # the last main-path row
    block, entry, side = "", INPUT, INPUT  # the current block, its input, its shortcut's end
    merged = True
    for i, (r, step) in enumerate(zip(layers, steps, strict=True)):
        if not r.called or not r.input_shape or not r.output_shape:
            # off the dataflow this reading follows: never ran, or called on no tensor the
            # rows record (a layer whose weight another module applies)
            nodes.append(Node((), unknown(f"{r.name} has no input and output the rows "
                                          f"record")))
            continue
        if r.block != block:
            block, entry, side, merged = r.block, main, INPUT, r.block not in adds
        if step is None:
            if r.input_shape == r.output_shape and _POSITION_WISE.issuperset(r.categories):
                step = PASS  # most rows: a norm, an activation, an addition
            else:
                step = _by_shape(r, input_rank)
        before = (entry if side == INPUT else side) if r.shortcut else main
        made = layers[before].output_shape if before != INPUT else r.input_shape
        if made != r.input_shape and not _follows(made, r.input_shape):
            step = unknown(f"{r.name} reads a {_dims(r.input_shape)} tensor, not the "
                           f"{_dims(layers[before].output_shape)} one made before it: a "
                           f"path the rows do not show")
        if r.shortcut:
            nodes.append(Node((before,), step))
            side = i
            continue
        if not merged and Category.ELEMENTWISE.value in r.categories:
            merged = True
            nodes.append(Node((main, entry if side == INPUT else side), step))
        else:
            nodes.append(Node((main,), step))
        main = i
    return nodes


def _follows(made: Sequence[int], read: Sequence[int]) -> bool:
    """Whether a row can read what the row before it made: the same shape, or the same
    values reshaped (torch.flatten between a pool and fc leaves no row)."""
    return list(made) == list(read) or math.prod(made) == math.prod(read)


def _by_shape(r: LayerRecord, input_rank: int) -> Step:
    """A row whose layer has no known geometry (a norm, an activation, an addition, the
    operations a module runs in its own forward), read from its shapes and its work."""
    space_in, space_out = r.input_shape[2:], r.output_shape[2:]
    worked = {c for c, (m, f) in r.categories.items() if m or f} or set(r.categories)
    lost = len(r.output_shape) < input_rank or (
        all(d == 1 for d in space_out) and any(d > 1 for d in space_in))
    if lost and Category.POOL.value in worked:
        return GLOBAL  # a global pool or a mean over the spatial axes
    if worked <= _POSITION_WISE and (r.input_shape == r.output_shape or (
            space_in == space_out and len(r.input_shape) == len(r.output_shape))):
        return PASS  # position-wise, on the grid or on a flattened one (a dropout before fc)
    if len(r.input_shape) < input_rank:
        return unknown(f"{r.name} reads a tensor without the input's spatial axes")
    if space_in != space_out or len(r.input_shape) != len(r.output_shape):
        return unknown(f"{r.name} ({r.type}) changes the resolution "
                       f"({_dims(space_in)} to {_dims(space_out)}) without a layer whose "
                       f"kernel is known")
    return unknown(f"{r.name} ({r.type}) runs {'+'.join(sorted(worked))} work in its own "
                   f"forward, whose kernel the rows do not record")


def _dims(dims: Sequence[int]) -> str:
    return "x".join(str(d) for d in dims) or "none"
