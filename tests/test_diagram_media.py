"""Diagrams on the media they are made for (issue 20, second half): the font the SVG
declares and measures with, one slide, Figure 3 on one A4 page, and --fit's sizes.

Sizes are read from the layout the renderer makes (the SVG's width and height in points,
the DOT's font sizes); pictures are checked by eye, never compared as pixels."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from resnet_inspect import inspect, resolve_spec
from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.render import graphviz_render
from resnet_inspect.render.diagram import block_diagram, network_diagram
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import BlockKind
from tests.cli_helpers import run_cli


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


# ------------------------------------------------------------------------ one slide, one page


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
def test_block_level_resnets_fit_one_slide_at_10_pt(name: str) -> None:
    """--fit slide puts ResNet-18..152 by blocks on ONE 13.33 x 7.5 in slide (960 x 540
    pt) with every text at 10 pt or more: the stages as columns, top to bottom, the legend
    once (ResNet-18/34 start conv2_x with an identity block, ResNet-50.. with a projection:
    both have both line styles)."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import natural_size, smallest_text_pt

    d = make_diagram(_report(name), "dot", level="block", fit="slide", paginate=True)
    assert d.pages == [] and d.warnings == []
    width, height = natural_size(d.source)
    scale = min(960 / width, 540 / height)  # what size="13.33,7.5!" makes of it
    assert smallest_text_pt(d.source) * scale >= 10.0, (width, height, scale)
    assert 'size="13.33,7.5!"' in d.source and "rankdir=TB" in d.source
    assert d.source.count("solid shortcut: identity · dashed: projection") == 1
    # the stem, four stages and the head each a column, their first nodes on one rank
    for came, stage in [("conv1", "conv2_x"), ("conv2_x", "conv3_x"), ("conv4_x", "conv5_x"),
                        ("conv5_x", "fc")]:
        assert f'{stage}_from_{came} [label="from {came}"' in d.source


def test_fit_scales_up_as_well_as_down() -> None:
    """ResNet-18 by stages is 285 pt wide; fitted to a 40 x 30 in poster its text grows
    beyond its natural size (size="40,30!": dot scales up to meet the size)."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import printed_pt

    d = make_diagram(_report("resnet18"), "png", level="stage", fit="40x30")
    assert 'size="40,30!"' in d.source
    assert printed_pt(d.source, "40x30") > 20.0
    assert d.data is not None
    import struct

    width, height = struct.unpack(">II", d.data[16:24])
    # 30 in at 150 dpi is 4,500 px: the taller side meets the poster's
    assert max(width, height) >= 4_000 and width <= 6_001 and height <= 4_501


def test_a_size_that_cannot_hold_the_drawing_is_refused(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    """Issue 25: --fit 1x1px wrote a 607x1244 PNG while warning it shrank to 0%. A fit
    whose text would print under 2 pt is refused: one line, exit 2, no file."""
    out = tmp_path / "r18.png"
    res = run_cli(capsys, "diagram", "resnet18", "--device", "meta", "--fit", "1x1px",
                  "-o", str(out))
    assert res.code == 2 and res.err.count("\n") == 1
    assert res.err.startswith("resnet-inspect: error: --fit 1x1px: too small to hold")
    assert "give at least" in res.err and not out.exists()
    assert list(tmp_path.iterdir()) == []
