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


# ----------------------------------------------------------------- Figure 3 on one A4 page


def _figure_3() -> list[Report]:
    return [_report("vgg19"), _report("resnet34", plain=True), _report("resnet34")]


def test_figure_3_fits_one_a4_portrait_page_at_6_pt() -> None:
    """The ResNet paper's Figure 3 (VGG-19 | plain-34 | ResNet-34, every layer, folded) on
    one A4 page, portrait (7.09 x 10.51 in printable = 510.5 x 756.7 pt), its smallest text
    printing at 6 pt or more."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import natural_size, smallest_text_pt

    d = make_diagram(_figure_3(), "dot", level="layer", fit="a4", paginate=True)
    assert d.pages == [] and d.warnings == []
    width, height = natural_size(d.source)
    scale = min(7.09 * 72 / width, 10.51 * 72 / height)
    assert smallest_text_pt(d.source) * scale >= 6.0, (width, height)
    assert 'size="7.09,10.51!"' in d.source and "rankdir=TB" in d.source


def _rank_groups(dot: str) -> list[set[str]]:
    return [set(re.findall(r"^\t\t(\w+)$", body, re.M))
            for body in re.findall(r"\{\n\t\trank=same\n(.*?)\t\}", dot, re.S)]


def test_figure_3_sections_start_at_the_same_height_in_every_column() -> None:
    """Each resolution's section begins on one rank in all three columns, as the paper
    draws them side by side: 56×56 with VGG's second max pool (features.9) and the
    ResNets' 3×3 max pool, 28×28 with features.18 and the first conv of layer2.0, 14×14 with
    features.27 and layer3.0, 7×7 with features.36 and layer4.0."""
    from resnet_inspect.render.diagram import make_diagram

    dot = make_diagram(_figure_3(), "dot", level="layer", fit="a4").source
    groups = _rank_groups(dot)
    for vgg, resnet in [("features_9", "maxpool"), ("features_18", "layer2_0_conv1"),
                        ("features_27", "layer3_0_conv1"), ("features_36", "layer4_0_conv1")]:
        assert {f"n0_{vgg}", f"n1_{resnet}", f"n2_{resnet}"} in groups, vgg
    assert {"n0_input", "n1_input", "n2_input"} in groups  # the columns start level too
    # and in the laid-out drawing: the three nodes of each group share one y
    from resnet_inspect.render.graphviz_render import render

    svg = render(dot, "svg").decode()
    ys = {m[0]: m[1] for m in re.findall(
        r'<g id="(n\d_\w+)" class="node">.*?<text[^>]*? y="(-?[\d.]+)"', svg, re.S)}
    for vgg, resnet in [("features_9", "maxpool"), ("features_36", "layer4_0_conv1")]:
        assert ys[f"n0_{vgg}"] == ys[f"n1_{resnet}"] == ys[f"n2_{resnet}"]


def test_vgg_is_drawn_in_sections_by_resolution() -> None:
    """VGG-19 (Simonyan & Zisserman 2015, Table 1, configuration E): 2, 2, 4, 4, 4 convs at
    224, 112, 56, 28 and 14 pixels, each section after the first opened by its 2×2 max pool;
    the fifth pool makes 7×7, and the adaptive pool that follows it is named as what it
    is, an adaptive average pool to 7×7, not a global one."""
    from resnet_inspect.render.diagram.sections import by_resolution
    from resnet_inspect.render.diagram.style import layer_text

    report = by_resolution(_report("vgg19"))
    assert report.stages == ["224×224", "112×112", "56×56", "28×28", "14×14", "7×7", "fc"]
    convs = [sum(r.category == "conv" for r in report.layers if r.stage == s)
             for s in report.stages]
    assert convs == [2, 2, 4, 4, 4, 0, 0]
    pool = next(r for r in report.layers if r.name == "avgpool")
    assert pool.stage == "7×7" and layer_text(pool) == "adaptive avg pool, 7×7"
    head = next(r for r in _report("resnet34").layers if r.name == "avgpool")
    assert layer_text(head) == "global avg pool"  # ResNet's pools 7×7 to 1×1
    dot = network_diagram(_report("vgg19"), "layer").source
    assert "cluster_features" not in dot and "cluster_56×56" in dot


# ------------------------------------------------------------ labels that collide with nothing


def test_relu_after_an_addition_is_written_on_the_edge_that_leaves_it() -> None:
    """It sat beside the "+" (an xlabel), where dot put it on the edges coming in; now it is
    the label of the edge out of the "+": ResNet-18 has 8 blocks, each with one ReLU after
    its addition, so 8 edges out of a "+" say ReLU and no "+" carries an xlabel."""
    dot = network_diagram(_report("resnet18"), "layer", expand=True).source
    out_of_adds = [line for line in dot.splitlines()
                   if re.match(r"\t+layer\d_\d_add -> \w+ \[", line) and "weight=10" in line]
    assert len(out_of_adds) == 8
    assert all('label=" ReLU' in line for line in out_of_adds)
    assert "xlabel" not in dot


def test_a_folded_runs_count_stands_level_with_its_first_layer_left_of_it() -> None:
    """"× 3" (and the blocks it stands for) at the top of ResNet-50's conv3_x run, on the
    rank of its first layer and to its left, so neither the edge into the run nor the one
    out of it (at the bottom) crosses it; the run's frame has no label of its own."""
    from resnet_inspect.render.graphviz_render import render

    dot = network_diagram(_report("resnet50"), "layer").source
    assert re.search(r"rank=same\n\t+layer2_1_runs \[label=<× 3<BR/>.*layer2\.1 ….*… layer2\.3",
                     dot)
    assert "layer2_1_runs -> layer2_1_conv1 [style=invis]" in dot
    frame = re.search(r"subgraph cluster_layer2_1_run \{\n\t+(.*)\n", dot)
    assert frame is not None and 'label=""' in frame.group(1)
    svg = render(dot, "svg").decode()

    def centre(node: str) -> tuple[float, float]:
        m = re.search(rf'<g id="{node}" class="node">.*?<text[^>]*? x="(-?[\d.]+)" '
                      rf'y="(-?[\d.]+)"', svg, re.S)
        assert m is not None, node
        return float(m.group(1)), float(m.group(2))

    count_x, count_y = centre("layer2_1_runs")
    first_x, first_y = centre("layer2_1_conv1")
    assert count_x < first_x and abs(count_y - first_y) < 12  # one rank, on its left


def test_every_page_is_drawn_in_one_layout() -> None:
    """ResNet-34 in the paper's style, every layer, on slides: it takes pages, and every
    page is drawn the same way (one direction, one look, the same drawn legend of the two
    line styles ResNet-34 has), where each page once took its own best layout and the
    legend turned from one page to the next."""
    from resnet_inspect.render.diagram import make_diagram

    d = make_diagram(_report("resnet34"), "dot", level="layer", expand=True, fit="slide",
                     style="paper", paginate=True)
    assert len(d.pages) >= 2

    def look(dot: str) -> tuple[object, ...]:
        legend = dot[dot.index("subgraph cluster_legend"):]
        legend = legend[:legend.index("}")]
        return (re.search(r"rankdir=(\w+)", dot)[1],  # type: ignore[index]
                re.search(r"nodesep=([\d.]+)", dot)[1],  # type: ignore[index]
                re.sub(r"legend_\d", "legend_", legend))

    looks = {look(page.source) for page in d.pages}
    assert len(looks) == 1
    assert "projection" in d.pages[0].source and "zero-pad" not in d.pages[0].source


def _title_crossings(svg: str, clusters: str) -> list[str]:
    """The frame titles (clusters whose DOT name matches `clusters`) that an edge runs
    through: each title line's box, from its baseline up 0.75 em and down 0.25 em, its
    width 0.62 em a character (DejaVu Sans' digits and '×' are 0.64, letters less),
    against every edge's Bézier curves sampled at 24 points a piece."""
    texts: list[tuple[str, float, float, float, float]] = []
    for name, body in re.findall(r'<title>(cluster_[^<]*)</title>(.*?)</g>', svg, re.S):
        if not re.fullmatch(clusters, name):
            continue
        for x, y, size, text in re.findall(
                r'<text text-anchor="start" x="([-\d.]+)" y="([-\d.]+)"[^>]*font-size="([\d.]+)"'
                r"[^>]*>([^<]+)</text>", body):
            x0, base, em = float(x), float(y), float(size)
            texts.append((text, x0, x0 + 0.62 * em * len(text.strip()), base - 0.75 * em,
                          base + 0.25 * em))
    crossed = []
    for d in re.findall(r'class="edge">.*?<path[^>]* d="([^"]+)"', svg, re.S):
        nums = [float(v) for v in re.findall(r"[-\d.]+", d)]
        pts = list(zip(nums[::2], nums[1::2], strict=True))
        for i in range(0, len(pts) - 3, 3):
            (ax, ay), (bx, by), (cx, cy), (dx, dy) = pts[i:i + 4]
            for k in range(25):
                t = k / 24
                u = 1 - t
                px = u**3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t**3 * dx
                py = u**3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t**3 * dy
                crossed += [text for text, left, right, top, bottom in texts
                            if left <= px <= right and top <= py <= bottom]
    return sorted(set(crossed))


def test_no_edge_runs_through_a_stage_frames_title() -> None:
    """Issue 20's review, seen in rsvg-convert and chromium PNGs: the main path's edge,
    entering a stage's frame from above, ran through its centred title ('RF 43 px,
    stride 4', 'conv3_x · 128×28×28'), and Figure 3's dashed projections crossed it. The
    titles are now short lines flush left. (VGG-19's column: the next test.)"""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.graphviz_render import render

    for name, level in (("resnet18", "block"), ("resnet50", "layer")):
        svg = render(make_diagram(_report(name), "dot", level=level).source, "svg").decode()
        assert _title_crossings(svg, r"cluster_.*") == [], name
    figure = make_diagram(_figure_3(), "dot", level="layer", fit="a4", paginate=True)
    svg = render(figure.source, "svg").decode()
    # plain-34 (n1) and ResNet-34 (n2); before, 'conv2_x · 64×56×56' ... and
    # 'output · 1000' in both were crossed
    assert _title_crossings(svg, r"cluster_n[12]_.*") == []


def test_no_edge_runs_through_a_vgg_section_title() -> None:
    """Figure 3's VGG-19 column: its sections are only as wide as a layer's box, so even a
    flush-left title reached the path down the middle ('128×112×112', '256×56×56',
    '512×28×28', '512×14×14', 'output' and '1000' were crossed). An invisible box beside
    each section's first layer now makes room left of the path, as wide as the title."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.graphviz_render import render

    figure = make_diagram(_figure_3(), "dot", level="layer", fit="a4", paginate=True)
    svg = render(figure.source, "svg").decode()
    titles = re.findall(r"<title>(cluster_n0_[^<]*)</title>", svg)
    # every section drawn, the head too: the check sees all of VGG-19's titles
    assert titles == [f"cluster_n0_{s}" for s in
                      ("224×224", "112×112", "56×56", "28×28", "14×14", "7×7", "fc")]
    assert _title_crossings(svg, r"cluster_n0_.*") == []
    # the same for VGG-19 on its own page
    alone = render(make_diagram(_report("vgg19"), "dot", level="layer", fit="a4").source,
                   "svg").decode()
    assert _title_crossings(alone, r"cluster_.*") == []
