"""--style paper: what the ResNet paper draws, and a drawn legend of the shortcut lines."""

from __future__ import annotations

import re

import pytest

from resnet_inspect import inspect, resolve_spec
from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.render.diagram import LEGEND, make_diagram, shortcut_edges
from resnet_inspect.spec.arch import BlockKind
from tests.cli_helpers import run_cli


def test_paper_bottleneck_is_figure_5_right() -> None:
    # the paper's Figure 5 (right): 1x1, 64 -> relu -> 3x3, 64 -> relu -> 1x1, 256, the
    # identity shortcut into the addition, relu; no batch-norm box, no parameter counts
    report = block_report(BlockKind.BOTTLENECK)
    dot = make_diagram(report, block=True, style="paper").source
    labels = [line for line in dot.splitlines() if "label=" in line and "->" not in line]
    convs = [line for line in labels if "1x1" in line or "3x3" in line]
    assert [c.split('POINT-SIZE="15">')[1].split("<")[0] for c in convs] == [
        "1x1, 64", "3x3, 64", "1x1, 256"]
    drawn = re.sub(r'tooltip="[^"]*"', "", dot)
    assert "params" not in drawn and "BN" not in drawn and "MACs" not in drawn
    assert dot.count('label=" relu"') == 3  # after each of the first two convs, after the add
    # the legend: one line per shortcut kind the drawing has; this block has only identity
    legend = [line for line in dot.splitlines() if "legend_" in line and "->" in line]
    assert [("dashed" in e, "dotted" in e) for e in legend] == [(False, False)]
    assert [kind for kind, _ in LEGEND] == ["identity", "projection", "zero-pad"]


@pytest.mark.parametrize(("name", "styles"), [
    ("resnet34", [(False, False), (True, False)]),  # identity and projection (option B)
    ("resnet20", [(False, False), (False, True)]),  # CIFAR option A: identity and zero-pad
])
def test_paper_legend_shows_only_the_line_styles_drawn(name: str,
                                                       styles: list[tuple[bool, bool]]) -> None:
    dot = make_diagram(inspect(name, device="meta"), style="paper").source
    legend = [line for line in dot.splitlines() if "legend_" in line and "->" in line]
    assert [("dashed" in e, "dotted" in e) for e in legend] == styles
    plain = make_diagram(inspect(resolve_spec("resnet18").with_changes(plain=True),
                                 device="meta"), style="paper").source
    assert "legend_" not in plain  # no shortcut drawn, no legend of shortcut lines


@pytest.mark.parametrize(("name", "blocks", "projections"), [("resnet34", 16, 3),
                                                             ("resnet50", 16, 4)])
def test_paper_style_keeps_every_shortcut(name: str, blocks: int, projections: int) -> None:
    report = inspect(name)
    for expand in (False, True):
        default = make_diagram(report, expand=expand).source
        paper = make_diagram(report, expand=expand, style="paper").source
        # the legend's lines are not shortcuts: the counts are the network's own
        assert shortcut_edges(paper) == shortcut_edges(default)
        # nothing drawn counts parameters (hover tooltips in SVG still give them)
        assert "params" not in re.sub(r'tooltip="[^"]*"', "", paper)
    expanded = shortcut_edges(make_diagram(report, expand=True, style="paper").source)
    assert expanded["dashed"] == projections
    assert expanded["solid"] == blocks - projections


def test_cli_style_paper(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fig5.dot"
    r = run_cli(capsys, "diagram", "block", "bottleneck", "--style", "paper", "-o", str(out))
    assert r.code == 0, r.err
    assert "legend_" in out.read_text()
    r = run_cli(capsys, "diagram", "resnet18", "--style", "poster")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
