"""Custom networks from flags and from --config files: same model either way, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resnet_inspect.cli.options import ModelOptions
from resnet_inspect.errors import InspectError
from resnet_inspect.models.builder import build_model
from resnet_inspect.spec.arch import ArchSpec, BlockKind, ClassicSpec, ShortcutKind, StemKind
from resnet_inspect.spec.config import load_config
from resnet_inspect.spec.merge import spec_from_settings
from resnet_inspect.spec.numbers import parse_input
from resnet_inspect.spec.registry import get_spec
from tests.cli_helpers import run_cli
from tests.published import PARAMS


def params(spec: object) -> int:
    return sum(p.numel() for p in build_model(spec, device="meta").parameters())  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The same ResNet-50 in each format: only block and layers, everything else defaults.
RESNET50_FILES = {
    "r50.toml": 'block = "bottleneck"\nlayers = [3, 4, 6, 3]\n',
    "r50.yaml": "block: bottleneck\nlayers: [3, 4, 6, 3]\n",
    "r50.yml": "block: bottleneck\nlayers:\n  - 3\n  - 4\n  - 6\n  - 3\n",
    "r50.json": '{"block": "bottleneck", "layers": [3, 4, 6, 3]}\n',
}


@pytest.mark.parametrize("name", RESNET50_FILES)
def test_block_and_layers_alone_is_resnet50(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, RESNET50_FILES[name])
    spec = ModelOptions(config=path).spec()
    assert isinstance(spec, ArchSpec)
    # torchvision's resnet50: 25,557,032 parameters
    assert params(spec) == PARAMS["resnet50"]
    assert spec.stages == get_spec("resnet50").stages  # type: ignore[union-attr]


def test_flags_and_file_give_the_same_model(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", """
block = "bottleneck"
layers = [3, 4, 6, 3]
groups = 32
width-per-group = 4
stem = "deep"
avg-down = true
stride-on = "1x1"
num-classes = 100
""")
    from_file = ModelOptions(config=path).spec()
    from_flags = ModelOptions(
        block=BlockKind.BOTTLENECK, layers="3,4,6,3", groups=32, width_per_group=4,
        stem=StemKind.DEEP, avg_down=True, stride_on="1x1", num_classes=100,  # type: ignore[arg-type]
    ).spec()
    assert from_file == from_flags
    a = build_model(from_file, device="meta")  # type: ignore[arg-type]
    b = build_model(from_flags, device="meta")  # type: ignore[arg-type]
    assert [(n, p.shape) for n, p in a.named_parameters()] == [
        (n, p.shape) for n, p in b.named_parameters()
    ]


def test_preset_base_with_overrides_and_flags_win(tmp_path: Path) -> None:
    path = write(tmp_path, "base.yaml", "arch: resnet50\nnum-classes: 10\ngroups: 32\n"
                                        "width-per-group: 4\n")
    spec = ModelOptions(config=path).spec()
    assert isinstance(spec, ArchSpec)
    # resnext50_32x4d (25,028,904) with a 10-way classifier: - 2049 x 990
    assert params(spec) == 25_028_904 - 2_049 * 990
    assert spec.name == "resnet50*"
    flags_win = ModelOptions(config=path, num_classes=1000).spec()
    assert params(flags_win) == 25_028_904
    # a name on the command line replaces the file's arch; the file's other keys stay
    named = ModelOptions(config=path).spec("resnet101")
    assert isinstance(named, ArchSpec) and named.layer_counts == (3, 4, 23, 3)
    assert named.groups == 32 and named.num_classes == 10


def test_custom_cifar_defaults(tmp_path: Path) -> None:
    # A CIFAR stem implies the CIFAR setting (He et al. 2015, section 4.2): 16/32/64 wide,
    # 16-channel stem, 10 classes, 32x32 input; with option A this is ResNet-20.
    spec = ModelOptions(block=BlockKind.BASIC, layers="3,3,3", stem=StemKind.CIFAR,
                        shortcut=ShortcutKind.A).spec()
    assert isinstance(spec, ArchSpec)
    assert spec.input_shape == (3, 32, 32) and spec.num_classes == 10
    assert params(spec) == 269_722  # resnet20, He et al. 2015 Table 6 (0.27M)


def test_cifar_stem_on_an_imagenet_preset() -> None:
    # The common CIFAR ResNet-18 (e.g. kuangliu/pytorch-cifar): a 3x3 stem of 64 channels
    # without max pool and a 10-way fc: 11,689,512 - 9,408 + 1,728 - 513,000 + 5,130.
    spec = ModelOptions(stem=StemKind.CIFAR, num_classes=10).spec("resnet18")
    assert isinstance(spec, ArchSpec) and spec.input_shape == (3, 32, 32)
    assert params(spec) == PARAMS["resnet18"] - 9_408 + 1_728 - 513_000 + 5_130 == 11_173_962


def test_input_key_sets_the_default_input(tmp_path: Path) -> None:
    path = write(tmp_path, "in.json", '{"arch": "resnet18", "input": "3x96x96"}')
    assert ModelOptions(config=path).spec().input_shape == (3, 96, 96)  # type: ignore[union-attr]
    assert load_config(write(tmp_path, "b.toml", "input = [1, 28, 28]\n"))["input"] == (1, 28, 28)


@pytest.mark.parametrize(("text", "flag"), [("3,32,32", "3,32,32"), ("3×32×32", "3x32x32"),
                                           ("32", "32")])
def test_input_string_is_read_as_the_input_flag(tmp_path: Path, text: str, flag: str) -> None:
    # one rule for a shape (spec/numbers.py): a config's string reads as --input reads it;
    # '32' is 3 channels, square, as the flag takes it
    got = load_config(write(tmp_path, "in.toml", f'input = "{text}"\n'))["input"]
    assert got == parse_input(flag) == (3, 32, 32)


@pytest.mark.parametrize("text", ["+3x32x32", "3x32x32,", "3x+32x32"])
def test_input_string_refused_as_the_input_flag_refuses_it(tmp_path: Path, text: str) -> None:
    # --input refuses a sign in a dimension and an empty one; a config's string the same
    path = write(tmp_path, "in.toml", f'input = "{text}"\n')
    with pytest.raises(InspectError) as err:
        load_config(path)
    assert str(err.value) == (f"{path}, line 1: 'input' must be a shape CxHxW, e.g. "
                              f'"3x32x32" or [3, 32, 32], got "{text}"')
    with pytest.raises(InspectError, match="is not a shape"):
        parse_input(text)


def test_classic_net_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "vgg.toml", 'arch = "vgg16"\nnum-classes = 10\n')
    spec = ModelOptions(config=path).spec()
    assert isinstance(spec, ClassicSpec)
    # torchvision vgg16 (138,357,544) with a 10-way last layer: - 4097 x 990
    assert params(spec) == PARAMS["vgg16"] - 4_097 * 990


def test_plain_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "arch: resnet34\nplain: true\n")
    spec = ModelOptions(config=path).spec()
    assert isinstance(spec, ArchSpec) and spec.plain and spec.name == "resnet34-plain"


def test_config_is_data_only(tmp_path: Path) -> None:
    # yaml's unsafe tags would construct Python objects; the safe loader refuses them
    path = write(tmp_path, "evil.yaml", "block: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InspectError, match="not valid YAML"):
        load_config(path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.toml", 'block = "bottleneck"\nlayrs = [3, 4, 6, 3]\n',
         "a.toml, line 2: unknown key 'layrs' (did you mean layers?)"),
        ("a.toml", 'block = "bottleneck"\nlayers = [3, 4, 6, 3]\ngroups = "32"\n',
         "a.toml, line 3: 'groups' must be a positive integer, got \"32\""),
        ("a.toml", "groups = true\n", "'groups' must be a positive integer, got true"),
        ("a.toml", "layers = [3, 0, 6]\n",
         "line 1: 'layers' must be a list of at most 16 positive"),
        ("a.toml", 'block = "bottle"\n', "'block' must be one of \"basic\", \"bottleneck\""),
        ("a.toml", "layers = [3, 4, 6, 3\n", "a.toml: not valid TOML"),
        ("a.toml", "[model]\nblock = 'basic'\n", "line 1: 'model' is a table"),
        ("a.yaml", "block: basic\nlayers: [2, 2]\nplain: maybe\n",
         "a.yaml, line 3: 'plain' must be true or false, got \"maybe\""),
        ("a.yaml", "block: basic\n  layers: [2, 2\n", "a.yaml, line 2: not valid YAML"),
        ("a.yaml", "- 1\n- 2\n", "expected a table of settings"),
        ("a.json", '{\n  "block": "basic",\n  "stem": "tiny"\n}\n',
         "a.json, line 3: 'stem' must be one of \"imagenet\", \"cifar\", \"deep\""),
        ("a.json", '{\n  "block": "basic",\n  "layers": [2, 2,]\n}\n',
         "a.json, line 3: not valid JSON"),
        ("a.json", '{"arch": "resnet50", "depth": 50}', "both 'arch' and 'depth' are set"),
        ("a.ini", "block = basic\n", "unknown config format '.ini'"),
    ],
)
def test_config_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InspectError) as err:
        load_config(write(tmp_path, name, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_file_without_a_network(tmp_path: Path) -> None:
    path = write(tmp_path, "nc.toml", "num-classes = 10\n")
    with pytest.raises(InspectError, match=r"nc\.toml names no network; add arch"):
        ModelOptions(config=path).spec()
    # ... but it can modify a network named elsewhere
    spec = ModelOptions(config=path).spec("resnet18")
    assert isinstance(spec, ArchSpec) and spec.num_classes == 10


def test_binary_config_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InspectError, match="it is not UTF-8 text"):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(InspectError, match=r"cannot read config file .*: No such file"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"block": BlockKind.BASIC}, "a custom network needs --layers too"),
        ({"layers": (3, 4)}, "a custom network needs --block too"),
        ({"block": BlockKind.BASIC, "layers": (2, 2), "groups": 32},
         "--groups 32 needs a bottleneck block"),
        ({"block": BlockKind.BOTTLENECK, "layers": (2, 2), "widths": (64,)},
         "--layers has 2 stages but --widths has 1"),
        ({"block": BlockKind.BOTTLENECK, "layers": (1,), "widths": (16,),
          "width_per_group": 2}, "rounds down to 0 channels"),
        ({"arch": "vgg16", "block": BlockKind.BASIC},
         "vgg16 is not a residual network, so --block does not apply"),
        ({"block": BlockKind.BASIC, "layers": (2,), "stem": StemKind.DEEP, "stem_width": 33},
         "--stem-width 33 must be even"),
        ({}, "no architecture given"),
    ],
)
def test_settings_errors(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InspectError) as err:
        spec_from_settings(settings)
    assert message in str(err.value)


# --- the same through the CLI, in every command that takes a network ---------------------------


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_summary_with_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "r50.toml", RESNET50_FILES["r50.toml"])
    result = run_cli(capsys, "summary", "--config", str(path), "--device", "meta", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["totals"]["params"] == PARAMS["resnet50"]


@pytest.mark.parametrize("command", ["summary", "diagram"])
def test_bad_config_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       command: str) -> None:
    path = write(tmp_path, "bad.yaml", "arch: resnet50\nwidth_per_group: four\n")
    args = [command, "--config", str(path)]
    if command == "diagram":
        args += ["-o", str(tmp_path / "out.dot")]
    result = run_cli(capsys, *args)
    assert result.code == 2
    assert "line 2: 'width_per_group' must be a positive integer" in result.err
    assert result.err.count("\n") == 1 and result.out == ""
    assert not (tmp_path / "out.dot").exists()


def test_flag_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in [
        (["--block", "basic", "--layers", "2,0,2"], "--layers 2,0,2: counts must be positive"),
        (["vgg16", "--groups", "4"], "vgg16 is not a residual network"),
        (["wrn27_3"], "a Wide ResNet's depth is 6n+4"),
        (["resnet50", "--groups", "0"], "--groups must be a positive integer, got 0"),
    ]:
        result = run_cli(capsys, "summary", *args, "--device", "meta")
        assert result.code == 2, args
        assert message in result.err and result.err.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "wrn16_8", "--device", "meta"],
        ["summary", "vgg11_bn", "--device", "meta", "--level", "layer"],
        ["summary", "resnet50", "--stride-on", "1x1", "--avg-down", "--stem", "deep"],
        ["summary", "--block", "preact-bottleneck", "--layers", "2,2,2", "--stem", "cifar"],
        ["compare", "resnet34", "plain34"],
        ["compare", "resnet50", "resnext50_32x4d", "wide_resnet50_2"],
        ["compare", "resnet20", "lenet5"],
        ["diagram", "resnext29_8x64d", "--format", "dot"],
        ["diagram", "lenet5", "--format", "dot"],
    ],
)
def test_every_command_takes_the_variants(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, args: list[str]) -> None:
    if args[0] == "diagram":
        args = [*args, "-o", str(tmp_path / "net.dot")]
    result = run_cli(capsys, *args)
    assert result.code == 0, result.err
    if args[0] == "diagram":
        assert (tmp_path / "net.dot").read_text().startswith("digraph")


def test_compare_takes_a_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "r50.toml", RESNET50_FILES["r50.toml"])
    result = run_cli(capsys, "compare", "resnet50", str(path), "--json")
    assert result.code == 0, result.err
    assert "25557032" in result.out.replace(",", "").replace(" ", "")
