"""How a diagram looks and reads: the colour table, fonts, the paper style switch, the text
on nodes and edges (labels, tooltips, titles) and the legends of shortcut lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from html import escape
from typing import Any

from resnet_inspect.counting.categories import Category
from resnet_inspect.render.diagram.grouping import ANCHORS, Block
from resnet_inspect.render.diagram.sections import resolution
from resnet_inspect.render.graphviz_render import FONT as FONT  # one declaration, re-exported
from resnet_inspect.report.format import count, si, uncertain, visible
from resnet_inspect.report.model import LayerRecord, Report, Rollup, counted_on_data

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
    Category.NORM: "#fff2c2",  # batch-norm nodes in block diagrams
    Category.ACTIVATION: "#e2f0d9",  # ReLU nodes in block diagrams
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

SMALL = 9  # point size of the muted second lines

SHORT = {"BatchNorm2d": "BN", "BatchNorm1d": "BN", "GroupNorm": "GN", "LayerNorm": "LN"}


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
    return human_title(visible(report.model), plain=plain)


def layer_text(r: LayerRecord) -> str:
    """What a learner reads on a node: '3×3 conv, 64, /2', 'fc 1000', '3×3 max pool, /2'."""
    kernel = r.kernel.replace("x", "×")
    stride = f", /{r.stride}" if r.stride > 1 else ""
    out = r.output_shape[1] if len(r.output_shape) > 1 else 0
    if r.category == Category.CONV:
        groups = f", {r.groups} groups" if r.groups > 1 else ""
        return f"{kernel} conv, {out}{stride}{groups}"
    if r.category == Category.LINEAR:
        return f"fc {r.output_shape[-1]}" if r.output_shape else "fc"
    if r.type.startswith("Adaptive") and "Avg" in r.type:
        # global only where it pools to 1×1; VGG's pools to 7×7 (a no-op at 224×224 input)
        size = r.output_shape[2:] if len(r.output_shape) == 4 else []
        if size and size[0] * size[1] > 1:
            return f"adaptive avg pool, {size[0]}×{size[1]}"
        return "global avg pool"
    if r.category == Category.POOL:
        kind = "max" if "Max" in r.type else "avg"
        return f"{kernel} {kind} pool{stride}".strip()
    if r.category == Category.ELEMENTWISE:
        return "+"
    if r.type == "ZeroPadShortcut":
        return "zero-pad"
    return SHORT.get(r.type, r.type)


# --style paper: draw what the paper draws ("3x3, 64" labels, larger text), without the
# small muted lines (BN / ReLU, parameter counts and arithmetic, module names). Set by
# fit.make_diagram around one drawing.
PAPER_STYLE: ContextVar[bool] = ContextVar("paper_style", default=False)
_PAPER_SIZE = 15

# The one-slide look, which --fit tries for one network by blocks or layers: every stage a
# column (the stem and the head too), no text on edges (a labelled edge makes dot double
# every rank of the drawing), each column titled with its stage's output shape, a block's
# projection written in the block, every text COMPACT_PT (fit.compact_text). Set by
# network_diagram around one drawing.
COMPACT: ContextVar[bool] = ContextVar("compact", default=False)
COMPACT_PT = 10


# A 4 pt blank line between a title and the smaller lines under it: the title's
# underscores and descenders ("conv2_x", "make_vit") otherwise touch them once rendered
# (rsvg-convert). measure.py does not count it as text.
GAP_LINE = '<BR/><FONT POINT-SIZE="4"> </FONT>'


def html_label(lines: Sequence[str], small: Sequence[str] = (), size: int = SMALL, *,
               gap: bool = False, left: bool = False) -> str:
    """An HTML-like label: main lines, then smaller muted lines (`gap`: a blank 4 pt line
    between them; `left`: every line flush left, as a frame's title, not centred)."""
    lines, small = [visible(s) for s in lines], [visible(s) for s in small]
    # a <BR ALIGN="LEFT"/> sets the line before it flush left; the last line needs one too
    br, last = ('<BR ALIGN="LEFT"/>', '<BR ALIGN="LEFT"/>') if left else ("<BR/>", "")
    if PAPER_STYLE.get():
        body = br.join(escape(line) for line in lines)
        return f'<<FONT POINT-SIZE="{_PAPER_SIZE}">{body}{last}</FONT>>'
    body = br.join(escape(line) for line in lines)
    if gap and small:
        body += GAP_LINE.replace("<BR/>", br)
    for line in small:
        body += f'{br}<FONT POINT-SIZE="{size}" COLOR="{COLOURS["muted"]}">{escape(line)}</FONT>'
    return f"<{body}{last}>"


def field_line(end: Rollup | None, split: bool = False) -> list[str]:
    """'RF 99 px, stride 8': how much of the input a position at a stage's `end` sees and
    how far apart neighbouring positions sit, in input pixels (docs/receptive-field.md);
    no line where the field is global or undefined. `split`: 'RF 99 px' and 'stride 8' on
    two lines, narrow enough for a frame's title to end before the main path's edge."""
    if end is None or end.receptive_field in (None, "global") or end.jump is None:
        return []

    def text(v: object) -> str:
        return "×".join(str(x) for x in v) if isinstance(v, list) else str(v)

    field, stride = f"RF {text(end.receptive_field)} px", f"stride {text(end.jump)}"
    return [field, stride] if split else [f"{field}, {stride}"]


def tip(node: str, records: Sequence[LayerRecord], name: str = "") -> dict[str, str]:
    """SVG hover text and a stable id for a node: its layers' output shape, params and
    MACs (FLOPs for work that is not multiply-accumulates: ReLU, pooling), e.g.
    'layer1.0.conv1: 64×56×56 · 4,224 params · 12.85 M MACs'. The id is the node
    name, so the SVG can be snapshotted and linked to."""
    if not records:
        return {"id": node}
    params = sum(r.params for r in records)
    macs = sum(r.macs for r in records)
    flops = sum(r.flops for r in records)
    work = f"{si(flops)} FLOPs" if flops and not macs else f"{si(macs)} MACs"  # ReLU, pool
    name = name or records[0].name
    text = f"{name}: {shape_text(records[-1].output_shape)} · {count(params)} params · {work}"
    # a DOT string: a backslash ending a module's name would escape the closing quote
    return {"id": node, "tooltip": visible(text).replace("\\", "\\\\")}


def stage_fill(stage: str, stages: Sequence[str]) -> tuple[str, str]:
    """(node fill, cluster background) of a stage, from the colour table."""
    if stage == "conv1":
        return COLOURS["stem"], COLOURS["stem_bg"]
    if stage == "fc":
        return COLOURS["head"], COLOURS["head_bg"]
    size = resolution(stage)
    if size is not None:  # a section by resolution: the colour of ResNet's stage at it
        ladder = {56: 0, 28: 1, 14: 2, 7: 3}  # conv2_x .. conv5_x at 224×224 input
        if size not in ladder:
            return COLOURS["stem"], COLOURS["stem_bg"]
        return STAGE_FILLS[ladder[size]]
    body = [s for s in stages if s not in ("conv1", "fc")]
    index = body.index(stage) if stage in body else 0
    return STAGE_FILLS[index % len(STAGE_FILLS)]


# ------------------------------------------------------------ labels of the things drawn


def chunk_label(group: Sequence[LayerRecord], with_params: bool = True) -> str:
    anchor = next((r for r in group if r.category in ANCHORS), None)
    if anchor is None:  # a group of BN and ReLU only
        return html_label([" · ".join(layer_text(r) for r in group)])
    lines = [layer_text(anchor)]
    small = []
    after = [layer_text(r) for r in group[1:]]
    if after:
        small.append(" · ".join(after))
    params = sum(r.params for r in group)
    if with_params and params:
        small.append(f"{count(params)} params")
    return html_label(lines, small)


def block_lines(block: Block) -> list[str]:
    """The residual branch in the paper's notation: one line per conv."""
    return [layer_text(r) for r in block.main if r.category == Category.CONV] or [block.kind]


def side_text(block: Block) -> str:
    """The shortcut's layers on its edge: '1×1 conv, 512, /2', or ResNet-D's
    '2×2 avg pool, /2 → 1×1 conv, 512'."""
    convs = [layer_text(r) for r in block.side if r.category in (Category.CONV, Category.POOL)]
    if convs:
        return " → ".join(convs)
    return "zero-pad" if block.shortcut == "zero-pad" else block.shortcut


def repeat_text(run: Sequence[Block]) -> str:
    return f"× {len(run)}"


def run_span(run: Sequence[Block]) -> str:
    """'layer3.1 … layer3.22, identical': which blocks the folded drawing stands for (the
    one-slide look leaves 'identical' to the "× 22" above it)."""
    return f"{run[0].name} … {run[-1].name}" + ("" if COMPACT.get() else ", identical")


def totals_line(report: Report) -> str:
    t = report.totals
    return (f"{count(t.params)} params · {macs_text(t.macs, report.layers, t.headline)} MACs · "
            f"input {shape_text(report.input_shape)}")


def macs_text(macs: int, rows: Iterable[LayerRecord], headline: str) -> str:
    """`macs` (the sum of `rows`' work in `headline`'s categories) as si() writes it, '~' in
    front, as the table writes a shape that came from the data, where one of those rows
    has such a shape and work counted in it: its MACs hold for the made-up input traced,
    not for every input (`head(y[y > 0])`: 192 rows kept, 576 of the 1,344 MACs)."""
    return uncertain(si(macs), counted_on_data(rows, headline))


# ----------------------------------------------------------------------------- legends


def legend_lines(report: Report) -> list[str]:
    kinds = [b.shortcut for b in report.blocks]
    if not kinds or all(k == "none" for k in kinds):
        return ["no shortcuts (plain network)"] if kinds else []
    parts = ["solid shortcut: identity"]
    if "projection" in kinds:
        parts.append("dashed: projection (1×1 conv)")
    if "zero-pad" in kinds:
        parts.append("dotted: zero-padded identity")
    return [" · ".join(parts)]


LEGEND = (("identity", "solid"), ("projection", "dashed"), ("zero-pad", "dotted"))


def draw_legend(graph: Any, reports: Sequence[Report]) -> None:
    """The paper's line styles, drawn: one short edge per shortcut kind the drawing has, in
    a box of its own (node names start with 'legend_', so edge counts can leave them out).
    None where the drawing has no shortcut."""
    present = {b.shortcut for r in reports for b in r.blocks}
    kinds = [kind for kind, _ in LEGEND if kind in present]
    if not kinds:
        return
    with graph.subgraph(name="cluster_legend") as c:
        c.attr(label="shortcuts", fontsize="13", style="rounded", color="#999999",
               labeljust="l")
        for i, kind in enumerate(kinds):
            style, colour = SHORTCUT_STYLE[kind]
            tail, head = f"legend_{i}a", f"legend_{i}b"
            c.node(tail, "", shape="point", width="0.05")
            c.node(head, kind, shape="plaintext", fontsize="13", style="")
            c.edge(tail, head, style=style, color=COLOURS[colour], penwidth="1.6",
                   arrowhead="none", minlen="2")
