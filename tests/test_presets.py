"""Every preset family against the figures its paper or reference implementation publishes.

Parameter counts come from building on the meta device (no memory); MACs from one traced
forward pass on meta at the network's own input. Where a source gives no exact count, the
expected number is derived from the architecture, with the arithmetic in a comment.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect.errors import InspectError
from resnet_inspect.models.builder import build_model
from resnet_inspect.spec.arch import ArchSpec, ClassicSpec, ShortcutKind, ShortcutUse, StrideOn
from resnet_inspect.spec.registry import all_presets, families, get_spec
from tests import published as pub
from tests.cli_helpers import run_cli


def params(name_or_spec: str | ArchSpec | ClassicSpec) -> int:
    spec = get_spec(name_or_spec) if isinstance(name_or_spec, str) else name_or_spec
    return sum(p.numel() for p in build_model(spec, device="meta").parameters())


def macs(name_or_spec: str | ArchSpec | ClassicSpec) -> int:
    return resnet_inspect.inspect(name_or_spec, device="meta").totals.macs


def v1(name: str) -> ArchSpec:
    spec = get_spec(name)
    assert isinstance(spec, ArchSpec)
    return spec.with_changes(stride_on=StrideOn.CONV1X1)


# --- ImageNet ResNets: v1 (paper) and v1.5 (torchvision) ------------------------------------

@pytest.mark.parametrize("depth", pub.RESNET_DEPTHS)
def test_v15_macs_are_torchvisions(depth: int) -> None:
    assert round(macs(f"resnet{depth}") / 1e9, 3) == pub.TORCHVISION[f"resnet{depth}"].gflops


def test_resnet50_v1_macs() -> None:
    # v1 strides the first 1x1 of a downsampling bottleneck (the paper; NVIDIA's ResNet50
    # v1.5 note and torchvision's docs describe the move to the 3x3): ~3.86 G against
    # torchvision's 4.09 G. The difference is those three 1x1 convs running on a quarter of
    # the positions: 3/4 x (56^2 x 256 x 128 + 28^2 x 512 x 256 + 14^2 x 1024 x 512)
    # = 3 x 77,070,336 = 231,211,008 MACs.
    saved = 3 * (3 * 56 * 56 * 256 * 128 // 4)
    assert saved == 231_211_008
    assert macs("resnet50") == pub.RESNET_MACS[50]
    assert macs(v1("resnet50")) == pub.RESNET_MACS[50] - saved
    assert round(macs(v1("resnet50")) / 1e9, 2) == 3.86


def test_stride_on_changes_macs_not_params() -> None:
    # Moving the stride changes where a conv runs, never a weight. The 3x3 outputs 28x28
    # either way; the first 1x1 runs at 56x56 in v1.5 and at 28x28 in v1.
    assert params(v1("resnet50")) == params("resnet50") == pub.TORCHVISION["resnet50"].params
    r1 = resnet_inspect.inspect(v1("resnet50"), device="meta")
    r15 = resnet_inspect.inspect("resnet50", device="meta")
    by_name_1 = {r.name: r.macs for r in r1.layers}
    by_name_15 = {r.name: r.macs for r in r15.layers}
    # layer2.0.conv1, 1x1 256 -> 128: v1.5 at 56x56 = 102,760,448; v1 at 28x28 = 25,690,112
    assert by_name_15["layer2.0.conv1"] == 56 * 56 * 256 * 128 == 102_760_448
    assert by_name_1["layer2.0.conv1"] == 28 * 28 * 256 * 128 == 25_690_112


@pytest.mark.parametrize(("depth", "gflops"), pub.PAPER_TABLE1_GFLOPS.items())
def test_v1_macs_match_paper_table1(depth: int, gflops: float) -> None:
    # the table's one decimal is not rounded consistently: 0.07 G of slack
    assert abs(macs(v1(f"resnet{depth}")) / 1e9 - gflops) <= 0.07


# --- Bag of Tricks: ResNet-B/C/D ---------------------------------------------------------------

# The deep stem (3x3 convs 3->32, 32->32, 32->64, BN after the first two) replaces the 7x7:
# 864 + 64 + 9,216 + 64 + 18,432 - 7x7x3x64 (9,408) = +19,232 parameters. The 2x2
# average pool of ResNet-D adds none.
DEEP_STEM_EXTRA = 864 + 64 + 9_216 + 64 + 18_432 - 9_408


def test_resnet50d_is_timms() -> None:
    assert DEEP_STEM_EXTRA == 19_232
    assert params("resnet50d") == pub.TIMM_RESNET50D
    assert params("resnet50c") == pub.TIMM_RESNET50D
    # ResNet-B is torchvision's v1.5 layout
    assert params("resnet50b") == pub.TORCHVISION["resnet50"].params


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_every_depth_has_b_c_d(depth: int) -> None:
    base = params(f"resnet{depth}")
    assert params(f"resnet{depth}b") == base
    assert params(f"resnet{depth}c") == params(f"resnet{depth}d") == base + DEEP_STEM_EXTRA


def test_resnet_d_shortcut_pools_before_projecting() -> None:
    model = build_model(get_spec("resnet50d"), device="meta")
    down = model.layer2[0].downsample
    assert isinstance(down[0], nn.AvgPool2d) and down[1].stride == (1, 1)
    # layer1.0 does not downsample spatially (stride 1): no pool, a plain projection
    assert isinstance(model.layer1[0].downsample[0], nn.Conv2d)


# --- CIFAR ResNets and shortcut options A/B/C ------------------------------------------------

@pytest.mark.parametrize("depth", pub.CIFAR_TABLE6)
def test_cifar_resnets_match_paper_table6(depth: int) -> None:
    # exact counts from the layout (test_resnet20_by_hand writes one out): 3x3 stem 432 +
    # BN 32, per stage 2n 3x3 convs with BN, fc 64 x 10 + 10
    exact, paper_m = pub.CIFAR_TABLE6[depth]
    count = params(f"resnet{depth}")
    assert count == exact
    digits = 2 if paper_m < 1 else 1
    assert round(count / 1e6, digits) == paper_m


def test_resnet20_by_hand() -> None:
    # n = 3 blocks per stage, two 3x3 convs and two BNs each; the first block of stages 2
    # and 3 changes width (16 -> 32, 32 -> 64) with a zero-padded shortcut (no weights).
    stem = 3 * 9 * 16 + 2 * 16
    stage1 = 6 * (16 * 9 * 16 + 2 * 16)
    stage2 = (16 * 9 * 32 + 2 * 32) + 5 * (32 * 9 * 32 + 2 * 32)
    stage3 = (32 * 9 * 64 + 2 * 64) + 5 * (64 * 9 * 64 + 2 * 64)
    fc = 64 * 10 + 10
    assert stem + stage1 + stage2 + stage3 + fc == params("resnet20") == 269_722


def test_cifar_shortcut_options() -> None:
    spec = get_spec("resnet20")
    assert isinstance(spec, ArchSpec) and spec.shortcut is ShortcutKind.A
    a = params(spec)
    b = params(spec.with_changes(shortcut=ShortcutKind.B))
    c = params(spec.with_changes(shortcut=ShortcutKind.C))
    # option B: 1x1 projections + BN where the width changes: 16*32 + 64 + 32*64 + 128
    assert b - a == 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64 == 2_752
    # option C: a projection on all 9 blocks: 3 at 16->16, the two above, 2 at 32, 2 at 64
    c_extra = 3 * (16 * 16 + 32) + 2_752 + 2 * (32 * 32 + 64) + 2 * (64 * 64 + 128)
    assert c - a == c_extra
    uses = {
        kind: [getattr(m, "shortcut_use", None) for m in build_model(
            spec.with_changes(shortcut=kind), device="meta").modules()]
        for kind in ShortcutKind
    }
    assert uses[ShortcutKind.A].count(ShortcutUse.ZERO_PAD) == 2
    assert uses[ShortcutKind.B].count(ShortcutUse.PROJECTION) == 2
    assert uses[ShortcutKind.C].count(ShortcutUse.PROJECTION) == 9


# --- Pre-activation ResNets (He et al. 2016) ------------------------------------------------


def test_preact_cifar_164_and_1001() -> None:
    assert round(params("preact_resnet164") / 1e6, 1) == pub.PREACT_CIFAR_MILLIONS[164]
    model = build_model(get_spec("preact_resnet1001"), device="meta")
    total = sum(p.numel() for p in model.parameters())
    bn = sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d)
             for p in m.parameters())
    # The paper's 10.2M is the conv and fc weights; with BN's scale and shift (149,216)
    # the model holds 10,327,706.
    assert total == 10_327_706 and bn == 149_216
    assert round((total - bn) / 1e6, 1) == pub.PREACT_CIFAR_MILLIONS[1001]


def test_preact_imagenet_derived_from_resnet() -> None:
    # Pre-activation ResNet-50 against ResNet-50 (25,557,032), same convs and fc:
    #  - no BN in the stem (each block normalises its own input):        -2 x 64
    #  - projections are bare 1x1 convs (no BN), 256+512+1024+2048:      -2 x 3,840
    #  - a block's BNs sit on (in, inner, inner) instead of (inner, inner, out): in the
    #    first block of each stage in != out: 64-256, 256-512, 512-1024, 1024-2048 -> -2 x 1,984
    #  - a final BN on the 2048 channels:                                 +2 x 2,048
    expected = pub.TORCHVISION["resnet50"].params - 2 * 64 - 2 * 3_840 - 2 * 1_984 + 2 * 2_048
    assert params("preact_resnet50") == expected == 25_549_352
    # a preact block has no BN after its last conv, and the shortcut adds the raw input
    model = build_model(get_spec("preact_resnet18"), device="meta")
    assert model.bn1 is None and model.final_bn is not None


# --- Wide ResNets ---------------------------------------------------------------------------


def test_wrn_28_10_is_the_official_count() -> None:
    assert params("wrn28_10") == pub.WRN_28_10_OFFICIAL


@pytest.mark.parametrize(("name", "millions"), pub.WRN_TABLE4.items())
def test_wrn_cifar_table(name: str, millions: float) -> None:
    assert round(params(name) / 1e6, 1) == millions


def test_any_valid_wrn_name_works() -> None:
    spec = get_spec("wrn28_3")  # 28 = 6 x 4 + 4: valid, 48/96/192 wide
    assert isinstance(spec, ArchSpec)
    assert [s.width for s in spec.stages] == [48, 96, 192] and spec.layer_counts == (4, 4, 4)
    assert get_spec("WRN-28-10").name == "wrn28_10"


@pytest.mark.parametrize("name", pub.WIDE_AND_RESNEXT)
def test_wide_and_resnext_are_torchvisions(name: str) -> None:
    count, gflops = pub.TORCHVISION[name]
    assert params(name) == count
    assert round(macs(name) / 1e9, 2) == gflops


# --- ResNeXt on CIFAR -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "millions"), pub.RESNEXT_TABLE7.items())
def test_resnext29(name: str, millions: float) -> None:
    assert int(params(name) / 1e5) / 10 == millions


def test_resnext29_layout() -> None:
    model = build_model(get_spec("resnext29_8x64d"), device="meta")
    # stage 1: 8 groups x 64 = 512 channels in the grouped 3x3, 256 out (section 5.3)
    conv = model.layer1[0].conv2
    assert (conv.in_channels, conv.out_channels, conv.groups) == (512, 512, 8)
    assert model.layer3[2].conv3.out_channels == 1024


# --- classic networks --------------------------------------------------------------------------


def test_lenet5() -> None:
    # C1 1x5x5x6 + 6 = 156; C3 6x5x5x16 + 16 = 2,416; C5 16x5x5x120 + 120 = 48,120;
    # F6 120x84 + 84 = 10,164; output 84x10 + 10 = 850; total 61,706 (~60k in the seed
    # material and the usual course notes).
    assert params("lenet5") == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    report = resnet_inspect.inspect("lenet5", device="meta")
    assert report.input_shape == [1, 1, 32, 32] and report.layers[-1].output_shape == [1, 10]


@pytest.mark.parametrize("name", pub.CLASSIC)
def test_classic_nets_are_torchvisions(name: str) -> None:
    count, gflops = pub.TORCHVISION[name]
    spec = get_spec(name)
    assert isinstance(spec, ClassicSpec)
    assert params(spec) == count
    assert round(macs(spec) / 1e9, 2) == gflops


def test_classic_state_dict_names_are_torchvisions() -> None:
    keys = list(build_model(get_spec("vgg16"), device="meta").state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"]
    assert keys[-2:] == ["classifier.6.weight", "classifier.6.bias"]


def test_classic_nets_through_public_api() -> None:
    model = resnet_inspect.build("alexnet", num_classes=10, device="meta")
    assert model.classifier[-1].out_features == 10
    report = resnet_inspect.inspect("vgg11", device="meta")
    assert report.blocks == [] and report.layer_count.text == "11 layers = 8 conv + 3 fc"


# --- --plain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["resnet34", "resnet50", "resnet50d", "resnet20", "preact_resnet164", "wrn16_8",
             "resnext29_8x64d", "wide_resnet50_2", "vgg11"],
)
def test_plain_removes_exactly_the_shortcut_parameters(name: str) -> None:
    spec = get_spec(name)
    model = build_model(spec, device="meta")
    shortcut = sum(
        p.numel() for n, p in model.named_parameters() if ".downsample." in n
    )
    plain = build_model(spec.with_changes(plain=True), device="meta")
    assert sum(p.numel() for p in plain.parameters()) == params(spec) - shortcut
    # every convolution of the residual branches is still there, with the same shape
    kept = {n: p.shape for n, p in model.named_parameters() if ".downsample." not in n}
    assert {n: p.shape for n, p in plain.named_parameters()} == kept
    uses = {getattr(m, "shortcut_use", None) for m in plain.modules()} - {None}
    assert uses <= {ShortcutUse.NONE}


def test_plain_names() -> None:
    # He et al. 2015 name the baselines "plain-18" and "plain-34"; any name + "-plain" works
    for name in ("plain34", "plain-34", "resnet34-plain", "resnet34_plain"):
        spec = get_spec(name)
        assert spec.plain and spec.name == "resnet34-plain"
    assert get_spec("wrn16_8-plain").plain
    with pytest.raises(InspectError, match="plain networks take a ResNet depth"):
        get_spec("plain5")


def test_plain34_is_the_papers_baseline() -> None:
    # He et al. 2015, Figure 3 middle: the 34-layer plain net. Its projections are gone:
    # 3 x (1x1 conv + BN): 64*128 + 256 + 128*256 + 512 + 256*512 + 1024 = 173,824.
    assert params("resnet34") - params(get_spec("resnet34").with_changes(plain=True)) == (
        64 * 128 + 256 + 128 * 256 + 512 + 256 * 512 + 1024
    )


# --- names and errors -----------------------------------------------------------------------


def test_names() -> None:
    assert get_spec("ResNet-50").name == "resnet50"
    assert get_spec("50").name == "resnet50"
    assert get_spec("resnext50-32x4d").name == "resnext50_32x4d"
    assert get_spec("resnext152_32x4d").layer_counts == (3, 8, 36, 3)
    fams = families()
    assert sum(len(v) for v in fams.values()) == len(all_presets())
    assert "Classic CNN" in fams and "Wide ResNet" in fams


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("resnet5O", "unknown architecture 'resnet5O' (did you mean resnet50?)"),
        ("vgg16bn", "(did you mean vgg16_bn?)"),
        ("wrn27_3", "a Wide ResNet's depth is 6n+4 (10, 16, 22, 28, 34, 40, ...)"),
        ("wrn28_0", "the widening factor k must be at least 1"),
        ("resnext51_32x4d", "ResNeXt depths are 29 (CIFAR) and 50, 101, 152"),
        ("resnext29_0x64d", "cardinality and width must be positive"),
    ],
)
def test_name_errors(name: str, message: str) -> None:
    with pytest.raises(InspectError) as err:
        get_spec(name)
    assert message in str(err.value)


def test_depth_flag_points_to_cifar_names() -> None:
    from resnet_inspect.spec.registry import spec_for_depth

    with pytest.raises(InspectError, match="for the ResNet \\(CIFAR\\) network name it: resnet56"):
        spec_for_depth(56)


# --- `resnet-inspect list` -------------------------------------------------------------------


@pytest.fixture
def width80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_list_shows_every_preset_by_family(capsys: pytest.CaptureFixture[str],
                                           width80: None) -> None:
    result = run_cli(capsys, "list", "--no-counts")
    assert result.code == 0
    for family, presets in families().items():
        assert family in result.out
        for p in presets:
            assert p.name in result.out
    assert max(len(line.rstrip()) for line in result.out.splitlines()) <= 80


def test_list_counts(capsys: pytest.CaptureFixture[str], width80: None) -> None:
    result = run_cli(capsys, "list", "resnext29")
    assert result.code == 0
    # the ResNeXt-29 rows: exact params and MACs at 3x32x32
    assert "34,426,698" in result.out and "68,155,210" in result.out
    assert "3x32x32" in result.out
    result = run_cli(capsys, "list", "lenet", "--json")
    # LeNet-5 MACs: C1 28x28x6 x 25 = 117,600; C3 10x10x16 x 150 = 240,000; C5 120 x 400
    # = 48,000; F6 120 x 84 = 10,080; output 84 x 10 = 840; total 416,520
    assert json.loads(result.out) == [{
        "name": "lenet5", "family": "Classic CNN", "summary": all_presets()["lenet5"].summary,
        "params": 61_706, "macs": 117_600 + 240_000 + 48_000 + 10_080 + 840,
        "input_shape": [1, 32, 32],
    }]


def test_list_unknown_filter(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "list", "transformer")
    assert result.code == 2 and "no preset matches 'transformer'" in result.err


def test_meta_and_cpu_builds_agree_for_a_classic_net() -> None:
    spec = get_spec("lenet5")
    cpu = resnet_inspect.inspect(spec, device="cpu")
    meta = resnet_inspect.inspect(spec, device="meta")
    assert cpu.totals == meta.totals
    assert torch.Size(cpu.layers[-1].output_shape) == torch.Size([1, 10])


def test_list_golden(capsys: pytest.CaptureFixture[str], width80: None, golden) -> None:  # type: ignore[no-untyped-def]
    # every preset's params and MACs in one reviewed file; regenerate with --update-golden
    result = run_cli(capsys, "list")
    assert result.code == 0
    golden("list/list_80.txt", result.out)


def test_unknown_override_is_a_user_error() -> None:
    with pytest.raises(InspectError, match="vgg16 has no setting 'block'"):
        resnet_inspect.resolve_spec("vgg16", block="basic")
    with pytest.raises(InspectError, match="resnet50 has no setting 'widht'"):
        resnet_inspect.resolve_spec("resnet50", widht=3)
