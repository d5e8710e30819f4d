"""What a dataflow drawing (dataflow.py) leaves out or merges, before anything is drawn.

- runs of identical consecutive sibling calls, each fed by the one before (same
  operators, same shapes; any class): all but the first hidden, their nodes standing for
  the first's (`--expand` keeps them);
- at `--level block` or `stage`, a module call folded whole to one node, the node that
  makes its output standing for it (its adds inside it): at `stage` every top-level
  child of the model; at `block` every residual block (`name.i`, report.blocks) and every
  other module with children that holds no block (a stem, a head), so a stage of blocks
  stays a frame with one node a block;
- operators that only move data with one input (`clone`, `expand` ...): the edge through
  them; constants a forward makes (`zeros`, `arange`): not drawn;
- batch-norm and activations onto the node before them, where it feeds only them.

`alias[i]` is the node drawn for node i (itself, or one it was folded into), `hidden` the
nodes not drawn themselves.
"""

from __future__ import annotations

from resnet_inspect.report.graph import Dataflow

# operators kept as nodes although they do no arithmetic: they join or pad tensors
STRUCTURAL = frozenset({"cat", "stack", "constant_pad_nd", "pad"})
# what folds onto the node before it
_TRAILING = frozenset({"norm", "activation"})
LEVELS = ("stage", "block", "layer")


class Folds:
    """The folding of one drawing: the passes in the order they run."""

    def __init__(self, graph: Dataflow, *, expand: bool, level: str,
                 blocks: frozenset[str]) -> None:
        self.graph = graph
        self.consumers = graph.consumers()
        self.alias = list(range(len(graph)))  # node -> the node drawn for it
        self.hidden: set[int] = set()  # folded away, or not drawn at all
        self.runs: dict[int, tuple[int, list[int]]] = {}  # first call of a run -> (n, calls)
        self.folded_calls: set[int] = set()  # the later members of runs, and their calls
        self.collapsed: dict[int, int] = {}  # node standing for a whole call -> the call
        self.into: dict[int, int] = {}  # a node of a call folded whole -> its node
        self.onto: dict[int, list[int]] = {}  # node -> the norms, activations written on it
        if not expand:
            self._fold_runs()
        if level != "layer":
            for call in self._whole_calls(level, blocks):
                self._collapse(call)
        self._skip_pass_through()
        self._fold_trailing()

    def _whole_calls(self, level: str, blocks: frozenset[str]) -> list[int]:
        """The calls drawn as one node at `level` (see the module doc)."""
        calls = self.graph.calls
        root = next((k for k, c in enumerate(calls) if c.parent == -1), -1)
        children: dict[int, list[int]] = {}
        for k, c in enumerate(calls):
            children.setdefault(c.parent, []).append(k)
        whole = []
        for k in children.get(root, []) if root >= 0 else []:
            inner = children.get(k, [])
            if level == "block" and any(calls[j].module in blocks for j in inner):
                whole += inner  # a stage: each block (and whatever else it holds) one node
            else:
                whole.append(k)
        return [k for k in whole if k not in self.folded_calls]

    def _collapse(self, call: int) -> None:
        c = self.graph.calls[call]
        if c.end <= c.first:
            return
        out = c.outputs[0] if c.outputs and c.first <= c.outputs[0] < c.end else c.end - 1
        self.collapsed[out] = call
        self.hidden.discard(out)  # drawn, if a run inside the call had folded it away
        self.alias[out] = out
        for i in range(c.first, c.end):
            self.into[i] = out
            if i != out:
                self.hidden.add(i)
                self.alias[i] = out

    def _fold_runs(self) -> None:
        """Consecutive sibling calls that are the same subgraph, each fed by the one
        before: all but the first hidden, their nodes standing for the first's."""
        graph = self.graph
        children: dict[int, list[int]] = {}
        for i, c in enumerate(graph.calls):
            children.setdefault(c.parent, []).append(i)
        for siblings in children.values():
            run: list[int] = []
            for i in siblings:
                if run and self._same(run[-1], i) and self._chained(run[-1], i):
                    run.append(i)
                    continue
                self._fold(run)
                run = [i]
            self._fold(run)

    def _signature(self, call: int) -> tuple[object, ...]:
        graph, c = self.graph, self.graph.calls[call]
        span = range(c.first, c.end)
        prefix = c.module + "."

        def rel(i: int) -> object:
            return i - c.first if i in span else "outside"

        def path(module: str) -> str:  # the module's path inside the call
            return "" if module == c.module else module.removeprefix(prefix)

        return tuple((graph.op[i], graph.type[i], path(graph.module[i]),
                      tuple(graph.shape[i]), tuple(rel(j) for j in graph.inputs[i]))
                     for i in span)

    def _same(self, a: int, b: int) -> bool:
        ca, cb = self.graph.calls[a], self.graph.calls[b]
        return (ca.type == cb.type and ca.end - ca.first == cb.end - cb.first > 0
                and self._signature(a) == self._signature(b))

    def _chained(self, a: int, b: int) -> bool:
        ca, cb = self.graph.calls[a], self.graph.calls[b]
        return bool(cb.inputs) and set(cb.inputs) <= set(ca.outputs)

    def _fold(self, run: list[int]) -> None:
        if len(run) < 2:
            return
        calls = self.graph.calls
        first = calls[run[0]]
        self.runs[run[0]] = (len(run), run)
        for k in run[1:]:
            c = calls[k]
            for i in range(c.first, c.end):
                self.hidden.add(i)
                self.alias[i] = first.first + (i - c.first)
            # the member's own calls (its attention, its MLP) go with it
            self.folded_calls.update(j for j, d in enumerate(calls)
                                     if c.first <= d.first and d.end <= c.end and j >= k)

    def _skip_pass_through(self) -> None:
        """Data-moving operators with one input: drawn as the edge through them.
        Constants a forward makes from nothing: not drawn."""
        graph = self.graph
        for i in range(1, len(graph)):
            if i in self.hidden or graph.leaf[i] or graph.category[i] or graph.op[i] in STRUCTURAL \
                    or graph.params.get(i):
                continue
            if len(graph.inputs[i]) == 1:
                self.hidden.add(i)
                self.alias[i] = self.alias[graph.inputs[i][0]]
            elif not graph.inputs[i]:
                self.hidden.add(i)
                self.alias[i] = -1

    def _fold_trailing(self) -> None:
        """Batch-norm and activations onto the node before, where it feeds only them."""
        graph = self.graph
        for i in range(1, len(graph)):
            if i in self.hidden or i in self.collapsed or graph.category[i] not in _TRAILING:
                continue
            ins = graph.inputs[i]
            if len(ins) != 1:
                continue
            before = self.alias[ins[0]]
            if before <= 0 or before in self.hidden or graph.call[before] != graph.call[i]:
                continue
            if self.consumers[ins[0]] != [i]:  # its input feeds something else too
                continue
            self.hidden.add(i)
            self.alias[i] = before
            self.onto.setdefault(before, []).append(i)

    def target(self, i: int) -> int:
        """The drawn node standing for node i (-1: none)."""
        seen = 0
        while i >= 0 and i in self.hidden and self.alias[i] != i and seen < len(self.alias):
            i = self.alias[i]
            seen += 1
        return i
