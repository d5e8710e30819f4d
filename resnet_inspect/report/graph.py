"""The dataflow graph of one traced forward pass: plain data, no torch.

A node is one call of a leaf module (`layer1.0.conv1`) or one operator a `forward` runs
itself (the `add` of `x + self.bn(self.conv(x))`, a `cat`, a `matmul`); node 0 is the
model's input. A node's `inputs` are the nodes whose tensors it read, in argument order,
so every edge is one tensor handed on. The tracer follows tensors by storage and version
(trace/dataflow.py): a view reads from whoever wrote its storage, and an in-place write
(`out += identity`) makes a new node that later readers see.

The graph is stored by column (one list per field, indexed by node id): a trace of
10,000 blocks makes 70,000 nodes, and appending to lists costs a trace a fraction of
making an object a node. `graph.nodes` gives one `GraphNode` per node, made on first use.

How to walk it:

- **Inputs of a node**: `graph.inputs[i]` (node ids, with the shapes read in
  `graph.input_shapes[i]`); `graph.consumers()` gives the other direction.
- **Topological order**: node ids. Nodes are numbered in the order they ran and a node
  only reads tensors made before it, so every input id is smaller than the node's own:
  `for i in range(len(graph))` visits each node after all of its inputs.
- **Clusters**: `graph.module[i]` is the module that ran node i (the leaf's own path, or
  the module whose `forward` ran the operator; "" the model itself); `graph.calls` lists
  every call of a module with children, with the contiguous range of nodes made inside
  it and the nodes that fed it and that it returned.
- **Composites**: `graph.composites` names the nodes that stand for one call of a
  composite function (`F.scaled_dot_product_attention`: op "scaled_dot_product_attention",
  category "attention") rather than for one operator; what ran inside has no node.
- **Windows** (receptive fields): `graph.window.get(i)` is None, or for a convolution or
  pool {"kernel", "stride", "dilation", "padding"}, one int per spatial dimension (padding
  may be "same" or "valid", as given to torch).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

INPUT = "input"  # the op of node 0, the model's input
ADDS = frozenset({"add", "add_"})
WEIGHTED = frozenset({"conv", "linear"})  # categories of a layer with weights
PADS = frozenset({"constant_pad_nd", "pad", "cat"})  # what a zero-pad shortcut runs


@dataclass(frozen=True)
class GraphNode:
    """One node of a Dataflow, read from its columns."""

    id: int
    # the operator ("add", "cat", "matmul"); for a leaf module's call the first operator
    # with arithmetic it ran ("convolution"; "" none); "input" for node 0
    op: str
    module: str  # the leaf that ran, or the module whose forward ran the operator ("" root)
    type: str  # the leaf's class, or the running module's class for an operator
    leaf: bool  # a leaf module's call (else an operator, or the input)
    inputs: list[int]  # nodes read, in argument order
    input_shapes: list[list[int]]  # the tensors read
    shape: list[int]  # the first output's shape
    row: int  # index in Report.layers of the row charged with its work; -1 none
    call: int  # index in Dataflow.calls of the innermost module call running it; -1 none
    category: str  # its row's category (conv, linear, norm ...), an operator's own
    params: list[str]  # parameters an operator read itself ("cls_token")
    window: dict[str, Any] | None  # kernel, stride, dilation, padding of a conv or pool

    @property
    def label(self) -> str:
        """The module path or the operator: what a diagram names the node by."""
        return self.module if self.leaf else self.op


@dataclass
class ModuleCall:
    """One call of a module with children (the model, a block, a stage): its nodes are
    `first` .. `end - 1`, contiguous because nodes are numbered as they run."""

    module: str
    type: str
    first: int
    end: int
    inputs: list[int] = field(default_factory=list)  # nodes whose tensors it was given
    outputs: list[int] = field(default_factory=list)  # nodes whose tensors it returned
    parent: int = -1  # the enclosing call; -1 for the model's own


@dataclass
class Dataflow:
    """The graph by column: element i of each list is node i's."""

    op: list[str] = field(default_factory=list)
    module: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    leaf: list[bool] = field(default_factory=list)
    inputs: list[list[int]] = field(default_factory=list)
    input_shapes: list[list[list[int]]] = field(default_factory=list)
    shape: list[list[int]] = field(default_factory=list)
    row: list[int] = field(default_factory=list)
    call: list[int] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    # sparse, by node id: the parameters an operator read itself, a conv's or pool's window
    params: dict[int, list[str]] = field(default_factory=dict)
    window: dict[int, dict[str, Any]] = field(default_factory=dict)
    # a composite function's node (F.scaled_dot_product_attention, op
    # "scaled_dot_product_attention") -> its category; the operators it ran make no node
    composites: dict[int, str] = field(default_factory=dict)
    # nodes whose output's shape came from the input's values (`y[y > 0]`, nonzero, or
    # an operator reading such a tensor): true of the traced input, not of every input
    data_dependent: list[int] = field(default_factory=list)
    calls: list[ModuleCall] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)  # nodes whose tensors the model returned

    def __len__(self) -> int:
        return len(self.op)

    @property
    def nodes(self) -> list[GraphNode]:
        """One GraphNode per node, in order (made once, on first use)."""
        made: list[GraphNode] | None = self.__dict__.get("_nodes")
        if made is None or len(made) != len(self):
            params, window = self.params, self.window
            made = [GraphNode(i, op, module, type_, leaf, inputs, shapes, shape, row, call,
                              category, params.get(i, []), window.get(i))
                    for i, (op, module, type_, leaf, inputs, shapes, shape, row, call, category)
                    in enumerate(zip(self.op, self.module, self.type, self.leaf, self.inputs,
                                     self.input_shapes, self.shape, self.row, self.call,
                                     self.category, strict=True))]
            self.__dict__["_nodes"] = made
        return made

    def edges(self) -> list[tuple[int, int]]:
        """(producer, consumer) for every tensor handed on, consumers in order."""
        return [(i, n) for n, ins in enumerate(self.inputs) for i in ins]

    def consumers(self) -> list[list[int]]:
        """For each node, the nodes that read its tensors (each once, in order)."""
        out: list[list[int]] = [[] for _ in self.op]
        for n, ins in enumerate(self.inputs):
            for i in dict.fromkeys(ins):
                out[i].append(n)
        return out

    def ancestors(self, node: int, floor: int = 0) -> set[int]:
        """`node` and every node it depends on, down to ids >= `floor`."""
        seen = {node}
        todo = [node]
        while todo:
            for i in self.inputs[todo.pop()]:
                if i >= floor and i not in seen:
                    seen.add(i)
                    todo.append(i)
        return seen

    def is_add(self, node: int) -> bool:
        """An addition of two tensors: an `add` a forward runs, or a leaf module (an
        `Add` layer) whose operator is one."""
        return self.op[node] in ADDS and len(self.inputs[node]) == 2

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dataflow:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["calls"] = [ModuleCall(**c) for c in data.get("calls", [])]
        # JSON keys are strings
        kwargs["params"] = {int(k): v for k, v in data.get("params", {}).items()}
        kwargs["window"] = {int(k): v for k, v in data.get("window", {}).items()}
        kwargs["composites"] = {int(k): v for k, v in data.get("composites", {}).items()}
        return cls(**kwargs)


def shortcut_kind(graph: Dataflow, call: int) -> str:
    """What a block's shortcut does, read from the dataflow of its call:

    - "identity": its output adds a tensor it was given (or made) unchanged;
    - "projection": the added tensor went through a conv on its way (ResNet-D's avg pool
      then conv too), the branch with fewer convs being the shortcut;
    - "zero-pad": it went through no conv but was padded (the paper's option A);
    - "none": nothing is added on the way to the output.

    The addition is the last one the block's output depends on.
    """
    return shortcut(graph, call)[0]


def shortcut(graph: Dataflow, call: int) -> tuple[str, set[int], int]:
    """`shortcut_kind`, the shortcut's own nodes (a projection's conv and BN; none for
    identity) and the addition (-1 for none)."""
    c = graph.calls[call]
    if not c.outputs:
        return "none", set(), -1
    first = c.first
    behind = graph.ancestors(c.outputs[0], first)
    for add in sorted((i for i in behind if i >= first and graph.is_add(i)), reverse=True):
        a, b = graph.inputs[add]
        if a < first or b < first:  # a tensor the block was given, added unchanged
            return "identity", set(), add
        sa, sb = graph.ancestors(a, first), graph.ancestors(b, first)
        only_a, only_b = sa - sb, sb - sa
        if not only_a or not only_b:  # one is an ancestor of the other: added unchanged
            return "identity", set(), add
        side = min(only_a, only_b, key=lambda s: (_weighted(graph, s), len(s)))
        if _weighted(graph, side):
            return "projection", side, add
        if any(graph.op[i] in PADS for i in side):
            return "zero-pad", side, add
        return "identity", side, add
    return "none", set(), -1


def _weighted(graph: Dataflow, nodes: set[int]) -> int:
    return sum(graph.category[i] in WEIGHTED for i in nodes)
