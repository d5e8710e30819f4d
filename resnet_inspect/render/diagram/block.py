"""The block figure (the ResNet paper's Figure 5): one traced residual block, every layer
with its parameter arithmetic, the shortcut into the addition, and which figure it is."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from resnet_inspect.counting.categories import Category
from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.grouping import (
    ANCHORS,
    Block,
    chunks,
    reads_preactivated,
    regroup,
)
from resnet_inspect.render.diagram.layout import Flow, add_node, new_graph, node_id, shortcut_edge
from resnet_inspect.render.diagram.style import (
    COLOURS,
    PAPER_STYLE,
    SHORT,
    SHORTCUT_STYLE,
    STAGE_FILLS,
    html_label,
    layer_text,
    shape_text,
    tip,
)
from resnet_inspect.report.format import count, si, uncertain
from resnet_inspect.report.model import LayerRecord, Report

if TYPE_CHECKING:
    import graphviz


_BLOCK_TITLES = {
    "basic": "Basic block",
    "bottleneck": "Bottleneck block",
    "preact-basic": "Pre-activation basic block",
    "preact-bottleneck": "Pre-activation bottleneck block",
}


def block_diagram(report: Report, *, title: str | None = None) -> graphviz.Digraph:
    """The paper's Figure 5 for one traced block: every layer, its params, the shortcut."""
    units = [u for u in regroup(report) if isinstance(u, Block)]
    if len(units) != 1:
        raise InspectError(
            f"a block diagram needs a report of exactly one residual block, got {len(units)}; "
            "draw a network with `resnet-inspect diagram NAME` instead"
        )
    b = units[0]
    convs = [r for r in b.main if r.category == Category.CONV]
    conv_weights = sum(r.params for r in b.records if r.category == Category.CONV)
    other = b.params - conv_weights
    spatial = b.main[0].input_shape[2:] if b.main else []
    # '~' as the table writes a shape from the data (`x[:, :, keep]`), on the maps and MACs
    at = (" at " + uncertain(f"{spatial[0]}×{spatial[1]}", b.main[0].data_dependent)
          if len(spatial) == 2 else "")
    counted = [r for r in b.records if r.category in (Category.CONV, Category.LINEAR)]
    macs = uncertain(si(sum(r.macs for r in counted)),
                     any(r.data_dependent and r.macs for r in counted))
    channels = " → ".join(
        [str(convs[0].input_shape[1])] + [str(r.output_shape[1]) for r in convs]
    ) if convs else ""
    heading = title or _BLOCK_TITLES.get(b.kind, f"{b.kind} block")
    figure = block_caption(b)
    subtitle = [
        f"{channels} channels{figure}" if channels else "",
        f"total {count(b.params)} params = {count(conv_weights)} conv weights + "
        f"{count(other)} batch-norm · {macs} MACs{at}",
    ]
    g = new_graph("block", heading, [s for s in subtitle if s])
    g.attr("graph", nodesep="0.5", ranksep="0.22")
    in_shape = b.records[0].input_shape
    start = "input"
    g.node(start, html_label(["input x"], [shape_text(in_shape)]), fillcolor=COLOURS["io"],
           group="main")
    flow = Flow(g, start, in_shape)
    conv_fill = STAGE_FILLS[0][0]
    paper = PAPER_STYLE.get()
    relu = False  # the paper writes "relu" on the line, draws no box for it or for BN
    for r in b.main:
        if paper and r.category in (Category.NORM, Category.ACTIVATION):
            relu = relu or r.category == Category.ACTIVATION
            continue
        node = node_id("", r.name.split(".")[-1])
        g.node(node, **_layer_node(r, conv_fill, node))
        if relu:
            g.edge(flow.tail, node, weight="10", label=" relu")
            flow.tail, relu = node, False
            flow.visited.append(node)
            flow.shown = flow.carried
        else:
            flow.to(node)
        flow.moved(node, r.output_shape)
    if b.add is not None:
        add_node(g, "add", "", size="0.34", fontsize="14")
        g.edge(flow.tail, "add", weight="10", label=" F(x)")
        _shortcut(g, b, start)
        flow.moved("add", b.add.output_shape)
        flow.shown = flow.carried  # F(x) + x has the block's output shape, shown below
    for r in b.after:
        if paper and r.category in (Category.NORM, Category.ACTIVATION):
            relu = relu or r.category == Category.ACTIVATION
            continue
        node = node_id("", "after." + r.name.split(".")[-1])
        g.node(node, **_layer_node(r, conv_fill, node))
        flow.to(node)
        flow.moved(node, r.output_shape)
    g.node("output", html_label(["output"], [shape_text(b.output_shape)]),
           fillcolor=COLOURS["io"], group="main")
    g.edge(flow.tail, "output", weight="10", **({"label": " relu"} if relu else {}))
    return g


def _shortcut(g: graphviz.Digraph, b: Block, start: str) -> None:
    """The block's shortcut from `start` into the "+": a projection's layers beside the
    main column (from the pre-activation where the block reads it), or one edge."""
    ident = "shortcut_" + node_id("", b.name)
    if b.side and b.shortcut == "projection":
        side_tail = start
        if reads_preactivated(b.kind, b.shortcut):
            opening = chunks(b.main)[0]
            if opening[-1].category not in ANCHORS:
                side_tail = node_id("", opening[-1].name.split(".")[-1])
        style, colour_key = SHORTCUT_STYLE["projection"]
        for i, r in enumerate(b.side):
            node = node_id("", "shortcut." + r.name.split(".")[-1])
            attrs = _layer_node(r, COLOURS["projection_fill"], node)
            attrs["style"] = f"{attrs['style']},{style}"
            attrs.pop("group")  # beside the main column, not in it
            attrs["color"] = COLOURS[colour_key]
            g.node(node, **attrs)
            shortcut_edge(g, side_tail, node, b.shortcut, f"{ident}__leg{i}")
            side_tail = node
        shortcut_edge(g, side_tail, "add", b.shortcut, ident, _clear("W·x"))
    else:
        label = "x (zero-padded)" if b.shortcut == "zero-pad" else "x (identity)"
        shortcut_edge(g, start, "add", b.shortcut, ident, _clear(label))


def _clear(text: str) -> str:
    """A shortcut edge's label in a borderless cell padded 6 pt a side: Graphviz sets a
    plain edge label hard against its line, and a dashed line curving into the "+" ran
    through "W·x" (0 pt clear, basic block at stride 2, left to right). Padded, the text
    stands 5.4 pt or more clear of the line in every style and direction
    (tests/test_shortcut_label_gap.py measures it on the laid-out SVG)."""
    return (f'<<TABLE BORDER="0" CELLPADDING="6" CELLSPACING="0"><TR><TD>{escape(text)}'
            "</TD></TR></TABLE>>")


# The paper's Figure 5 draws exactly these blocks (ResNet paper, Figure 5: "a building
# block (on 56x56 feature maps) ... for ResNet-34" at 64-d; the bottleneck for
# ResNet-50/101/152 at 256-d, 1x1 64 -> 3x3 64 -> 1x1 256), both without striding.
PAPER_FIGURE_5 = {
    "basic": ([64, 64, 64], " (the ResNet paper's Figure 5, left)"),
    "bottleneck": ([256, 64, 64, 256], " (the ResNet paper's Figure 5, right)"),
}


def block_caption(b: Block) -> str:
    """Which published figure this block is, claimed only when the configuration is the
    figure's own: Figure 5 for the paper's channels without stride; the pre-activation
    paper's Figure 1(b) (He et al. 2016, Identity Mappings) for any pre-activation block with
    an identity shortcut, the form that figure draws."""
    convs = [r for r in b.main if r.category == Category.CONV]
    if not convs:
        return ""
    channels = [convs[0].input_shape[1]] + [r.output_shape[1] for r in convs]
    strided = any(r.stride > 1 for r in b.records)
    if b.kind in PAPER_FIGURE_5:
        want, caption = PAPER_FIGURE_5[b.kind]
        return caption if channels == want and not strided and b.shortcut == "identity" else ""
    if b.kind.startswith("preact") and b.shortcut == "identity" and not strided:
        return " (as He et al. 2016, Identity Mappings, Figure 1b)"
    return ""


def _layer_node(r: LayerRecord, conv_fill: str, node: str) -> dict[str, str]:
    """Node attributes for one layer of a block diagram, with its SVG tooltip and id."""
    return {**_layer_look(r, conv_fill), **tip(node, [r])}


def _layer_look(r: LayerRecord, conv_fill: str) -> dict[str, str]:
    if r.category == Category.CONV and PAPER_STYLE.get():
        # the paper's own labels: "1x1, 64", "3x3, 64, /2"
        cout = r.output_shape[1] if len(r.output_shape) > 1 else 0
        stride = ", /2" if r.stride == 2 else (f", /{r.stride}" if r.stride > 1 else "")
        return {"label": html_label([f"{r.kernel}, {cout}{stride}"]), "fillcolor": conv_fill,
                "style": "rounded,filled", "group": "main"}
    if r.category == Category.CONV:
        cin = r.input_shape[1] if len(r.input_shape) > 1 else 0
        cout = r.output_shape[1] if len(r.output_shape) > 1 else 0
        kernel = r.kernel.replace("x", "×")
        stride = f", stride {r.stride}" if r.stride > 1 else ""
        groups = f", {r.groups} groups" if r.groups > 1 else ""
        weights = f"{kernel}×{cin // r.groups}×{cout}" if r.groups > 1 else f"{kernel}×{cin}×{cout}"
        label = html_label([f"{kernel} conv, {cin} → {cout}{stride}{groups}"],
                      [f"{weights} = {count(r.params)} params · {si(r.macs)} MACs"])
        return {"label": label, "fillcolor": conv_fill, "style": "rounded,filled",
                "group": "main", "fontsize": "13"}
    if r.category == Category.NORM:
        return {"label": html_label([SHORT.get(r.type, r.type)], [f"{count(r.params)} params"]),
                "fillcolor": COLOURS[Category.NORM], "style": "rounded,filled", "group": "main",
                "fontsize": "11", "margin": "0.08,0.02", "height": "0.3"}
    if r.category == Category.ACTIVATION:
        return {"label": layer_text(r), "fillcolor": COLOURS[Category.ACTIVATION],
                "style": "rounded,filled", "group": "main", "fontsize": "11",
                "margin": "0.08,0.02", "height": "0.3"}
    return {"label": html_label([layer_text(r)]), "fillcolor": conv_fill, "style": "rounded,filled",
            "group": "main"}
