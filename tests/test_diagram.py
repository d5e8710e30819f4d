"""Diagrams: DOT built from Reports, shortcut counts against the architecture, rendering with
and without the system Graphviz, and the `diagram` command's errors.

Rendered images are checked for what they are (SVG parses as XML, PNG has PNG's magic
bytes), never compared against stored pictures; the DOT text is the golden.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from resnet_inspect import inspect, resolve_spec
from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.render import graphviz_render
from resnet_inspect.render.diagram import (
    block_diagram,
    network_diagram,
    shortcut_edges,
    side_by_side,
)
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import BlockKind
from tests.cli_helpers import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parent.parent


@cache
def _report(name: str, plain: bool = False) -> Report:
    spec = resolve_spec(name)
    return inspect(spec.with_changes(plain=True) if plain else spec, device="meta")


@cache
def _block(kind: BlockKind, stride: int = 1, channels: int | tuple[int, int] = 256) -> Report:
    return block_report(kind, stride=stride, channels=channels, device="meta")


def _edges(dot: str) -> list[str]:
    return [line for line in dot.splitlines() if "->" in line]


# ------------------------------------------------------------------------ block diagrams


def test_bottleneck_nodes_carry_the_papers_counts() -> None:
    dot = block_diagram(_block(BlockKind.BOTTLENECK)).source
    # ResNet paper, Figure 5 (right) and the seed material (000_*.txt):
    # 1x1x256x64 = 16,384; 3x3x64x64 = 36,864; 1x1x64x256 = 16,384; sum 69,632.
    assert "1×1×256×64 = 16,384 params" in dot
    assert "3×3×64×64 = 36,864 params" in dot
    assert "1×1×64×256 = 16,384 params" in dot
    # BN: 2 x (64 + 64 + 256) = 768 parameters; 69,632 + 768 = 70,400.
    assert "total 70,400 params = 69,632 conv weights + 768 batch-norm" in dot
    assert "256 → 64 → 64 → 256 channels" in dot


def test_basic_block_nodes_carry_the_papers_counts() -> None:
    dot = block_diagram(_block(BlockKind.BASIC)).source
    # Seed material: 3x3x256x256 = 589,824 per conv, x 2 = 1,179,648.
    assert dot.count("3×3×256×256 = 589,824 params") == 2
    assert "1,179,648 conv weights" in dot


def test_block_diagram_places_bn_and_relu_as_the_paper() -> None:
    """Post-activation: conv-BN-ReLU, conv-BN, then the addition, then ReLU (Figure 2)."""
    dot = block_diagram(_block(BlockKind.BASIC)).source
    chain = [re.match(r"\s*(\w+) -> (\w+)", e).groups() for e in _edges(dot)
             if "shortcut" not in e]
    assert chain == [("input", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"),
                     ("relu1", "conv2"), ("conv2", "bn2"), ("bn2", "add"),
                     ("add", "after_relu"), ("after_relu", "output")]
    # one identity shortcut, solid, from the input straight into the addition
    shortcut = [e for e in _edges(dot) if "shortcut" in e]
    assert len(shortcut) == 1 and shortcut[0].strip().startswith("input -> add")
    assert "style=solid" in shortcut[0]


def test_downsampling_block_draws_a_dashed_projection() -> None:
    # The seed's paddle.summary of BasicBlock(64, 128, stride 2) (004_*.txt) prints 230,912,
    # counting BN running mean and variance as parameters: 3 BNs x 128 channels x 2 = 768.
    # Parameters as torchvision counts them: 230,912 - 768 = 230,144.
    dot = block_diagram(_block(BlockKind.BASIC, stride=2, channels=(64, 128))).source
    assert "total 230,144 params" in dot
    assert "1×1×64×128 = 8,192 params" in dot
    assert shortcut_edges(dot) == {"solid": 0, "dashed": 1, "dotted": 0}
    legs = [e for e in _edges(dot) if "shortcut" in e]
    assert len(legs) == 3 and all("style=dashed" in e for e in legs)  # in -> conv -> BN -> +


# ---------------------------------------------------------------------- network diagrams


# ResNet paper, Table 1 and section 3.3 (option B): a projection wherever the shape
# changes -- the first block of conv3_x, conv4_x, conv5_x, and for bottleneck networks also
# the first block of conv2_x, which widens 64 -> 256. Blocks per network: 8, 16, 16, 33, 50.
SHORTCUTS = [
    ("resnet18", 8, 3),
    ("resnet34", 16, 3),
    ("resnet50", 16, 4),
    ("resnet101", 33, 4),
    ("resnet152", 50, 4),
]


@pytest.mark.parametrize(("name", "blocks", "projections"), SHORTCUTS)
@pytest.mark.parametrize("level", ["block", "layer"])
def test_shortcut_edges_match_the_architecture(name: str, blocks: int, projections: int,
                                               level: str) -> None:
    report = _report(name)
    kinds = [b.shortcut for b in report.blocks]
    assert len(kinds) == blocks
    assert kinds.count("projection") == projections
    dot = network_diagram(report, level, expand=True).source
    assert shortcut_edges(dot) == {
        "solid": kinds.count("identity"),
        "dashed": kinds.count("projection"),
        "dotted": 0,
    }
    # Independently of the helper: dashed edges in the DOT are shortcut edges only, one per
    # projection at block level, two (into and out of the 1x1 conv node) at layer level.
    dashed = [e for e in _edges(dot) if "style=dashed" in e]
    assert len(dashed) == projections * (1 if level == "block" else 2)
    assert all("id=shortcut_" in e for e in dashed)


def _stages(report: Report) -> dict[str, list[str]]:
    """Each stage's shortcut kinds, in block order, from report.blocks."""
    stages: dict[str, list[str]] = {}
    for b in report.blocks:
        stages.setdefault(b.stage, []).append(b.shortcut)
    return stages


@pytest.mark.parametrize(("name", "blocks", "projections"), SHORTCUTS)
@pytest.mark.parametrize("level", ["block", "layer"])
def test_folded_diagram_draws_first_block_and_one_of_the_rest(name: str, blocks: int,
                                                              projections: int,
                                                              level: str) -> None:
    """Folded (the default): per stage, its first block with its own shortcut, then one
    identity block standing for the other n-1 (every torchvision ResNet stage repeats
    one block), marked "× (n-1)"."""
    report = _report(name)
    stages = _stages(report)
    dot = network_diagram(report, level).source
    # ResNet-34, Table 1: [3, 4, 6, 3] -> 2 blocks drawn per stage; conv2_x opens with an
    # identity, conv3_x..conv5_x with a projection: 5 solid, 3 dashed.
    assert shortcut_edges(dot) == {
        "solid": sum(kinds[0] == "identity" for kinds in stages.values())
        + sum(len(kinds) > 1 for kinds in stages.values()),
        "dashed": projections,
        "dotted": 0,
    }
    marks = [int(n) for n in re.findall(r"× (\d+)<", dot)]
    assert sorted(marks) == sorted(len(kinds) - 1 for kinds in stages.values()
                                   if len(kinds) > 2)
    drawn = sum(shortcut_edges(dot).values())
    assert drawn - len(marks) + sum(marks) == blocks  # every block drawn or counted


def test_fold_only_identical_blocks() -> None:
    """A block that differs (here one whose conv has other params) is never folded."""
    from dataclasses import replace

    from resnet_inspect.render.diagram.grouping import fold_runs
    from resnet_inspect.render.diagram.grouping import regroup as _units

    report = _report("resnet50")
    blocks = [u for u in _units(report) if not isinstance(u, type(report.layers[0]))
              and u.stage == "conv4_x"]
    assert [len(r) for r in fold_runs(blocks)] == [1, 5]  # Table 1: conv4_x is 6 blocks
    changed = blocks[3]
    changed.main[0] = replace(changed.main[0], params=changed.main[0].params + 1)
    assert [len(r) for r in fold_runs(blocks)] == [1, 2, 1, 2]


def test_resnet152_layer_level_fits_2500_px() -> None:
    """Folded, ResNet-152 at layer level fits 2,500 px of height at the default 150 dpi
    (unfolded it was 619x27598 px), and 3,200 px of width: four stage columns, each with
    its run's "× n" and span beside its first layer (about 80 pt a column)."""
    import struct

    png = graphviz_render.render(network_diagram(_report("resnet152"), "layer").source, "png")
    width, height = struct.unpack(">II", png[16:24])
    assert height <= 2500 and width <= 3200, (width, height)


def test_projection_of_resnet50_conv2_x_widens_64_to_256() -> None:
    dot = network_diagram(_report("resnet50"), "block").source
    edge = next(e for e in _edges(dot) if "id=shortcut_layer1_0" in e)
    assert "style=dashed" in edge and "1×1 conv, 256" in edge


def test_stage_level_collapses_blocks() -> None:
    dot = network_diagram(_report("resnet101"), "stage").source
    # ResNet paper, Table 1: ResNet-101's conv4_x is 23 bottleneck blocks.
    assert "× 23 bottleneck blocks" in dot
    assert "× 3 bottleneck blocks" in dot and "× 4 bottleneck blocks" in dot
    assert "1 projection shortcut, 22 identity shortcuts" in dot
    assert "solid shortcut" not in dot  # no legend for edges the stage level does not draw
    # torchvision's model table: ResNet-101 has 44,549,160 parameters, 7.80 GFLOPS (MACs).
    assert "44,549,160 params · 7.80 G MACs" in dot
    assert "shortcut_" not in dot  # no per-block edges when blocks are collapsed


def test_plain_network_has_no_shortcuts() -> None:
    for level in ("block", "layer"):
        dot = network_diagram(_report("resnet34", plain=True), level).source
        assert shortcut_edges(dot) == {"solid": 0, "dashed": 0, "dotted": 0}
        assert '"+"' not in dot and "add" not in dot
        assert "plain-34" in dot


def test_side_by_side_plain_and_residual() -> None:
    dot = side_by_side([_report("resnet34", plain=True), _report("resnet34")], "layer").source
    assert "plain-34 vs ResNet-34" in dot
    assert "cluster_net0" in dot and "cluster_net1" in dot
    # Folded: two blocks drawn per stage, [3, 4, 6, 3] -> 5 identity, 3 projection.
    assert shortcut_edges(dot) == {"solid": 5, "dashed": 3, "dotted": 0}
    expanded = side_by_side([_report("resnet34", plain=True), _report("resnet34")], "layer",
                            expand=True).source
    assert shortcut_edges(expanded) == {"solid": 13, "dashed": 3, "dotted": 0}
    # node ids are prefixed per network, so the two columns never share a node
    assert "n0_layer1_0_conv1" in dot and "n1_layer1_0_conv1" in dot


def test_shapes_on_edges_where_they_change() -> None:
    dot = network_diagram(_report("resnet18"), "block").source
    labels = re.findall(r'label=" ([\d×]+)"', dot)
    # conv1 -> 64x112x112, max pool -> 64x56x56, then each stage's first block halves the
    # size and doubles the width (ResNet paper, Table 1), then global pooling.
    assert labels == ["64×112×112", "64×56×56", "128×28×28", "256×14×14", "512×7×7",
                      "512×1×1"]


def test_cifar_option_a_draws_zero_padding_dotted() -> None:
    # ResNet paper, section 4.2: CIFAR ResNets use option A, zero-padded identity shortcuts
    # where the width doubles (into the 2nd and 3rd of 3 stages); ResNet-20 has 3 x 3 blocks.
    report = _report("resnet20")
    assert [b.shortcut for b in report.blocks].count("zero-pad") == 2
    for level in ("block", "layer"):
        dot = network_diagram(report, level, expand=True).source
        assert shortcut_edges(dot) == {"solid": 7, "dashed": 0, "dotted": 2}
        # folded: conv2_x draws 1 + one for the other 2; conv3_x and conv4_x a zero-pad
        # block and one identity block for the other 2.
        folded = network_diagram(report, level).source
        assert shortcut_edges(folded) == {"solid": 4, "dashed": 0, "dotted": 2}
    assert "dotted: zero-padded identity" in dot


def test_preact_projection_reads_the_preactivated_input() -> None:
    """He et al. 2016 (Identity Mappings): a pre-activation block's projection takes the
    BN-ReLU'd input; an identity shortcut takes x itself."""
    dot = block_diagram(_block(BlockKind.PREACT_BOTTLENECK, stride=2,
                               channels=(256, 512))).source
    legs = [e.split("[")[0].strip() for e in _edges(dot) if "id=shortcut" in e]
    assert legs == ["relu1 -> shortcut_0", "shortcut_0 -> add"]
    chain = [e.split("[")[0].strip() for e in _edges(dot) if "shortcut" not in e]
    assert chain[:3] == ["input -> bn1", "bn1 -> relu1", "relu1 -> conv1"]
    assert "Pre-activation bottleneck block" in dot
    identity = block_diagram(_block(BlockKind.PREACT_BASIC)).source
    assert [e.split("[")[0].strip() for e in _edges(identity) if "id=shortcut" in e] == [
        "input -> add"
    ]


@pytest.mark.parametrize("name", ["resnet50", "preact_resnet18", "resnet20", "vgg16"])
def test_layer_level_draws_every_layer(name: str) -> None:
    """Invariant: at layer level every conv, fc, pool and addition of the report is a node,
    and every batch-norm and activation is written on one (none silently dropped)."""
    report = _report(name)
    dot = network_diagram(report, "layer", expand=True).source
    ids = set(re.findall(r"^\s+(\w+) \[label=", dot, flags=re.M))
    kinds = {b.name: b.shortcut for b in report.blocks}
    for r in report.layers:
        node = re.sub(r"[^A-Za-z0-9_]", "_", r.name)
        block = re.sub(r"[^A-Za-z0-9_]", "_", r.block)
        if r.shortcut and kinds[r.block] == "projection":  # its own dashed node
            assert f"{block}_shortcut" in ids, r.name
        elif r.shortcut:  # zero-padding: written on the dotted edge
            edge = next(e for e in _edges(dot) if f"id=shortcut_{block} " in e)
            assert "zero-pad" in edge and "style=dotted" in edge
        elif r.category in ("conv", "linear", "pool", "elementwise"):
            assert node in ids, r.name
    labels = re.findall(r"label=<(.*?)>[\s\]]", dot)  # node labels and xlabels
    labels += re.findall(r'label="([^"]*)"', dot)  # edge labels: the ReLU after each "+"
    folded = sum(lbl.count("BN") + lbl.count("ReLU") for lbl in labels)
    norms_and_acts = [r for r in report.layers if r.category in ("norm", "activation")
                      and not r.shortcut]
    assert folded >= len(norms_and_acts)


def test_network_without_blocks_draws_a_chain() -> None:
    """Classic CNNs have no residual blocks: a plain chain, no shortcut edges, any level."""
    report = _report("vgg16")
    assert report.blocks == []
    for level in ("stage", "block", "layer"):
        dot = network_diagram(report, level).source
        assert shortcut_edges(dot) == {"solid": 0, "dashed": 0, "dotted": 0}
        assert "138,357,544 params" in dot  # torchvision's model table: VGG-16 138,357,544


def test_dot_is_deterministic() -> None:
    a = network_diagram(_report("resnet50"), "layer").source
    b = network_diagram(inspect("resnet50", device="meta"), "layer").source
    assert a == b


def test_diagram_renders_from_report_json_alone() -> None:
    """A diagram needs the Report's data only: one restored from JSON draws the same."""
    report = _report("resnet18")
    again = Report.from_json(report.to_json())
    assert network_diagram(again, "layer").source == network_diagram(report, "layer").source


@pytest.mark.parametrize(
    ("golden_name", "make"),
    [
        ("block_basic.dot",
         lambda: block_diagram(block_report(BlockKind.BASIC, device="meta")).source),
        ("block_bottleneck.dot", lambda: block_diagram(_block(BlockKind.BOTTLENECK)).source),
        ("block_bottleneck_stride2.dot",
         lambda: block_diagram(_block(BlockKind.BOTTLENECK, stride=2, channels=(256, 512))).source),
        ("resnet18_block.dot", lambda: network_diagram(_report("resnet18"), "block").source),
        ("resnet18_layer.dot", lambda: network_diagram(_report("resnet18"), "layer").source),
        ("resnet50_stage.dot", lambda: network_diagram(_report("resnet50"), "stage").source),
        ("resnet50_block_folded.dot",
         lambda: network_diagram(_report("resnet50"), "block").source),
        ("resnet50_layer_folded.dot",
         lambda: network_diagram(_report("resnet50"), "layer").source),
        ("resnet50_layer_expanded.dot",
         lambda: network_diagram(_report("resnet50"), "layer", expand=True).source),
        ("plain18_vs_resnet18.dot",
         lambda: side_by_side([_report("resnet18", plain=True), _report("resnet18")],
                              "block").source),
    ],
)
def test_dot_golden(golden, golden_name: str, make) -> None:  # type: ignore[no-untyped-def]
    golden(f"diagram/{golden_name}", make())


# ----------------------------------------------------------------------------- rendering


def _no_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = graphviz_render.shutil.which
    monkeypatch.setattr(graphviz_render.shutil, "which",
                        lambda cmd, *a, **k: None if cmd == "dot" else real_which(cmd, *a, **k))


def test_svg_parses_as_xml() -> None:
    svg = graphviz_render.render(network_diagram(_report("resnet18"), "block").source, "svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert "shortcut_layer2_0" in ids  # edge ids survive into the SVG


def test_png_has_png_magic_bytes() -> None:
    png = graphviz_render.render(block_diagram(_block(BlockKind.BOTTLENECK)).source, "png")
    assert png.startswith(PNG_MAGIC)


def test_renders_without_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_dot(monkeypatch)
    renderer = graphviz_render.find_renderer()
    assert renderer is not None and renderer.name == "graphviz-pure"
    svg = graphviz_render.render(block_diagram(_block(BlockKind.BASIC)).source, "svg")
    ET.fromstring(svg)
    assert graphviz_render.render("digraph { a -> b }", "png").startswith(PNG_MAGIC)


def test_finds_graphviz_pure_beside_python_when_path_is_empty(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A venv used without activation: its bin/ is not on PATH, the renderer still is found."""
    monkeypatch.setenv("PATH", str(tmp_path))
    beside = Path(sys.executable).parent / "graphviz-pure"
    if not beside.exists():
        pytest.skip("graphviz-pure is not installed beside this Python")
    renderer = graphviz_render.find_renderer()
    assert renderer is not None and renderer.path == str(beside)
    assert graphviz_render.render("digraph { a -> b }", "svg").lstrip().startswith(b"<?xml")


def test_pdf_without_system_dot_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_dot(monkeypatch)
    with pytest.raises(Exception, match="apt-get install graphviz"):
        graphviz_render.render("digraph { a -> b }", "pdf")


def _fake_dot(folder: Path) -> Path:
    """A stand-in `dot` that records its arguments and answers with fixed bytes."""
    script = folder / "dot"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        sys.stdin.read()
        open({str(folder / "args.txt")!r}, "w").write(" ".join(sys.argv[1:]))
        sys.stdout.buffer.write(b"%PDF-1.4 fake")
        """))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_system_dot_is_preferred_and_makes_pdf(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    _fake_dot(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    renderer = graphviz_render.find_renderer()
    assert renderer is not None and renderer.name == "dot"
    assert graphviz_render.render("digraph { a -> b }", "pdf") == b"%PDF-1.4 fake"
    assert (tmp_path / "args.txt").read_text() == "-Tpdf"


def _drawn(svg: bytes) -> list[tuple[str, str]]:
    """What an SVG from Graphviz draws: (node|edge|cluster, its title), sorted."""
    ns = "{http://www.w3.org/2000/svg}"
    return sorted((g.get("class", ""), g.findtext(f"{ns}title", ""))
                  for g in ET.fromstring(svg).iter(f"{ns}g")
                  if g.get("class") in ("node", "edge", "cluster"))


@pytest.mark.skipif(not graphviz_render.shutil.which("dot"), reason="no system Graphviz")
def test_system_dot_renders_the_same_dot() -> None:
    # the system `dot` draws what the DOT source declares, node for node and edge for
    # edge (ResNet-34 at block level: 21 nodes, 28 edges), and the same as graphviz-pure,
    # the renderer a plain pip install uses: the renderer moves pixels, not the picture
    source = network_diagram(_report("resnet34"), "block").source
    drawn = _drawn(graphviz_render.render(source, "svg"))
    nodes = set(re.findall(r"^\s+(\w+) \[", source, re.M)) - {"graph", "node", "edge"}
    edges = [f"{a}->{b}" for a, b in re.findall(r"^\s+(\w+) -> (\w+)", source, re.M)]
    assert (len(nodes), len(edges)) == (21, 28)
    assert {t for kind, t in drawn if kind == "node"} == nodes
    assert sorted(t for kind, t in drawn if kind == "edge") == sorted(edges)
    pure = graphviz_render._pure_path()
    if pure is not None:
        done = subprocess.run([pure, "-Tsvg"], input=source.encode(), capture_output=True,
                              check=True)
        assert _drawn(done.stdout) == drawn


# ----------------------------------------------------------------------------------- CLI


def test_cli_block_to_stdout_is_dot(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "diagram", "block", "bottleneck", "--device", "meta")
    assert res.code == 0, res.err
    assert res.out.startswith("digraph block {")
    assert "3×3×64×64 = 36,864 params" in res.out


def test_cli_network_svg_and_png_files(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    svg, png = tmp_path / "r18.svg", tmp_path / "r18.png"
    res = run_cli(capsys, "diagram", "--depth", "18", "--device", "meta", "-o", str(svg))
    assert res.code == 0, res.err
    ET.parse(svg)
    res = run_cli(capsys, "diagram", "resnet18", "--level", "stage", "--device", "meta",
                  "--output", str(png))
    assert res.code == 0, res.err
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r18.png", "r18.svg"]


def test_cli_beside_plain(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "diagram", "34", "--beside-plain", "--device", "meta",
                  "--format", "dot")
    assert res.code == 0, res.err
    assert shortcut_edges(res.out) == {"solid": 5, "dashed": 3, "dotted": 0}
    res = run_cli(capsys, "diagram", "34", "--beside-plain", "--expand", "--device", "meta",
                  "--format", "dot")
    assert res.code == 0, res.err
    assert shortcut_edges(res.out) == {"solid": 13, "dashed": 3, "dotted": 0}


def test_cli_no_system_dot_renders_png(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_dot(monkeypatch)
    out = tmp_path / "block.png"
    res = run_cli(capsys, "diagram", "block", "basic", "--device", "meta", "-o", str(out))
    assert res.code == 0, res.err
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_cli_pdf_without_dot_keeps_the_gv(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_dot(monkeypatch)
    out = tmp_path / "r18.pdf"
    res = run_cli(capsys, "diagram", "18", "--device", "meta", "-o", str(out))
    assert res.code == 2
    assert res.err.count("\n") == 1 and res.err.startswith("resnet-inspect: error: pdf needs")
    assert "apt-get install graphviz" in res.err and "brew install graphviz" in res.err
    assert not out.exists()
    gv = tmp_path / "r18.gv"
    assert f"the DOT source is in {gv}" in res.err
    assert gv.read_text().startswith("digraph resnet {")


def test_cli_pdf_without_dot_never_overwrites_the_users_gv(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12's data-loss case: `-o mine.pdf` beside the user's own mine.gv."""
    _no_system_dot(monkeypatch)
    mine = tmp_path / "mine.gv"
    mine.write_text("my own notes\n")
    res = run_cli(capsys, "diagram", "18", "--device", "meta", "-o", str(tmp_path / "mine.pdf"))
    assert res.code == 2 and res.err.count("\n") == 1
    assert f"{mine} exists and was left as it is" in res.err
    assert mine.read_text() == "my own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "jpg"], "'jpg' is not one of 'svg', 'png', 'pdf', 'dot'"),
        (["-o", "{tmp}/x.jpg"], "cannot tell the format from .jpg"),
        (["--format", "png", "-o", "{tmp}/x.svg"], "--format png but --output"),
        (["block", "bottlenek"], "unknown block 'bottlenek' (did you mean bottleneck?)"),
        (["block"], "`diagram block` needs a block kind"),
        (["block", "basic", "--width", "32"], "--width is a bottleneck's inner width"),
        (["block", "basic", "--depth", "34"], "architecture flags"),
        (["block", "basic", "--level", "layer"], "--level applies to network diagrams"),
        (["18", "--channels", "64"], "--channels applies to block diagrams only"),
        (["18", "extra"], "unexpected argument 'extra'"),
        (["18", "--plain", "--beside-plain"], "drop --plain"),
        (["vgg16", "--beside-plain"], "--beside-plain needs a residual network"),
        (["-o", "{tmp}/missing/x.svg"], "does not exist"),
        (["-o", "{tmp}"], "is a directory"),
    ],
)
def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                    message: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if argv[:1] != ["block"]:
        named = argv[0].isdigit() or argv[0].startswith("vgg")
        argv = ["diagram", *([] if named else ["18"]), *argv]
    else:
        argv = ["diagram", *argv]
    res = run_cli(capsys, *argv, "--device", "meta")
    assert res.code == 2, (res.code, res.out, res.err)
    assert res.err.startswith("resnet-inspect: error: ") and res.err.count("\n") == 1
    assert message in res.err
    assert list(tmp_path.iterdir()) == [] or args[-1] == "{tmp}"  # nothing written


def test_cli_unwritable_output_leaves_no_file(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory that exists but cannot be written: refused before any work is done.

    Root writes to read-only directories anyway, so the permission check is what is made
    to fail here (on the one folder), rather than relying on chmod.
    """
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    from resnet_inspect.render import output

    real_access = output.os.access
    monkeypatch.setattr(output.os, "access",
                        lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    try:
        res = run_cli(capsys, "diagram", "18", "--device", "meta", "-o", str(locked / "x.svg"))
    finally:
        locked.chmod(0o700)
    assert res.code == 2 and res.err.count("\n") == 1
    assert f"the directory {locked} is not writable; choose another path" in res.err
    assert list(locked.iterdir()) == []


def test_cli_render_failure_leaves_no_partial_file(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """If the renderer dies, the output file is not created (written whole or not at all)."""
    broken = tmp_path / "bin"
    broken.mkdir()
    script = broken / "dot"
    script.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ.get('PATH', '')}")
    out = tmp_path / "r18.svg"
    res = run_cli(capsys, "diagram", "18", "--device", "meta", "-o", str(out))
    assert res.code == 1 and "dot failed to render svg: Error: syntax error" in res.err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bin"]


def test_help_shows_examples_without_importing_torch_or_graphviz() -> None:
    code = textwrap.dedent("""\
        import sys
        from resnet_inspect.cli import main
        try:
            main(["diagram", "--help"])
        except SystemExit:
            pass
        heavy = [m for m in ("torch", "graphviz") if m in sys.modules]
        print("HEAVY", heavy)
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "COLUMNS": "100"}, check=True)
    assert "HEAVY []" in done.stdout
    assert "Examples:" in done.stdout
    assert "diagram block bottleneck" in done.stdout
    assert "block KIND" in done.stdout


# ------------------------------------------------------------------------------- gallery


def test_gallery_script_runs(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "docs"))
    try:
        import make_gallery
    finally:
        sys.path.remove(str(REPO / "docs"))
    written = make_gallery.make_gallery(tmp_path, ("svg",))
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{stem}.svg" for stem in ("block-basic", "block-bottleneck", "block-bottleneck-paper",
                                   "resnet18-blocks",
                                   "resnet34-blocks", "resnet50-blocks", "resnet152-layers",
                                   "resnet50d-layers", "resnet101-stages",
                                   "resnet50-stages-slide", "plain34-vs-resnet34",
                                   "resnet50-blocks-slide", "resnet18-blocks-slide",
                                   "figure3-a4",
                                   "resnet50-slide-1", "resnet50-slide-2",
                                   "user-vit-layers", "user-mobile-blocks")
    )
    for path in written:
        ET.parse(path)


# ------------------------------------------------------------- right for every variant


def test_figure_5_claimed_only_for_the_papers_configuration() -> None:
    """ResNet paper, Figure 5: a basic block at 64-d, a bottleneck at 256-d (1x1 64, 3x3 64,
    1x1 256), neither strided. Any other configuration draws no such caption."""
    from html import unescape

    basic = unescape(block_diagram(block_report(BlockKind.BASIC, device="meta")).source)
    assert "64 → 64 → 64 channels (the ResNet paper's Figure 5, left)" in basic
    bottleneck = unescape(
        block_diagram(block_report(BlockKind.BOTTLENECK, device="meta")).source)
    assert "256 → 64 → 64 → 256 channels (the ResNet paper's Figure 5, right)" in bottleneck
    for report in (_block(BlockKind.BASIC),  # 256 channels: not the figure
                   _block(BlockKind.BOTTLENECK, stride=2, channels=(256, 512)),
                   block_report(BlockKind.BOTTLENECK, channels=512, device="meta")):
        assert "Figure 5" not in block_diagram(report).source


def test_block_mode_takes_stride_on_1x1() -> None:
    """The paper's v1 bottleneck strides its first 1x1 (torchvision's v1.5 the 3x3)."""
    report = block_report(BlockKind.BOTTLENECK, channels=(256, 512), stride=2,
                          stride_on_3x3=False, device="meta")
    dot = block_diagram(report).source
    assert "1×1 conv, 256 → 128, stride 2" in dot and "3×3 conv, 128 → 128<" in dot


def test_cli_block_stride_on(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "diagram", "block", "bottleneck", "--stride", "2", "--channels",
                  "256,512", "--stride-on", "1x1", "--device", "meta")
    assert res.code == 0, res.err
    assert "1×1 conv, 256 → 128, stride 2" in res.out
    res = run_cli(capsys, "diagram", "block", "basic", "--stride-on", "1x1", "--device", "meta")
    assert res.code == 2
    assert res.err.strip().endswith("drop --stride-on or draw a bottleneck")
    res = run_cli(capsys, "diagram", "block", "basic", "--expand", "--device", "meta")
    assert res.code == 2 and "--expand applies to network diagrams" in res.err


@pytest.mark.parametrize(("name", "title"), [
    ("resnet50d", "ResNet-50-D"),
    ("preact_resnet164", "Pre-activation ResNet-164"),
    ("wrn28_10", "WRN-28-10"),
    ("resnext50_32x4d", "ResNeXt-50 (32x4d)"),
    ("vgg19", "VGG-19"),
    ("resnet34", "ResNet-34"),
])
def test_human_titles(name: str, title: str) -> None:
    from resnet_inspect.spec.titles import human_title

    assert human_title(name) == title
    assert f"label=<{title}<BR/>" in network_diagram(_report(name), "stage").source


def test_plain_networks_are_titled_as_the_paper() -> None:
    """'plain34' is registered as resnet34-plain; the paper calls it plain-34 (Figure 3,
    Table 2), and the title must not say plain twice."""
    from resnet_inspect.spec.titles import human_title

    assert human_title("resnet34-plain", plain=True) == "plain-34"
    assert human_title("wrn16_8-plain", plain=True) == "WRN-16-8 (plain)"
    assert "label=<plain-34<BR/>" in network_diagram(_report("plain34"), "stage").source


def test_resnet_d_shortcut_is_avg_pool_then_1x1_conv_and_bn() -> None:
    """Bag of Tricks (He et al. 2018), Figure 2c: ResNet-D's downsampling shortcut is a 2x2
    avg pool (stride 2), then a 1x1 conv (stride 1) and BN; the 1x1 widens 256 -> 512 in
    conv3_x, so it must be drawn."""
    report = _report("resnet50d")
    layer = network_diagram(report, "layer").source
    assert re.search(r"layer2_0_shortcut \[label=<2×2 avg pool, /2", layer)
    assert re.search(r"layer2_0_shortcut1 \[label=<1×1 conv, 512<BR/>.*BN", layer)
    assert "layer2_0_shortcut -> layer2_0_shortcut1" in layer
    block = network_diagram(report, "block").source
    assert "2×2 avg pool, /2 → 1×1 conv, 512" in block


def test_layer_level_shows_params_on_every_conv() -> None:
    report = _report("resnet50")
    dot = network_diagram(report, "layer", expand=True).source
    # Each conv node carries its own weights plus the BN written on it (conv1: 7x7x3x64 =
    # 9,408 + BN 2 x 64 = 9,536), summed here from the report's rows up to the next anchor.
    main = [r for r in report.layers if not r.shortcut]
    for i, r in enumerate(main):
        if r.category != "conv":
            continue
        total = r.params
        for after in main[i + 1:]:
            if after.category not in ("norm", "activation") or after.block != r.block:
                break
            total += after.params
        node = re.sub(r"[^A-Za-z0-9_]", "_", r.name)
        line = next(x for x in dot.splitlines() if x.strip().startswith(node + " ["))
        assert f">{total:,} params<" in line, r.name


def test_addition_is_one_shape_everywhere() -> None:
    dots = [network_diagram(_report("resnet18"), level).source for level in ("block", "layer")]
    dots.append(block_diagram(_block(BlockKind.BASIC)).source)
    for dot in dots:
        adds = [x for x in dot.splitlines() if re.match(r"\s+\w*add \[", x)]
        assert adds and all('shape=circle' in x and 'width=0.' in x for x in adds)


# ------------------------------------------------------------------------- fit and direction


def _png_size(png: bytes) -> tuple[int, int]:
    import struct

    assert png[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize(("fit", "box"), [
    # 16:9 slide 13.33 x 7.5 in, A4 landscape printable 10.51 x 7.09 in, at 150 dpi.
    ("slide", (2000, 1125)),
    ("a4-landscape", (1577, 1064)),
    ("1200x800px", (1200, 800)),
])
def test_fit_png_within_the_medium(fit: str, box: tuple[int, int]) -> None:
    from resnet_inspect.render.diagram import make_diagram

    result = make_diagram(_report("resnet50"), "png", level="stage", direction="LR", fit=fit)
    assert result.data is not None
    width, height = _png_size(result.data)
    assert width <= box[0] + 1 and height <= box[1] + 1, (width, height)
    assert 'size="' in result.source and "rankdir=LR" in result.source


def test_fit_warns_when_text_would_fall_under_the_mediums_smallest() -> None:
    from resnet_inspect.render.diagram import make_diagram

    # ResNet-50 at layer level takes five slides at 10 pt (see the pagination tests)
    result = make_diagram(_report("resnet50"), "dot", level="layer", fit="slide")
    assert result.data is None
    assert len(result.warnings) == 1 and "under 10 pt" in result.warnings[0]
    small = make_diagram(_report("resnet18"), "dot", level="stage", fit="a4")
    assert small.warnings == []  # stage level fits A4 at full size


def test_expanded_deep_network_warns_over_10000_px() -> None:
    from resnet_inspect.render.diagram import fit_source

    # ResNet-110 (CIFAR): 54 blocks at block level, about 11,000 px tall expanded at 150 dpi.
    source = network_diagram(_report("resnet110"), "block", expand=True).source
    _, warnings = fit_source(source, None)
    assert any("over 10,000 px" in w for w in warnings)


def test_cli_fit_and_direction(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "s.png"
    res = run_cli(capsys, "diagram", "50", "--level", "stage", "--direction", "LR", "--fit",
                  "slide", "--device", "meta", "-o", str(out))
    assert res.code == 0, res.err
    width, height = _png_size(out.read_bytes())
    assert width <= 2001 and height <= 1126
    res = run_cli(capsys, "diagram", "50", "--fit", "huge", "--device", "meta")
    assert res.code == 2 and res.err.count("\n") == 1 and "--fit 'huge'" in res.err


def test_svg_nodes_have_stable_ids_and_tooltips() -> None:
    """Each node's SVG group has the DOT node's name as id and a hover text with its shape,
    params and MACs (ResNet-50's conv1 + BN: 9,408 + 128 = 9,536 params, 64×112×112 out)."""
    svg = graphviz_render.render(network_diagram(_report("resnet50"), "layer").source, "svg")
    root = ET.fromstring(svg)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert {"conv1", "layer1_0_conv1", "layer1_0_shortcut", "fc"} <= ids
    titles = [el.get("{http://www.w3.org/1999/xlink}title") for el in root.iter()]
    # conv1 7x7x3x64 at 112x112: 118,013,952 MACs, plus its BN and ReLU rows' own.
    stem = [r for r in _report("resnet50").layers if r.stage == "conv1"]
    assert stem[0].macs == 118_013_952
    from resnet_inspect.report.format import si

    assert f"conv1: 64×112×112 · 9,536 params · {si(sum(r.macs for r in stem))} MACs" in titles


def test_cli_beside_draws_figure_3_in_three_columns(capsys: pytest.CaptureFixture[str]) -> None:
    """The paper's Figure 3: VGG-19 | plain-34 | ResNet-34, each column with its stages'
    output sizes; only the residual column has shortcuts (folded: 5 solid, 3 dashed)."""
    res = run_cli(capsys, "diagram", "vgg19", "--beside", "plain-34,resnet34", "--level",
                  "layer", "--device", "meta", "--format", "dot")
    assert res.code == 0, res.err
    assert "VGG-19 vs plain-34 vs ResNet-34" in res.out
    assert all(f"cluster_net{i}" in res.out for i in range(3))
    assert shortcut_edges(res.out) == {"solid": 5, "dashed": 3, "dotted": 0}
    assert "56×56" in res.out and "7×7" in res.out  # stage output sizes, as Figure 3
    res = run_cli(capsys, "diagram", "18", "--beside", "a,b,c", "--device", "meta")
    assert res.code == 2 and "give one or two networks" in res.err


def test_fit_chooses_the_layout_whose_text_prints_largest() -> None:
    """ResNet-50 by blocks on a 16:9 slide: in one top-to-bottom column its 9 pt text
    prints at under 3 pt; with its stages in columns (the one-slide look) at 10 pt or more.
    Without --direction, --fit measures the layouts and keeps the largest."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import printed_pt

    report = _report("resnet50")
    chosen = make_diagram(report, "dot", level="block", fit="slide")
    one_column = make_diagram(report, "dot", level="block", direction="TB")
    across = make_diagram(report, "dot", level="block", direction="LR")
    size = printed_pt(chosen.source, "slide")
    assert size >= max(printed_pt(one_column.source, "slide"),
                       printed_pt(across.source, "slide"))
    assert printed_pt(one_column.source, "slide") < 3.0 and size >= 10.0
    assert "from conv2_x" in chosen.source  # the stages stand in columns


def test_columns_continue_through_connectors_not_edges_across_the_drawing() -> None:
    """Each column after the first starts at a 'from conv2_x' connector and the one before
    ends at 'to conv3_x': no edge runs from the foot of one column to the top of the next,
    and every shortcut still reaches its addition (ResNet-50: 12 solid, 4 dashed)."""
    report = _report("resnet50")
    dot = network_diagram(report, "layer", expand=True, columns=True).source
    assert "constraint=false" not in dot
    for before, after in (("conv2_x", "conv3_x"), ("conv3_x", "conv4_x"),
                          ("conv4_x", "conv5_x")):
        assert f'{before}_to_{after} [label="to {after}"' in dot
        assert f'{after}_from_{before} [label="from {before}"' in dot
        # the next stage's projection leaves from its own column's connector
    assert "conv3_x_from_conv2_x -> layer2_0_shortcut" in dot
    uses = [b.shortcut for b in report.blocks]
    assert shortcut_edges(dot) == {"solid": uses.count("identity"),
                                   "dashed": uses.count("projection"), "dotted": 0}
    assert (uses.count("identity"), uses.count("projection")) == (12, 4)


def test_block_diagram_layers_have_tooltips() -> None:
    """The single-block figure's SVG tells each layer's shape, params and work on hover
    (the bottleneck at 256 channels: its 3x3 is 3x3x64x64 = 36,864 weights, 115.61 M MACs
    at 56x56; a ReLU does no multiply-accumulates, so its FLOPs are shown)."""
    from resnet_inspect.analysis.block_report import block_report
    from resnet_inspect.render.diagram import block_diagram

    svg = graphviz_render.render(block_diagram(block_report(BlockKind.BOTTLENECK)).source,
                                 "svg")
    titles = {el.get("{http://www.w3.org/1999/xlink}title")
              for el in ET.fromstring(svg).iter()} - {None}
    assert "layer1.0.conv2: 64×56×56 · 36,864 params · 115.61 M MACs" in titles
    assert "layer1.0.relu1: 64×56×56 · 0 params · 200.70 k FLOPs" in titles


def test_fit_splits_a_network_over_pages_that_keep_text_at_10_pt() -> None:
    """ResNet-50 at layer level does not fit one 16:9 slide at 10 pt in any layout; with
    `paginate` its stages go on consecutive pages, each at 10 pt or more, all in one
    layout, joined by connectors, and together the pages draw the one-page drawing's
    shortcuts once."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import printed_pt

    report = _report("resnet50")
    one = make_diagram(report, "dot", level="layer", fit="slide")
    assert one.warnings and "under 10 pt" in one.warnings[0] and not one.pages
    paged = make_diagram(report, "dot", level="layer", fit="slide", paginate=True)
    assert len(paged.pages) >= 2 and "pages" in paged.warnings[0]
    total = {"solid": 0, "dashed": 0, "dotted": 0}
    for i, page in enumerate(paged.pages, start=1):
        assert page.warnings == []
        assert printed_pt(page.source, "slide") >= 10.0
        assert f"ResNet-50 ({i} of {len(paged.pages)})" in page.source
        for style, n in shortcut_edges(page.source).items():
            total[style] += n
    # the same arcs as the one-page drawing: 4 projections, and one identity arc for each
    # folded run (ResNet-50: every stage's first block projects, 3 + 4 + 6 + 3 blocks)
    assert total == shortcut_edges(one.source) == {"solid": 4, "dashed": 4, "dotted": 0}
    first, last = paged.pages[0].source, paged.pages[-1].source
    assert 'label=<input<BR/>' in first and "fc 1000" in last
    # each page ends where the next begins: "to conv3_x" / "from conv2_x" between stages,
    # "to layer1.1" / "from layer1.0" inside one
    for page, after in zip(paged.pages, paged.pages[1:], strict=False):
        to = re.findall(r'label="to ([\w.]+)"', page.source)[-1]
        block = re.fullmatch(r"layer(\d+)\.(\d+)", to)
        came = (f"layer{block[1]}.{int(block[2]) - 1}" if block
                else _previous(report, to))
        assert f'label="from {came}"' in after.source, (to, came)


def _previous(report: Report, stage: str) -> str:
    stages = report.stages
    return stages[stages.index(stage) - 1]


@pytest.mark.slow
def test_cli_writes_pages_next_to_the_output(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    out = tmp_path / "r50.png"
    res = run_cli(capsys, "diagram", "resnet50", "--fit", "slide", "--device", "meta",
                  "--level", "layer", "-o", str(out))
    assert res.code == 0, res.err
    pages = sorted(tmp_path.glob("r50-*.png"))
    assert len(pages) >= 2 and not out.exists()
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in pages)
    assert f"wrote {pages[0]}" in res.err
    res = run_cli(capsys, "diagram", "resnet50", "--fit", "slide", "--device", "meta",
                  "--level", "layer", "--format", "png")
    assert res.code == 2 and res.err.count("\n") == 1 and "give -o FILE.png" in res.err
    res = run_cli(capsys, "diagram", "resnet50", "--fit", "slide", "--device", "meta",
                  "--level", "layer")
    assert res.code == 0 and res.out.count("digraph resnet") == len(pages)


def _nodes(dot: str) -> set[str]:
    """The node ids a DOT source defines, connectors left out."""
    return {m for m in re.findall(r"^\t+(\w+) \[label=", dot, re.M)
            if "_to_" not in m and "_from_" not in m}


def test_a_stage_too_tall_for_a_page_breaks_between_its_blocks() -> None:
    """ResNet-50 at layer level, expanded: conv4_x's six blocks (31 layers) are too tall
    for a slide at 10 pt, so pages break inside stages, between a block and the next
    ("to layer3.2" ... "from layer3.1"). Every page prints at 10 pt or more, and the pages
    draw exactly the one-page drawing's nodes, each once."""
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.render.diagram.measure import printed_pt

    report = _report("resnet50")
    one = make_diagram(report, "dot", level="layer", expand=True, fit="slide")
    paged = make_diagram(report, "dot", level="layer", expand=True, fit="slide",
                         paginate=True)
    assert len(paged.pages) >= 3
    seen: list[str] = []
    for page in paged.pages:
        assert printed_pt(page.source, "slide") >= 10.0
        seen += _nodes(page.source)
    assert len(seen) == len(set(seen)) and set(seen) == _nodes(one.source)
    sources = "\n".join(page.source for page in paged.pages)
    assert re.search(r'label="to layer\d\.\d+"', sources)  # a break inside a stage
    assert re.search(r'label="from layer\d\.\d+"', sources)


def test_a_network_without_blocks_breaks_between_layers() -> None:
    """VGG-19 is one long chain of convs and pools, drawn in sections by resolution: at
    6 pt on A4 it breaks between them (a conv keeping the ReLU written on it), and no
    layer is drawn twice or lost."""
    from resnet_inspect.render.diagram import make_diagram

    report = _report("vgg19")
    one = make_diagram(report, "dot", level="layer", fit="a4")
    paged = make_diagram(report, "dot", level="layer", fit="a4", paginate=True)
    assert len(paged.pages) >= 2 and all(not page.warnings for page in paged.pages)
    seen = [node for page in paged.pages for node in _nodes(page.source)]
    assert len(seen) == len(set(seen)) and set(seen) == _nodes(one.source)
    assert re.search(r'label="to \d+×\d+"', paged.pages[0].source)


def test_figure_3_goes_over_pages_cut_at_the_same_resolution() -> None:
    """VGG-19, plain-34 and ResNet-34 side by side on 13.33x7.5 in pages at 8 pt (a size
    in inches keeps 8 pt; "slide" would keep 10): every page cuts
    the three columns at the same output resolution (the page that shows ResNet-34's
    56x56 blocks shows VGG's 56x56 convs), and the pages draw every node once."""
    from resnet_inspect.render.diagram import make_diagram

    reports = [_report("vgg19"), _report("resnet34", plain=True), _report("resnet34")]
    one = make_diagram(reports, "dot", level="block", fit="13.33x7.5")
    paged = make_diagram(reports, "dot", level="block", fit="13.33x7.5", paginate=True)
    assert len(paged.pages) >= 2 and all(not page.warnings for page in paged.pages)
    seen = [node for page in paged.pages for node in _nodes(page.source)]
    assert len(seen) == len(set(seen)) and set(seen) == _nodes(one.source)
    page = next(p.source for p in paged.pages if "n2_layer1_0 [label" in p.source)
    assert "×56×56" in page and "n0_features_" in page  # VGG's 56x56 layers beside them
    assert "rankdir=LR" not in page  # columns stay left to right, in order
