"""The network figure (the ResNet paper's Figure 3): stages as clusters, top to bottom, at
stage, block or layer level, identical blocks folded; and networks side by side."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.grouping import (
    Block,
    Unit,
    item_output,
    regroup,
    stage_items,
)
from resnet_inspect.render.diagram.layout import Flow, new_graph, node_id
from resnet_inspect.render.diagram.nodes import (
    draw_block_layers,
    draw_block_node,
    draw_loose_layer,
    draw_run,
    draw_stages,
)
from resnet_inspect.render.diagram.sections import by_resolution, resolution
from resnet_inspect.render.diagram.style import (
    COLOURS,
    COMPACT,
    field_line,
    html_label,
    legend_lines,
    pretty_name,
    shape_text,
    stage_fill,
    totals_line,
)
from resnet_inspect.report.levels import Level
from resnet_inspect.report.model import LayerRecord, Report, Rollup, rollup

if TYPE_CHECKING:
    import graphviz

LEVELS = tuple(level.value for level in Level)  # ("stage", "block", "layer")


def network_diagram(report: Report, level: str = "block", *, title: str | None = None,
                    prefix: str = "", expand: bool = False, columns: bool | None = None,
                    direction: str = "TB", only: Sequence[tuple[str, int]] | None = None,
                    compact: bool = False) -> graphviz.Digraph:
    """The paper's Figure 3 for any traced network: stages as clusters, top to bottom.

    At block and layer level each stage's first block is drawn, then one block for each run
    of identical blocks after it, marked "× n"; `expand` draws every block. `columns` lays
    the stages out side by side (one column each, the stem above the first and the head
    under the last); None: only for folded layer level, whose single column is the tallest.
    `direction` "LR" draws left to right (with columns, Graphviz stacks the rows bottom to
    top: `--fit` does not choose that). `only`: the (stage, item) pairs of one page of
    several, entering from a "from conv3_x" connector and leaving by a "to conv5_x" one
    (named by block where a page breaks inside a stage: "to layer3.1"). `compact`: the
    one-slide look (style.COMPACT), every stage in a column of its own.
    """
    if level not in LEVELS:
        raise InspectError(f"unknown diagram level {level!r}; use one of {', '.join(LEVELS)}")
    report = by_resolution(report)
    described = [] if re.fullmatch(r"resnet\d+", report.model) else [report.description]
    g = new_graph(
        "resnet",
        title or pretty_name(report),
        # A stage node stands for whole stages and draws no shortcut edge, so no legend of
        # edge styles: each node names its shortcuts in words instead.
        [line for line in (*described, totals_line(report),
                           *(legend_lines(report) if level != "stage" else [])) if line],
        rankdir=direction,
    )
    token = COMPACT.set(compact)
    try:
        draw_network(g, report, level, prefix, expand, columns, only)
    finally:
        COMPACT.reset(token)
    if compact:
        g.attr("graph", nodesep="0.1", ranksep="0.2")
    return g


def draw_network(g: graphviz.Digraph, report: Report, level: str, prefix: str,
                  expand: bool = False, columns: bool | None = None,
                  only: Sequence[tuple[str, int]] | None = None,
                  starts: dict[str, str] | None = None) -> list[str]:
    """Draw one network into `g`; returns its main-path node ids without `prefix`.
    `only`: the (stage, item) pairs of one page, items as `stage_items` lists them.
    `starts` (when given) gets each section's first node: by its output's height ('56')
    for a section of feature maps, 'head' for the classifier."""
    stages = report.stages
    compact = COMPACT.get()
    units = regroup(report)
    items = {s: stage_items([u for u in units if u.stage == s], expand) for s in stages}
    wanted: dict[str, set[int]] = {}
    for stage, index in only or [(s, i) for s in stages for i in range(len(items[s]))]:
        wanted.setdefault(stage, set()).add(index)
    order = [(s, i) for s in stages for i in range(len(items[s]))]  # every item, in order
    page = [u for u in order if u[1] in wanted.get(u[0], ())]
    drawn = list(dict.fromkeys(s for s, _ in page)) or list(stages)
    begin = order.index(page[0]) if page and only else 0
    start, flow = _entry(g, report, level, prefix, begin, order, items, drawn[0])
    if level == "stage":
        draw_stages(g, report, stages, prefix, flow)
        return [v[len(prefix):] for v in flow.visited]
    body = [s for s in stages if s not in ("conv1", "fc")]
    # Stages in columns, one each (the stem above the first, the head under the last), so
    # a deep network fits a page: conv2_x | conv3_x | conv4_x | conv5_x. By default only
    # folded layer level; `--fit` tries it wherever it fits better.
    if columns is None:
        columns = level == "layer" and not expand
    columns = (columns or compact) and not prefix and bool(report.blocks)
    previous = ""
    ends = {s.name: s for s in rollup(report, "stage")}  # each stage's output
    heads = [start]  # where each column starts: lined up, in order, on one rank
    firsts: list[int] = []  # the one-slide look: each column's first block, in flow.visited
    for stage in drawn:
        members = [u for u in units if u.stage == stage]
        if not members:
            continue
        # The one-slide look gives the stem and the head columns of their own too.
        jump = columns and stage != drawn[0] and (compact or stage in body[1:])
        came_from = previous if compact else previous_body(body, stage) if jump else ""
        if jump and not compact:  # the column ends in a connector, as flowcharts go on
            _connector(g, node_id(prefix, f"{previous}_to_{stage}"), f"to {stage}", flow)
        previous = stage
        fill, background = stage_fill(stage, stages)
        out = members[-1].output_shape
        opened = len(flow.visited)  # the section's first node is the next one drawn
        # a backslash ending a stage's name would escape the quote that closes the id
        with g.subgraph(name=f"cluster_{prefix}{stage}".replace("\\", "_")) as c:
            c.attr(label=_frame_title(stage, out, ends.get(stage), compact, columns),
                   style="rounded,filled", fillcolor=background, color=fill, fontsize="13",
                   labelloc="t", labeljust="l", **({"margin": "4"} if compact else {}))
            if compact and not begin and stage == drawn[0]:
                _input_node(c, start, report, prefix)
            if begin and stage == drawn[0]:  # this page's start
                _connector_node(c, start, f"from {_where(order, begin - 1, begin, items)}", flow)
            if jump:  # ... and the next column starts from one
                heads.append(node_id(prefix, f"{stage}_from_{came_from}"))
                _connector(c, heads[-1], f"from {came_from}", flow, start=True)
            for index, item in enumerate(items[stage]):
                if index not in wanted.get(stage, ()):
                    continue
                if compact and jump and not isinstance(item, LayerRecord) and (
                        len(firsts) < len(heads) - 1):
                    firsts.append(len(flow.visited))  # where this column's first block begins
                _draw_item(c, g, item, level, fill, prefix, flow, units)
            _title_room(c, prefix, stage, out, flow.visited[opened:] if compact else [], report)
        if starts is not None and len(flow.visited) > opened:
            key = str(out[2]) if len(out) == 4 and out[2] * out[3] > 1 else "head"
            starts.setdefault(key, flow.visited[opened][len(prefix):])
    end = order.index(page[-1]) + 1 if page and only else len(order)
    if end < len(order):  # this page ends: the path goes on on the next
        where = _where(order, end, end - 1, items)
        _connector(g, node_id(prefix, f"{drawn[-1]}_to_{where}"), f"to {where}", flow)
    _level_columns(g, heads, [flow.visited[i] for i in firsts])
    return [v[len(prefix):] for v in flow.visited]


Item = LayerRecord | list[Block]


def _entry(g: graphviz.Digraph, report: Report, level: str, prefix: str, begin: int,
           order: list[tuple[str, int]], items: dict[str, list[Item]],
           first_stage: str) -> tuple[str, Flow]:
    """Where the drawn path starts, and its Flow: the input node on the first page (or
    on the only one), else a "from ..." connector, drawn in the page's first stage."""
    compact = COMPACT.get()
    if begin == 0:
        start = node_id(prefix, "input")
        # the one-slide look draws it inside the stem's column, level with the other
        # columns' first nodes (its own frame's title above it, as theirs)
        host = g if not compact or level == "stage" else None
        if host is not None:
            _input_node(host, start, report, prefix)
        return start, Flow(g, start, report.input_shape, prefix + "main", labels=not compact)
    # a later page: the tensor arrives from the page before, drawn in its first stage
    came = _item_of(items, order[begin - 1])
    start = node_id(prefix, f"{first_stage}_from_{_where(order, begin - 1, begin, items)}")
    flow = Flow(g, start, item_output(came), prefix + "main", labels=not compact)
    flow.shown = ""  # its first edge names the tensor
    return start, flow


def _draw_item(c: graphviz.Digraph, g: graphviz.Digraph, item: Item, level: str, fill: str,
               prefix: str, flow: Flow, units: list[Unit]) -> None:
    """One item of a stage: a layer outside any block, a block, or a run of blocks (one
    node at block level, its layers at layer level)."""
    if isinstance(item, LayerRecord):
        draw_loose_layer(c, item, fill, prefix, flow, units)
    elif len(item) == 1 and level == "block":
        draw_block_node(c, g, item[0], fill, prefix, flow)
    elif len(item) == 1:
        draw_block_layers(c, g, item[0], fill, prefix, flow)
    elif level == "block":
        draw_block_node(c, g, item[0], fill, prefix, flow, repeat=item)
    else:
        draw_run(c, g, item, fill, prefix, flow, framed=not COMPACT.get())


def _level_columns(g: graphviz.Digraph, heads: list[str], firsts: list[str]) -> None:
    """Columns lined up: where each starts, on one rank, in order; and (the one-slide
    look) every column's first block level with the others', and so their "+" and runs:
    a column's max pool costs one rank, not a rank in every column of the drawing."""
    if len(heads) > 1:
        with g.subgraph() as rank:
            rank.attr(rank="same")
            for a, b in pairwise(heads):
                rank.edge(a, b, style="invis")
    if len(firsts) > 1:
        with g.subgraph() as rank:
            rank.attr(rank="same")
            for node in firsts:
                rank.node(node)


def _frame_title(stage: str, out: list[int], end: Rollup | None, compact: bool,
                 columns: bool) -> str:
    """A stage frame's title. Short lines flush left, so the main path's edge, entering
    from above, misses the label (centred, "RF 43 px, stride 4" spanned it); one line with
    the whole output shape where edges carry no shapes."""
    label = stage if stage != "fc" else "output"
    size = [f"{out[2]}×{out[3]}"] if len(out) == 4 and resolution(stage) is None else []
    size += field_line(end, split=True)
    named = label if resolution(stage) is None else ""  # VGG's '56×56' says it
    if compact and not columns:  # edges enter from above: two short lines
        return html_label(_short_title(stage, out), left=True)
    if compact:
        return html_label([" · ".join(filter(None, [named, shape_text(out)]))])
    return html_label([label], size, 11, gap=True, left=True)


def _short_title(stage: str, out: list[int]) -> list[str]:
    """A frame's title where edges enter from above: its name ('conv2_x', 'output'; none
    for a VGG section, its '56×56' says it) over its output's shape."""
    named = (stage if stage != "fc" else "output") if resolution(stage) is None else ""
    return [*filter(None, [named]), shape_text(out)]


def _title_room(c: graphviz.Digraph, prefix: str, stage: str, out: list[int],
                drawn: list[str], report: Report) -> None:
    """Room for a section's title left of the main path, in the compact look (`drawn`:
    the section's nodes; empty outside it) of a network without blocks: VGG's sections are
    only as wide as a layer's box, and their flush-left title ('256×56×56', 'output') still
    reached the path down the middle. An invisible box as wide as the title (10 pt text, a
    digit 0.64 em) plus a gap, on the section's first rank left of its first node (a flat
    edge keeps it left), pushes the frame's left side out by that much."""
    if report.blocks or not drawn:
        return
    room, chars = node_id(prefix, f"{stage}_room"), max(map(len, _short_title(stage, out)))
    c.node(room, "", shape="box", style="invis", fixedsize="true", height="0.01",
           width=f"{(0.64 * 10 * chars + 6) / 72:.2f}")
    with c.subgraph() as rank:
        rank.attr(rank="same")
        rank.edge(room, drawn[0], style="invis")


def _input_node(g: graphviz.Digraph, node: str, report: Report, prefix: str) -> None:
    g.node(node, html_label(["input"], [shape_text(report.input_shape)]),
           fillcolor=COLOURS["io"], style="rounded,filled", group=prefix + "main")


def _item_of(items: dict[str, list[Item]], unit: tuple[str, int]) -> Item:
    return items[unit[0]][unit[1]]


def _where(order: list[tuple[str, int]], there: int, here: int,
           items: dict[str, list[Item]]) -> str:
    """How a connector names the item at `there` seen from the one at `here`: its stage
    when they lie in different stages, else the block it starts or ends with."""
    stage = order[there][0]
    if stage != order[here][0]:
        return stage
    item = _item_of(items, order[there])
    if isinstance(item, LayerRecord):
        return item.name
    return item[0].name if there > here else item[-1].name


def previous_body(body: Sequence[str], stage: str) -> str:
    """The stage before `stage` among the residual stages (conv2_x before conv3_x)."""
    return body[body.index(stage) - 1]


def _connector_node(c: graphviz.Digraph, node: str, text: str, flow: Flow) -> None:
    c.node(node, text, shape="plaintext", style="", fontsize="11",
           fontcolor=COLOURS["muted"], group=flow.group)


def _connector(g: graphviz.Digraph, node: str, text: str, flow: Flow,
               start: bool = False) -> None:
    """An off-column connector: where a column ends ("to conv3_x") or the next one starts
    ("from conv2_x"), so no edge runs across the drawing from one column to the next."""
    _connector_node(g, node, text, flow)
    if start:
        flow.restart(node)
    else:
        flow.to(node)
