"""Networks side by side, the ResNet paper's Figure 3: VGG-19 | plain-34 | ResNet-34 in
columns, each column's layers lined up with the others'."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.layout import new_graph
from resnet_inspect.render.diagram.network import LEVELS, draw_network
from resnet_inspect.render.diagram.sections import by_resolution
from resnet_inspect.render.diagram.style import (
    COLOURS,
    COMPACT,
    PAPER_STYLE,
    html_label,
    legend_lines,
    macs_text,
    pretty_name,
    totals_line,
)
from resnet_inspect.report.format import count
from resnet_inspect.report.model import Report

if TYPE_CHECKING:
    import graphviz


def side_by_side(reports: Sequence[Report], level: str = "block", *,
                 title: str | None = None, expand: bool = False,
                 only: Sequence[Sequence[tuple[str, int]]] | None = None,
                 compact: bool = False) -> graphviz.Digraph:
    """Several networks next to each other (plain-34 beside ResNet-34, as in Figure 3).
    `only`: for each network, the (stage, item) pairs of one page; a network with none is
    left off that page. `compact`: Figure 3 as the paper draws it, for a page: one line a
    layer ('3×3 conv, 128, /2', no batch-norm, ReLU or parameter lines), no text on the
    edges, low nodes close together (fit.compact_text sets every text to one size)."""
    if level not in LEVELS:
        raise InspectError(f"unknown diagram level {level!r}; use one of {', '.join(LEVELS)}")
    reports = [by_resolution(r) for r in reports]
    names = [pretty_name(r) for r in reports]
    legend = legend_lines(reports[-1]) if reports else []
    g = new_graph("resnets", title or " vs ".join(names), legend)
    tokens = (COMPACT.set(True), PAPER_STYLE.set(True)) if compact else None
    if compact:
        g.attr("graph", nodesep="0.12", ranksep="0.06")
        g.attr("node", height="0.22", margin="0.08,0.02")
    columns: list[list[str]] = []  # each network's main-path node ids, prefix removed
    shown: list[int] = []  # the networks this page draws
    starts: list[dict[str, str]] = []  # each network's sections' first nodes
    try:
        for i, report in enumerate(reports):
            if only is not None and not only[i]:
                continue
            shown.append(i)
            starts.append({})
            with g.subgraph(name=f"cluster_net{i}") as sub:
                # A titled column without a frame: the label shows, the border does not.
                t = report.totals  # on a page, the totals in two short lines
                small = (f"{count(t.params)} params",
                         f"{macs_text(t.macs, report.layers, t.headline)} MACs")
                head = ("<" + escape(names[i]) + "".join(
                            f'<BR/><FONT POINT-SIZE="9" COLOR="{COLOURS["muted"]}">'
                            f"{escape(line)}</FONT>" for line in small) + ">" if compact
                        else html_label([names[i]], [totals_line(report)], 11))
                sub.attr(label=head, style="solid", color=COLOURS["background"],
                         fontsize="15", labelloc="t", labeljust="c")
                columns.append(draw_network(sub, report, level, f"n{i}_", expand,
                                            only=None if only is None else only[i],
                                            starts=starts[-1]))
    finally:
        if tokens is not None:
            COMPACT.reset(tokens[0])
            PAPER_STYLE.reset(tokens[1])
    # Line the columns up as the paper's Figure 3 does: each section (56×56, 28×28 ...)
    # starts at the same height in every column, and a layer (or block) with the same
    # module name in two networks (plain-34's and ResNet-34's) sits on the same rank; the
    # residual column's `+` nodes fall between, where the plain column draws a longer edge.
    aligned = [[f"n{i}_{ids[0]}" for i, ids in zip(shown, columns, strict=True) if ids]]
    for key in dict.fromkeys(k for section in starts for k in section if k != "head"):
        aligned.append([f"n{i}_{section[key]}" for i, section in zip(shown, starts,
                                                                     strict=True)
                        if key in section])
    blocks = [bool(reports[i].blocks) for i in shown]  # VGG's 'avgpool' is not ResNet's
    for a in range(len(columns)):
        for b in range(a + 1, len(columns)):
            common = set(columns[a]) & set(columns[b]) if blocks[a] and blocks[b] else set()
            placed = {node for nodes in aligned for node in nodes}
            aligned += [[f"n{shown[a]}_{node}", f"n{shown[b]}_{node}"]
                        for node in columns[a] if node in common
                        and not {f"n{shown[a]}_{node}", f"n{shown[b]}_{node}"} <= placed]
    for nodes in aligned:
        if len(nodes) > 1:
            with g.subgraph() as rank:
                rank.attr(rank="same")
                for node in nodes:
                    rank.node(node)
    return g
