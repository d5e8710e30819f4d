"""`--model FILE.py:CALLABLE` and `--model MODULE:CALLABLE` from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

HERE = Path(__file__).parent
REFS = str(HERE / "reference_models.py")


def test_summary_of_a_users_file(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "--model", f"{REFS}:make_functional_cnn", "--input",
                "3x8x8", "--batch", "2", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    # conv 27,648 + 36,864 and linear 320 MACs (worked out in test_user_models.py)
    assert data["totals"]["macs"] == 64_832
    assert data["model"] == "make_functional_cnn"


def test_summary_of_a_module_path_and_a_sequence_input(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent)
    r = run_cli(capsys, "summary", "--model", "tests.reference_models:SdpaAttention",
                "--input", "10x32", "--json")
    # SdpaAttention needs its arguments: the factory error names the cause
    assert r.code == 2 and "calling SdpaAttention() raised TypeError" in r.err
    r = run_cli(capsys, "summary", "--model", "tests.reference_models:WithAuxHead",
                "--input", "4", "--level", "layer")
    assert r.code == 0, r.err
    assert "aux.0" in r.out and "Not called" in r.out


def test_an_unsupported_operator_is_named_in_the_footer(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "--model", f"{REFS}:SortedTokens", "--input", "8")
    assert r.code == 0, r.err
    assert "No formula" in r.out and "aten.sort x1" in r.out


def test_compare_puts_the_users_network_beside_a_preset(
        capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "compare", "resnet50", "--model", f"{REFS}:TorchvisionStyleNet", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [n["name"] for n in data["networks"]] == ["resnet50", "TorchvisionStyleNet"]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope.py:make", "no such file nope.py"),
        ("reference_models", "expected MODULE:CALLABLE or FILE.py:CALLABLE"),
        (f"{REFS}:make_functional_cnnn", "has no attribute 'make_functional_cnnn' (did you "
                                         "mean make_functional_cnn?)"),
        ("no_such_package_xyz:Net", "no module named 'no_such_package_xyz'"),
        (f"{REFS}:EXAMPLE_NOT_THERE", "has no attribute"),
    ],
)
def test_bad_model_references(capsys: pytest.CaptureFixture[str], ref: str, message: str) -> None:
    r = run_cli(capsys, "summary", "--model", ref)
    assert r.code == 2
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_import_errors_and_bad_factories(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\nraise ValueError('config missing')\n")
    r = run_cli(capsys, "summary", "--model", f"{broken}:net")
    assert r.code == 2 and "importing" in r.err and "ValueError: config missing" in r.err
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def f(:\n")
    r = run_cli(capsys, "summary", "--model", f"{syntax}:f")
    assert r.code == 2 and "SyntaxError" in r.err
    odd = tmp_path / "odd.py"
    odd.write_text("def make():\n    return 42\nVALUE = 3\n")
    r = run_cli(capsys, "summary", "--model", f"{odd}:make")
    assert r.code == 2 and "make() returned a int, not an nn.Module" in r.err
    r = run_cli(capsys, "summary", "--model", f"{odd}:VALUE")
    assert r.code == 2 and "not an nn.Module or a callable" in r.err


def test_architecture_flags_do_not_apply_to_a_users_model(
        capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "--model", f"{REFS}:make_functional_cnn", "--depth", "50")
    assert r.code == 2 and "--depth only applies to resnet-inspect's own networks" in r.err


def test_a_model_that_raises_is_a_runtime_failure_with_its_cause(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nclass Net(torch.nn.Module):\n"
                   "    def forward(self, x):\n        raise KeyError('missing head')\n")
    r = run_cli(capsys, "summary", "--model", f"{bad}:Net", "--device", "cpu")
    assert r.code == 1
    assert "missing head" in r.err and len(r.err.strip().splitlines()) == 1


def test_report_page_of_a_users_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "mine.html"
    r = run_cli(capsys, "report", "--model", f"{REFS}:TorchvisionStyleNet", "-o", str(out))
    assert r.code == 0, r.err
    page = out.read_text()
    # its parameters, as counted by the summary (torchvision-style blocks: 539,466)
    assert "539,466" in page and "TorchvisionStyleNet" in page


def test_diagram_of_a_users_model(capsys: pytest.CaptureFixture[str]) -> None:
    """`diagram --model` draws the user's network from its trace's dataflow graph (it used
    to be refused with "no architecture given", then drawn as its module tree): a cluster
    per module with children, each block's `out += identity` a node fed by its main path
    and by its shortcut, a projection dashed; the parameter count in the subtitle is the
    summary's (539,466)."""
    r = run_cli(capsys, "diagram", "--model", f"{REFS}:TorchvisionStyleNet", "--format", "dot")
    assert r.code == 0, r.err
    assert "539,466 params" in r.out and "cluster_layer1_0" in r.out
    # layer1.0 projects (64 -> 256 channels: its downsample reads the max pool's output);
    # layer1.1 adds its own input, layer1.0's sum, unchanged (solid)
    assert "\tmaxpool -> layer1_0_downsample_0\n" in r.out
    assert re.search(r"layer1_0_downsample_0 -> layer1_0_add \[.*style=dashed", r.out)
    assert re.search(r"layer1_0_add -> layer1_1_add \[.*style=solid", r.out)
    r = run_cli(capsys, "diagram", "resnet50", "--model", f"{REFS}:TorchvisionStyleNet")
    assert r.code == 2 and "both a name (resnet50) and --model" in r.err
    r = run_cli(capsys, "diagram", "--model", f"{REFS}:TorchvisionStyleNet", "--beside", "resnet18")
    assert r.code == 2 and "draw --model on its own" in r.err
    r = run_cli(capsys, "diagram", "block", "basic", "--model", f"{REFS}:TorchvisionStyleNet")
    assert r.code == 2 and "--model draws your network: drop `block`" in r.err
