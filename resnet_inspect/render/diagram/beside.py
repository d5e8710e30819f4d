"""Networks side by side, the ResNet paper's Figure 3: VGG-19 | plain-34 | ResNet-34 in
columns, each column's layers lined up with the others'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.layout import new_graph
from resnet_inspect.render.diagram.network import LEVELS, draw_network
from resnet_inspect.render.diagram.style import (
    COLOURS,
    html_label,
    legend_lines,
    pretty_name,
    totals_line,
)
from resnet_inspect.report.model import Report

if TYPE_CHECKING:
    import graphviz


def side_by_side(reports: Sequence[Report], level: str = "block", *,
                 title: str | None = None, expand: bool = False,
                 only: Sequence[Sequence[tuple[str, int]]] | None = None) -> graphviz.Digraph:
    """Several networks next to each other (plain-34 beside ResNet-34, as in Figure 3).
    `only`: for each network, the (stage, item) pairs of one page; a network with none is
    left off that page."""
    if level not in LEVELS:
        raise InspectError(f"unknown diagram level {level!r}; use one of {', '.join(LEVELS)}")
    names = [pretty_name(r) for r in reports]
    legend = legend_lines(reports[-1]) if reports else []
    g = new_graph("resnets", title or " vs ".join(names), legend)
    columns: list[list[str]] = []  # each network's main-path node ids, prefix removed
    shown: list[int] = []  # the networks this page draws
    for i, report in enumerate(reports):
        if only is not None and not only[i]:
            continue
        shown.append(i)
        with g.subgraph(name=f"cluster_net{i}") as sub:
            # A titled column without a frame: the label shows, the border does not.
            sub.attr(label=html_label([names[i]], [totals_line(report)], 11), style="solid",
                     color=COLOURS["background"], fontsize="15", labelloc="t", labeljust="c")
            columns.append(draw_network(sub, report, level, f"n{i}_", expand,
                                         only=None if only is None else only[i]))
    # Line the columns up as the paper's Figure 3 does: a layer (or block) with the same
    # module name in every network sits on the same rank; the residual column's `+` nodes
    # fall between, where the plain column just draws a longer edge.
    common = set.intersection(*(set(ids) for ids in columns)) if columns else set()
    for ids in columns[:1]:
        for node in ids:
            if node in common:
                with g.subgraph() as rank:
                    rank.attr(rank="same")
                    for i in shown:
                        rank.node(f"n{i}_{node}")
    return g
