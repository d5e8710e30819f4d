"""The things a network diagram draws, one function each: a layer outside any block, a
block as one node, a block layer by layer, a folded run of identical blocks, and the
stages of the stage level. network.py places them in stages, columns and pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from resnet_inspect.counting.categories import Category
from resnet_inspect.render.diagram.grouping import (
    ANCHORS,
    Block,
    Unit,
    chunks,
    reads_preactivated,
    regroup,
)
from resnet_inspect.render.diagram.layout import Flow, add_node, node_id, shortcut_edge
from resnet_inspect.render.diagram.style import (
    COLOURS,
    COMPACT,
    PAPER_STYLE,
    SHORTCUT_STYLE,
    block_lines,
    chunk_label,
    field_line,
    html_label,
    layer_text,
    repeat_text,
    run_span,
    shape_text,
    side_text,
    stage_fill,
    tip,
)
from resnet_inspect.report.format import count, si
from resnet_inspect.report.model import LayerRecord, Report, rollup

if TYPE_CHECKING:
    import graphviz


def draw_run(c: graphviz.Digraph, g: graphviz.Digraph, run: Sequence[Block], fill: str,
             prefix: str, flow: Flow, framed: bool = True) -> None:
    """A folded run of identical blocks at layer level: the first block's layers, in a
    dashed frame (`framed`; a page's look leaves it off, its label would cost a rank),
    with "× n" and the blocks it stands for written level with its first layer, on the
    left: above the run's exit, clear of the edge that enters it."""
    first = len(flow.visited)

    def draw(host: graphviz.Digraph) -> None:
        draw_block_layers(host, g, run[0], fill, prefix, flow)
        count_node = node_id(prefix, run[0].name + "_runs")
        with host.subgraph() as row:
            row.attr(rank="same")
            # the span in two short lines: the count stands beside the column
            span = [f"{run[0].name} …", f"… {run[-1].name}"]
            row.node(count_node, html_label([repeat_text(run)], span),
                     shape="plaintext", style="", tooltip=run_span(run), id=count_node)
            row.edge(count_node, flow.visited[first], style="invis")

    if framed:
        with c.subgraph(name=f"cluster_{node_id(prefix, run[0].name)}_run") as r:
            r.attr(label="", style="rounded,dashed", color=fill)
            draw(r)
    else:
        draw(c)


def draw_loose_layer(c: graphviz.Digraph, r: LayerRecord, fill: str, prefix: str,
                      flow: Flow, units: list[Unit]) -> None:
    """A layer outside any block (stem, pools, fc): BN/ReLU fold into the layer before.

    Norm and activation layers with no such layer before them (a pre-activation network's
    final BN-ReLU, right after its last block) get a node of their own.
    """
    i = next(k for k, u in enumerate(units) if u is r)
    previous = units[i - 1] if i else None
    opens_group = (r.category in ANCHORS or previous is None
                   or isinstance(previous, Block))
    if not opens_group:
        return  # folded into the label of the layer before it
    group = [r]
    for u in units[i + 1 :]:
        if isinstance(u, Block) or u.category in ANCHORS:
            break
        group.append(u)
    node = node_id(prefix, r.name)
    c.node(node, chunk_label(group), fillcolor=fill, group=prefix + "main",
           **tip(node, group))
    flow.to(node)
    flow.moved(node, group[-1].output_shape)


def draw_block_node(c: graphviz.Digraph, g: graphviz.Digraph, b: Block, fill: str,
                     prefix: str, flow: Flow, repeat: Sequence[Block] = ()) -> None:
    body = node_id(prefix, b.name)
    entry = flow.tail
    # The one-slide look writes no text on edges: a projection's layers go in its block.
    written = COMPACT.get() and b.shortcut not in ("identity", "none")
    shortcut = ([f"{b.shortcut} shortcut:", *side_text(b).replace("→ ", "→\n").split("\n")]
                if written else [])
    if repeat:  # one node for a run of identical blocks, its count first
        lines = [repeat_text(repeat), *block_lines(b)]
        small = [run_span(repeat), f"{count(b.params)} params each", *shortcut]
        c.node(body, html_label(lines, small), fillcolor=fill, group=prefix + "main",
               style="rounded,filled,bold", **tip(body, b.records, b.name))
    else:
        small = ([b.name, f"{count(b.params)} params"] if COMPACT.get()
                 else [f"{b.name} · {count(b.params)} params"]) + shortcut
        c.node(body, html_label(block_lines(b), small),
               fillcolor=fill, group=prefix + "main", **tip(body, b.records, b.name))
    flow.to(body)
    if b.add is None:  # plain network: the block is a plain stack of layers
        flow.moved(body, b.output_shape)
        return
    add = node_id(prefix, b.name + ".add")
    add_node(c, add, prefix)
    flow.moved(body, b.main[-1].output_shape if b.main else b.output_shape)
    flow.to(add)
    label = "" if b.shortcut == "identity" or COMPACT.get() else " " + side_text(b)
    shortcut_edge(g, entry, add, b.shortcut, node_id(prefix, "shortcut_" + b.name), label)
    flow.moved(add, b.output_shape)


def draw_block_layers(c: graphviz.Digraph, g: graphviz.Digraph, b: Block, fill: str,
                       prefix: str, flow: Flow) -> None:
    entry = flow.tail
    for i, group in enumerate(chunks(b.main)):
        anchor = next((r for r in group if r.category in ANCHORS), group[0])
        node = node_id(prefix, anchor.name)
        c.node(node, chunk_label(group), fillcolor=fill, group=prefix + "main",
               **tip(node, group))
        flow.to(node)
        flow.moved(node, group[-1].output_shape)
        if i == 0 and anchor.category not in ANCHORS and reads_preactivated(b.kind,
                                                                               b.shortcut):
            entry = node
    if b.add is None:  # plain network: the closing ReLU is already on the last node
        return
    add = node_id(prefix, b.add.name)
    add_node(c, add, prefix)
    flow.to(add)
    # the ReLU after the addition, on the edge that leaves it (beside the "+" it sat on
    # the edges coming in); not in the paper's look, nor where edges carry no text
    if not PAPER_STYLE.get() and not COMPACT.get():
        flow.note = " · ".join(layer_text(r) for r in b.after)
    ident = node_id(prefix, "shortcut_" + b.name)
    if b.side and b.shortcut == "projection":
        # Every layer of the shortcut: a 1x1 conv + BN, or ResNet-D's 2x2 avg pool, then
        # the 1x1 conv + BN (Bag of Tricks, Figure 2c), one node per anchor layer.
        style, colour_key = SHORTCUT_STYLE["projection"]
        tail = entry
        for i, group in enumerate(chunks(b.side)):
            side = node_id(prefix, b.name + ".shortcut" + (str(i) if i else ""))
            c.node(side, chunk_label(group), fillcolor=COLOURS["projection_fill"],
                   style=f"rounded,filled,{style}", color=COLOURS[colour_key], fontsize="11",
                   **tip(side, group))
            shortcut_edge(g, tail, side, b.shortcut, f"{ident}__leg{i}")
            tail = side
        shortcut_edge(g, tail, add, b.shortcut, ident)
    else:
        label = " zero-pad" if b.shortcut == "zero-pad" and not COMPACT.get() else ""
        shortcut_edge(g, entry, add, b.shortcut, ident, label)
    flow.moved(add, b.output_shape)


def draw_stages(g: graphviz.Digraph, report: Report, stages: Sequence[str], prefix: str,
                 flow: Flow) -> None:
    """One node per stage: '× 23 bottleneck blocks' with params and MACs."""
    rows = {r.name: r for r in rollup(report, "stage")}
    units = regroup(report)
    for stage in stages:
        row = rows[stage]
        blocks = [u for u in units if isinstance(u, Block) and u.stage == stage]
        loose = [u for u in units if isinstance(u, LayerRecord) and u.stage == stage
                 and u.category in ANCHORS]
        lines = [layer_text(r) for r in loose if r.category != Category.ELEMENTWISE]
        small: list[str] = []
        if blocks:
            kinds = dict.fromkeys(b.kind for b in blocks)
            lines.append(f"× {len(blocks)} {' / '.join(kinds)} "
                         f"block{'s' if len(blocks) != 1 else ''}")
            paper = [t.replace(" conv", "") for t in block_lines(blocks[-1])]  # Table 1 style
            small.append("[" + "; ".join(paper) + "]")
            shortcuts: dict[str, int] = {}
            for b in blocks:
                shortcuts[b.shortcut] = shortcuts.get(b.shortcut, 0) + 1
            if set(shortcuts) != {"none"}:
                small.append(", ".join(f"{n} {k} shortcut{'s' if n != 1 else ''}"
                                       for k, n in shortcuts.items()))
        small += [f"{count(row.params)} params · {si(row.macs)} MACs", *field_line(row)]
        fill, _ = stage_fill(stage, stages)
        node = node_id(prefix, stage)
        stage_rows = [u for u in report.layers if u.stage == stage]
        name = stage if stage != "fc" else "head"
        if COMPACT.get():  # no shapes on the edges: the stage's output beside its name
            name += f" · {shape_text(row.output_shape)}"
        g.node(node, html_label([name, *lines], small),
               fillcolor=fill, group=prefix + "main", **tip(node, stage_rows, stage))
        flow.to(node)
        flow.moved(node, row.output_shape)
