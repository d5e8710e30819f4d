"""The one library entry point for diagrams, and fitting them to a slide or a page.

`make_diagram(reports, fmt, ...)` takes one report (or two or three, side by side) and
returns a `Diagram`: the DOT source, the rendered bytes (None for dot) and warnings.
`diagram_of(drawing, fmt)` draws what the `draw` use-case decided (usecases/draw.py); the
CLI and the notebook call it. A notebook can call make_diagram too (`Diagram.data` is SVG
or PNG bytes to display).

Fitting sets Graphviz's `size` with "!", so dot scales the drawing up or down until one
side meets the medium's, after measuring the drawing's natural size, so it can say how
large its smallest text prints (the smallest font size in the DOT, scaled; the bar is the
medium's, measure.MIN_TEXT_PT). Unless a direction is given, fitting also chooses the
layout (measure.layouts) whose text prints largest, and where none keeps the bar on one
page, `paginate` splits the network over pages, all in one layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.beside import side_by_side
from resnet_inspect.render.diagram.block import block_diagram
from resnet_inspect.render.diagram.dataflow import dataflow_diagram
from resnet_inspect.render.diagram.measure import (
    LEGIBLE_PT,
    MEDIA,
    Layout,
    best_layout,
    compact_text,
    layouts,
    min_text_pt,
    natural_size,
    parse_fit,
    printed_pt,
    smallest_text_pt,
)
from resnet_inspect.render.diagram.network import network_diagram
from resnet_inspect.render.diagram.pages import paginate, paginate_beside
from resnet_inspect.render.diagram.sections import by_resolution
from resnet_inspect.render.diagram.style import PAPER_STYLE, draw_legend
from resnet_inspect.report.model import Report

if TYPE_CHECKING:
    from resnet_inspect.usecases.draw import Drawing

__all__ = ["MEDIA", "Diagram", "diagram_of", "fit_source", "make_diagram", "natural_size",
           "parse_fit"]
MAX_SIDE_PX = 10_000


@dataclass
class Diagram:
    source: str  # DOT
    data: bytes | None  # the image; None for "dot", or where no renderer here makes fmt
    warnings: list[str] = field(default_factory=list)
    # with `paginate`, a network too large for one page at the medium's smallest text: one
    # Diagram a page (the first is this one's source and data)
    pages: list[Diagram] = field(default_factory=list)


def fit_source(source: str, fit: str | None,
               tried: Sequence[str] = ()) -> tuple[str, list[str]]:
    """DOT with `size` set for `fit`, and warnings: text below the medium's smallest at that
    size, or an image over 10,000 px on a side. `tried`: the flags whose other values were
    already tried (so the warning suggests only what may still help). A fit whose text
    would print under 2 pt cannot hold the drawing and is refused (InspectError)."""
    from resnet_inspect.render.graphviz_render import PNG_DPI

    warnings: list[str] = []
    width, height = natural_size(source)  # points
    scale = 1.0
    if fit is not None:
        w_in, h_in = parse_fit(fit)
        scale = min(w_in * 72 / width, h_in * 72 / height)
        smallest = smallest_text_pt(source) * scale
        if smallest < LEGIBLE_PT:
            # the size at which the smallest text prints at 8 pt, for the message
            grow = 8.0 / smallest_text_pt(source)
            raise InspectError(
                f"--fit {fit}: too small to hold the drawing ({width / 72:.1f}x"
                f"{height / 72:.1f} in at full size); its text would print at {smallest:.1f} "
                f"pt; give at least {width * grow / 72:.1f}x{height * grow / 72:.1f} in "
                f"({width * grow / 72 * PNG_DPI:,.0f}x{height * grow / 72 * PNG_DPI:,.0f}px) "
                "for 8 pt, or a preset size (slide, a4)"
            )
        # "!": dot scales up to fill the size as well as down (without it, only down)
        source = source.replace("{", f'{{\n\tsize="{w_in:g},{h_in:g}!"', 1)
        bar = min_text_pt(fit)
        if smallest < bar:
            fixes = [fix for fix in ("--direction LR", "--level stage", "--style paper")
                     if fix.split()[0] not in tried]
            warnings.append(
                f"fitted to {fit}, the drawing is scaled to {scale:.0%} and its smallest "
                f"text to {smallest:.1f} pt (under {bar:g} pt); try "
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
                 level: str | None = None, expand: bool = False, direction: str | None = None,
                 fit: str | None = None, block: bool = False,
                 style: str = "default", paginate: bool = False,
                 dataflow: bool = False) -> Diagram:
    """Report(s) -> DOT and rendered bytes: the entry point of the CLI and of notebooks.

    `block`: one report of a single block, drawn as the paper's Figure 5. Otherwise one
    network report is drawn at `level`, and two or three side by side (Figure 3).
    `direction` None is top to bottom, or with `fit` the layout whose text prints largest.
    `paginate` (with `fit`, by blocks or layers): where no layout keeps the text at the
    medium's smallest on one page, split the network over as few pages as keep it, all in
    one layout (`pages`).
    `dataflow`: one report drawn from its dataflow graph, as its forward runs (a user's
    model), at `level` (layer, the default: every node; block: a node a block; stage: a
    node per top-level module). Otherwise `level` defaults to block.
    """
    level = level or ("layer" if dataflow else "block")  # as the CLI's --level defaults
    if direction not in (None, "TB", "LR"):
        raise InspectError(f"--direction {direction!r}: use TB or LR")
    if style not in ("default", "paper"):
        raise InspectError(f"--style {style!r}: use default or paper")
    # a network without blocks in sections by resolution, for drawing and for pages alike
    many = [by_resolution(r) for r in ([reports] if isinstance(reports, Report)
                                       else list(reports))]

    def draw(layout: Layout, only: Sequence[Any] | None = None,
             title: str | None = None) -> str:
        rankdir, columns, compact = layout
        token = PAPER_STYLE.set(style == "paper")
        try:
            if block:
                graph = block_diagram(many[0])
            elif dataflow:  # a user's network as its forward runs (dataflow.py)
                graph = dataflow_diagram(many[0], expand=expand, direction=rankdir, title=title,
                                         level=level)
            elif len(many) > 1:
                graph = side_by_side(many, level, expand=expand, only=only, title=title,
                                     compact=compact)
            else:
                graph = network_diagram(many[0], level, expand=expand, columns=columns,
                                        direction=rankdir, only=only, title=title,
                                        compact=compact)
        finally:
            PAPER_STYLE.reset(token)
        if style == "paper":
            draw_legend(graph, many)
        source: str = graph.source.replace("rankdir=TB", f"rankdir={rankdir}", 1)
        return compact_text(source) if compact else source

    tried = []  # flags whose alternatives this drawing already is, or was chosen among
    if direction == "LR" or (fit is not None and direction is None):
        tried.append("--direction")
    if level == "stage" or block:
        tried.append("--level")
    if style == "paper":
        tried.append("--style")
    one_network = not block and len(many) == 1 and level != "stage"
    options = layouts(stages=one_network, across=len(many) == 1, compact=not block)
    too_small = False  # no layout keeps the text at the medium's smallest on one page
    if fit is not None and direction is None:
        source, size, _ = best_layout(draw, fit, options)
        too_small = size < min_text_pt(fit)
    else:
        source = draw((direction or "TB", None, False))
    warnings: list[str] = []
    if fit is not None or fmt == "png":
        source, warnings = fit_source(source, fit, tried)
    if paginate and too_small and not block and level != "stage":
        assert fit is not None
        pages = _fewest_pages(draw, fit, many, expand, options)
        if len(pages) > 1:
            done = [_finish(page, fmt, fit, tried) for page in pages]
            note = (f"at {min_text_pt(fit):g} pt on {fit} the drawing takes {len(done)} "
                    "pages, joined by 'to'/'from' connectors")
            return Diagram(done[0].source, done[0].data, [note], done)
    return _finish(source, fmt, None, tried, warnings)


def diagram_of(drawing: Drawing, fmt: str = "dot") -> Diagram:
    """The DOT (and, for `fmt` other than dot, the image) of a use-case's Drawing
    (usecases/draw.py): the CLI's `diagram` and the notebook's alike."""
    return make_diagram(list(drawing.reports), fmt, level=drawing.level,
                        expand=drawing.expand, direction=drawing.direction, fit=drawing.fit,
                        style=drawing.style, block=drawing.kind == "block",
                        dataflow=drawing.kind == "dataflow",
                        paginate=drawing.kind == "network")


def _fewest_pages(draw: Any, fit: str, many: Sequence[Report], expand: bool,
                  options: Sequence[Layout]) -> list[str]:
    """The pages in the layout that needs fewest (ties: whose smallest text prints
    largest); every page of a drawing in that one layout, so a legend or a direction never
    changes from one page to the next. [] where no layout splits into pages that fit."""
    best: list[str] = []
    best_key = (0, 0.0)
    for layout in options:
        def page(only: Any, title: str | None, layout: Layout = layout) -> str:
            return str(draw(layout, only, title))

        pages = (paginate(page, fit, many[0], expand) if len(many) == 1
                 else paginate_beside(page, fit, many, expand))
        if not pages:
            continue
        key = (-len(pages), min(printed_pt(p, fit) for p in pages))
        if not best or key > best_key:
            best, best_key = pages, key
    return best


def _finish(source: str, fmt: str, fit: str | None, tried: Sequence[str],
            warnings: list[str] | None = None) -> Diagram:
    """Fit (when `fit`) and render one drawing."""
    from resnet_inspect.render.graphviz_render import can_render, render

    if fit is not None:
        source, warnings = fit_source(source, fit, tried)
    data = render(source, fmt) if fmt != "dot" and can_render(fmt) else None
    return Diagram(source, data, warnings or [])
