"""The receptive-field graph read from the trace's dataflow graph (report/graph.py): one
Node per dataflow node, reading the nodes whose tensors it read, so parallel branches, cat
skips and adds in a `forward` are followed as they ran.

A leaf module's step comes from the layer (`steps`, filled by the tracer: kernel, stride,
dilation, a transposed conv, an upsampling); an operator a `forward` runs itself is read
from its name, its window (F.conv2d, F.max_pool2d) and its shapes. What neither tells is
left undefined with the reason, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.counting.categories import Category
from resnet_inspect.report.graph import Dataflow
from resnet_inspect.report.receptive import GLOBAL, INPUT, PASS, Node, Step, unknown, window

_POSITION_WISE = frozenset({Category.NORM.value, Category.ACTIVATION.value,
                            Category.ELEMENTWISE.value, Category.OTHER.value, ""})
# reductions that, over every spatial position, make a global value
_REDUCTIONS = ("mean", "sum", "amax", "amin", "max", "min", "logsumexp", "std", "var",
               "adaptive_avg_pool", "_adaptive_avg_pool", "adaptive_max_pool")
# operators that read one position of each input per output position (given equal grids)
_JOINS = frozenset({"cat", "stack", "where", "lerp"})


def graph_nodes(graph: Dataflow, steps: Sequence[Step | None], input_rank: int) -> list[Node]:
    """One Node per dataflow node but the input (node 0), in the graph's order: node i + 1
    of the graph is Node i here. `steps[i]` is the layer's step for a leaf node, None where
    the node is read from its operator and shapes."""
    nodes: list[Node] = []
    window_of = graph.window
    for i in range(1, len(graph)):
        ins = tuple(INPUT if j == 0 else j - 1 for j in graph.inputs[i])
        step = steps[i]
        if step is None:
            w = window_of.get(i)
            step = _operator(graph.op[i], graph.category[i], graph.input_shapes[i],
                             graph.shape[i], w, graph.module[i] or "the model", input_rank)
        if step is GLOBAL and graph.category[i] == Category.LINEAR.value \
                and not _flattened(graph, i):
            step = unknown(f"{graph.module[i] or graph.op[i]} applies a linear layer to part "
                           f"of what it was given (a token, a slice), not every position")
        nodes.append(Node(ins, step))
    return nodes


def _flattened(graph: Dataflow, node: int) -> bool:
    """Whether a linear layer reads the whole of the tensor it was handed, flattened (the
    classifier after torch.flatten), rather than a slice of it (a class token)."""
    if not graph.inputs[node] or not graph.input_shapes[node]:
        return False
    read, made = graph.input_shapes[node][0], graph.shape[graph.inputs[node][0]]
    return bool(read) and bool(made) and read[0] == made[0] and math.prod(read) == math.prod(made)


def _operator(op: str, category: str, in_shapes: Sequence[Sequence[int]], out: Sequence[int],
              w: dict[str, object] | None, where: str, input_rank: int) -> Step:
    """The step of one operator from its name, window and shapes."""
    first = in_shapes[0] if in_shapes else []
    space_in, space_out = list(first[2:]), list(out[2:])
    same_grid = all(list(s[2:]) == space_out and len(s) == len(out) for s in in_shapes)
    if same_grid and (category in _POSITION_WISE or op in _JOINS):
        return PASS  # activations, norms, adds, muls; a cat or stack on one grid
    if w is not None and op.startswith(("convolution", "_convolution", "max_pool", "avg_pool")):
        if any(o > i for i, o in zip(space_in, space_out, strict=False)):
            return unknown(f"{op} in {where} grows the map: a transposed convolution run as an "
                           f"operator, whose stride the window does not say")
        return window(_as_ints(w["kernel"]), _as_ints(w["stride"]), _as_ints(w["dilation"]))
    lost = len(out) < input_rank or (space_out and all(d == 1 for d in space_out)
                                     and any(d > 1 for d in space_in))
    if op.startswith(_REDUCTIONS) and lost:
        return GLOBAL  # a mean or max over every position: a global pool
    if op in ("addmm", "mm", "linear") and len(first) == 2 < input_rank:
        return GLOBAL  # a linear layer over every position flattened (checked by the caller)
    if category in _POSITION_WISE and len(first) == len(out) and first[2:] == out[2:]:
        return PASS
    return unknown(f"{op or 'a layer'} in {where} ({_dims(first)} to {_dims(out)}) has no "
                   f"window this reading knows")


def _as_ints(value: object) -> tuple[int, ...]:
    assert isinstance(value, list)
    return tuple(int(v) for v in value)


def _dims(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape) or "a scalar"
