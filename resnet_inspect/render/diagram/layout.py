"""Graphviz DOT emission shared by every diagram: node ids, the graph and its defaults, the
main path's edges with their shapes, shortcut edges and the circled addition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from resnet_inspect.render.diagram.style import (
    COLOURS,
    COMPACT,
    FONT,
    SHORTCUT_STYLE,
    html_label,
    shape_text,
)

if TYPE_CHECKING:
    import graphviz


def node_id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def new_graph(name: str, title: str, subtitle: Sequence[str],
              rankdir: str = "TB", gap: bool = False) -> graphviz.Digraph:
    """`gap`: a 4 pt line between the title and the subtitle, for a title whose
    underscores or descenders would touch it (a user's callable, "make_vit")."""
    import graphviz

    label = html_label([title], subtitle, 11, gap=gap)

    g = graphviz.Digraph(name=name)
    g.attr(
        "graph",
        rankdir=rankdir,
        bgcolor=COLOURS["background"],
        fontname=FONT,
        fontcolor=COLOURS["text"],
        fontsize="16",
        labelloc="t",
        labeljust="c",
        nodesep="0.25",
        ranksep="0.28",
        newrank="true",
        label=label,
    )
    g.attr(
        "node",
        shape="box",
        style="rounded,filled",
        fontname=FONT,
        fontsize="12",
        fontcolor=COLOURS["text"],
        color=COLOURS["border"],
        penwidth="1.0",
        margin="0.12,0.05",
    )
    g.attr("edge", fontname=FONT, fontsize="10", color=COLOURS["edge"],
           fontcolor=COLOURS["muted"], arrowsize="0.7")
    return g


def shortcut_edge(g: graphviz.Digraph, tail: str, head: str, kind: str, ident: str,
                  label: str = "") -> None:
    style, colour_key = SHORTCUT_STYLE.get(kind, ("solid", "shortcut_identity"))
    attrs = {"style": style, "color": COLOURS[colour_key], "id": ident, "penwidth": "1.4"}
    if label:
        attrs["label"] = label
        attrs["fontcolor"] = COLOURS[colour_key]
    g.edge(tail, head, **attrs)


class Flow:
    """Emits the main path's edges, labelling an edge with the tensor it carries whenever
    that shape differs from the last one written (so every change of shape is shown once).
    """

    def __init__(self, g: graphviz.Digraph, start: str, shape: Sequence[int],
                 group: str = "", labels: bool = True) -> None:
        self.g = g
        self.tail = start
        self.carried = shape_text(shape)  # the tensor leaving `tail`
        self.shown = self.carried  # the start node already shows its shape
        self.visited = [start]  # main-path nodes, in order
        self.group = group  # Graphviz `group` of the main path's nodes (kept straight)
        self.labels = labels  # write shapes on edges (the one-slide look writes none)
        self.note = ""  # written on the next edge, above its shape: the ReLU after a "+"

    def restart(self, node: str) -> None:
        """Continue the path from `node` with no edge into it (a new column's start); its
        first edge names the tensor again."""
        self.tail = node
        self.visited.append(node)
        self.shown = ""

    def to(self, head: str) -> None:
        attrs = {"weight": "10"}
        text = [self.note] if self.note else []
        self.note = ""
        if self.carried != self.shown and self.labels:
            text.append(self.carried)
            self.shown = self.carried
        if text:
            attrs["label"] = " " + "\n ".join(text)
        self.g.edge(self.tail, head, **attrs)
        self.tail = head
        self.visited.append(head)

    def moved(self, tail: str, shape_out: Sequence[int]) -> None:
        """`tail` is now the end of the main path, and it outputs `shape_out`."""
        self.tail = tail
        self.carried = shape_text(shape_out)


def add_node(c: graphviz.Digraph, node: str, prefix: str, size: str = "0.28",
             fontsize: str = "12") -> None:
    """The residual addition, the same small circled "+" at every level (what runs after it,
    the ReLU, is written on the edge that leaves it: Flow.note)."""
    size = "0.2" if COMPACT.get() else size  # the one-slide look's text is 10 pt
    attrs = {"shape": "circle", "width": size, "height": size, "fixedsize": "true",
             "fillcolor": COLOURS["add"], "fontsize": fontsize, "group": prefix + "main"}
    c.node(node, "+", **attrs)


def shortcut_edges(dot: str) -> dict[str, int]:
    """Count the shortcut edges in DOT text by style: {'solid': n, 'dashed': m, 'dotted': k}.

    Counts one edge per shortcut (the edge that reaches the addition), so the figures equal
    the number of blocks with each kind of shortcut.
    """
    counts = {"solid": 0, "dashed": 0, "dotted": 0}
    for line in dot.splitlines():
        m = re.search(r'\bid="?([A-Za-z0-9_]*shortcut_[A-Za-z0-9_]*?)"?[\s\]]', line)
        if not m or not re.search(r"->", line):
            continue
        if "__leg" in m.group(1):
            continue  # a leg through a projection node; the edge into the addition counts
        style = re.search(r"\bstyle=(\w+)", line)
        counts[style.group(1) if style else "solid"] += 1
    return counts
