"""Receptive field and effective stride ("jump") of every value a network computes.

The receptive field of an output position is the extent, in input pixels, of the input
that can change it; the jump is the distance, in input pixels, between neighbouring output
positions. Both follow one recurrence per axis (Araujo, Norris & Sim, "Computing Receptive
Fields of Convolutional Neural Networks", Distill 2019, eqs. 2 and 4 in recursive form):

    r_out = r_in + (k - 1) * d * j_in        j_out = j_in * s

for a window of kernel k, stride s and dilation d (a conv or a pool; padding moves where the
field sits, never its size). A network is a graph, not a chain: where paths meet (an add, a
cat) the field is the largest over the paths, per axis. The computation here is a pure
function over a small graph interface (`Node`, `Step`), so it runs on the dataflow graph the
tracer records and on hand-built graphs in the tests alike; it needs no torch.

Conventions, stated once (docs/receptive-field.md explains them):
- position-wise work (activations, batch-norm, dropout, a 1x1 conv's channel mixing,
  elementwise arithmetic) passes the field through; normalisation statistics (GroupNorm,
  LayerNorm) are not counted as widening it, as no receptive-field calculator counts them;
- a transposed conv of stride s divides the jump by s, and its field widens by the input
  positions one output reads (at most ceil(k * g / s) of them, g = gcd(d, s), d / g apart);
- an upsampling by a factor f divides the jump by f and widens the field by the input
  positions one output reads beyond the first (nearest 1, linear 2, cubic 4);
- a global pool, or a flatten into a linear layer, makes every output depend on the whole
  input: "global", with no jump (one position has no neighbours);
- where the inputs of an add or cat sit on grids with different jumps, one output position
  does not correspond to one jump in the input: the field and jump are left undefined
  (None, with the reason), never guessed, and so is everything computed from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

Number = int | Fraction
Axes = tuple[Number, ...]
INPUT = -1  # a Node input that is the network's own input


class Kind(str, Enum):
    WINDOW = "window"  # conv or pool: kernel, stride, dilation per axis
    TRANSPOSED = "transposed"  # transposed conv: kernel, stride, dilation (stride divides)
    UPSAMPLE = "upsample"  # scale per axis and the taps one output reads
    GLOBAL = "global"  # every output depends on the whole input
    PASS = "pass"  # position-wise: one input (or several of the same grid, as an add)
    UNKNOWN = "unknown"  # a step whose geometry is not known: reason says why


@dataclass(frozen=True)
class Step:
    """What one node does to positions. Tuples hold one entry per spatial axis (h, w)."""

    kind: Kind
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    scale: tuple[Number, ...] = ()  # upsampling factor, output size / input size
    taps: tuple[int, ...] = ()  # upsampling: input positions one output reads, per axis
    reason: str = ""  # UNKNOWN: why


PASS = Step(Kind.PASS)
GLOBAL = Step(Kind.GLOBAL)


def window(kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]) -> Step:
    return Step(Kind.WINDOW, tuple(kernel), tuple(stride), tuple(dilation))


def unknown(reason: str) -> Step:
    return Step(Kind.UNKNOWN, reason=reason)


@dataclass(frozen=True)
class Node:
    """One value of the graph: the step that made it from its inputs (indices of earlier
    nodes, or INPUT for the network's input). Nodes are listed in topological order."""

    inputs: tuple[int, ...]
    step: Step


@dataclass(frozen=True)
class Field:
    """A node's receptive field and jump per axis, in input pixels; `whole` where it is the
    whole input; size and jump None (with `reason`) where they are not defined."""

    size: Axes | None
    jump: Axes | None
    whole: bool = False
    reason: str = ""


WHOLE = Field(None, None, whole=True)


def input_field(axes: int) -> Field:
    """The input itself: each position sees one pixel, one pixel from the next."""
    return Field((1,) * axes, (1,) * axes)


def receptive_fields(nodes: Sequence[Node], axes: int) -> list[Field]:
    """Every node's Field, for a network whose input has `axes` spatial axes."""
    start = input_field(axes) if axes else Field(None, None, reason="the input has no "
                                                 "spatial axes")
    out: list[Field] = []
    for node in nodes:
        ins = [start if i == INPUT else out[i] for i in node.inputs]
        out.append(_apply(node.step, ins, axes))
    return out


_PASS, _GLOBAL, _UNKNOWN = Kind.PASS, Kind.GLOBAL, Kind.UNKNOWN  # read once, not per node
_WINDOW, _TRANSPOSED = Kind.WINDOW, Kind.TRANSPOSED


def _apply(step: Step, ins: list[Field], axes: int) -> Field:
    kind = step.kind
    if kind is _PASS and len(ins) == 1:  # the common case, first and cheapest
        return ins[0]
    if (ins[0].whole if len(ins) == 1 else ins and all(f.whole for f in ins)):
        return WHOLE  # anything computed from the whole input alone depends on all of it
    if kind is _GLOBAL:  # over every position of inputs whose fields are known
        return next((f for f in ins if f.size is None and not f.whole), WHOLE)
    if kind is _UNKNOWN:
        return Field(None, None, reason=step.reason)
    if not ins:
        return Field(None, None, reason="reads no tensor of the input's")
    if kind is _PASS:
        return merge(ins)
    (field,) = ins if len(ins) == 1 else (merge(ins),)
    if field.whole or field.size is None or field.jump is None:
        return field
    if any(len(t) not in (0, axes) for t in (step.kernel, step.stride, step.dilation,
                                             step.scale, step.taps)):
        return Field(None, None, reason=f"a {kind.value} over {len(step.kernel or step.scale)} "
                                        f"axes in a network with {axes} spatial axes")
    if kind is _WINDOW:
        return _window(step, field)
    if kind is _TRANSPOSED:
        return _transposed(step, field)
    return _upsample(step, field)


def merge(ins: Sequence[Field]) -> Field:
    """Where paths meet (add, mul, cat): the largest field per axis. A path through a global
    pool (a squeeze-and-excitation scale) makes the result global; inputs on grids with
    different jumps leave it undefined."""
    first = ins[0]
    if all(f is first for f in ins):
        return first
    if any(f.whole for f in ins):
        return WHOLE
    for f in ins:
        if f.size is None or f.jump is None:
            return f
    jumps = {f.jump for f in ins if f.jump is not None}
    if len(jumps) > 1:
        shown = " and ".join(sorted(_axes_text(j) for j in jumps))
        return Field(None, None, reason=f"an add or cat of inputs with different jumps "
                                        f"({shown} px)")
    size = tuple(max(axis) for axis in zip(*(f.size for f in ins if f.size), strict=True))
    return Field(size, first.jump)


def _window(step: Step, f: Field) -> Field:
    assert f.size is not None and f.jump is not None
    size = tuple(r + (k - 1) * d * j for r, k, d, j in
                 zip(f.size, step.kernel, step.dilation, f.jump, strict=True))
    jump = tuple(j * s for j, s in zip(f.jump, step.stride, strict=True))
    return Field(size, jump)


def _transposed(step: Step, f: Field) -> Field:
    """A transposed conv is a conv of stride 1 over its input with s - 1 zeros between
    positions: an output reads the taps landing on real positions, at most ceil(k * g / s)
    of them (g = gcd(d, s)), d / g input positions apart."""
    assert f.size is not None and f.jump is not None
    size, jump = [], []
    for r, k, s, d, j in zip(f.size, step.kernel, step.stride, step.dilation, f.jump,
                             strict=True):
        g = math.gcd(d, s)
        reads = -(-k * g // s)
        size.append(r + (reads - 1) * (d // g) * j)
        jump.append(_exact(Fraction(j) / s))
    return Field(tuple(size), tuple(jump))


def _upsample(step: Step, f: Field) -> Field:
    assert f.size is not None and f.jump is not None
    size = tuple(r + (t - 1) * j for r, t, j in zip(f.size, step.taps, f.jump, strict=True))
    jump = tuple(_exact(Fraction(j) / Fraction(s)) for j, s in
                 zip(f.jump, step.scale, strict=True))
    return Field(size, jump)


def _exact(x: Fraction) -> Number:
    return int(x) if x.denominator == 1 else x


def _axes_text(values: Axes) -> str:
    plain = _squeeze(values)
    return "x".join(str(v) for v in plain) if isinstance(plain, list) else str(plain)


def _plain(v: Number) -> int | float:
    """A value as JSON holds it: an int, or a float where the jump fell below one pixel."""
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else round(float(v), 4)
    return v


def as_json(field: Field) -> tuple[int | float | list[int | float] | str | None,
                                   int | float | list[int | float] | None]:
    """(receptive_field, jump) as a report holds them: one number where every axis agrees,
    [h, w] where they differ; "global" and no jump for the whole input; None where not
    defined."""
    if field.whole:
        return "global", None
    if field.size is None or field.jump is None:
        return None, None
    return _squeeze(field.size), _squeeze(field.jump)


def _squeeze(values: Axes) -> int | float | list[int | float]:
    plain = [_plain(v) for v in values]
    return plain[0] if len(set(plain)) == 1 else plain
