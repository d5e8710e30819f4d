"""A user's network drawn from its dataflow graph (report.graph): what its `forward` does.

Every node is a leaf module's call or an operator the forward ran itself, every edge a
tensor handed on, so parallel paths stand side by side, a skip edge leaves from where its
tensor was made, each addition is its own "+" with its two inputs, a `cat` has all of
its inputs, and no edge returns to its own node. Modules with children are clusters
(their path and class on the frame).

What is left out or merged for reading (folds.py): pass-through operators, batch-norm
and activations written on the node before them ("BN, ReLU" under a conv, as the presets
write it), runs of identical consecutive calls drawn once in a frame marked "× n" with the
range they stand for (`expand` draws them all), and at `level` block or stage whole module
calls drawn as one node each (a block with its adds inside; a top-level child).

Node names (DOT ids) come from module paths and operators (`layer1_0_conv1`, `add`,
`blocks_0_attn_bmm_2`), and every node's tooltip starts with the module path or the
operator, so the DOT is deterministic and a test can find each node.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from resnet_inspect.render.diagram.folds import LEVELS, Folds
from resnet_inspect.render.diagram.layout import new_graph
from resnet_inspect.render.diagram.style import (
    COLOURS,
    SHORTCUT_STYLE,
    STAGE_FILLS,
    html_label,
    layer_text,
    pretty_name,
    shape_text,
    totals_line,
)
from resnet_inspect.report.format import count, uncertain, visible
from resnet_inspect.report.graph import Dataflow, shortcut_kind
from resnet_inspect.report.model import LayerRecord, Report

if TYPE_CHECKING:
    import graphviz

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
    would escape what follows it, the closing quote included; a control character (an
    ANSI escape in a ModuleDict key) is shown escaped (format.visible), never raw."""
    return visible(text).replace("\\", "\\\\")


def _add_circle(g: graphviz.Digraph, name: str, after: Sequence[str], tooltip: str) -> None:
    """An addition: the small circled "+" of the presets (layout.add_node); with what runs
    after it (a relu), "+ · relu" on the node itself: beside the circle (an xlabel) dot
    set it on the edges coming in."""
    attrs = {"fillcolor": COLOURS["add"], "tooltip": tooltip}
    if after:
        g.node(name, " · ".join(["+", *after]), shape="box", style="rounded,filled",
               fontsize="11", height="0.28", margin="0.06,0.02", **attrs)
        return
    g.node(name, "+", shape="circle", width="0.28", height="0.28", fixedsize="true",
           fontsize="12", **attrs)


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
                     direction: str = "TB", level: str = "layer") -> graphviz.Digraph:
    """The network as its forward runs it, from `report.graph` (see the module doc), at
    `level`: layer, every node; block, each block (and each other top-level module with
    children that holds none) one node; stage, each top-level module one node."""
    graph = report.graph
    assert graph is not None, "a report traced with its graph"
    assert level in LEVELS, level
    # a user's model is named by its callable ("make_vit"): a gap under the title, so its
    # underscore does not touch the totals (it did, in rsvg-convert and chromium)
    g = new_graph("dataflow", title or pretty_name(report), [totals_line(report)],
                  rankdir=direction, gap=True)
    blocks = frozenset(b.name for b in report.blocks)
    _Drawing(g, report, graph, Folds(graph, expand=expand, level=level, blocks=blocks)).draw()
    return g


class _Drawing:
    def __init__(self, g: graphviz.Digraph, report: Report, graph: Dataflow,
                 folds: Folds) -> None:
        self.g = g
        self.report = report
        self.graph = graph
        self.f = folds
        self.drawn: dict[int, _Drawn] = {}
        self._name_nodes()
        # a colour per top-level module with children (stem, blocks, head ...), as the
        # presets colour their stages; the model's own leaves and operators are grey
        tops = list(dict.fromkeys(c.module.split(".")[0] for c in graph.calls if c.module))
        self.fills = {top: STAGE_FILLS[i % len(STAGE_FILLS)] for i, top in enumerate(tops)}
        self.labelled: set[tuple[int, str]] = set()  # (node, shape) already on an edge
        self.data = frozenset(graph.data_dependent)

    def _shape(self, node: int, dims: Sequence[int]) -> str:
        """A tensor's shape as drawn, '~' in front where the node making it had a shape
        from the input's values (`y[y > 0]`), as the table writes it. Such a shape is
        written whole: its first size is the data's (192 rows kept), not the batch that
        shape_text leaves out."""
        if node not in self.data:
            return shape_text(dims)
        return uncertain("×".join(str(d) for d in dims) if dims else "-", True)

    # ------------------------------------------------------------------ naming

    def _name_nodes(self) -> None:
        graph = self.graph
        used: dict[str, int] = {}
        for i in range(len(graph)):
            if i in self.f.hidden:
                continue
            op = graph.op[i].strip("_")  # add_ is an add too
            whole = self.f.collapsed.get(i)
            base = graph.calls[whole].module if whole is not None else graph.module[i] \
                if graph.leaf[i] else f"{graph.module[i]}.{op}" if graph.module[i] else op
            name = re.sub(r"[^A-Za-z0-9_]", "_", base or "input")
            used[name] = used.get(name, 0) + 1
            if used[name] > 1:
                name = f"{name}_{used[name]}"
            self.drawn[i] = _Drawn(i, name, self.f.onto.get(i, []))

    # ------------------------------------------------------------------ drawing

    def draw(self) -> None:
        calls = self.graph.calls
        inside: dict[int, list[int]] = {}  # call -> its drawn nodes (not in a child call)
        for i in self.drawn:
            whole = self.f.collapsed.get(i)  # a call drawn as one node: in its parent's
            inside.setdefault(self.graph.call[i] if whole is None else calls[whole].parent,
                              []).append(i)
        children: dict[int, list[int]] = {}
        for k, c in enumerate(calls):
            children.setdefault(c.parent, []).append(k)
        root = next((k for k, c in enumerate(calls) if c.parent == -1), -1)
        self._node(self.g, 0)
        self._cluster(self.g, root, inside, children, top=True)
        self._edges()
        for out in self.graph.outputs:
            self.g.node("output", html_label(["output"], [self._shape(out, self.graph.shape[out])]),
                        fillcolor=COLOURS["io"], style="rounded,filled")
            self.g.edge(self.drawn[self.f.target(out)].name, "output")
            break

    def _cluster(self, g: graphviz.Digraph, call: int, inside: dict[int, list[int]],
                 children: dict[int, list[int]], top: bool = False) -> None:
        for i in inside.get(call, []):
            if i != 0:
                self._node(g, i)
        for k in children.get(call, []):
            c = self.graph.calls[k]
            if k in self.f.folded_calls or k in self.f.collapsed.values():
                continue  # a later member of a folded run; a call drawn as one node
            if not any(i in self.drawn for i in range(c.first, c.end)):
                continue
            with g.subgraph(name="cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", c.module)) as sub:
                top_name = c.module.split(".")[0]
                _, background = self.fills.get(top_name, (COLOURS["stem"], COLOURS["stem_bg"]))
                lines, small = [c.module], [c.type]
                style = "rounded,filled"
                if k in self.f.runs:
                    n, run = self.f.runs[k]
                    last = self.graph.calls[run[-1]].module
                    lines = [f"× {n} {c.type}"]
                    small = [f"{c.module} … {last}", "identical"]
                    style = "rounded,filled,dashed"
                # short lines flush left: an edge coming in from above runs past the
                # title, not through it (a ViT's '+ pos' -> LN crossed '..., identical')
                sub.attr(label=html_label(lines, small, 9, left=True), style=style,
                         fillcolor=background,
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
        tooltip = f"{where}: {self._shape(i, graph.shape[i])}"
        if row is not None and row.params:
            tooltip += f" · {count(row.params)} params"
        tooltip = _quoted(tooltip)
        if i in self.f.collapsed:
            self._whole(g, d.name, self.f.collapsed[i], fill)
        elif i == 0:
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

    def _whole(self, g: graphviz.Digraph, name: str, call: int, fill: str) -> None:
        """A module call drawn as one node: its class ("× n" for a run), path, parameters
        and, for a block, its shortcut."""
        graph = self.graph
        c = graph.calls[call]
        rows = self.report.layers
        held = sum(rows[graph.row[i]].params for i in range(c.first, c.end)
                   if graph.leaf[i] and graph.row[i] >= 0)
        n, run = self.f.runs.get(call, (1, [call]))
        path = c.module if n == 1 else f"{c.module} … {graph.calls[run[-1]].module}"
        small = [path + (f" · {count(held)} params" if held else "") + (" each" if n > 1
                                                                        and held else "")]
        if any(b.name == c.module for b in self.report.blocks):
            kind = shortcut_kind(graph, call)
            small.append("no shortcut" if kind == "none" else f"{kind} shortcut")
        out = c.outputs[0] if c.outputs else -1
        shape = self._shape(out, graph.shape[out] if out >= 0 else [])
        kinds = [d.type for d in graph.calls if d.parent == call]
        # a stage of one kind of block (a Sequential of six Units): "6 × Unit"
        text = f"× {n} {c.type}" if n > 1 else f"{len(kinds)} × {kinds[0]}" if len(
            kinds) > 1 and len(set(kinds)) == 1 else c.type
        g.node(name, html_label([text], small),
               fillcolor=fill, tooltip=_quoted(f"{c.module} ({c.type}): {shape}"))

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
            into = self.f.into.get(i)  # i is inside a call drawn as one node
            if i in self.f.hidden and into is None:
                continue
            dst = i if into is None else into
            for k, j in enumerate(graph.inputs[i]):
                src = self.f.target(j)
                if src < 0 or src == dst or src not in self.drawn:
                    continue
                key = (src, dst, k if into is None and graph.inputs[i].count(j) > 1 else 0)
                if key in seen:
                    continue
                seen.add(key)
                attrs: dict[str, str] = {}
                shape = graph.input_shapes[i][k] if k < len(graph.input_shapes[i]) else []
                text = self._shape(j, shape) if shape else ""
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
                self.g.edge(self.drawn[src].name, self.drawn[dst].name, **attrs)

    def _changed(self, src: int, shape: Sequence[int]) -> bool:
        """Whether an edge's tensor has a shape the node it leaves did not take in."""
        graph = self.graph
        if src == 0:
            return True
        whole = self.f.collapsed.get(src)
        if whole is not None:  # a call drawn as one node: against what it was given
            ins = graph.calls[whole].inputs
            return not ins or list(graph.shape[ins[0]]) != list(shape)
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
