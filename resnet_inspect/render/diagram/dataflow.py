"""A user's network drawn from its dataflow graph (report.graph): what its `forward` does.

Every node is a leaf module's call or an operator the forward ran itself, every edge a
tensor handed on, so parallel paths stand side by side, a skip edge leaves from where its
tensor was made, each addition is its own "+" with its two inputs, a `cat` has all of
its inputs, and no edge returns to its own node. Modules with children are clusters
(their path and class on the frame).

What is left out, or merged, for reading:

- operators that only move data with one input (`clone`, `_to_copy`, `expand` ...):
  their edge runs straight through; constants a forward makes (`zeros`, `arange`) are
  not drawn;
- batch-norm and activation written on the node before them, as the presets write
  "BN, ReLU" under a conv, where that node feeds nothing else;
- runs of identical consecutive module calls, each feeding the next (same operators,
  same shapes; any class), drawn once in a frame marked "× n" with the range they stand
  for; `expand` draws them all.

Node names (DOT ids) come from module paths and operators (`layer1_0_conv1`, `add`,
`blocks_0_attn_bmm_2`), and every node's tooltip starts with the module path or the
operator, so the DOT is deterministic and a test can find each node.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from resnet_inspect.render.diagram.layout import new_graph
from resnet_inspect.render.diagram.style import (
    COLOURS,
    SHORTCUT_STYLE,
    SMALL,
    STAGE_FILLS,
    html_label,
    layer_text,
    pretty_name,
    shape_text,
    totals_line,
)
from resnet_inspect.report.format import count
from resnet_inspect.report.graph import Dataflow, shortcut_kind
from resnet_inspect.report.model import LayerRecord, Report

if TYPE_CHECKING:
    import graphviz

# operators kept as nodes although they do no arithmetic: they join or pad tensors
_STRUCTURAL = frozenset({"cat", "stack", "constant_pad_nd", "pad"})
# what folds onto the node before it
_TRAILING = frozenset({"norm", "activation"})
# how an operator a forward ran is named on its node
_OP_TEXT = {"add": "+", "add_": "+", "mul": "×", "mul_": "×", "sub": "−", "div": "÷",
            "_scaled_dot_product_flash_attention": "attention",
            "_scaled_dot_product_efficient_attention": "attention",
            "_scaled_dot_product_flash_attention_for_cpu": "attention",
            "scaled_dot_product_attention": "attention",
            "_softmax": "softmax", "_safe_softmax": "softmax", "bmm": "matmul",
            "mm": "matmul", "addmm": "linear",
            "relu_": "relu", "native_layer_norm": "layer norm", "constant_pad_nd": "pad",
            "convolution": "conv", "gelu": "gelu"}
# a composite call's tensor arguments, named on its incoming edges
_ARGUMENTS = {"scaled_dot_product_attention": ("q", "k", "v", "mask")}


def _quoted(text: str) -> str:
    """Text for a DOT string: a backslash in a module's name (add_module("c\\", ...))
    would escape what follows it, the closing quote included."""
    return text.replace("\\", "\\\\")


def _add_circle(g: graphviz.Digraph, name: str, after: Sequence[str], tooltip: str) -> None:
    """An addition: the small circled "+" of the presets (layout.add_node), what runs after
    it written beside the circle."""
    attrs = {"shape": "circle", "width": "0.28", "height": "0.28", "fixedsize": "true",
             "fillcolor": COLOURS["add"], "fontsize": "12", "tooltip": tooltip}
    if after:
        attrs["xlabel"] = (f'<<FONT POINT-SIZE="{SMALL}" COLOR="{COLOURS["muted"]}">'
                           f'{escape(" · ".join(after))}</FONT>>')
    g.node(name, "+", **attrs)


def _leaf_text(row: LayerRecord) -> str:
    """A layer as the presets write it; a transposed conv upsamples by its stride."""
    if row.type.startswith("ConvTranspose") and row.output_shape:
        kernel = row.kernel.replace("x", "×")
        up = f", ×{row.stride}" if row.stride > 1 else ""
        return f"{kernel} conv transpose, {row.output_shape[1]}{up}"
    return layer_text(row)


def op_text(op: str) -> str:
    """An operator as a node names it: 'relu', '+', 'matmul', 'attention'."""
    return _OP_TEXT.get(op, op.strip("_").removesuffix("_"))


@dataclass
class _Drawn:
    """A node as drawn: a graph node and those folded onto it."""

    node: int
    name: str  # DOT id
    folded: list[int] = field(default_factory=list)


def dataflow_diagram(report: Report, *, title: str | None = None, expand: bool = False,
                     direction: str = "TB") -> graphviz.Digraph:
    """The network as its forward runs it, from `report.graph` (see the module doc)."""
    graph = report.graph
    assert graph is not None, "a report traced with its graph"
    g = new_graph("dataflow", title or pretty_name(report), [totals_line(report)],
                  rankdir=direction)
    _Drawing(g, report, graph, expand).draw()
    return g


class _Drawing:
    def __init__(self, g: graphviz.Digraph, report: Report, graph: Dataflow,
                 expand: bool) -> None:
        self.g = g
        self.report = report
        self.graph = graph
        self.consumers = graph.consumers()
        self.alias = list(range(len(graph)))  # node -> the node drawn for it
        self.hidden: set[int] = set()  # folded away, or not drawn at all
        self.runs: dict[int, tuple[int, list[int]]] = {}  # first call of a run -> (n, calls)
        self.folded_calls: set[int] = set()  # the later members of runs, and their calls
        self.onto: dict[int, list[int]] = {}  # node -> the norms, activations written on it
        self.drawn: dict[int, _Drawn] = {}
        if not expand:
            self._fold_runs()
        self._skip_pass_through()
        self._fold_trailing()
        self._name_nodes()
        # a colour per top-level module with children (stem, blocks, head ...), as the
        # presets colour their stages; the model's own leaves and operators are grey
        tops = list(dict.fromkeys(c.module.split(".")[0] for c in graph.calls if c.module))
        self.fills = {top: STAGE_FILLS[i % len(STAGE_FILLS)] for i, top in enumerate(tops)}
        self.labelled: set[tuple[int, str]] = set()  # (node, shape) already on an edge

    # ------------------------------------------------------------------ what is drawn

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
            if graph.leaf[i] or graph.category[i] or graph.op[i] in _STRUCTURAL \
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
            if i in self.hidden or graph.category[i] not in _TRAILING:
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

    def _name_nodes(self) -> None:
        graph = self.graph
        used: dict[str, int] = {}
        for i in range(len(graph)):
            if i in self.hidden:
                continue
            op = graph.op[i].strip("_")  # add_ is an add too
            base = graph.module[i] if graph.leaf[i] else (
                f"{graph.module[i]}.{op}" if graph.module[i] else op)
            name = re.sub(r"[^A-Za-z0-9_]", "_", base or "input")
            used[name] = used.get(name, 0) + 1
            if used[name] > 1:
                name = f"{name}_{used[name]}"
            self.drawn[i] = _Drawn(i, name, self.onto.get(i, []))

    def _target(self, i: int) -> int:
        seen = 0
        while i >= 0 and i in self.hidden and self.alias[i] != i and seen < len(self.alias):
            i = self.alias[i]
            seen += 1
        return i

    # ------------------------------------------------------------------ drawing

    def draw(self) -> None:
        calls = self.graph.calls
        inside: dict[int, list[int]] = {}  # call -> its drawn nodes (not in a child call)
        for i in self.drawn:
            inside.setdefault(self.graph.call[i], []).append(i)
        children: dict[int, list[int]] = {}
        for k, c in enumerate(calls):
            children.setdefault(c.parent, []).append(k)
        root = next((k for k, c in enumerate(calls) if c.parent == -1), -1)
        self._node(self.g, 0)
        self._cluster(self.g, root, inside, children, top=True)
        self._edges()
        for out in self.graph.outputs:
            self.g.node("output", html_label(["output"], [shape_text(self.graph.shape[out])]),
                        fillcolor=COLOURS["io"], style="rounded,filled")
            self.g.edge(self.drawn[self._target(out)].name, "output")
            break

    def _cluster(self, g: graphviz.Digraph, call: int, inside: dict[int, list[int]],
                 children: dict[int, list[int]], top: bool = False) -> None:
        for i in inside.get(call, []):
            if i != 0:
                self._node(g, i)
        for k in children.get(call, []):
            c = self.graph.calls[k]
            if k in self.folded_calls:
                continue  # a later member of a folded run
            if not any(i in self.drawn for i in range(c.first, c.end)):
                continue
            with g.subgraph(name="cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", c.module)) as sub:
                top_name = c.module.split(".")[0]
                _, background = self.fills.get(top_name, (COLOURS["stem"], COLOURS["stem_bg"]))
                lines, small = [c.module], [c.type]
                style = "rounded,filled"
                if k in self.runs:
                    n, run = self.runs[k]
                    last = self.graph.calls[run[-1]].module
                    lines = [f"× {n} {c.type}"]
                    small = [f"{c.module} … {last}, identical"]
                    style = "rounded,filled,dashed"
                sub.attr(label=html_label(lines, small, 9), style=style, fillcolor=background,
                         color=COLOURS["border"], fontsize="11", labelloc="t", labeljust="l",
                         tooltip=_quoted(f"{c.module} ({c.type})"))
                self._cluster(sub, k, inside, children)

    def _node(self, g: graphviz.Digraph, i: int) -> None:
        graph, d = self.graph, self.drawn[i]
        top = graph.module[i].split(".")[0]
        fill = self.fills.get(top, (COLOURS["stem"], COLOURS["stem_bg"]))[0]
        rows = self.report.layers
        row = rows[graph.row[i]] if graph.leaf[i] and graph.row[i] >= 0 else None
        after = [self._text(j) for j in d.folded]
        where = graph.module[i] if graph.leaf[i] else (
            f"{graph.op[i]} in {graph.module[i] or 'forward'} ({graph.type[i]})")
        tooltip = f"{where}: {shape_text(graph.shape[i])}"
        if row is not None and row.params:
            tooltip += f" · {count(row.params)} params"
        tooltip = _quoted(tooltip)
        if i == 0:
            g.node(d.name, html_label(["input"], [shape_text(graph.shape[0])]),
                   fillcolor=COLOURS["io"], style="rounded,filled", tooltip="input")
        elif graph.is_add(i):
            _add_circle(g, d.name, after, tooltip)
        elif graph.leaf[i] and row is not None:
            small = [" · ".join(after)] if after else []
            held = row.params + sum(rows[graph.row[j]].params for j in d.folded
                                    if graph.leaf[j] and graph.row[j] >= 0)
            small.append(graph.module[i] + (f" · {count(held)} params" if held else ""))
            g.node(d.name, html_label([_leaf_text(row)], small), fillcolor=fill,
                   tooltip=tooltip)
        else:
            params = graph.params.get(i, [])
            small = [" · ".join(after)] if after else []
            if params:
                small.append(", ".join(params))
            g.node(d.name, html_label([op_text(graph.op[i])], small), fillcolor=COLOURS["io"],
                   tooltip=tooltip, fontsize="11")

    def _text(self, i: int) -> str:
        graph = self.graph
        if graph.leaf[i] and graph.row[i] >= 0:
            return _leaf_text(self.report.layers[graph.row[i]])
        return op_text(graph.op[i])

    def _edges(self) -> None:
        graph = self.graph
        seen: set[tuple[int, int, int]] = set()
        kinds = self._shortcut_inputs()
        for i in range(1, len(graph)):
            if i in self.hidden:
                continue
            for k, j in enumerate(graph.inputs[i]):
                src = self._target(j)
                if src < 0 or src == i or src not in self.drawn:
                    continue
                key = (src, i, k if graph.inputs[i].count(j) > 1 else 0)
                if key in seen:
                    continue
                seen.add(key)
                attrs: dict[str, str] = {}
                shape = graph.input_shapes[i][k] if k < len(graph.input_shapes[i]) else []
                text = shape_text(shape) if shape else ""
                if text and self._changed(src, shape) and (src, text) not in self.labelled:
                    self.labelled.add((src, text))  # a tensor's shape once, where it leaves
                    attrs["label"] = " " + text
                names = _ARGUMENTS.get(graph.op[i], ()) if i in graph.composites else ()
                if k < len(names):  # q, k, v into one attention node
                    attrs["label"] = f" {names[k]}" + attrs.get("label", "")
                kind = kinds.get((i, k))
                if kind is not None:
                    style, colour = SHORTCUT_STYLE.get(kind, ("solid", "shortcut_identity"))
                    attrs.update(style=style, color=COLOURS[colour], penwidth="1.4")
                self.g.edge(self.drawn[src].name, self.drawn[i].name, **attrs)

    def _changed(self, src: int, shape: Sequence[int]) -> bool:
        """Whether an edge's tensor has a shape the node it leaves did not take in."""
        graph = self.graph
        if src == 0:
            return True
        return not graph.input_shapes[src] or list(graph.input_shapes[src][0]) != list(shape)

    def _shortcut_inputs(self) -> dict[tuple[int, int], str]:
        """(add node, argument) of each block's shortcut edge, with its kind: the input an
        addition takes from the block's own input (identity) or through a projection."""
        graph = self.graph
        out: dict[tuple[int, int], str] = {}
        for k, c in enumerate(graph.calls):
            kind = shortcut_kind(graph, k)
            if kind == "none" or c.parent == -1:
                continue
            behind = graph.ancestors(c.outputs[0], c.first) if c.outputs else set()
            adds = [i for i in behind if i >= c.first and graph.is_add(i)]
            if not adds:
                continue
            add = max(adds)
            a, b = graph.inputs[add]
            side = 0 if a < c.first else 1 if b < c.first else None
            if side is None:
                sa, sb = graph.ancestors(a, c.first), graph.ancestors(b, c.first)
                wa = sum(graph.category[n] in ("conv", "linear") for n in sa - sb)
                wb = sum(graph.category[n] in ("conv", "linear") for n in sb - sa)
                side = 0 if (wa, len(sa - sb)) <= (wb, len(sb - sa)) else 1
            out[(add, side)] = kind
        return out
