"""`diagram --model` draws the dataflow graph: tests on networks these tests write
(tests/dataflow_models.py), asserting the DOT's node ids and edges against what each
`forward` does, read by hand."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

import resnet_inspect
from resnet_inspect.render.diagram import make_diagram
from resnet_inspect.report.model import Report
from tests import dataflow_models as models
from tests.cli_helpers import run_cli

MODELS = Path(__file__).parent / "dataflow_models.py"


def _dot(model: object, shape: tuple[int, ...], expand: bool = False,
         level: str = "layer") -> str:
    report = resnet_inspect.inspect(model, shape, name=type(model).__name__)  # type: ignore[arg-type]
    return make_diagram(report, "dot", expand=expand, dataflow=True, level=level).source


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\t+(\w+) -> (\w+)", dot, flags=re.MULTILINE)


def _nodes(dot: str) -> set[str]:
    return set(re.findall(r"^\t+(\w+) \[", dot, flags=re.MULTILINE)) - {"graph", "node", "edge"}


def test_residual_adds_each_get_a_plus_with_their_two_inputs() -> None:
    dot = _dot(models.ResidualAdds(), (8, 16, 16))
    # x = relu(x + bn(conv(x))): the input feeds conv and, as the skip, the first "+";
    # relu(main(x) + skip(x)): main and skip both read that sum and meet at the second
    assert _edges(dot) == [("input", "conv"), ("input", "add"), ("conv", "add"),
                           ("add", "main"), ("add", "skip"), ("main", "add_2"),
                           ("skip", "add_2"), ("add_2", "output")]
    assert not [e for e in _edges(dot) if e[0] == e[1]]  # no self-loops
    # torch.relu is named relu, on the "+" it follows ("+ · relu": beside the circle, as
    # an xlabel, dot set it on the edge coming in); BN is written under its conv
    assert dot.count('label="+ · relu"') == 2 and "xlabel" not in dot
    assert "BN · " not in dot and "ResidualAdds</FONT>" not in dot
    # every node says what it is: its module path or its operator, in its tooltip
    assert 'tooltip="add in forward (ResidualAdds): 8×16×16"' in dot
    assert 'tooltip="skip: 8×16×16 · 72 params"' in dot


def test_parallel_paths_are_drawn_side_by_side() -> None:
    from resnet_inspect.render.graphviz_render import render

    svg = render(_dot(models.ResidualAdds(), (8, 16, 16)), "svg").decode()

    def where(node: str) -> tuple[float, float]:
        m = re.search(rf"<title>{node}</title>.*?<(?:path|polygon)[^>]*?(?:d=\"M|points=\")"
                      r"([-\d.]+),([-\d.]+)", svg, flags=re.DOTALL)
        assert m, node
        return float(m.group(1)), float(m.group(2))

    (x_main, y_main), (x_skip, y_skip) = where("main"), where("skip")
    # main and skip both read the first sum: one rank, apart
    assert y_main == pytest.approx(y_skip, abs=1.0) and abs(x_main - x_skip) > 50


def test_a_unet_cat_skip_is_a_cat_with_both_inputs() -> None:
    dot = _dot(models.UNet(), (3, 16, 16))
    # cat([d, up(m)]): the encoder's conv (its relu written on it) skips the pool and mid
    assert ("down", "cat") in _edges(dot) and ("up", "cat") in _edges(dot)
    assert ("down", "pool") in _edges(dot) and ("cat", "out") in _edges(dot)
    # 8 + 8 channels leave the cat: 16×16×16
    assert 'cat -> out [label=" 16×16×16"]' in dot


def test_six_units_of_a_user_class_fold_to_one_drawn_unit() -> None:
    dot = _dot(models.Six(), (3, 16, 16))
    assert "× 6 Unit" in dot and "units.0 … units.5</FONT>" in dot and ">identical</FONT>" in dot
    assert "units_0_conv" in _nodes(dot) and "units_1_conv" not in _nodes(dot)
    # the folded unit is entered from the stem twice (its conv and its skip into the "+")
    # and left once, to the mean the head reads
    assert ("stem", "units_0_conv") in _edges(dot) and ("stem", "units_0_add") in _edges(dot)
    assert ("units_0_add", "mean") in _edges(dot)
    expanded = _dot(models.Six(), (3, 16, 16), expand=True)
    assert "× 6" not in expanded
    assert {f"units_{i}_conv" for i in range(6)} <= _nodes(expanded)
    # each unit's "+" reads the one before it: the chain of skips, unit by unit
    assert [(f"units_{i}_add", f"units_{i + 1}_add") for i in range(5)] == [
        e for e in _edges(expanded) if e[0].endswith("_add") and e[1].endswith("_add")]


def test_inverted_residuals_add_only_where_the_forward_adds() -> None:
    dot = _dot(models.MobileNetish(), (3, 32, 32))
    adds = sorted(n for n in _nodes(dot) if n.endswith("_add"))
    # stride 1 and equal channels (features.0, .2, .4): x + conv(x); the others: none
    assert adds == ["features_0_add", "features_2_add", "features_4_add"]
    # each add reads the block's input: the stem, then the outputs of blocks 1 and 3
    # (their last 1x1 conv, BN written on it)
    assert ("stem", "features_0_add") in _edges(dot)
    assert ("features_1_conv_6", "features_2_add") in _edges(dot)
    assert ("features_3_conv_6", "features_4_add") in _edges(dot)


def test_inverted_residuals_in_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "--model", f"{MODELS}:make_mobile", "--input", "3x32x32")
    assert r.code == 0, r.err
    # 3 of the 5 blocks add their input; the two stride-2 blocks add nothing
    assert re.search(r"Shortcuts\s+3 identity, 2 none\n", r.out)
    # not a ResNet: a plain count, 1 stem conv + 5 x 3 block convs = 16 conv, 1 fc
    assert re.search(r"Layers\s+17 = 16 conv \+ 1 fc\n", r.out)
    r = run_cli(capsys, "summary", "--model", f"{MODELS}:make_mobile", "--input", "3x32x32",
                "--json")
    data = json.loads(r.out)
    assert [b["shortcut"] for b in data["blocks"]] == ["identity", "none", "identity", "none",
                                                       "identity"]


def test_a_vit_is_counted_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "--model", f"{MODELS}:make_vit", "--input", "3x32x32")
    assert r.code == 0, r.err
    # both encoder blocks add their input (x + attn, x + mlp), but their layers are linear:
    # 1 patch conv; 2 blocks x (qkv, proj, 2 MLP layers) + the head = 9 fc
    assert re.search(r"Shortcuts\s+2 identity\n", r.out)
    assert re.search(r"Layers\s+10 = 1 conv \+ 9 fc\n", r.out)


@pytest.mark.parametrize("sdpa", [False, True])
def test_a_vit_has_its_attention_and_mlp_opened_up(sdpa: bool) -> None:
    dot = _dot(models.ViT(sdpa=sdpa), (3, 32, 32))
    # the class token is concatenated in front of the 16 patches: a cat reading the
    # patch conv and naming the parameter it reads, 17 tokens leaving it
    assert ("patch", "cat") in _edges(dot)
    assert re.search(r"\tcat \[label=<cat<BR/>.*cls_token", dot)
    assert "params</FONT>> fillcolor=white" not in dot.split("\tcat [", 1)[1].split("\n")[0]
    # the attention and the MLP are clusters with their layers inside; the two blocks are
    # identical, drawn once
    assert "subgraph cluster_blocks_0_attn" in dot and "subgraph cluster_blocks_0_mlp" in dot
    assert "× 2 Block" in dot
    if sdpa:
        # F.scaled_dot_product_attention: ONE node "attention" reading q, k and v (three
        # views of the qkv linear's output), named on its edges, none of the bmm, softmax
        # and scaling the dispatcher sees it run
        attention = "blocks_0_attn_scaled_dot_product_attention"
        assert [e for e in _edges(dot) if e[1] == attention] == [("blocks_0_attn_qkv",
                                                                  attention)] * 3
        assert re.search(rf'\t{attention} \[label=<attention> .*tooltip="'
                         r'scaled_dot_product_attention in blocks.0.attn', dot)
        assert [f" {q}" for q in "qkv"] == [
            m.split(" 2×")[0] for m in re.findall(rf"-> {attention} \[label=\"([^\"]*)\"", dot)]
        assert (attention, "blocks_0_attn_proj") in _edges(dot)
        assert "bmm" not in dot and "softmax" not in dot
    else:
        # written out: q @ k^T, then the product with v: two matmuls (bmm), each fed by
        # the qkv linear
        assert ("blocks_0_attn_qkv", "blocks_0_attn_bmm_2") in _edges(dot)
        assert "softmax" in dot
    # two residual adds per block: x + attn(...), then x + mlp(...), the second reading
    # the first as its skip
    assert ("blocks_0_add", "blocks_0_add_2") in _edges(dot)
    assert ("blocks_0_attn_proj", "blocks_0_add") in _edges(dot)
    assert ("blocks_0_mlp_2", "blocks_0_add_2") in _edges(dot)


def test_diagram_model_cli_draws_the_dataflow(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    r = run_cli(capsys, "diagram", "--model", f"{MODELS}:make_unet", "--input", "3x16x16",
                "-f", "dot")
    assert r.code == 0, r.err
    assert r.out.startswith("digraph dataflow {") and ("down", "cat") in _edges(r.out)
    out = tmp_path / "unet.svg"
    r = run_cli(capsys, "diagram", "--model", f"{MODELS}:make_unet", "--input", "3x16x16",
                "-o", str(out))
    assert r.code == 0, r.err
    assert "<title>cat</title>" in out.read_text()


@pytest.mark.parametrize("level", [None, "block"])
def test_the_library_draws_a_user_module_as_the_cli_does(
        capsys: pytest.CaptureFixture[str], level: str | None) -> None:
    # a residual add in forward, then two parallel convs (main, skip) added: through
    # resnet_inspect.diagram the same nodes and edges as `diagram --model`, not the
    # preset-style chain drawn from the module rows
    flags = () if level is None else ("--level", level)
    r = run_cli(capsys, "diagram", "--model", f"{MODELS}:make_residual_adds", "--input",
                "8x16x16", "-f", "dot", *flags)
    assert r.code == 0, r.err
    api = resnet_inspect.diagram(models.ResidualAdds(), level, input_shape=(8, 16, 16)).source
    assert api.startswith("digraph dataflow {")
    assert _nodes(api) == _nodes(r.out) and _edges(api) == _edges(r.out)
    if level is None:  # every layer, as the CLI's --model default
        assert ("main", "add_2") in _edges(api) and ("skip", "add_2") in _edges(api)
    # the same trace, given the CLI's name, draws the very same DOT
    named = resnet_inspect.inspect(models.ResidualAdds(), (8, 16, 16),
                                   name="make_residual_adds")
    assert resnet_inspect.diagram(named, level).source.rstrip("\n") == r.out.rstrip("\n")
    # a preset still comes by stages and blocks
    assert resnet_inspect.diagram("resnet18").source.startswith("digraph resnet {")


def test_the_graph_of_a_saved_report_draws_the_same() -> None:
    report = resnet_inspect.inspect(models.UNet(), (3, 16, 16), name="UNet")
    again = Report.from_json(report.to_json())
    assert (make_diagram(again, "dot", dataflow=True).source
            == make_diagram(report, "dot", dataflow=True).source)


@pytest.mark.parametrize(("name", "shape"), [("ResidualAdds", (8, 16, 16)),
                                             ("UNet", (3, 16, 16))])
def test_golden_dataflow_dot(name: str, shape: tuple[int, ...], golden) -> None:  # type: ignore[no-untyped-def]
    golden(f"diagram/dataflow_{name}.dot", _dot(getattr(models, name)(), shape))


def test_a_backslash_in_a_module_name_is_escaped_in_the_dot() -> None:
    from torch import nn

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.add_module("c\\", nn.Linear(4, 4))

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self._modules["c\\"](x)  # type: ignore[misc]

    dot = _dot(Odd(), (4,))
    # one backslash in the name, two in the DOT string, so it does not escape the quote
    assert 'tooltip="c\\\\: 4 · 20 params"' in dot
    from resnet_inspect.render.graphviz_render import render

    assert b"<title>c_</title>" in render(dot, "svg")


def test_block_level_draws_each_block_as_one_node_with_its_shortcut() -> None:
    dot = _dot(models.MobileNetish(), (3, 32, 32), level="block")
    # the five inverted residuals, one node each, chained; the stem and the head stay
    # layers, the forward's mean an operator; no layer of a block is drawn
    blocks = [f"features_{i}" for i in range(5)]
    assert _edges(dot) == [("input", "stem"), ("stem", "features_0"),
                           *itertools.pairwise(blocks), ("features_4", "mean"),
                           ("mean", "fc"), ("fc", "output")]
    assert not [n for n in _nodes(dot) if "_conv" in n or n.endswith("_add")]
    # what each block's forward did: blocks 0, 2, 4 add their input, 1 and 3 nothing
    said = re.findall(r"\t\tfeatures_\d \[label=<.*?(identity shortcut|no shortcut)", dot)
    assert said == ["identity shortcut", "no shortcut"] * 2 + ["identity shortcut"]
    # the stride-2 blocks change the shape: written on the edge leaving them
    assert 'features_1 -> features_2 [label=" 24×8×8"]' in dot
    assert "subgraph cluster_features {" in dot  # the stage of blocks stays a frame


def test_block_level_folds_a_run_of_blocks_to_one_node() -> None:
    dot = _dot(models.Six(), (3, 16, 16), level="block")
    # the six Units: one node "× 6", entered once from the stem (its conv and its skip
    # are inside), left once
    assert ("stem", "units_0") in _edges(dot) and ("units_0", "mean") in _edges(dot)
    assert len([e for e in _edges(dot) if "units_0" in e]) == 2
    assert "× 6 Unit<BR/>" in dot and "units.0 … units.5 · 2,336 params each" in dot
    # 3x3 conv 16 -> 16 without bias (2,304) + BN's scale and shift (32), as in Unit
    assert 3 * 3 * 16 * 16 + 2 * 16 == 2_336


@pytest.mark.parametrize("sdpa", [False, True])
def test_stage_level_draws_each_top_level_module_as_one_node(sdpa: bool) -> None:
    dot = _dot(models.ViT(sdpa=sdpa), (3, 32, 32), level="stage")
    # patch conv, the cls-token cat and position add of the forward itself, then the
    # encoder as one node, then the head
    assert _edges(dot) == [("input", "patch"), ("patch", "cat"), ("cat", "add"),
                           ("add", "blocks"), ("blocks", "head"), ("head", "output")]
    assert "2 × Block<BR/>" in dot and "blocks · 17,088 params" in dot
    assert "cluster" not in dot


def test_levels_of_a_model_without_modules_with_children_are_its_layers() -> None:
    layer = _dot(models.ResidualAdds(), (8, 16, 16))
    assert _dot(models.ResidualAdds(), (8, 16, 16), level="block") == layer
    assert _dot(models.ResidualAdds(), (8, 16, 16), level="stage") == layer


def test_the_library_draws_every_layer_of_a_dataflow_unless_told() -> None:
    report = resnet_inspect.inspect(models.Six(), (3, 16, 16), name="Six")
    assert (make_diagram(report, "dot", dataflow=True).source
            == make_diagram(report, "dot", dataflow=True, level="layer").source)
    assert "units_0_conv" in make_diagram(report, "dot", dataflow=True).source


def test_diagram_model_level_flag(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("diagram", "--model", f"{MODELS}:make_six", "--input", "3x16x16", "-f", "dot")
    # --model draws every layer unless told otherwise (presets: a node a block)
    r = run_cli(capsys, *args)
    assert r.code == 0, r.err
    assert "units_0_conv" in r.out
    r = run_cli(capsys, *args, "--level", "block")
    assert r.code == 0, r.err
    assert "units_0_conv" not in r.out and "× 6 Unit<BR/>" in r.out
    r = run_cli(capsys, *args, "--level", "stage")
    assert r.code == 0, r.err
    assert "6 × Unit<BR/>" in r.out and "units_0" not in r.out


@pytest.mark.parametrize(("name", "adds", "projections"), [
    # torchvision's ResNet-18: 2+2+2+2 basic blocks, each adding once; the first block of
    # stages conv3_x..conv5_x changes shape and projects (the paper's option B)
    ("resnet18", 8, 3),
    # ResNet-50: 3+4+6+3 bottlenecks; conv2_x's first block projects too (64 -> 256
    # channels), so every stage opens with a projection
    ("resnet50", 16, 4),
])
@pytest.mark.parametrize("level", ["layer", "block"])
def test_preset_diagrams_and_the_graph_agree_on_adds_and_projections(
        name: str, adds: int, projections: int, level: str) -> None:
    """The presets are drawn from their rows and blocks, report.graph from the trace:
    the "+" nodes and the dashed projection edges into them must be the graph's adds and
    projection shortcuts, block by block, and both must have the published counts."""
    from resnet_inspect.report.graph import shortcut

    report = resnet_inspect.inspect(name)
    g = report.graph
    assert g is not None
    def block(node: int) -> str:  # layer2.0, for the block's Add module layer2.0.add
        return ".".join(g.module[node].split(".")[:2])

    graph_adds = [block(i) for i in range(len(g)) if g.is_add(i)]
    kinds = {c.module: shortcut(g, k) for k, c in enumerate(g.calls)
             if c.module.count(".") == 1}
    # one add a block, and each block's shortcut ends at that block's own add
    assert sorted(graph_adds) == sorted(kinds)
    assert all(block(add) == b for b, (_, _, add) in kinds.items())
    graph_projections = {b for b, (kind, _, _) in kinds.items() if kind == "projection"}
    assert (len(graph_adds), len(graph_projections)) == (adds, projections)

    dot = make_diagram(report, "dot", level=level, expand=True).source
    drawn_adds = {n.removesuffix("_add") for n in re.findall(r'^\t+(\w+_add) \[label="\+"',
                                                             dot, flags=re.MULTILINE)}
    dashed = {m for m in re.findall(r'^\t+\w+ -> (\w+)_add \[[^\]]*style=dashed', dot,
                                    flags=re.MULTILINE)}
    assert drawn_adds == {b.replace(".", "_") for b in graph_adds}
    assert dashed == {b.replace(".", "_") for b in graph_projections}


def test_the_title_is_spaced_from_the_totals_without_counting_as_text() -> None:
    from resnet_inspect.render.diagram.measure import smallest_text_pt

    dot = _dot(models.Six(), (3, 16, 16))
    # a callable's name ("make_six") has an underscore that touched the totals line in
    # rsvg-convert and chromium: a blank 4 pt line between them, which --fit must not
    # take for the smallest text (9 pt, the small lines under each node)
    assert '<BR/><FONT POINT-SIZE="4"> </FONT><BR/>' in dot.split("\n")[1]
    assert smallest_text_pt(dot) == 9
