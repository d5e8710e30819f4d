"""Diagrams right for every variant (issue 11): titles, captions, ResNet-D's shortcut, the
stage level's honest legend and count grammar."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from resnet_inspect import inspect, resolve_spec
from resnet_inspect.cli.diagram import block_report
from resnet_inspect.render.diagram import block_diagram, network_diagram, shortcut_edges
from resnet_inspect.report import Report
from resnet_inspect.spec import BlockKind
from resnet_inspect.titles import title
from tests.cli_helpers import run_cli


@cache
def _report(name: str) -> Report:
    return inspect(resolve_spec(name), device="meta")


@pytest.mark.parametrize(("name", "expected"), [
    # He et al. 2015 ("ResNet-50"), He et al. 2018 Bag of Tricks Table 5 ("ResNet-50-D"),
    # He et al. 2016 Identity Mappings Table 3 ("ResNet-164" with pre-activation),
    # Zagoruyko & Komodakis 2016 ("WRN-28-10"), Xie et al. 2017 ("ResNeXt-50 (32x4d)").
    ("resnet50", "ResNet-50"),
    ("resnet50d", "ResNet-50-D"),
    ("resnet18c", "ResNet-18-C"),
    ("preact_resnet164", "Pre-activation ResNet-164"),
    ("wrn28_10", "WRN-28-10"),
    ("wide_resnet50_2", "Wide ResNet-50-2"),
    ("resnext50_32x4d", "ResNeXt-50 (32x4d)"),
    ("vgg19", "VGG-19"),
    ("vgg16_bn", "VGG-16 (batch-norm)"),
    ("resnet34-plain", "34-layer plain"),  # the paper's Figure 3 wording
    ("my_net", "my_net"),  # unknown names are never renamed
])
def test_titles_as_the_papers_write_them(name: str, expected: str) -> None:
    assert title(name) == expected


def test_network_diagram_title_is_the_human_title() -> None:
    dot = network_diagram(_report("wrn28_10"), "stage").source
    assert "label=<WRN-28-10<BR/>" in dot
    assert "wrn28_10<BR/>" not in dot


def _caption(dot: str) -> str:
    found = re.search(r"channels \(([^)]*)\)", dot)
    assert found, dot[:400]
    return found.group(1).replace("&#x27;", "'")


@pytest.mark.parametrize(("kind", "channels", "stride", "claims"), [
    # He et al. 2015, Figure 5: basic block at 64-d, bottleneck at 256-d, identity shortcuts.
    (BlockKind.BASIC, 64, 1, "the ResNet paper's Figure 5, left"),
    (BlockKind.BOTTLENECK, 256, 1, "the ResNet paper's Figure 5, right"),
    (BlockKind.BASIC, 256, 1, None),
    (BlockKind.BASIC, (64, 128), 2, None),
    (BlockKind.BOTTLENECK, (256, 512), 2, None),
    (BlockKind.BOTTLENECK, 512, 1, None),
])
def test_figure5_is_claimed_only_for_the_papers_configuration(
        kind: BlockKind, channels: int | tuple[int, int], stride: int,
        claims: str | None) -> None:
    dot = block_diagram(block_report(kind, channels=channels, stride=stride,
                                     device="meta")).source
    caption = _caption(dot)
    if claims is not None:
        assert caption == claims
    else:
        assert caption.startswith("the form of the ResNet paper's Figure 5")
        paper = 64 if kind is BlockKind.BASIC else 256
        assert f"draws it at {paper} channels, stride 1" in caption


@pytest.mark.parametrize(("kind", "first_conv"), [
    ("basic", "3×3 conv, 64 → 64"),  # Figure 5 left: 64-d
    ("bottleneck", "1×1 conv, 256 → 64"),  # Figure 5 right: 256-d
])
def test_cli_block_defaults_to_the_papers_channels(capsys: pytest.CaptureFixture[str],
                                                   kind: str, first_conv: str) -> None:
    res = run_cli(capsys, "diagram", "block", kind, "--device", "meta")
    assert res.code == 0, res.err
    assert first_conv in res.out
    assert "Figure 5" in res.out and "the form of" not in res.out


def test_resnet_d_shortcut_is_avg_pool_then_conv_then_bn() -> None:
    # Bag of Tricks (He et al. 2018), Figure 2c: ResNet-D's downsampling shortcut is a 2x2
    # average pool (stride 2), then a 1x1 conv to the new width, then batch-norm.
    report = _report("resnet50d")
    layer = network_diagram(report, "layer", expand=True).source
    assert re.search(r'layer2_0_shortcut \[label=<2×2 avg pool, /2>', layer)
    assert re.search(r'layer2_0_shortcut_1 \[label=<1×1 conv, 512<BR/>.*BN', layer)
    assert "layer2_0_shortcut -> layer2_0_shortcut_1" in layer
    assert "layer2_0_shortcut_1 -> layer2_0_add" in layer
    block = network_diagram(report, "block", expand=True).source
    assert 'label=" 2×2 avg pool, /2 → 1×1 conv, 512"' in block
    # still one counted shortcut per block: 4 projections (one per stage), 12 identities
    for dot in (layer, block):
        kinds = [b.shortcut for b in report.blocks]
        assert shortcut_edges(dot) == {"solid": kinds.count("identity"),
                                       "dashed": kinds.count("projection"), "dotted": 0}
        assert (kinds.count("identity"), kinds.count("projection")) == (12, 4)


def test_stage_level_claims_no_line_styles_it_does_not_draw() -> None:
    dot = network_diagram(_report("resnet50"), "stage").source
    assert "solid shortcut" not in dot and "dashed" not in dot
    assert "shortcuts are inside each stage node" in dot
    # ResNet-50's conv2_x: 3 blocks, the first with a projection (64 -> 256 channels)
    assert "1 projection shortcut, 2 identity shortcuts" in dot


def test_stage_level_count_grammar_for_one_block_stages() -> None:
    dot = network_diagram(inspect(resolve_spec("resnet50").with_changes(
        stages=tuple(s.__class__(blocks=1 if i == 3 else s.blocks, width=s.width,
                                 stride=s.stride)
                     for i, s in enumerate(resolve_spec("resnet50").stages))),  # type: ignore[union-attr]
        device="meta"), "stage").source
    assert re.search(r"1 projection shortcut</FONT>", dot)  # conv5_x: one block, no 's'
    assert "shortcuts</FONT>" in dot  # conv2_x..conv4_x still plural


# --- folding repeated blocks (issue 11, item 1) --------------------------------------------


def _folded_expectation(report: Report) -> dict[str, int]:
    """Shortcut edges a folded diagram must draw, from report.blocks: per stage, the first
    block, then one edge per run of consecutive blocks with the same shortcut kind (the
    ResNets here repeat identical blocks after the first, so each run is one fold)."""
    style = {"identity": "solid", "projection": "dashed", "zero-pad": "dotted"}
    counts = {"solid": 0, "dashed": 0, "dotted": 0}
    for stage in dict.fromkeys(b.stage for b in report.blocks):
        kinds = [b.shortcut for b in report.blocks if b.stage == stage]
        drawn = kinds if len(kinds) < 3 else [kinds[0]] + [
            k for i, k in enumerate(kinds[1:], 1) if i == 1 or kinds[i - 1] != k]
        for k in drawn:
            if k in style:
                counts[style[k]] += 1
    return counts


@pytest.mark.parametrize("name", ["resnet152", "resnet50d", "resnet110", "resnet18",
                                  "preact_resnet164", "resnext50_32x4d"])
@pytest.mark.parametrize("level", ["block", "layer"])
def test_shortcut_edges_folded_and_expanded(name: str, level: str) -> None:
    report = _report(name)
    kinds = [b.shortcut for b in report.blocks]
    expanded = network_diagram(report, level, expand=True).source
    assert shortcut_edges(expanded) == {"solid": kinds.count("identity"),
                                        "dashed": kinds.count("projection"),
                                        "dotted": kinds.count("zero-pad")}
    folded = network_diagram(report, level).source
    assert shortcut_edges(folded) == _folded_expectation(report)


def test_resnet152_folds_to_one_block_per_run() -> None:
    # He et al. 2015, Table 1: ResNet-152 is [3, 8, 36, 3] bottleneck blocks
    dot = network_diagram(_report("resnet152"), "block").source
    marks = re.findall(r"× (\d+)<BR/>.*?identical blocks.*?(layer\d\.\d+) … (layer\d\.\d+)", dot)
    assert marks == [("2", "layer1.1", "layer1.2"), ("7", "layer2.1", "layer2.7"),
                     ("35", "layer3.1", "layer3.35"), ("2", "layer4.1", "layer4.2")]
    assert dot.count("-> layer3_") + dot.count("-> layer3.") < 10  # not 36 blocks drawn
    assert "layer3_35" not in dot and "layer3_1 " in dot


def test_folding_is_checked_not_assumed() -> None:
    from resnet_inspect.render.diagram_fold import runs

    class B:
        def __init__(self, name: str, params: int) -> None:
            self.name, self.kind, self.shortcut = name, "basic", "identity"
            rec = type("R", (), dict(name=f"{name}.conv1", type="Conv2d", category="conv",
                                     input_shape=[1, 64, 8, 8], output_shape=[1, 64, 8, 8],
                                     params=params, kernel="3x3", stride=1, groups=1,
                                     shortcut=False))
            self.records = [rec]

    blocks = [B("s.0", 1), B("s.1", 5), B("s.2", 5), B("s.3", 6), B("s.4", 5)]
    got = [(r.first.name, r.count) for r in runs(blocks)]
    assert got == [("s.0", 1), ("s.1", 2), ("s.3", 1), ("s.4", 1)]  # s.3 differs: kept
    assert [r.count for r in runs(blocks, expand=True)] == [1] * 5


def test_cli_expand_draws_every_block(capsys: pytest.CaptureFixture[str]) -> None:
    folded = run_cli(capsys, "diagram", "resnet50", "--device", "meta")
    expanded = run_cli(capsys, "diagram", "resnet50", "--device", "meta", "--expand")
    assert folded.code == expanded.code == 0
    # ResNet-50: [3, 4, 6, 3] blocks, 4 projections (He et al. 2015, Table 1)
    assert shortcut_edges(expanded.out) == {"solid": 12, "dashed": 4, "dotted": 0}
    assert shortcut_edges(folded.out) == {"solid": 4, "dashed": 4, "dotted": 0}
    assert "identical blocks" in folded.out and "identical blocks" not in expanded.out


# --- direction, size warnings, params on every conv ------------------------------------


def test_direction_lr_is_a_graph_attribute_and_tb_the_default() -> None:
    report = _report("resnet50")
    assert "rankdir=LR" in network_diagram(report, "stage", direction="LR").source
    assert "rankdir=TB" in network_diagram(report, "stage").source
    with pytest.raises(Exception, match="use TB or LR"):
        network_diagram(report, "stage", direction="BT")


def test_lr_stage_diagram_renders_wide_not_tall() -> None:
    # rendered with whichever renderer a plain install has (graphviz-pure, a dependency)
    from resnet_inspect.render import graphviz_render

    png = graphviz_render.render(
        network_diagram(_report("resnet50"), "stage", direction="LR").source, "png")
    size = graphviz_render.image_size(png, "png")
    assert size is not None
    w, h = size
    assert w > 4 * h  # one row of seven nodes: a slide's shape, not a column
    assert graphviz_render.size_warning(size) is None


def test_size_warning_for_an_unreadable_render(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    out = tmp_path / "r1202.svg"
    res = run_cli(capsys, "diagram", "resnet1202", "--expand", "--device", "meta",
                  "-o", str(out))
    assert res.code == 0
    assert res.err.count("\n") == 1 and res.err.startswith("resnet-inspect: warning: ")
    assert "over 10,000 px on a side" in res.err and "drop --expand" in res.err
    folded = run_cli(capsys, "diagram", "resnet1202", "--device", "meta", "-o", str(out))
    assert folded.code == 0 and folded.err == ""  # folded, it fits: no warning


def test_layer_level_shows_params_on_every_conv() -> None:
    dot = network_diagram(_report("resnet18"), "layer", expand=True).source
    convs = re.findall(r'\[label=<(\d)×\d conv, \d+[^>]*?>(.*?)\]', dot)
    labels = [line for line in dot.splitlines() if re.search(r"label=<\d×\d conv", line)]
    # ResNet-18: conv1 + 16 block convs + 3 projection convs = 20 (He et al. 2015, Table 1)
    assert len(labels) == 20 and convs
    assert all(" params<" in line or " params</FONT>" in line for line in labels)
    # layer1.0.conv1: 3x3x64x64 = 36,864 weights + BN 128
    assert "36,992 params" in dot


def test_svg_nodes_have_stable_ids_and_tooltips() -> None:
    from resnet_inspect.render import graphviz_render

    dot = network_diagram(_report("resnet50"), "layer").source
    svg = graphviz_render.render(dot, "svg").decode("utf-8")
    ids = re.findall(r'<g id="([^"]+)" class="node">', svg)
    assert ids[:3] == ["input", "conv1", "maxpool"]
    assert not [i for i in ids if re.fullmatch(r"node\d+", i)]  # no renderer-numbered ids
    assert ids == re.findall(r'<g id="([^"]+)" class="node">',
                             graphviz_render.render(dot, "svg").decode("utf-8"))
    # layer1.0.downsample.0: 1x1 conv 64 -> 256 at 56x56: 64*256 + BN 512 = 16,896 params,
    # 64*256*56*56 = 51,380,224 MACs
    assert ("layer1.0.downsample.0: 64×56×56 &#45;&gt; 256×56×56 · 16,896 params · "
            "51.38 M MACs") in svg
    # pooling has no multiply-adds: no MACs claimed, and no "0 MACs"
    assert 'xlink:title="maxpool: 64×112×112 &#45;&gt; 64×56×56 · 0 params"' in svg
