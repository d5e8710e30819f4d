"""Diagrams on the media they are made for (issue 20, second half): the font the SVG
declares and measures with, one slide, Figure 3 on one A4 page, and --fit's sizes.

Sizes are read from the layout the renderer makes (the SVG's width and height in points,
the DOT's font sizes); pictures are checked by eye, never compared as pixels."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache

from resnet_inspect import inspect, resolve_spec
from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.render import graphviz_render
from resnet_inspect.render.diagram import block_diagram, network_diagram
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import BlockKind


@cache
def _report(name: str, plain: bool = False) -> Report:
    spec = resolve_spec(name)
    return inspect(spec.with_changes(plain=True) if plain else spec, device="meta")


# ------------------------------------------------------------------------------ the font


def test_svg_declares_the_measured_font_then_narrower_fallbacks() -> None:
    """Every text element names DejaVu Sans (the font the layout was measured with) first,
    then only families that set text narrower, ending in the generic sans-serif."""
    svg = graphviz_render.render(network_diagram(_report("resnet18"), "block").source, "svg")
    families = {el.get("font-family") for el in ET.fromstring(svg).iter()
                if el.tag.endswith("text")}
    assert families == {"DejaVu Sans,Bitstream Vera Sans,Liberation Sans,Arial,Helvetica,"
                        "sans-serif"}
    assert b"Helvetica,sans-Serif" not in svg  # Graphviz's own default list is gone


def test_graphviz_pure_measures_the_declared_font() -> None:
    """graphviz-pure has built-in metrics for a few families and measures any other with
    Times (saying so on stderr): the DOT names one it knows, so its boxes are measured for
    the font the SVG asks for. DejaVu Sans sets 'WWWW' 4 x 0.989 em wide, Helvetica
    4 x 0.944 em (the fonts' advance widths), so the box of a 100 pt 'WWWW' must be wider
    than Helvetica's 377.6 pt would make it."""
    pure = graphviz_render._pure_path()
    assert pure is not None
    source = block_diagram(block_report(BlockKind.BASIC, device="meta")).source
    done = subprocess.run([pure, "-Tsvg"], input=source.encode(), capture_output=True,
                          check=True)
    assert b"no hard-coded metrics" not in done.stderr
    probe = ('digraph { node [shape=plaintext margin=0 fontname="DejaVu Sans" '
             'fontsize=100]; a [label="WWWW"] }')
    svg = subprocess.run([pure, "-Tsvg"], input=probe.encode(), capture_output=True,
                         check=True).stdout.decode()
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    assert 4 * 98.9 - 2 <= width - 8 <= 4 * 98.9 + 2  # 8 pt: the graph's 4 pt pad each side
