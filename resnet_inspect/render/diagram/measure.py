"""What a drawing measures on a medium: the media, the drawing's natural size, how large
its smallest text prints once fitted, and the layouts --fit chooses among.

A layout is (rankdir, columns, compact): top to bottom or left to right; the stages in
one line or side by side in columns; and the one-slide look (style.COMPACT). `draw(layout)`
makes the DOT of one; `best_layout` measures each with the renderer and keeps the one
whose smallest text prints largest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram.style import COMPACT_PT

# Pages in inches: a 16:9 slide is 13.33 x 7.5 in (PowerPoint's widescreen); A4 is
# 8.27 x 11.69 in, less 1.5 cm margins each side (7.09 x 10.51 in printable).
MEDIA: dict[str, tuple[float, float]] = {
    "slide": (13.33, 7.5),
    "a4": (7.09, 10.51),
    "a4-landscape": (10.51, 7.09),
}
# The smallest text a fitted drawing may print at before --fit splits it into pages: a
# slide is read from the back of a room (10 pt), a handout in the hand (6 pt, the size of
# a printed figure's small print); any other size gets 8 pt.
MIN_TEXT_PT: dict[str, float] = {"slide": 10.0, "a4": 6.0, "a4-landscape": 6.0}
DEFAULT_MIN_TEXT_PT = 8.0
# Under this a fit cannot hold the drawing: it is refused rather than drawn unreadable.
LEGIBLE_PT = 2.0

Layout = tuple[str, bool | None, bool]  # rankdir, stages in columns, the one-slide look
ONE_LINE: Layout = ("TB", None, False)
# a font size, not the blank line that spaces a title from its subtitle (layout.new_graph's
# gap: `<FONT POINT-SIZE="4"> </FONT>`, no text to read)
_FONT_SIZE = re.compile(r'(?:fontsize|POINT-SIZE)="?(\d+(?:\.\d+)?)(?!"> </FONT>)')


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


def min_text_pt(fit: str) -> float:
    """The smallest text `fit` keeps on one page (see MIN_TEXT_PT)."""
    return MIN_TEXT_PT.get(fit.strip().lower(), DEFAULT_MIN_TEXT_PT)


def natural_size(source: str) -> tuple[float, float]:
    """The drawing's width and height in points at scale 1, measured from its SVG."""
    from resnet_inspect.render.graphviz_render import render

    source = re.sub(r'\n\tsize="[^"]*"', "", source, count=1)  # a fitted drawing's own
    svg = render(source, "svg").decode("utf-8", "replace")
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not m:
        raise RuntimeError("could not read the drawing's size from its SVG")
    return float(m.group(1)), float(m.group(2))


def smallest_text_pt(source: str) -> float:
    """The smallest font size any text of the drawing is set in, unscaled (points)."""
    return min((float(s) for s in _FONT_SIZE.findall(source)), default=14.0)


def scale_to(source: str, fit: str) -> float:
    """How much `fit` scales the drawing: up or down, until one side meets the medium's."""
    w_in, h_in = parse_fit(fit)
    width, height = natural_size(source)
    return min(w_in * 72 / width, h_in * 72 / height)


def printed_pt(source: str, fit: str) -> float:
    """How large the drawing's smallest text prints once fitted to `fit`."""
    return smallest_text_pt(source) * scale_to(source, fit)


def compact_text(source: str) -> str:
    """Every text of the one-slide look at COMPACT_PT, the title 4 pt larger: a slide is
    read at one size, and the gain over the default's 9 pt small lines is what lets a
    whole ResNet by blocks print at 10 pt on one slide."""
    title = re.compile(r"(\tgraph \[[^\n]*?\bfontsize=)\d+")
    source = re.sub(r'(fontsize=|POINT-SIZE=")\d+(?:\.\d+)?(?!"> </FONT>)', rf"\g<1>{COMPACT_PT}",
                    source)
    return title.sub(rf"\g<1>{COMPACT_PT + 4}", source, count=1)


def layouts(stages: bool, across: bool, compact: bool = False) -> list[Layout]:
    """The layouts --fit chooses among, the default first: top to bottom; left to right
    (unless not `across`: networks side by side would be stacked bottom to top); for one
    network by blocks or layers, its stages in columns, and the one-slide look; `compact`
    (one network by stages, or networks side by side): the one-slide look's text, the
    columns as they are (for Figure 3, the paper's one line a layer)."""
    options: list[Layout] = [ONE_LINE]
    if across:
        options.append(("LR", False, False))
    if stages:
        options += [("TB", True, False), ("TB", True, True)]
    elif compact:
        options.append(("TB", None, True))
    return options


def best_layout(draw: Callable[[Layout], str], fit: str,
                options: Sequence[Layout]) -> tuple[str, float, Layout]:
    """The layout whose smallest text prints largest on `fit`: its DOT, that size in
    points, and the layout. Ties keep the earlier (the default first)."""
    best: tuple[str, float, Layout] = ("", -1.0, options[0])
    for layout in options:
        source = draw(layout)
        size = printed_pt(source, fit)
        if size > best[1] + 1e-9:
            best = (source, size, layout)
    return best
