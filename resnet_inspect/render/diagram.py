"""Report -> Graphviz DOT: teaching diagrams of one block or a whole network.

Two kinds of picture, both drawn from a Report (never from a model):

- a block (the ResNet paper's Figure 5): one node per layer, batch-norm and ReLU where the
  block applies them, the shortcut into the addition, the block's total in the title;
- a network (the paper's Figure 3): top to bottom, one labelled cluster per stage (conv2_x
  ...), at three levels of detail (`stage`, `block`, `layer`), the tensor shape on every edge
  where it changes.

Shortcuts follow the paper's figures: identity solid, projection (1x1 conv) dashed;
zero-padding (option A) dotted. Every shortcut edge carries `id="shortcut_<block>"`, so a
reader (or a test) can find them in the DOT and the SVG.

Output is deterministic: node ids come from module names, nodes and edges are emitted in
execution order, and nothing depends on dict order of anything but the report itself, so
the DOT text can be snapshot in tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.report.format import count, si
from resnet_inspect.report.model import LayerRecord, Report

if TYPE_CHECKING:
    import graphviz

LEVELS = ("stage", "block", "layer")

# The one colour table. Light fills that print well in colour and in grey; each stage has a
# pale cluster background and a stronger node fill of the same hue.
COLOURS: dict[str, str] = {
    "background": "white",
    "text": "#1a1a1a",
    "muted": "#555555",  # small second lines: names, params
    "edge": "#404040",
    "border": "#5f6b7a",
    "stem": "#d9d9d9",
    "stem_bg": "#f4f4f4",
    "head": "#d9d9d9",
    "head_bg": "#f4f4f4",
    "io": "white",
    "add": "white",
    "norm": "#fff2c2",  # batch-norm nodes in block diagrams
    "activation": "#e2f0d9",  # ReLU nodes in block diagrams
    "shortcut_identity": "#404040",
    "shortcut_projection": "#c0392b",
    "shortcut_zero_pad": "#1f618d",
    "projection_fill": "#f9d7d3",
}
# conv2_x, conv3_x, conv4_x, conv5_x (blue, green, orange, purple); longer networks cycle.
STAGE_FILLS: tuple[tuple[str, str], ...] = (
    ("#bcd7ef", "#eef5fc"),
    ("#bfe3c4", "#eff8f0"),
    ("#f7d4a3", "#fdf5ea"),
    ("#dcc6e8", "#f7f1fa"),
)
SHORTCUT_STYLE: dict[str, tuple[str, str]] = {  # shortcut kind -> (style, colour key)
    "identity": ("solid", "shortcut_identity"),
    "projection": ("dashed", "shortcut_projection"),
    "zero-pad": ("dotted", "shortcut_zero_pad"),
}

FONT = "Helvetica"
_SMALL = 9  # point size of the muted second lines

_ANCHORS = {"conv", "linear", "pool", "elementwise", "unsupported"}  # categories that get a node
_SHORT = {"BatchNorm2d": "BN", "BatchNorm1d": "BN", "GroupNorm": "GN", "LayerNorm": "LN"}


# ---------------------------------------------------------------------------- text helpers


def shape_text(dims: Sequence[int]) -> str:
    """Tensor shape without the batch dimension: 256×56×56, or 1000 for a vector."""
    dims = list(dims[1:]) if len(dims) > 1 else list(dims)
    return "×".join(str(d) for d in dims) if dims else "-"


def pretty_name(report: Report) -> str:
    """The paper's name (titles.human_title): 'ResNet-34', 'WRN-28-10', or 'plain-34'
    without shortcuts as in the paper; an unknown model keeps its name."""
    from resnet_inspect.spec.titles import human_title

    spec = report.spec or {}
    plain = "block" in spec and bool(spec.get("plain"))  # classic CNNs are plain by nature
    return human_title(report.model, plain=plain)


def layer_text(r: LayerRecord) -> str:
    """What a learner reads on a node: '3×3 conv, 64, /2', 'fc 1000', '3×3 max pool, /2'."""
    kernel = r.kernel.replace("x", "×")
    stride = f", /{r.stride}" if r.stride > 1 else ""
    out = r.output_shape[1] if len(r.output_shape) > 1 else 0
    if r.category == "conv":
        groups = f", {r.groups} groups" if r.groups > 1 else ""
        return f"{kernel} conv, {out}{stride}{groups}"
    if r.category == "linear":
        return f"fc {r.output_shape[-1]}" if r.output_shape else "fc"
    if r.type.startswith("Adaptive") and "Avg" in r.type:
        return "global avg pool"
    if r.category == "pool":
        kind = "max" if "Max" in r.type else "avg"
        return f"{kernel} {kind} pool{stride}".strip()
    if r.category == "elementwise":
        return "+"
    if r.type == "ZeroPadShortcut":
        return "zero-pad"
    return _SHORT.get(r.type, r.type)


# --style paper: draw what the paper draws ("3x3, 64" labels, larger text), without the
# small muted lines (BN / ReLU, parameter counts and arithmetic, module names). Set by
# diagram_fit.make_diagram around one drawing.
PAPER_STYLE: ContextVar[bool] = ContextVar("paper_style", default=False)
_PAPER_SIZE = 15


def _html(lines: Sequence[str], small: Sequence[str] = (), size: int = _SMALL) -> str:
    """An HTML-like label: main lines, then smaller muted lines."""
    if PAPER_STYLE.get():
        body = "<BR/>".join(escape(line) for line in lines)
        return f'<<FONT POINT-SIZE="{_PAPER_SIZE}">{body}</FONT>>'
    body = "<BR/>".join(escape(line) for line in lines)
    for line in small:
        body += (
            f'<BR/><FONT POINT-SIZE="{size}" COLOR="{COLOURS["muted"]}">{escape(line)}</FONT>'
        )
    return f"<{body}>"


def _tip(node: str, records: Sequence[LayerRecord], name: str = "") -> dict[str, str]:
    """SVG hover text and a stable id for a node: its layers' output shape, params and
    MACs, e.g. 'layer1.0.conv1: 64×56×56 · 4,224 params · 12.85 M MACs'. The id is the node
    name, so the SVG can be snapshotted and linked to."""
    if not records:
        return {"id": node}
    params = sum(r.params for r in records)
    macs = sum(r.macs for r in records)
    name = name or records[0].name
    text = (f"{name}: {shape_text(records[-1].output_shape)} · {count(params)} params · "
            f"{si(macs)} MACs")
    return {"id": node, "tooltip": text}


def _node_id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def stage_fill(stage: str, stages: Sequence[str]) -> tuple[str, str]:
    """(node fill, cluster background) of a stage, from the colour table."""
    if stage == "conv1":
        return COLOURS["stem"], COLOURS["stem_bg"]
    if stage == "fc":
        return COLOURS["head"], COLOURS["head_bg"]
    body = [s for s in stages if s not in ("conv1", "fc")]
    index = body.index(stage) if stage in body else 0
    return STAGE_FILLS[index % len(STAGE_FILLS)]


# ------------------------------------------------------------------ the report, regrouped


@dataclass
class _Block:
    """One residual block's layers, split into the paths the diagram draws."""

    name: str
    stage: str
    kind: str
    shortcut: str  # identity / projection / zero-pad / none
    main: list[LayerRecord] = field(default_factory=list)  # residual branch, in order
    side: list[LayerRecord] = field(default_factory=list)  # the shortcut's layers
    add: LayerRecord | None = None
    after: list[LayerRecord] = field(default_factory=list)  # after the addition (ReLU)

    @property
    def records(self) -> list[LayerRecord]:
        return self.main + self.side + ([self.add] if self.add else []) + self.after

    @property
    def params(self) -> int:
        return sum(r.params for r in self.records)

    @property
    def output_shape(self) -> list[int]:
        last = (self.after or ([self.add] if self.add else []) or self.main)[-1]
        return last.output_shape


_Unit = LayerRecord | _Block


def _units(report: Report) -> list[_Unit]:
    """Execution order with each block's layers gathered into one _Block."""
    info = {b.name: b for b in report.blocks}
    units: list[_Unit] = []
    current: _Block | None = None
    for r in report.layers:
        if not r.block:
            current = None
            units.append(r)
            continue
        if current is None or current.name != r.block:
            b = info.get(r.block)
            current = _Block(
                name=r.block,
                stage=r.stage,
                kind=b.kind if b else "",
                shortcut=b.shortcut if b else "identity",
            )
            units.append(current)
        if r.shortcut:
            current.side.append(r)
        elif r.category == "elementwise":
            current.add = r
        elif current.add is not None:
            current.after.append(r)
        else:
            current.main.append(r)
    return units


def _signature(b: _Block) -> tuple[object, ...]:
    """Everything a drawn block shows, with the block's own name taken off each layer's:
    two blocks with equal signatures draw the same picture, so one may stand for both."""
    def rel(name: str) -> str:
        return name[len(b.name):] if name.startswith(b.name) else name

    return (b.kind, b.shortcut, tuple(
        (rel(r.name), r.type, r.category, r.kernel, r.stride, r.groups, r.params, r.macs,
         tuple(r.input_shape), tuple(r.output_shape), r.shortcut, r.called)
        for r in b.records))


def fold_runs(blocks: Sequence[_Block]) -> list[list[_Block]]:
    """A stage's blocks as runs to draw once each: the first block alone (it carries the
    stage's projection or zero-pad shortcut), then each run of consecutive blocks that are
    really identical -- same layers, shapes, params and MACs, compared, never assumed."""
    runs: list[list[_Block]] = []
    for i, b in enumerate(blocks):
        if i > 1 and _signature(b) == _signature(runs[-1][0]):
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def _chunks(records: Sequence[LayerRecord]) -> list[list[LayerRecord]]:
    """One group per anchor layer (conv, fc, pool, add) with the batch-norm and activations
    that follow it, so a label lists its layers in the order they run.

    Norm and activation layers before the first anchor (a pre-activation block's opening
    BN-ReLU) form a group of their own: a projection shortcut branches off after them.
    """
    groups: list[list[LayerRecord]] = []
    for r in records:
        if r.category in _ANCHORS or not groups:
            groups.append([r])
        else:
            groups[-1].append(r)
    return groups


def _reads_preactivated(block_kind: str, shortcut: str) -> bool:
    """Pre-activation blocks feed their projection the BN-ReLU'd input, identity the raw x
    (He et al. 2016, "Identity Mappings", Figure 1b and 4e)."""
    return block_kind.startswith("preact") and shortcut == "projection"


def _chunk_label(group: Sequence[LayerRecord], with_params: bool = True) -> str:
    anchor = next((r for r in group if r.category in _ANCHORS), None)
    if anchor is None:  # a group of BN and ReLU only
        return _html([" · ".join(layer_text(r) for r in group)])
    lines = [layer_text(anchor)]
    small = []
    after = [layer_text(r) for r in group[1:]]
    if after:
        small.append(" · ".join(after))
    params = sum(r.params for r in group)
    if with_params and params:
        small.append(f"{count(params)} params")
    return _html(lines, small)


def _block_lines(block: _Block) -> list[str]:
    """The residual branch in the paper's notation: one line per conv."""
    return [layer_text(r) for r in block.main if r.category == "conv"] or [block.kind]


def _side_text(block: _Block) -> str:
    """The shortcut's layers on its edge: '1×1 conv, 512, /2', or ResNet-D's
    '2×2 avg pool, /2 → 1×1 conv, 512'."""
    convs = [layer_text(r) for r in block.side if r.category in ("conv", "pool")]
    if convs:
        return " → ".join(convs)
    return "zero-pad" if block.shortcut == "zero-pad" else block.shortcut


# ----------------------------------------------------------------------- graph assembly


def _new_graph(name: str, title: str, subtitle: Sequence[str]) -> graphviz.Digraph:
    import graphviz

    g = graphviz.Digraph(name=name)
    g.attr(
        "graph",
        rankdir="TB",
        bgcolor=COLOURS["background"],
        fontname=FONT,
        fontcolor=COLOURS["text"],
        fontsize="16",
        labelloc="t",
        labeljust="c",
        nodesep="0.25",
        ranksep="0.28",
        newrank="true",
        label=_html([title], subtitle, 11),
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


def _shortcut_edge(g: graphviz.Digraph, tail: str, head: str, kind: str, ident: str,
                   label: str = "", loose: bool = False) -> None:
    style, colour_key = SHORTCUT_STYLE.get(kind, ("solid", "shortcut_identity"))
    attrs = {"style": style, "color": COLOURS[colour_key], "id": ident, "penwidth": "1.4"}
    if loose:  # from the foot of the column before: it must not pull this column down
        attrs["constraint"] = "false"
    if label:
        attrs["label"] = label
        attrs["fontcolor"] = COLOURS[colour_key]
    g.edge(tail, head, **attrs)


class _Flow:
    """Emits the main path's edges, labelling an edge with the tensor it carries whenever
    that shape differs from the last one written (so every change of shape is shown once).
    """

    def __init__(self, g: graphviz.Digraph, start: str, shape: Sequence[int]) -> None:
        self.g = g
        self.tail = start
        self.carried = shape_text(shape)  # the tensor leaving `tail`
        self.shown = self.carried  # the start node already shows its shape
        self.visited = [start]  # main-path nodes, in order
        self.breaks: set[str] = set()  # tails where the drawing starts a new column

    def to(self, head: str) -> None:
        attrs = {"weight": "10"}
        if self.tail in self.breaks:  # the next column starts at the top again
            attrs["constraint"] = "false"
        if self.carried != self.shown:
            attrs["label"] = " " + self.carried
            self.shown = self.carried
        self.g.edge(self.tail, head, **attrs)
        self.tail = head
        self.visited.append(head)

    def moved(self, tail: str, shape_out: Sequence[int]) -> None:
        """`tail` is now the end of the main path, and it outputs `shape_out`."""
        self.tail = tail
        self.carried = shape_text(shape_out)


def network_diagram(report: Report, level: str = "block", *, title: str | None = None,
                    prefix: str = "", expand: bool = False) -> graphviz.Digraph:
    """The paper's Figure 3 for any traced network: stages as clusters, top to bottom.

    At block and layer level each stage's first block is drawn, then one block for each run
    of identical blocks after it, marked "× n"; `expand` draws every block.
    """
    if level not in LEVELS:
        raise InspectError(f"unknown diagram level {level!r}; use one of {', '.join(LEVELS)}")
    described = [] if re.fullmatch(r"resnet\d+", report.model) else [report.description]
    g = _new_graph(
        "resnet",
        title or pretty_name(report),
        # A stage node stands for whole stages and draws no shortcut edge, so no legend of
        # edge styles: each node names its shortcuts in words instead.
        [line for line in (*described, _totals_line(report),
                           *(_legend(report) if level != "stage" else [])) if line],
    )
    _draw_network(g, report, level, prefix, expand)
    return g


def side_by_side(reports: Sequence[Report], level: str = "block", *,
                 title: str | None = None, expand: bool = False) -> graphviz.Digraph:
    """Several networks next to each other (plain-34 beside ResNet-34, as in Figure 3)."""
    if level not in LEVELS:
        raise InspectError(f"unknown diagram level {level!r}; use one of {', '.join(LEVELS)}")
    names = [pretty_name(r) for r in reports]
    legend = _legend(reports[-1]) if reports else []
    g = _new_graph("resnets", title or " vs ".join(names), legend)
    columns: list[list[str]] = []  # each network's main-path node ids, prefix removed
    for i, report in enumerate(reports):
        with g.subgraph(name=f"cluster_net{i}") as sub:
            # A titled column without a frame: the label shows, the border does not.
            sub.attr(label=_html([names[i]], [_totals_line(report)], 11), style="solid",
                     color=COLOURS["background"], fontsize="15", labelloc="t", labeljust="c")
            columns.append(_draw_network(sub, report, level, f"n{i}_", expand))
    # Line the columns up as the paper's Figure 3 does: a layer (or block) with the same
    # module name in every network sits on the same rank; the residual column's `+` nodes
    # fall between, where the plain column just draws a longer edge.
    common = set.intersection(*(set(ids) for ids in columns)) if columns else set()
    for ids in columns[:1]:
        for node in ids:
            if node in common:
                with g.subgraph() as rank:
                    rank.attr(rank="same")
                    for i in range(len(columns)):
                        rank.node(f"n{i}_{node}")
    return g


def _totals_line(report: Report) -> str:
    t = report.totals
    return (f"{count(t.params)} params · {si(t.macs)} MACs · "
            f"input {shape_text(report.input_shape)}")


def _legend(report: Report) -> list[str]:
    kinds = [b.shortcut for b in report.blocks]
    if not kinds or all(k == "none" for k in kinds):
        return ["no shortcuts (plain network)"] if kinds else []
    parts = ["solid shortcut: identity"]
    if "projection" in kinds:
        parts.append("dashed: projection (1×1 conv)")
    if "zero-pad" in kinds:
        parts.append("dotted: zero-padded identity")
    return [" · ".join(parts)]


def _draw_network(g: graphviz.Digraph, report: Report, level: str, prefix: str,
                  expand: bool = False) -> list[str]:
    """Draw one network into `g`; returns its main-path node ids without `prefix`."""
    stages = report.stages
    start = _node_id(prefix, "input")
    g.node(start, _html(["input"], [shape_text(report.input_shape)]),
           fillcolor=COLOURS["io"], style="rounded,filled", group=prefix + "main")
    flow = _Flow(g, start, report.input_shape)
    if level == "stage":
        _draw_stages(g, report, stages, prefix, flow)
        return [v[len(prefix):] for v in flow.visited]
    units = _units(report)
    body = [s for s in stages if s not in ("conv1", "fc")]
    # Folded layer level in columns, one per stage (the stem above the first, the head
    # under the last), so a deep network fits a page: conv2_x | conv3_x | conv4_x | conv5_x.
    columns = level == "layer" and not expand and not prefix and bool(report.blocks)
    for stage in stages:
        members = [u for u in units if u.stage == stage]
        if not members:
            continue
        if columns and stage in body[1:]:
            flow.breaks.add(flow.tail)
        fill, background = stage_fill(stage, stages)
        out = members[-1].output_shape
        label = stage if stage != "fc" else "output"
        size = [f"{out[2]}×{out[3]}"] if len(out) == 4 else []
        with g.subgraph(name=f"cluster_{prefix}{stage}") as c:
            # Two short lines, left-justified, so the main path's edge misses the label.
            c.attr(label=_html([label], size, 11), style="rounded,filled", fillcolor=background,
                   color=fill, fontsize="13", labelloc="t", labeljust="l")
            for item in _stage_items(members, expand):
                if isinstance(item, LayerRecord):
                    _draw_loose_layer(c, item, fill, prefix, flow, units)
                elif len(item) == 1 and level == "block":
                    _draw_block_node(c, g, item[0], fill, prefix, flow)
                elif len(item) == 1:
                    _draw_block_layers(c, g, item[0], fill, prefix, flow)
                elif level == "block":
                    _draw_block_node(c, g, item[0], fill, prefix, flow, repeat=item)
                else:
                    # The folded run in a frame of its own, its count in the frame's label.
                    with c.subgraph(name=f"cluster_{_node_id(prefix, item[0].name)}_run") as r:
                        r.attr(label=_html([_repeat_text(item)], [_run_span(item)], 9),
                               style="rounded,dashed", color=fill, fontsize="12",
                               labelloc="b", labeljust="r")
                        _draw_block_layers(r, g, item[0], fill, prefix, flow)
    return [v[len(prefix):] for v in flow.visited]


def _stage_items(members: Sequence[_Unit], expand: bool) -> list[LayerRecord | list[_Block]]:
    """A stage's units in order, each run of identical blocks gathered (one block per run
    when `expand`)."""
    items: list[LayerRecord | list[_Block]] = []
    pending: list[_Block] = []

    def flush() -> None:
        items.extend([[b] for b in pending] if expand else fold_runs(pending))
        pending.clear()

    for u in members:
        if isinstance(u, _Block):
            pending.append(u)
        else:
            flush()
            items.append(u)
    flush()
    return items


def _repeat_text(run: Sequence[_Block]) -> str:
    return f"× {len(run)}"


def _run_span(run: Sequence[_Block]) -> str:
    """'layer3.1 … layer3.22, identical': which blocks the folded drawing stands for."""
    return f"{run[0].name} … {run[-1].name}, identical"


def _draw_loose_layer(c: graphviz.Digraph, r: LayerRecord, fill: str, prefix: str,
                      flow: _Flow, units: list[_Unit]) -> None:
    """A layer outside any block (stem, pools, fc): BN/ReLU fold into the layer before.

    Norm and activation layers with no such layer before them (a pre-activation network's
    final BN-ReLU, right after its last block) get a node of their own.
    """
    i = next(k for k, u in enumerate(units) if u is r)
    previous = units[i - 1] if i else None
    opens_group = (r.category in _ANCHORS or previous is None
                   or isinstance(previous, _Block))
    if not opens_group:
        return  # folded into the label of the layer before it
    group = [r]
    for u in units[i + 1 :]:
        if isinstance(u, _Block) or u.category in _ANCHORS:
            break
        group.append(u)
    node = _node_id(prefix, r.name)
    c.node(node, _chunk_label(group), fillcolor=fill, group=prefix + "main",
           **_tip(node, group))
    flow.to(node)
    flow.moved(node, group[-1].output_shape)


def _draw_block_node(c: graphviz.Digraph, g: graphviz.Digraph, b: _Block, fill: str,
                     prefix: str, flow: _Flow, repeat: Sequence[_Block] = ()) -> None:
    body = _node_id(prefix, b.name)
    entry = flow.tail
    if repeat:  # one node for a run of identical blocks, its count first
        lines = [_repeat_text(repeat), *_block_lines(b)]
        small = [_run_span(repeat), f"{count(b.params)} params each"]
        c.node(body, _html(lines, small), fillcolor=fill, group=prefix + "main",
               style="rounded,filled,bold", **_tip(body, b.records, b.name))
    else:
        c.node(body, _html(_block_lines(b), [f"{b.name} · {count(b.params)} params"]),
               fillcolor=fill, group=prefix + "main", **_tip(body, b.records, b.name))
    flow.to(body)
    if b.add is None:  # plain network: the block is a plain stack of layers
        flow.moved(body, b.output_shape)
        return
    add = _node_id(prefix, b.name + ".add")
    _add_node(c, add, prefix)
    flow.moved(body, b.main[-1].output_shape if b.main else b.output_shape)
    flow.to(add)
    label = "" if b.shortcut == "identity" else " " + _side_text(b)
    _shortcut_edge(g, entry, add, b.shortcut, _node_id(prefix, "shortcut_" + b.name), label)
    flow.moved(add, b.output_shape)


def _add_node(c: graphviz.Digraph, node: str, prefix: str, after: Sequence[str] = (),
              size: str = "0.28", fontsize: str = "12") -> None:
    """The residual addition, the same small circled "+" at every level; what runs after it
    (the ReLU) is written beside the circle, outside it."""
    attrs = {"shape": "circle", "width": size, "height": size, "fixedsize": "true",
             "fillcolor": COLOURS["add"], "fontsize": fontsize, "group": prefix + "main"}
    if after:
        attrs["xlabel"] = (f'<<FONT POINT-SIZE="{_SMALL}" COLOR="{COLOURS["muted"]}">'
                           f'{escape(" · ".join(after))}</FONT>>')
    c.node(node, "+", **attrs)


def _draw_block_layers(c: graphviz.Digraph, g: graphviz.Digraph, b: _Block, fill: str,
                       prefix: str, flow: _Flow) -> None:
    entry = flow.tail
    for i, group in enumerate(_chunks(b.main)):
        anchor = next((r for r in group if r.category in _ANCHORS), group[0])
        node = _node_id(prefix, anchor.name)
        c.node(node, _chunk_label(group), fillcolor=fill, group=prefix + "main",
               **_tip(node, group))
        flow.to(node)
        flow.moved(node, group[-1].output_shape)
        if i == 0 and anchor.category not in _ANCHORS and _reads_preactivated(b.kind,
                                                                               b.shortcut):
            entry = node
    if b.add is None:  # plain network: the closing ReLU is already on the last node
        return
    add = _node_id(prefix, b.add.name)
    after = [layer_text(r) for r in b.after]  # the ReLU after the addition, beside its node
    _add_node(c, add, prefix, after)
    flow.to(add)
    ident = _node_id(prefix, "shortcut_" + b.name)
    if b.side and b.shortcut == "projection":
        # Every layer of the shortcut: a 1x1 conv + BN, or ResNet-D's 2x2 avg pool, then
        # the 1x1 conv + BN (Bag of Tricks, Figure 2c), one node per anchor layer.
        style, colour_key = SHORTCUT_STYLE["projection"]
        tail = entry
        for i, group in enumerate(_chunks(b.side)):
            side = _node_id(prefix, b.name + ".shortcut" + (str(i) if i else ""))
            c.node(side, _chunk_label(group), fillcolor=COLOURS["projection_fill"],
                   style=f"rounded,filled,{style}", color=COLOURS[colour_key], fontsize="11",
                   **_tip(side, group))
            _shortcut_edge(g, tail, side, b.shortcut, f"{ident}__leg{i}",
                           loose=tail in flow.breaks)
            tail = side
        _shortcut_edge(g, tail, add, b.shortcut, ident)
    else:
        label = " zero-pad" if b.shortcut == "zero-pad" else ""
        _shortcut_edge(g, entry, add, b.shortcut, ident, label, loose=entry in flow.breaks)
    flow.moved(add, b.output_shape)


def _draw_stages(g: graphviz.Digraph, report: Report, stages: Sequence[str], prefix: str,
                 flow: _Flow) -> None:
    """One node per stage: '× 23 bottleneck blocks' with params and MACs."""
    from resnet_inspect.report.model import rollup

    rows = {r.name: r for r in rollup(report, "stage")}
    units = _units(report)
    for stage in stages:
        row = rows[stage]
        blocks = [u for u in units if isinstance(u, _Block) and u.stage == stage]
        loose = [u for u in units if isinstance(u, LayerRecord) and u.stage == stage
                 and u.category in _ANCHORS]
        lines = [layer_text(r) for r in loose if r.category != "elementwise"]
        small: list[str] = []
        if blocks:
            kinds = dict.fromkeys(b.kind for b in blocks)
            lines.append(f"× {len(blocks)} {' / '.join(kinds)} "
                         f"block{'s' if len(blocks) != 1 else ''}")
            paper = [t.replace(" conv", "") for t in _block_lines(blocks[-1])]  # Table 1 style
            small.append("[" + "; ".join(paper) + "]")
            shortcuts: dict[str, int] = {}
            for b in blocks:
                shortcuts[b.shortcut] = shortcuts.get(b.shortcut, 0) + 1
            if set(shortcuts) != {"none"}:
                small.append(", ".join(f"{n} {k} shortcut{'s' if n != 1 else ''}"
                                       for k, n in shortcuts.items()))
        small.append(f"{count(row.params)} params · {si(row.macs)} MACs")
        fill, _ = stage_fill(stage, stages)
        node = _node_id(prefix, stage)
        stage_rows = [u for u in report.layers if u.stage == stage]
        g.node(node, _html([f"{stage}" if stage != "fc" else "head", *lines], small),
               fillcolor=fill, group=prefix + "main", **_tip(node, stage_rows, stage))
        flow.to(node)
        flow.moved(node, row.output_shape)


# ----------------------------------------------------------------- the single block


_BLOCK_TITLES = {
    "basic": "Basic block",
    "bottleneck": "Bottleneck block",
    "preact-basic": "Pre-activation basic block",
    "preact-bottleneck": "Pre-activation bottleneck block",
}


def block_diagram(report: Report, *, title: str | None = None) -> graphviz.Digraph:
    """The paper's Figure 5 for one traced block: every layer, its params, the shortcut."""
    units = [u for u in _units(report) if isinstance(u, _Block)]
    if len(units) != 1:
        raise InspectError(
            f"a block diagram needs a report of exactly one residual block, got {len(units)}; "
            "draw a network with `resnet-inspect diagram NAME` instead"
        )
    b = units[0]
    convs = [r for r in b.main if r.category == "conv"]
    conv_weights = sum(r.params for r in b.records if r.category == "conv")
    other = b.params - conv_weights
    spatial = b.main[0].input_shape[2:] if b.main else []
    at = f" at {spatial[0]}×{spatial[1]}" if len(spatial) == 2 else ""
    macs = sum(r.macs for r in b.records if r.category in ("conv", "linear"))
    channels = " → ".join(
        [str(convs[0].input_shape[1])] + [str(r.output_shape[1]) for r in convs]
    ) if convs else ""
    heading = title or _BLOCK_TITLES.get(b.kind, f"{b.kind} block")
    figure = block_caption(b)
    subtitle = [
        f"{channels} channels{figure}" if channels else "",
        f"total {count(b.params)} params = {count(conv_weights)} conv weights + "
        f"{count(other)} batch-norm · {si(macs)} MACs{at}",
    ]
    g = _new_graph("block", heading, [s for s in subtitle if s])
    g.attr("graph", nodesep="0.5", ranksep="0.22")
    in_shape = b.records[0].input_shape
    start = "input"
    g.node(start, _html(["input x"], [shape_text(in_shape)]), fillcolor=COLOURS["io"],
           group="main")
    flow = _Flow(g, start, in_shape)
    conv_fill = STAGE_FILLS[0][0]
    paper = PAPER_STYLE.get()
    relu = False  # the paper writes "relu" on the line, draws no box for it or for BN
    for r in b.main:
        if paper and r.category in ("norm", "activation"):
            relu = relu or r.category == "activation"
            continue
        node = _node_id("", r.name.split(".")[-1])
        g.node(node, **_layer_node(r, conv_fill))
        if relu:
            g.edge(flow.tail, node, weight="10", label=" relu")
            flow.tail, relu = node, False
            flow.visited.append(node)
            flow.shown = flow.carried
        else:
            flow.to(node)
        flow.moved(node, r.output_shape)
    if b.add is not None:
        _add_node(g, "add", "", size="0.34", fontsize="14")
        g.edge(flow.tail, "add", weight="10", label=" F(x)")
        ident = "shortcut_" + _node_id("", b.name)
        if b.side and b.shortcut == "projection":
            side_tail = start
            if _reads_preactivated(b.kind, b.shortcut):
                opening = _chunks(b.main)[0]
                if opening[-1].category not in _ANCHORS:
                    side_tail = _node_id("", opening[-1].name.split(".")[-1])
            style, colour_key = SHORTCUT_STYLE["projection"]
            for i, r in enumerate(b.side):
                node = _node_id("", "shortcut." + r.name.split(".")[-1])
                attrs = _layer_node(r, COLOURS["projection_fill"])
                attrs["style"] = f"{attrs['style']},{style}"
                attrs.pop("group")  # beside the main column, not in it
                attrs["color"] = COLOURS[colour_key]
                g.node(node, **attrs)
                _shortcut_edge(g, side_tail, node, b.shortcut, f"{ident}__leg{i}")
                side_tail = node
            _shortcut_edge(g, side_tail, "add", b.shortcut, ident, " W·x")
        else:
            label = " x (zero-padded)" if b.shortcut == "zero-pad" else " x (identity)"
            _shortcut_edge(g, start, "add", b.shortcut, ident, label)
        flow.moved("add", b.add.output_shape)
        flow.shown = flow.carried  # F(x) + x has the block's output shape, shown below
    for r in b.after:
        if paper and r.category in ("norm", "activation"):
            relu = relu or r.category == "activation"
            continue
        node = _node_id("", "after." + r.name.split(".")[-1])
        g.node(node, **_layer_node(r, conv_fill))
        flow.to(node)
        flow.moved(node, r.output_shape)
    g.node("output", _html(["output"], [shape_text(b.output_shape)]),
           fillcolor=COLOURS["io"], group="main")
    g.edge(flow.tail, "output", weight="10", **({"label": " relu"} if relu else {}))
    return g


# The paper's Figure 5 draws exactly these blocks (ResNet paper, Figure 5: "a building
# block (on 56x56 feature maps) ... for ResNet-34" at 64-d; the bottleneck for
# ResNet-50/101/152 at 256-d, 1x1 64 -> 3x3 64 -> 1x1 256), both without striding.
PAPER_FIGURE_5 = {
    "basic": ([64, 64, 64], " (the ResNet paper's Figure 5, left)"),
    "bottleneck": ([256, 64, 64, 256], " (the ResNet paper's Figure 5, right)"),
}


def block_caption(b: _Block) -> str:
    """Which published figure this block is, claimed only when the configuration is the
    figure's own: Figure 5 for the paper's channels without stride; the pre-activation
    paper's Figure 1(b) (He et al. 2016, Identity Mappings) for any pre-activation block with
    an identity shortcut, the form that figure draws."""
    convs = [r for r in b.main if r.category == "conv"]
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


def _layer_node(r: LayerRecord, conv_fill: str) -> dict[str, str]:
    """Node attributes for one layer of a block diagram."""
    if r.category == "conv" and PAPER_STYLE.get():
        # the paper's own labels: "1x1, 64", "3x3, 64, /2"
        cout = r.output_shape[1] if len(r.output_shape) > 1 else 0
        stride = ", /2" if r.stride == 2 else (f", /{r.stride}" if r.stride > 1 else "")
        return {"label": _html([f"{r.kernel}, {cout}{stride}"]), "fillcolor": conv_fill,
                "style": "rounded,filled", "group": "main"}
    if r.category == "conv":
        cin = r.input_shape[1] if len(r.input_shape) > 1 else 0
        cout = r.output_shape[1] if len(r.output_shape) > 1 else 0
        kernel = r.kernel.replace("x", "×")
        stride = f", stride {r.stride}" if r.stride > 1 else ""
        groups = f", {r.groups} groups" if r.groups > 1 else ""
        weights = f"{kernel}×{cin // r.groups}×{cout}" if r.groups > 1 else f"{kernel}×{cin}×{cout}"
        label = _html([f"{kernel} conv, {cin} → {cout}{stride}{groups}"],
                      [f"{weights} = {count(r.params)} params · {si(r.macs)} MACs"])
        return {"label": label, "fillcolor": conv_fill, "style": "rounded,filled",
                "group": "main", "fontsize": "13"}
    if r.category == "norm":
        return {"label": _html([_SHORT.get(r.type, r.type)], [f"{count(r.params)} params"]),
                "fillcolor": COLOURS["norm"], "style": "rounded,filled", "group": "main",
                "fontsize": "11", "margin": "0.08,0.02", "height": "0.3"}
    if r.category == "activation":
        return {"label": layer_text(r), "fillcolor": COLOURS["activation"],
                "style": "rounded,filled", "group": "main", "fontsize": "11",
                "margin": "0.08,0.02", "height": "0.3"}
    return {"label": _html([layer_text(r)]), "fillcolor": conv_fill, "style": "rounded,filled",
            "group": "main"}


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
