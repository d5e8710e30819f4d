"""The one library entry point for diagrams, and fitting them to a slide or a page.

`make_diagram(reports, fmt, ...)` takes one report (or two or three, side by side) and
returns a `Diagram`: the DOT source, the rendered bytes (None for dot) and warnings. The CLI
calls it; a notebook can too (`Diagram.data` is SVG or PNG bytes to display).

Fitting sets Graphviz's `size` (dot shrinks a drawing to fit it and never enlarges), after
measuring the drawing's natural size, so it can say how large its smallest text prints
(the smallest font size in the DOT, scaled); the bar is 8 pt. Unless a direction
is given, fitting also chooses the layout: top to bottom or left to right, the stages in
one line or side by side, whichever prints the text largest on the medium.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.beside import side_by_side
from resnet_inspect.render.diagram.block import block_diagram
from resnet_inspect.render.diagram.dataflow import dataflow_diagram
from resnet_inspect.render.diagram.network import network_diagram
from resnet_inspect.render.diagram.style import PAPER_STYLE, draw_legend, pretty_name
from resnet_inspect.report.model import Report

# Pages in inches: a 16:9 slide is 13.33 x 7.5 in (PowerPoint's widescreen); A4 is
# 8.27 x 11.69 in, less 1.5 cm margins each side (7.09 x 10.51 in printable).
MEDIA: dict[str, tuple[float, float]] = {
    "slide": (13.33, 7.5),
    "a4": (7.09, 10.51),
    "a4-landscape": (10.51, 7.09),
}
MIN_TEXT_PT = 8.0
MAX_SIDE_PX = 10_000
_FONT_SIZE = re.compile(r'(?:fontsize|POINT-SIZE)="?(\d+(?:\.\d+)?)')


@dataclass
class Diagram:
    source: str  # DOT
    data: bytes | None  # the image; None for "dot", or where no renderer here makes fmt
    warnings: list[str] = field(default_factory=list)
    # with `paginate`, a network too large for one page at 8 pt: one Diagram a page (the
    # first is this one's source and data)
    pages: list[Diagram] = field(default_factory=list)


def parse_fit(text: str) -> tuple[float, float]:
    """'slide', 'a4', 'a4-landscape', '10x7.5' (inches) or '1920x1080px' -> inches."""
    from resnet_inspect.render.graphviz_render import PNG_DPI

    key = text.strip().lower()
    if key in MEDIA:
        return MEDIA[key]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(px|in)?", key)
    if not m or float(m.group(1)) <= 0 or float(m.group(2)) <= 0:
        raise InspectError(
            f"--fit {text!r}: use slide, a4, a4-landscape, WxH in inches (10x7.5) or pixels "
            "(1920x1080px)"
        )
    w, h = float(m.group(1)), float(m.group(2))
    return (w / PNG_DPI, h / PNG_DPI) if m.group(3) == "px" else (w, h)


def natural_size(source: str) -> tuple[float, float]:
    """The drawing's width and height in points at scale 1, measured from its SVG."""
    from resnet_inspect.render.graphviz_render import render

    svg = render(source, "svg").decode("utf-8", "replace")
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not m:
        raise RuntimeError("could not read the drawing's size from its SVG")
    return float(m.group(1)), float(m.group(2))


def smallest_text_pt(source: str) -> float:
    """The smallest font size any text of the drawing is set in, unscaled (points)."""
    return min((float(s) for s in _FONT_SIZE.findall(source)), default=14.0)


def fit_source(source: str, fit: str | None,
               tried: Sequence[str] = ()) -> tuple[str, list[str]]:
    """DOT with `size` set for `fit`, and warnings: text below 8 pt at that size, or an image
    over 10,000 px on a side. `tried`: the flags whose other values were already tried
    (so the warning suggests only what may still help)."""
    from resnet_inspect.render.graphviz_render import PNG_DPI

    warnings: list[str] = []
    width, height = natural_size(source)  # points
    scale = 1.0
    if fit is not None:
        w_in, h_in = parse_fit(fit)
        scale = min(1.0, w_in * 72 / width, h_in * 72 / height)
        source = source.replace("{", f'{{\n\tsize="{w_in:g},{h_in:g}"', 1)
        smallest = smallest_text_pt(source) * scale
        if smallest < MIN_TEXT_PT:
            fixes = [fix for fix in ("--direction LR", "--level stage", "--style paper")
                     if fix.split()[0] not in tried]
            warnings.append(
                f"fitted to {fit}, the drawing shrinks to {scale:.0%} and its smallest text "
                f"to {smallest:.1f} pt (under {MIN_TEXT_PT:g} pt); try "
                + ", ".join(fixes) + (" or " if fixes else "") + "a larger --fit"
            )
    px = (width * scale * PNG_DPI / 72, height * scale * PNG_DPI / 72)
    if max(px) > MAX_SIDE_PX:
        warnings.append(
            f"the PNG would be {px[0]:,.0f}x{px[1]:,.0f} px (over {MAX_SIDE_PX:,} px on a "
            "side; renderers shrink or refuse such images); use --fit, --level stage, or svg"
        )
    return source, warnings


def make_diagram(reports: Report | Sequence[Report], fmt: str = "dot", *,
                 level: str = "block", expand: bool = False, direction: str | None = None,
                 fit: str | None = None, block: bool = False,
                 style: str = "default", paginate: bool = False,
                 dataflow: bool = False) -> Diagram:
    """Report(s) -> DOT and rendered bytes: the entry point of the CLI and of notebooks.

    `block`: one report of a single block, drawn as the paper's Figure 5. Otherwise one
    network report is drawn at `level`, and two or three side by side (Figure 3).
    `direction` None is top to bottom, or with `fit` the layout whose text prints largest.
    `paginate` (with `fit`, one network by blocks or layers): where no layout keeps the
    text at 8 pt on one page, split the stages over as few pages as keep it (`pages`).
    `dataflow`: one report drawn from its dataflow graph, as its forward runs (a user's
    model; `level` does not apply).
    """
    if direction not in (None, "TB", "LR"):
        raise InspectError(f"--direction {direction!r}: use TB or LR")
    if style not in ("default", "paper"):
        raise InspectError(f"--style {style!r}: use default or paper")
    many = [reports] if isinstance(reports, Report) else list(reports)

    def draw(rankdir: str, columns: bool | None, only: Sequence[Any] | None = None,
             title: str | None = None) -> str:
        token = PAPER_STYLE.set(style == "paper")
        try:
            if block:
                graph = block_diagram(many[0])
            elif dataflow:  # a user's network as its forward runs (dataflow.py)
                graph = dataflow_diagram(many[0], expand=expand, direction=rankdir, title=title)
            elif len(many) > 1:
                graph = side_by_side(many, level, expand=expand, only=only, title=title)
            else:
                graph = network_diagram(many[0], level, expand=expand, columns=columns,
                                        direction=rankdir, only=only, title=title)
        finally:
            PAPER_STYLE.reset(token)
        if style == "paper":
            draw_legend(graph)
        source: str = graph.source
        return source.replace("rankdir=TB", f"rankdir={rankdir}", 1)

    tried = []  # flags whose alternatives this drawing already is, or was chosen among
    if direction == "LR" or (fit is not None and direction is None):
        tried.append("--direction")
    if level == "stage" or block:
        tried.append("--level")
    if style == "paper":
        tried.append("--style")
    one_network = not block and len(many) == 1 and level != "stage"
    too_small = False  # no layout keeps the text at 8 pt on one page
    if fit is not None and direction is None:
        source, scale = _best_layout(draw, fit, stages=one_network, across=len(many) == 1)
        too_small = smallest_text_pt(source) * scale < MIN_TEXT_PT
    else:
        source = draw(direction or "TB", None)
    warnings: list[str] = []
    if fit is not None or fmt == "png":
        source, warnings = fit_source(source, fit, tried)
    if paginate and too_small and not block and level != "stage":
        assert fit is not None
        pages = (_paginate(draw, fit, many[0], expand) if len(many) == 1
                 else _paginate_beside(draw, fit, many, expand))
        if len(pages) > 1:
            done = [_finish(page, fmt, fit, tried) for page in pages]
            note = (f"at {MIN_TEXT_PT:g} pt on {fit} the drawing takes {len(done)} pages, "
                    "joined by 'to'/'from' connectors")
            return Diagram(done[0].source, done[0].data, [note], done)
    return _finish(source, fmt, None, tried, warnings)


def _finish(source: str, fmt: str, fit: str | None, tried: Sequence[str],
            warnings: list[str] | None = None) -> Diagram:
    """Fit (when `fit`) and render one drawing."""
    from resnet_inspect.render.graphviz_render import can_render, render

    if fit is not None:
        source, warnings = fit_source(source, fit, tried)
    data = render(source, fmt) if fmt != "dot" and can_render(fmt) else None
    return Diagram(source, data, warnings or [])


def _paginate(draw: Callable[..., str], fit: str, report: Report, expand: bool) -> list[str]:
    """The network split over consecutive pages, each as large as keeps its text at 8 pt.

    Pages break between stages where they can; a stage too tall for a page on its own is
    broken between its blocks and layers (a block, or a conv/pool/fc layer, with the
    batch-norm and activations after it, stays whole). [] where even one piece does not
    fit."""
    from resnet_inspect.render.diagram.grouping import regroup, stage_items

    units = regroup(report)
    pieces: list[list[list[tuple[str, int]]]] = []  # per stage, its pieces of items
    for stage in report.stages:
        items = stage_items([u for u in units if u.stage == stage], expand)
        stage_pieces: list[list[tuple[str, int]]] = [[]]
        for i, item in enumerate(items):
            if _opens(item) and any(_opens(items[j]) for _, j in stage_pieces[-1]):
                stage_pieces.append([])
            stage_pieces[-1].append((stage, i))
        pieces.append([piece for piece in stage_pieces if piece])

    def fits(page: list[tuple[str, int]]) -> bool:
        return _fits(draw, fit, page, single=True)

    pages: list[list[tuple[str, int]]] = []

    def place(part: list[tuple[str, int]]) -> bool:
        if pages and fits([*pages[-1], *part]):
            pages[-1].extend(part)
        elif fits(part):
            pages.append(list(part))
        else:
            return False
        return True

    for stage_pieces in pieces:
        whole = [unit for piece in stage_pieces for unit in piece]
        if not place(whole) and not all(place(piece) for piece in stage_pieces):
            return []
    return _titled(draw, fit, pages, pretty_name(report), single=True)


def _paginate_beside(draw: Callable[..., str], fit: str, reports: Sequence[Report],
                     expand: bool) -> list[str]:
    """Networks side by side (Figure 3) over pages, cut at the same resolution in every
    column: a page holds the layers of every network whose output is 112x112, then
    56x56 ..., as many resolutions as keep the text at 8 pt; a resolution too large for
    a page is cut into two to four parts, each network's at its layer and block
    boundaries. [] where even those do not fit."""
    from resnet_inspect.render.diagram.grouping import item_output, regroup, stage_items

    Page = list[list[tuple[str, int]]]  # for each network, its (stage, item) pairs
    per_net: list[list[tuple[int, tuple[str, int], bool]]] = []  # resolution, unit, opens
    for report in reports:
        units = regroup(report)
        net = []
        for stage in report.stages:
            for i, item in enumerate(stage_items([u for u in units if u.stage == stage],
                                                 expand)):
                shape = item_output(item)
                net.append((shape[2] if len(shape) == 4 else 0, (stage, i), _opens(item)))
        per_net.append(net)
    sizes = sorted({r for net in per_net for r, _, _ in net}, reverse=True)

    def fits(page: Page) -> bool:
        return _fits(draw, fit, page, single=False)

    def parts(size: int, k: int) -> list[Page]:
        """The resolution's units cut into k parts per network, at opening items."""
        cuts: list[list[list[tuple[str, int]]]] = [[] for _ in range(k)]  # part, net
        for net in per_net:
            band = [(unit, opens) for r, unit, opens in net if r == size]
            pieces: list[list[tuple[str, int]]] = []
            for unit, opens in band:
                if opens or not pieces:
                    pieces.append([])
                pieces[-1].append(unit)
            for j in range(k):
                chunk = pieces[j * len(pieces) // k:(j + 1) * len(pieces) // k]
                cuts[j].append([unit for piece in chunk for unit in piece])
        return cuts

    pages: list[Page] = []

    def place(part: Page) -> bool:
        merged = [a + b for a, b in zip(pages[-1], part, strict=True)] if pages else None
        if merged is not None and fits(merged):
            pages[-1] = merged
        elif fits(part):
            pages.append(part)
        else:
            return False
        return True

    for size in sizes:
        for k in (1, 2, 3, 4):
            before = [[list(units) for units in page] for page in pages]
            if all(place(part) for part in parts(size, k)):
                break
            pages[:] = before  # a part did not fit: undo this try, cut finer
        else:
            return []
    names = " vs ".join(pretty_name(r) for r in reports)
    return _titled(draw, fit, pages, names, single=False)


def _page_layout(draw: Callable[..., str], fit: str, page: Any, single: bool,
                 title: str | None = None) -> tuple[str, float]:
    """One page's best layout and its scale. `single`: one network, whose stages may
    stand in columns and which may run left to right (networks side by side may not)."""
    return _best_layout(lambda d, c: draw(d, c, page, title), fit, stages=single,
                        across=single)


def _fits(draw: Callable[..., str], fit: str, page: Any, single: bool) -> bool:
    source, scale = _page_layout(draw, fit, page, single)
    return smallest_text_pt(source) * scale >= MIN_TEXT_PT


def _titled(draw: Callable[..., str], fit: str, pages: Sequence[Any], title: str,
            single: bool) -> list[str]:
    """Each page in its best layout, titled 'ResNet-50 (2 of 3)'."""
    return [_page_layout(draw, fit, page, single, f"{title} ({i} of {len(pages)})")[0]
            for i, page in enumerate(pages, start=1)]


def _opens(item: object) -> bool:
    """Whether a stage item starts a piece a page may break before: a block (or a run of
    them), or a layer drawn as a node of its own (conv, fc, pool ...), not the batch-norm
    and activation written on the node before."""
    from resnet_inspect.render.diagram.grouping import ANCHORS
    from resnet_inspect.report.model import LayerRecord

    return not isinstance(item, LayerRecord) or item.category in ANCHORS


def _best_layout(draw: Callable[[str, bool | None], str], fit: str,
                 stages: bool, across: bool = True) -> tuple[str, float]:
    """The layout that prints largest on `fit`: top to bottom, left to right (unless not
    `across`: networks side by side would be stacked bottom to top), or, for a network
    drawn by blocks or layers, its stages side by side in columns. Ties keep the earlier
    (the default first)."""
    w_in, h_in = parse_fit(fit)
    options: list[tuple[str, bool | None]] = [("TB", None)]
    if across:
        options.append(("LR", False))
    if stages:
        options.append(("TB", True))
    best, best_scale = "", -1.0
    for rankdir, columns in options:
        source = draw(rankdir, columns)
        width, height = natural_size(source)
        scale = min(1.0, w_in * 72 / width, h_in * 72 / height)
        if scale > best_scale + 1e-9:
            best, best_scale = source, scale
    return best, best_scale
