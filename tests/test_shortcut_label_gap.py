"""A block diagram's labelled shortcut edge ("W·x" on the dashed projection, "x (identity)"
on a solid one) keeps its text clear of its own line: measured on the SVG that `dot -Tsvg`
lays out, the label's text box against the edge's path, in both styles and directions."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.render.diagram import make_diagram
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import BlockKind

SVG = "{http://www.w3.org/2000/svg}"
# DejaVu Sans advance widths in em (the font's hmtx, 2048 units an em): the diagrams' font
# (style.FONT) as rsvg-convert and chromium draw it here; 0.7 em for anything else, wider
# than most letters, so a box can only come out larger than the text is
ADVANCE = {ch: units / 2048 for ch, units in {
    " ": 651, "W": 2025, "·": 651, "x": 1212, "(": 799, ")": 799, "-": 739, "a": 1255,
    "d": 1300, "e": 1260, "i": 569, "n": 1298, "o": 1253, "p": 1300, "r": 842, "t": 803,
    "y": 1212, "z": 1075}.items()}
CAP, DESCENT = 0.73, 0.24  # DejaVu Sans's cap height and descender, in em
GAP = 4.0  # pt of clear space between the text and the line's drawn edge


def _points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of M and C commands, as Graphviz writes an edge: each cubic
    Bézier sampled 40 times."""
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    pts = list(zip(nums[0::2], nums[1::2], strict=True))
    out = [pts[0]]
    for i in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(1, 41):
            t = k / 40
            out.append(tuple(  # type: ignore[arg-type]
                (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * e
                for a, b, c, e in zip(p0, p1, p2, p3, strict=True)))
    return out


def _text_box(text: ET.Element) -> tuple[float, float, float, float]:
    """The inked box of an SVG <text> (x0, y0, x1, y1): its advance from x by its anchor,
    leading spaces left out (they carry no ink), from the cap height to the descender."""
    size = float(text.get("font-size", "14"))
    content = text.text or ""
    widths = [ADVANCE.get(ch, 0.7) * size for ch in content]
    total = sum(widths)
    anchor = text.get("text-anchor", "start")
    x = float(text.get("x", "0")) - {"start": 0, "middle": total / 2, "end": total}[anchor]
    lead = len(content) - len(content.lstrip(" "))
    x0 = x + sum(widths[:lead])
    y = float(text.get("y", "0"))
    return x0, y - CAP * size, x + total, y + DESCENT * size


def _distance(p: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box
    dx = max(x0 - p[0], 0.0, p[0] - x1)
    dy = max(y0 - p[1], 0.0, p[1] - y1)
    return float((dx * dx + dy * dy) ** 0.5)


def label_gaps(svg: str) -> dict[str, float]:
    """For each labelled shortcut edge of the SVG (id shortcut_*, not a __leg into a
    projection's node): the clear space in pt between its label's text and its line,
    arrowhead included, less half the line's width."""
    root = ET.fromstring(svg)
    gaps = {}
    for g in root.iter(f"{SVG}g"):
        ident = g.get("id", "")
        text = g.find(f"{SVG}text")
        path = g.find(f"{SVG}path")
        if not ident.startswith("shortcut_") or g.get("class") != "edge" or text is None:
            continue
        assert path is not None
        points = _points(path.get("d", ""))
        for poly in g.findall(f"{SVG}polygon"):
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", poly.get("points", ""))]
            points += list(zip(nums[0::2], nums[1::2], strict=True))
        half = float(path.get("stroke-width", "1")) / 2
        box = _text_box(text)
        gaps[ident] = min(_distance(p, box) for p in points) - half
    return gaps


@cache
def _block(kind: BlockKind, channels: tuple[int, int], stride: int) -> Report:
    return block_report(kind, stride=stride, channels=channels, device="meta")


def _svg(report: Report, style: str, direction: str) -> str:
    dot = make_diagram(report, "dot", block=True, style=style, direction=direction).source
    return subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_gap_measure_sees_a_label_on_its_line() -> None:
    """The measure itself: a label whose text the line runs through has no gap, one set
    10 pt to the right of a vertical line has 10 less the text's leading space and half
    the line."""
    line = '<path stroke-width="2" d="M100,-200C100,-150 100,-100 100,-50"/>'
    through = '<text text-anchor="middle" x="100" y="-120" font-size="10">W·x</text>'
    beside = '<text text-anchor="start" x="110" y="-120" font-size="10"> W·x</text>'
    for text, want in ((through, -1.0), (beside, 10 + 10 * 651 / 2048 - 1)):
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><g id="shortcut_b" class="edge">'
               f"{line}{text}</g></svg>")
        assert label_gaps(svg)["shortcut_b"] == pytest.approx(want, abs=0.01)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("style", ["default", "paper"])
@pytest.mark.parametrize(("kind", "channels", "stride"), [
    (BlockKind.BOTTLENECK, (256, 512), 2),  # `diagram block bottleneck --stride 2 ...`
    (BlockKind.BASIC, (64, 128), 2),
    (BlockKind.BOTTLENECK, (256, 256), 1),  # the identity shortcut's " x (identity)"
])
def test_shortcut_label_clears_its_line(kind: BlockKind, channels: tuple[int, int],
                                        stride: int, style: str, direction: str) -> None:
    gaps = label_gaps(_svg(_block(kind, channels, stride), style, direction))
    assert list(gaps) == ["shortcut_layer1_0"]  # the one block's one labelled shortcut
    assert gaps["shortcut_layer1_0"] >= GAP, gaps
