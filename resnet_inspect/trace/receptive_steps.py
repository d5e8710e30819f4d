"""Each row's receptive-field step, read from the layer that made it (kernel, stride,
dilation, scale), and the fields written onto the rows after a trace.

Layers are recognised by their class (`isinstance`), never by name; a layer this module
does not know is read from its shapes and its work by `report.receptive_rows`, and left
undefined, with the reason, where that cannot tell.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from torch import nn
from torch.nn.modules import conv, pooling

from resnet_inspect.models.blocks import ZeroPadShortcut
from resnet_inspect.private import child_modules
from resnet_inspect.report.graph import Dataflow
from resnet_inspect.report.model import BlockRecord, LayerRecord
from resnet_inspect.report.receptive import (
    GLOBAL,
    PASS,
    Field,
    Kind,
    Step,
    as_json,
    receptive_fields,
    unknown,
    window,
)
from resnet_inspect.report.receptive_graph import graph_nodes
from resnet_inspect.report.receptive_rows import row_nodes

# the layers whose geometry layer_step reads; every other leaf is read from its row
_GEOMETRY = (conv._ConvNd, pooling._MaxPoolNd, pooling._AvgPoolNd, pooling._LPPoolNd,
             pooling._AdaptiveAvgPoolNd, pooling._AdaptiveMaxPoolNd, nn.Upsample,
             nn.PixelShuffle, nn.PixelUnshuffle, ZeroPadShortcut, nn.Linear, nn.Flatten)
# input positions one upsampled output reads along an axis that is scaled
_TAPS = {"nearest": 1, "nearest-exact": 1, "linear": 2, "bilinear": 2, "trilinear": 2,
         "bicubic": 4}


def fill_fields(layers: Sequence[LayerRecord], blocks: Sequence[BlockRecord],
                modules: dict[str, nn.Module], input_rank: int,
                graph: Dataflow | None = None) -> None:
    """Write `receptive_field` and `jump` on every row, from the dataflow graph where the
    trace recorded one (a row takes its last node's field), else from the rows' order and
    blocks (report/receptive_rows.py). `modules` maps a module path to its module. Most
    nodes (norms, activations, additions) have no geometry of their own, and most fields
    pass through unchanged: both are looked at once (a 10,000-block trace has ~70,000)."""
    geometric: dict[type, bool] = {}

    def step(m: nn.Module | None, in_shape: Sequence[int], out_shape: Sequence[int]
             ) -> Step | None:
        kind = type(m)
        known = geometric.get(kind)
        if known is None:
            known = geometric[kind] = m is not None and not child_modules(m) and isinstance(
                m, _GEOMETRY)
        return layer_step(m, in_shape, out_shape, input_rank) if known and m else None

    axes = max(0, input_rank - 2)
    if graph is not None:
        steps = [step(modules.get(name), shapes[0] if shapes else [], shape) if leaf else None
                 for name, leaf, shapes, shape in zip(graph.module, graph.leaf,
                                                      graph.input_shapes, graph.shape,
                                                      strict=True)]
        fields = receptive_fields(graph_nodes(graph, steps, input_rank), axes)
        by_row: list[Field | None] = [None] * len(layers)
        for row, f in zip(graph.row[1:], fields, strict=True):
            if row >= 0:
                by_row[row] = f  # a row's last node: its output
        none = Field(None, None, reason="no node of the dataflow graph made this row")
        row_fields = [f or none for f in by_row]
    else:
        steps = [step(modules.get(r.name), r.input_shape, r.output_shape) for r in layers]
        row_fields = receptive_fields(row_nodes(layers, blocks, steps, input_rank), axes)
    seen: dict[Any, tuple[Any, Any]] = {}  # a field many rows share, converted once
    for r, f in zip(layers, row_fields, strict=True):
        key = (f.size, f.jump, f.whole)
        pair = seen.get(key)
        if pair is None:
            pair = seen[key] = as_json(f)
        r.receptive_field, r.jump = pair


def layer_step(m: nn.Module, in_shape: Sequence[int], out_shape: Sequence[int],
               input_rank: int) -> Step | None:
    """The step a layer takes; None for one whose geometry is read from the row."""
    axes = len(in_shape) - 2
    if isinstance(m, conv._ConvNd):
        kind = Kind.TRANSPOSED if isinstance(m, conv._ConvTransposeNd) else Kind.WINDOW
        return _settings(kind, m.kernel_size, m.stride, m.dilation, axes)
    if isinstance(m, pooling._MaxPoolNd):
        return window(_axes(m.kernel_size, axes), _axes(m.stride or m.kernel_size, axes),
                      _axes(m.dilation, axes))
    if isinstance(m, (pooling._AvgPoolNd, pooling._LPPoolNd)):
        return window(_axes(m.kernel_size, axes), _axes(m.stride or m.kernel_size, axes),
                      (1,) * axes)
    if isinstance(m, (pooling._AdaptiveAvgPoolNd, pooling._AdaptiveMaxPoolNd)):
        return _adaptive(in_shape[2:], out_shape[2:])
    if isinstance(m, nn.Upsample):
        return _upsample(in_shape[2:], out_shape[2:], m.mode)
    if isinstance(m, nn.PixelShuffle):  # one output reads one input position
        return Step(Kind.UPSAMPLE, scale=(m.upscale_factor,) * axes, taps=(1,) * axes)
    if isinstance(m, nn.PixelUnshuffle):
        f = m.downscale_factor
        return window((f,) * axes, (f,) * axes, (1,) * axes)
    if isinstance(m, ZeroPadShortcut):  # option A: every stride-th position, channels padded
        return window((1,) * axes, (m.stride,) * axes, (1,) * axes)
    if isinstance(m, nn.Flatten):
        return PASS  # the same values, moved: the linear layer after it mixes them
    if isinstance(m, nn.Linear) and len(in_shape) == 2 < input_rank:
        return GLOBAL  # a linear layer over every position, flattened into one axis
    if isinstance(m, nn.Linear) and len(in_shape) == input_rank:
        return unknown(f"a linear layer over the last axis ({in_shape[-1]}) of a tensor "
                       f"shaped like the input mixes a spatial axis")
    return None


@functools.lru_cache(maxsize=256)
def _settings(kind: Kind, kernel: Any, stride: Any, dilation: Any, axes: int) -> Step:
    """A conv's step, made once per distinct setting (a deep network repeats a few)."""
    return Step(kind, _axes(kernel, axes), _axes(stride, axes), _axes(dilation, axes))


def _axes(value: Any, axes: int) -> tuple[int, ...]:
    """A layer setting (an int, or a tuple per axis) as one int per spatial axis."""
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * axes


def _adaptive(space_in: Sequence[int], space_out: Sequence[int]) -> Step:
    """An adaptive pool: global to 1x1; a plain window where the output divides the input
    (7x7 -> 7x7 passes through); otherwise windows of unequal sizes, which no one kernel and
    stride describe."""
    if all(o == 1 for o in space_out) and any(i > 1 for i in space_in):
        return GLOBAL
    if list(space_in) == list(space_out):
        return PASS
    if all(o and i % o == 0 for i, o in zip(space_in, space_out, strict=True)):
        k = tuple(i // o for i, o in zip(space_in, space_out, strict=True))
        return window(k, k, (1,) * len(k))
    return unknown(f"an adaptive pool from {_dims(space_in)} to {_dims(space_out)} has "
                   f"windows of unequal sizes")


def _upsample(space_in: Sequence[int], space_out: Sequence[int], mode: str) -> Step:
    taps = _TAPS.get(mode)
    if taps is None:
        return unknown(f"upsampling mode {mode!r} has no known footprint")
    scale = tuple(Fraction(o, i) for i, o in zip(space_in, space_out, strict=True))
    return Step(Kind.UPSAMPLE, scale=tuple(int(s) if s.denominator == 1 else s for s in scale),
                taps=tuple(1 if s == 1 else taps for s in scale))


def _dims(dims: Sequence[int]) -> str:
    return "x".join(str(d) for d in dims)
