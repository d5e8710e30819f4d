"""`resnet-inspect compare`: blocks and networks side by side, against published figures.

Sources of the expected numbers:
- seed material 000 and 002 (and the ResNet paper's Figure 5): at 256 channels a basic
  block has 3x3x256x256 x 2 = 1,179,648 conv weights, a bottleneck 1x1x256x64 + 3x3x64x64
  + 1x1x64x256 = 69,632, 16.94x fewer;
- seed material 004 (paddle.summary): BasicBlock(64, 128, stride 2) 230,912 and
  BottleneckBlock(64, 128, stride 2) 24,832 "params", which count batch-norm running mean
  and variance; trainable 229,376 and 23,552 are the conv weights;
- torchvision's model docs (weights tables): params 11,689,512 / 21,797,672 / 25,557,032 /
  44,549,160 / 60,192,808 and GFLOPS 1.81 / 3.66 / 4.09 / 7.80 / 11.51 for ResNet-18 ... 152;
- the ResNet paper's Table 1: blocks per stage, output sizes, and FLOPs 1.8 / 3.6 / 3.8 /
  7.6 / 11.3 x 10^9 (the paper strides the bottleneck's 1x1, torchvision its 3x3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from resnet_inspect.analysis.compare_blocks import compare_blocks
from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
from resnet_inspect.render.compare_table1 import structure_inline
from resnet_inspect.spec.arch import StrideOn
from resnet_inspect.spec.numbers import parse_channels
from resnet_inspect.usecases.compare import compare as compare_items
from tests.cli_helpers import run_cli
from tests.published import PARAMS, RESNET_DEPTHS


def compare(items: list[str]) -> Any:
    """The comparison the use-case returns (blocks or networks, decided there)."""
    return compare_items(items).result


DEPTHS = ("18", "34", "50", "101", "152")


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture(scope="module")
def figure5() -> BlockComparison:
    return compare_blocks(["basic", "bottleneck"])


@pytest.fixture(scope="module")
def table1() -> NetworkComparison:
    result = compare(list(DEPTHS))
    assert isinstance(result, NetworkComparison)
    return result


# --- blocks -------------------------------------------------------------------------------


def test_seed_figures_basic_vs_bottleneck(figure5: BlockComparison) -> None:
    basic, bottleneck = figure5.blocks
    # seed 000/002: 3 x 3 x 256 x 256 x 2 = 1,179,648
    assert basic.conv_weights == 3 * 3 * 256 * 256 * 2 == 1_179_648
    # seed 000/002: 1x1x256x64 + 3x3x64x64 + 1x1x64x256 = 16,384 + 36,864 + 16,384 = 69,632
    assert bottleneck.conv_weights == 69_632
    assert f"{basic.conv_weights / bottleneck.conv_weights:.2f}" == "16.94"
    assert basic.formula == "3x3x256x256 x 2"
    assert bottleneck.formula == "1x1x256x64 + 3x3x64x64 + 1x1x64x256"
    assert figure5.headline == (
        "conv weights: basic 1,179,648 vs bottleneck 69,632, 16.94x fewer; "
        "MACs at 56x56: 16.94x fewer"
    )


def test_block_totals_with_and_without_batch_norm(figure5: BlockComparison) -> None:
    basic, bottleneck = figure5.blocks
    # every conv keeps its 56x56 output: MACs = weights x 56 x 56
    assert basic.macs == 1_179_648 * 56 * 56 == 3_699_376_128
    assert bottleneck.macs == 69_632 * 56 * 56 == 218_365_952
    # BN weight + bias per channel: basic 2 x (256 + 256), bottleneck 2 x (64 + 64 + 256)
    assert basic.params == 1_179_648 + 1_024
    assert bottleneck.params == 69_632 + 768
    assert (basic.bn_params, bottleneck.bn_params) == (1_024, 768)
    # eval-mode BN: one MAC per element of its input, 256 x 56 x 56 for the basic's two
    assert basic.bn_macs == 2 * 256 * 56 * 56
    assert (basic.weighted_layers, bottleneck.weighted_layers) == (2, 3)
    assert basic.shortcut == bottleneck.shortcut == "identity"
    kinds = [(r.name, r.kernel, r.in_channels, r.out_channels) for r in bottleneck.layers
             if r.category == "conv"]
    assert kinds == [("conv1", "1x1", 256, 64), ("conv2", "3x3", 64, 64),
                     ("conv3", "1x1", 64, 256)]


def test_paddle_seed_downsampling_blocks() -> None:
    # seed 004: BasicBlock(64, 128, 2) and BottleneckBlock(64, 128, 2) under paddle.summary
    result = compare_blocks(["basic", "bottleneck"], channels=(64, 128), stride=2, spatial=224)
    basic, bottleneck = result.blocks
    assert basic.conv_weights == 229_376  # paddle's "Trainable params"
    assert basic.params + basic.running_stats == 230_912  # paddle's "Total params"
    assert bottleneck.conv_weights == 23_552
    assert bottleneck.params + bottleneck.running_stats == 24_832
    # the projection shortcut is counted: 1x1x64x128 = 8,192
    assert basic.shortcut == bottleneck.shortcut == "projection"
    assert basic.shortcut_weights == bottleneck.shortcut_weights == 8_192
    assert basic.output_shape == bottleneck.output_shape == [1, 128, 112, 112]
    assert bottleneck.width == 32  # paddle's output_channels // 4


def test_stride_width_and_preact_blocks() -> None:
    strided = compare_blocks(["basic", "bottleneck"], stride=2)
    # a 1x1x256x256 projection (65,536) joins both blocks
    assert [b.conv_weights for b in strided.blocks] == [1_179_648 + 65_536, 69_632 + 65_536]
    assert strided.blocks[0].formula == "3x3x256x256 x 2 + 1x1x256x256 (shortcut)"
    wide = compare_blocks(["basic", "bottleneck"], width=128)
    # 1x1x256x128 + 3x3x128x128 + 1x1x128x256 = 32,768 + 147,456 + 32,768
    assert wide.blocks[1].conv_weights == 212_992
    pre = compare_blocks(["preact-basic", "preact-bottleneck"])
    # pre-activation moves BN and ReLU before each conv; the convs are the same
    assert [b.conv_weights for b in pre.blocks] == [1_179_648, 69_632]
    assert pre.blocks[0].layers[0].name == "bn1" and pre.blocks[0].layers[0].out_channels == 256


def test_block_counts_do_not_depend_on_device() -> None:
    on_meta = compare_blocks(["basic", "bottleneck"], stride=2, device="meta")
    on_cpu = compare_blocks(["basic", "bottleneck"], stride=2, device="cpu")
    assert on_cpu.to_dict() == on_meta.to_dict()


def test_parse_channels() -> None:
    assert parse_channels("256") == (256, 256)
    assert parse_channels("64,128") == (64, 128)
    assert parse_channels(None) is None


# --- networks -----------------------------------------------------------------------------


def test_50_vs_101_differ_only_in_conv4() -> None:
    result = compare(["50", "101"])
    assert isinstance(result, NetworkComparison) and result.form == "networks"
    a, b = result.networks
    # torchvision docs: ResNet-50 25,557,032 params, ResNet-101 44,549,160
    assert (a.params, b.params) == (PARAMS["resnet50"], PARAMS["resnet101"])
    changed = {d.stage: d for d in result.deltas if d.params or d.macs or d.blocks}
    assert list(changed) == ["conv4_x"]  # seed 000: they differ only in conv4_x (6 vs 23)
    d = changed["conv4_x"]
    assert (d.blocks, d.layers) == (17, 51)  # 17 bottlenecks x 3 convs
    # one block: 1x1x1024x256 + 3x3x256x256 + 1x1x256x1024 = 1,114,112 conv weights,
    # + BN 2 x (256 + 256 + 1024) = 3,072; x 17 blocks
    assert d.params == 17 * (1_114_112 + 3_072) == 18_992_128 == b.params - a.params
    assert d.macs == 17 * 1_114_112 * 14 * 14 == 3_712_221_184
    for n in result.networks:  # invariant: the stage rows add up to the network's totals
        assert sum(s.params for s in n.stages) == n.params
        assert sum(s.macs for s in n.stages) == n.macs
    assert result.headline == (
        "conv4_x: 6 vs 23 blocks (+17 blocks = +51 layers), +18.99 M params, +3.71 G MACs"
    )


def test_table1_published_figures(table1: NetworkComparison) -> None:
    assert table1.form == "table1"
    nets = table1.networks
    # torchvision model docs
    assert [n.params for n in nets] == [PARAMS[f"resnet{d}"] for d in RESNET_DEPTHS]
    assert [f"{n.macs / 1e9:.2f}" for n in nets] == ["1.81", "3.66", "4.09", "7.80", "11.51"]
    assert [n.layers for n in nets] == [18, 34, 50, 101, 152]
    # ResNet paper, Table 1: blocks per stage
    blocks = [[s.blocks for s in n.stages if s.stage.endswith("_x")] for n in nets]
    assert blocks == [[2, 2, 2, 2], [3, 4, 6, 3], [3, 4, 6, 3], [3, 4, 23, 3], [3, 8, 36, 3]]
    sizes = [s.output_shape[1:] for s in nets[0].stages[:5]]
    assert sizes == [[112, 112], [56, 56], [28, 28], [14, 14], [7, 7]]
    r18, r50 = nets[0], nets[2]
    assert structure_inline(r18.stages[1]) == "3x3 max pool, /2; [3x3, 64; 3x3, 64] x 2"
    assert structure_inline(r50.stages[3]) == "[1x1, 256; 3x3, 256; 1x1, 1024] x 6"
    assert structure_inline(r50.stages[0]) == "7x7, 64, stride 2"


def test_table1_paper_flops_with_stride_on_1x1() -> None:
    from resnet_inspect import inspect
    from resnet_inspect.analysis.compare_networks import compare_reports

    reports = [inspect(d, device="meta", stride_on=StrideOn.CONV1X1) for d in DEPTHS]
    result = compare_reports(reports)
    # ResNet paper, Table 1 (FLOPs = multiply-adds, x 10^9), to its one decimal
    paper = [1.8, 3.6, 3.8, 7.6, 11.3]
    assert all(abs(n.macs / 1e9 - p) < 0.1 for n, p in zip(result.networks, paper, strict=True))


def test_networks_without_paper_stages_compare_whole() -> None:
    result = compare(["vgg16", "resnet34"])
    assert isinstance(result, NetworkComparison) and result.form == "totals"
    # torchvision docs: VGG-16 138,357,544 params, 15.47 GFLOPS; ResNet-34 21,797,672, 3.66
    assert [n.params for n in result.networks] == [PARAMS["vgg16"], PARAMS["resnet34"]]
    assert [f"{n.macs / 1e9:.2f}" for n in result.networks] == ["15.47", "3.66"]


def test_stages_align_across_depths_of_stage() -> None:
    # a CIFAR ResNet has three stages (paper section 4.2); ResNet-18 four: fc stays last
    result = compare(["resnet20", "resnet18"])
    assert isinstance(result, NetworkComparison)
    assert result.stages == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
    conv5 = next(d for d in result.deltas if d.stage == "conv5_x")
    assert (conv5.blocks, conv5.layers) == (2, 4)


# --- rendered text, JSON, Markdown -------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize(
    ("name", "args"),
    [("blocks", ["basic", "bottleneck"]), ("pair", ["50", "101"]), ("table1", list(DEPTHS))],
)
def test_golden_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                     golden, name: str, args: list[str], width: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(width))
    result = run_cli(capsys, "compare", *args)
    assert result.code == 0, result.err
    golden(f"compare/{name}_{width}.txt", result.out)
    assert max(len(line.rstrip()) for line in result.out.splitlines()) <= width
    assert "…" not in result.out  # nothing cut: the layout fits rather than truncates


def test_pair_below_80_columns_keeps_the_deltas(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = run_cli(capsys, "compare", "50", "101").out
    assert "…" not in out and max(len(line.rstrip()) for line in out.splitlines()) <= 60
    assert " conv4_x   6 -> 23  +18.99 M  +3.71 G" in out


@pytest.mark.parametrize(
    ("name", "args"),
    [("blocks", ["basic", "bottleneck"]), ("pair", ["50", "101"]), ("table1", list(DEPTHS))],
)
def test_golden_markdown(capsys: pytest.CaptureFixture[str], golden, name: str,  # type: ignore[no-untyped-def]
                         args: list[str]) -> None:
    result = run_cli(capsys, "compare", *args, "--markdown")
    assert result.code == 0, result.err
    golden(f"compare/{name}.md", result.out)


def test_text_shows_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(capsys, "compare", "basic", "bottleneck").out
    assert "1,179,648" in out and "69,632" in out and "16.94x fewer" in out
    out = run_cli(capsys, "compare", *DEPTHS).out
    for gmacs in ("1.81", "3.66", "4.09", "7.80", "11.51"):
        assert gmacs in out


def test_json_every_form(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = json.loads(run_cli(capsys, "compare", "basic", "bottleneck", "--json").out)
    assert blocks["form"] == "blocks"
    assert [b["conv_weights"] for b in blocks["blocks"]] == [1_179_648, 69_632]
    pair = json.loads(run_cli(capsys, "compare", "50", "101", "--json").out)
    assert pair["form"] == "networks"
    conv4 = next(d for d in pair["deltas"] if d["stage"] == "conv4_x")
    assert (conv4["blocks"], conv4["layers"], conv4["params"]) == (17, 51, 18_992_128)
    many = json.loads(run_cli(capsys, "compare", "18", "34", "50", "--json").out)
    assert many["form"] == "table1"
    assert [n["params"] for n in many["networks"]] == [PARAMS[f"resnet{d}"] for d in (18, 34, 50)]


def test_pair_receptive_fields_in_the_papers_layout(capsys: pytest.CaptureFixture[str]) -> None:
    # Distill 2019 (tests/published.py): resnet_v1_50 sees 291 px at block3, resnet_v1_101
    # 835 (99 + 23 units x 2 x 16); block4 adds 3 x 64 = 192 to each: 483 and 1027
    result = run_cli(capsys, "compare", "50", "101", "--stride-on", "1x1", "--json")
    pair = json.loads(result.out)
    ends = [{s["stage"]: (s["receptive_field"], s["jump"]) for s in n["stages"]}
            for n in pair["networks"]]
    assert [e["conv4_x"] for e in ends] == [(291, 16), (835, 16)]
    assert [e["conv5_x"] for e in ends] == [(483, 32), (1027, 32)]
    assert "Receptive field at the end of conv4_x: 291 vs 835 px (jump 16); conv5_x: 483 vs " \
           "1027 px (jump 32)." in pair["notes"]
    md = run_cli(capsys, "compare", "50", "101", "--stride-on", "1x1", "--markdown").out
    assert "| conv4_x | 6 -> 23 | 18 -> 69 | 1024x14x14 | 291 -> 835 |" in md


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "fig5.md"
    result = run_cli(capsys, "compare", "basic", "bottleneck", "--markdown", "-o", str(target))
    assert result.code == 0 and result.out == ""
    assert "| Conv weights | 1,179,648 | 69,632 |" in target.read_text()


def test_config_file_item(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "r50v1.toml"
    config.write_text('arch = "resnet50"\nstride-on = "1x1"\nname = "resnet50-v1"\n')
    result = run_cli(capsys, "compare", "50", str(config), "--json")
    assert result.code == 0, result.err
    nets = json.loads(result.out)["networks"]
    # same weights; v1 strides the 1x1, so three stages' first 3x3 runs at a quarter the size
    assert nets[0]["params"] == nets[1]["params"] == PARAMS["resnet50"]
    assert nets[1]["macs"] < nets[0]["macs"]
    library = compare(["50", str(config)])  # the library reads config files as well
    assert isinstance(library, NetworkComparison)
    assert [n.macs for n in library.networks] == [n["macs"] for n in nets]


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "compare", "--help")
    assert result.code == 0
    assert "compare basic bottleneck" in result.out and "compare 50 101" in result.out


# --- bad input: one line, exit 2 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["basic", "bottlenek"], "unknown item 'bottlenek' (did you mean bottleneck?)"),
        (["basci", "bottleneck"], "(did you mean basic?)"),
        (["basic"], "compare needs at least two items, got one (basic)"),
        (["basic", "50"], "cannot compare blocks (basic) with networks (50)"),
        (["50", "101", "--channels", "64"], "--channels applies to blocks"),
        (["50", "101", "--stride", "2"], "--stride applies to blocks"),
        (["basic", "bottleneck", "--groups", "32"], "--groups applies to networks"),
        (["basic", "bottleneck", "--input", "3x56x56"], "--input applies to networks"),
        (["basic", "preact-basic", "--width", "32"], "none of the items is a bottleneck"),
        (["basic", "bottleneck", "--channels", "250"], "must be a multiple of 4"),
        (["basic", "bottleneck", "--channels", "x"], "--channels 'x'"),
        (["basic", "bottleneck", "--spatial", "0"], "--spatial '0'"),
        (["basic", "bottleneck", "--stride", "0"], "--stride must be a positive integer"),
        (["50", "101", "--depth", "50"], "--depth does not apply to compare"),
        (["basic", "bottleneck", "--json", "--markdown"],
         "choose one of --json, --markdown and --latex"),
    ],
)
def test_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                message: str) -> None:
    target = tmp_path / "out.txt"
    result = run_cli(capsys, "compare", *args, "-o", str(target))
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("resnet-inspect: error: ")
    assert message in lines[0]
    assert not target.exists()  # no partial file


def test_repeated_item_with_plain_is_residual_vs_plain(capsys: pytest.CaptureFixture[str]) -> None:
    # `compare resnet34 resnet34 --plain`: the paper's Figure 3 pair. Plain-34 lacks exactly
    # the three projection shortcuts (1x1 conv + BN): (64*128 + 256) + (128*256 + 512) +
    # (256*512 + 1024) = 173,824 parameters.
    data = json.loads(
        run_cli(capsys, "compare", "resnet34", "resnet34", "--plain", "--json").out
    )
    params = [n["params"] for n in data["networks"]]
    assert params == [PARAMS["resnet34"], PARAMS["resnet34"] - 173_824]


def test_table1_figures_only_for_the_networks_the_paper_lists() -> None:
    # issue 12: the paper's Table 1 FLOPs (He et al. 2016: 3.8, 7.6, 11.3 x 10^9 for
    # ResNet-50/101/152) were printed for any bottleneck network; ResNeXt and WRN are not
    # in that table, so no figure of it may be printed for them.
    from resnet_inspect import inspect
    from resnet_inspect.analysis.compare_networks import compare_reports

    others = compare_reports([inspect("resnext50_32x4d"), inspect("wide_resnet50_2")])
    assert not any("Table 1" in note for note in others.notes)
    mixed = compare_reports([inspect("resnet101"), inspect("resnext50_32x4d")])
    table1 = [note for note in mixed.notes if "Table 1" in note]
    assert len(table1) == 1 and "7.6 G for resnet101" in table1[0]
    assert "3.8" not in table1[0] and "resnext" not in table1[0]
    # another input is not the paper's setting either
    assert compare_reports([inspect("resnet50", input_shape=(3, 160, 160)),
                            inspect("resnet101", input_shape=(3, 160, 160))]).networks[0] \
        .paper_depth is None


@pytest.mark.parametrize("headline", ["conv", "conv+norm", "all"])
def test_conventions_note_is_true_of_the_figures(headline: str) -> None:
    # The sentence is derived from the reports: "FLOPs = 2 x MACs" only where the figures
    # say so, and the paper's name for the figure only for conv + fc.
    from resnet_inspect import inspect
    from resnet_inspect.analysis.compare_networks import compare_reports

    cmp = compare_reports([inspect("resnet18", headline=headline),
                           inspect("resnet34", headline=headline)])
    note = cmp.notes[0]
    doubled = all(n.flops == 2 * n.macs for n in cmp.networks)
    assert ("FLOPs = 2 x MACs." in note) == doubled
    assert ("ResNet paper's 'FLOPs'" in note) == (headline == "conv")
    assert ("batch-norm" in note) == (headline != "conv")
    assert doubled == (headline != "all")  # activations, pooling and adds are FLOPs only
