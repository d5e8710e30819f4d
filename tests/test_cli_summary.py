"""`resnet-inspect summary` as a user runs it: output, exports, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.cli_helpers import main_in_fresh_python, run_cli
from tests.invariants import table_sums
from tests.published import PARAMS


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.mark.parametrize("level", ["stage", "block", "layer"])
def test_summary_golden_resnet50(capsys: pytest.CaptureFixture[str], golden, level: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(capsys, "summary", "--depth", "50", "--device", "cpu", "--level", level)
    assert result.code == 0, result.err
    golden(f"summary/resnet50_{level}_80.txt", result.out)
    assert max(len(line) for line in result.out.splitlines()) <= 80
    # the rows add up to the printed total (the golden fixture checks that), and the total
    # is torchvision's count (its model table: 25,557,032 for ResNet-50)
    total = next(line for line in result.out.splitlines() if line.startswith(" Total"))
    assert f"{PARAMS['resnet50']:,}" in total.split()
    assert table_sums(result.out, level) == 2  # params and MACs columns


def test_summary_wide_adds_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "140")
    result = run_cli(capsys, "summary", "resnet18", "--device", "meta")
    assert result.code == 0
    header = next(line for line in result.out.splitlines() if "Output shape" in line)
    assert "Input shape" in header and "FLOPs" in header and "Activations" in header
    assert max(len(line) for line in result.out.splitlines()) <= 140


def test_summary_states_the_convention(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(capsys, "summary", "--depth", "101", "--device", "meta").out
    assert "101 = 1 conv + 3 x (3 + 4 + 23 + 3) block convs + 1 fc" in out
    assert "(conv+fc)" in out  # the header states the convention
    assert "7.80 G conv+fc (7,801,405,440); FLOPs 15.60 G = 2 x MACs" in out
    assert "batch-norm" in out and "elementwise" in out


def test_caffe_and_paper_names(capsys: pytest.CaptureFixture[str]) -> None:
    def layer_names(depth: str, scheme: str) -> str:
        return run_cli(capsys, "summary", "--depth", depth, "--device", "meta", "--level",
                       "layer", "--names", scheme).out

    out = layer_names("101", "caffe")
    # the original Caffe release's ResNet-101 names (seed 001 lists ResNet-50's)
    for name in (
        "bn_conv1",
        "pool1",
        "res2a_branch2a",
        "res2a_branch1",
        "res4b22_branch2c",
        "bn5c_branch2c",
        "pool5",
        "fc1000",
    ):
        assert re.search(rf"^\s+{name}\s", out, re.M), name
    out = run_cli(capsys, "summary", "--depth", "50", "--device", "meta", "--names", "paper").out
    assert re.search(r"^ conv4_x\.6\s", out, re.M)
    out = layer_names("50", "caffe")
    assert re.search(r"^\s+res4f_branch2c\s", out, re.M)  # ResNet-50 letters its blocks


def test_json_to_stdout_and_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "summary", "resnet34", "--json", "--device", "meta")
    data = json.loads(result.out)
    assert data["model"] == "resnet34"
    assert data["input_shape"] == [1, 3, 224, 224]
    assert data["totals"]["params"] == PARAMS["resnet34"]
    assert data["totals"]["macs"] == 3_663_761_408
    target = tmp_path / "r34.json"
    result = run_cli(capsys, "summary", "resnet34", "--json", "-o", str(target), "--device", "meta")
    assert result.code == 0 and result.out == ""
    assert json.loads(target.read_text()) == data
    assert [p.name for p in tmp_path.iterdir()] == ["r34.json"]  # no temporary left behind


def test_csv_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(capsys, "summary", "18", "--csv", "--level", "stage", "--device", "meta").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
    assert sum(int(r["params"]) for r in rows) == PARAMS["resnet18"]
    # basic blocks, two 3x3 each, v1.5: stem 7 (j 2), pool 11 (j 4); conv2_x 11 + 4 x 8 = 43;
    # conv3_x 43 + 8 (the 3x3/2 at j 4) + 3 x 16 = 99; conv4_x 99 + 16 + 3 x 32 = 211;
    # conv5_x 211 + 32 + 3 x 64 = 435; fc after the global pool
    assert [(r["receptive_field"], r["jump"]) for r in rows] == [
        ("7", "2"), ("43", "4"), ("99", "8"), ("211", "16"), ("435", "32"), ("global", "")]
    md = run_cli(capsys, "summary", "18", "--markdown", "--device", "meta").out
    # the RF/jump column has no total
    assert "| **Total** | | | | **11,689,512** | **1,814,073,344** |" in md
    # layer4.1: params 2 x 512 x 512 x 9 + 2 x 2 x 512 (BN) = 4,720,640
    assert "| layer4.1 | basic | 1x512x7x7 | 435/32 | 4,720,640 | 231,211,008 |" in md


def test_batch_and_input(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(
        capsys,
        "summary",
        "18",
        "--input",
        "3x448x448",
        "--batch",
        "4",
        "--device",
        "meta",
        "--json",
    ).out
    data = json.loads(out)
    # MACs grow with the number of output pixels (4x) and the batch (4x), except fc's
    assert data["input_shape"] == [4, 3, 448, 448]
    conv = data["totals"]["by_category"]["conv"]["macs"]
    assert conv == 16 * (1_814_073_344 - 512_000)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depth", "17"], "--depth 17 is not a ResNet depth; use one of 18, 34, 50, 101, 152"),
        (["18", "--input", "banana"], "--input 'banana' is not a shape: 'b' (LATIN"),
        (["18", "--input", "3x0x224"], "every dimension must be at least 1"),
        (["18", "--batch", "0"], "--batch must be a positive integer, got 0"),
        (["resnet5O"], "unknown architecture 'resnet5O' (did you mean resnet50?)"),
        (["18", "--level", "stages"], "'stages' is not one of"),
        ([], "no architecture given"),
        (["18", "--json", "--csv"], "choose one of --json, --csv, --markdown and --latex"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "summary", *args)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert result.out == ""


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error is for machines without CUDA")
def test_cuda_without_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "summary", "18", "--device", "cuda")
    assert result.code == 2
    assert "no CUDA GPU is visible" in result.err and "--device cpu" in result.err


def test_output_in_missing_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    result = run_cli(capsys, "summary", "18", "--json", "-o", str(target))
    assert result.code == 2
    assert "does not exist" in result.err
    assert not target.parent.exists()


def test_output_under_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run_cli(capsys, "summary", "18", "--json", "-o", str(blocker / "out.json"))
    assert result.code == 2 and "does not exist" in result.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only directory")
def test_output_in_unwritable_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        result = run_cli(capsys, "summary", "18", "--json", "-o", str(tmp_path / "out.json"))
    finally:
        tmp_path.chmod(0o700)
    assert result.code == 2 and "not writable" in result.err


def _installed_command() -> str:
    path = Path(sys.executable).parent / "resnet-inspect"
    if not path.exists():
        pytest.skip("the resnet-inspect console script is not installed beside this Python")
    return str(path)


def test_installed_command_smoke() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [_installed_command(), "summary", "--depth", "18", "--device", "meta"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "11,689,512" in done.stdout and "1.81 G" in done.stdout
    bad = subprocess.run(
        [_installed_command(), "summary", "--depth", "17"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("resnet-inspect: error: --depth 17")


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from resnet_inspect.cli import main\n"
        "try:\n    main(['summary', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert "resnet-inspect summary --depth 101" in done.stdout  # the example in the help
    assert done.stdout.strip().endswith("NO-TORCH")


def test_count_changes_the_headline(capsys: pytest.CaptureFixture[str]) -> None:
    conv = json.loads(run_cli(capsys, "summary", "18", "--json").out)["totals"]
    norm = json.loads(run_cli(capsys, "summary", "18", "--json", "--count", "conv+norm").out)
    every = json.loads(run_cli(capsys, "summary", "18", "--json", "--count", "all").out)
    # Against figures from the architecture, not the code's own sums. ResNet-18 at 224:
    # conv+fc 1,814,073,344 MACs (torchvision's GFLOPS column).
    # BN outputs: stem 64x112x112 = 802,816; layer1 4 x 64x56x56 = 802,816; layer2
    # 5 x 128x28x28 = 501,760 (4 + the projection's); layer3 5 x 50,176 = 250,880; layer4
    # 5 x 25,088 = 125,440: 2,483,712 elements, one MAC each in eval mode (fvcore counts
    # the same BN at 2 per element: 4,967,424 of its 1,819,065,856).
    assert conv["macs"] == 1_814_073_344 and conv["flops"] == 2 * 1_814_073_344
    assert norm["totals"]["macs"] == 1_814_073_344 + 2_483_712
    # all: FLOPs also take the FLOP-only ops. ReLU outputs: 802,816 + 4 x 200,704 +
    # 4 x 100,352 + 4 x 50,176 + 4 x 25,088 = 2,308,096; pooling: the 3x3 max pool's
    # 64x56x56 outputs x 8 comparisons = 1,605,632 + the global average pool's 25,088
    # inputs = 1,630,720; residual adds: 2 x (200,704 + 100,352 + 50,176 + 25,088) =
    # 752,640; BN at 2 FLOPs per MAC = 4,967,424.
    assert every["totals"]["flops"] == (2 * 1_814_073_344 + 4_967_424 + 2_308_096
                                        + 1_630_720 + 752_640) == 3_637_805_568
    assert every["totals"]["macs"] == norm["totals"]["macs"]  # the FLOP-only ops add no MAC
    text = run_cli(capsys, "summary", "18", "--count", "conv+norm").out
    assert "(conv+fc+bn)" in text


def test_ops_columns_sum_to_categories(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(capsys, "summary", "18", "--ops", "--level", "stage").out
    assert "Per op type" in out
    # the footer quotes the other tools' figures by their rules; e.g. fvcore adds BN at
    # 2 per element (2 x 2,483,712) and the global pool's 25,088 inputs to conv+fc
    # (fvcore 0.1.5 run on ResNet-18 prints 1,819,065,856: tests/test_check.py runs it)
    assert "fvcore: 1,819,065,856 flops" in out
    assert "paddle.summary: 11,699,112 params" in out  # 11,689,512 + 9,600 running stats


def test_time_on_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "summary", "resnet18", "--time", "--device", "cpu",
                     "--input", "3x64x64", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    timing = data["timing"]
    assert timing["device"].startswith("cpu")
    times = [layer["seconds"] for layer in timing["layers"]]
    assert times and all(t >= 0 for t in times) and sum(times) > 0


def test_time_refuses_meta(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "summary", "18", "--time", "--device", "meta")
    assert result.code == 2 and "--time measures on a real device" in result.err


def test_version_is_fast_and_needs_no_torch() -> None:
    done = main_in_fresh_python(["--version"], "'torch' in sys.modules, code")
    from resnet_inspect import __version__

    assert done.stdout.splitlines() == [f"resnet-inspect {__version__}", "False 0"]


def test_time_off_a_terminal_says_what_it_is_doing(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 12: `summary resnet50 --time` off a terminal printed nothing for minutes
    result = run_cli(capsys, "summary", "18", "--time", "--device", "cpu", "--input",
                     "3x32x32", "--level", "stage", "--json")
    assert result.code == 0
    assert result.err == ("resnet-inspect: timing resnet18 at batch 1 (warm-up and timed "
                          "passes; the result follows when they finish)\n")
    assert json.loads(result.out)["timing"]["device"] == "cpu"


def test_csv_rows_carry_every_category(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 12: CSV gave batch-norm, ReLU and pooling macs=0,flops=0 with no category.
    # ResNet-18's bn1 normalises 64x112x112 = 802,816 elements (one MAC each, eval mode);
    # relu touches the same 802,816; the 3x3 max pool makes 64x56x56 outputs x 8
    # comparisons = 1,605,632 FLOPs.
    out = run_cli(capsys, "summary", "18", "--csv", "--level", "layer").out
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    bn, relu, pool = rows["bn1"], rows["relu"], rows["maxpool"]
    assert (bn["category"], bn["all_macs"], bn["all_flops"]) == ("norm", "802816", "1605632")
    assert (relu["category"], relu["all_flops"]) == ("activation", "802816")
    assert (pool["category"], pool["all_flops"]) == ("pool", "1605632")
    assert bn["macs"] == "0"  # the headline (conv+fc) leaves batch-norm out, as it says
    # headline columns still sum to torchvision's figure: 1,814,073,344 MACs
    assert sum(int(r["macs"]) for r in rows.values()) == 1_814_073_344


def test_a_command_imports_only_its_own_module() -> None:
    # `list` registers only itself: compare's and diagram's renderers stay unimported
    # (format_option is the shared --format flag, no command)
    done = main_in_fresh_python(
        ["list", "--no-counts"],
        "sorted(m for m in sys.modules if m.startswith('resnet_inspect.cli.')), code")
    assert done.stdout.splitlines()[-1] == (
        "['resnet_inspect.cli.app', 'resnet_inspect.cli.format_option', "
        "'resnet_inspect.cli.list_cmd'] 0")


def test_help_lists_every_command_by_name_after_another_ran(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "summary", "--help").code == 0  # registers summary first
    result = run_cli(capsys, "--help")
    names = [line.split()[1] for line in result.out.splitlines()
             if line.startswith("│ ") and line.split()[1] in
             ("check", "compare", "diagram", "list", "report", "summary")]
    assert names == ["check", "compare", "diagram", "list", "report", "summary"]


def test_the_command_process_ends_with_its_output_whole_and_its_exit_code(
        tmp_path: Path) -> None:
    # Run as a process, a command ends with os._exit once stdout and stderr are flushed
    # (Python's own exit would free the network object by object first): the output must
    # still be complete, files written, and the exit status the command's.
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "resnet_inspect", *args],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "80"})

    done = run("summary", "34", "--level", "stage")
    assert done.returncode == 0 and done.stderr == ""
    assert "21,797,672" in done.stdout and done.stdout.rstrip().endswith("total 180.08 MiB")
    table = tmp_path / "r50.md"
    done = run("summary", "50", "--markdown", "-o", str(table))
    assert done.returncode == 0 and "25,557,032" in table.read_text()
    bad = run("summary", "--depth", "17")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    piped = subprocess.run(f"'{sys.executable}' -m resnet_inspect list | head -n 1; "
                           "echo \"status ${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                           capture_output=True, text=True, timeout=120, check=False)
    assert piped.stdout.splitlines()[-1] == "status 0" and piped.stderr == ""


def test_the_command_list_gives_each_command_a_short_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    # report's docstring is a paragraph; the list showed it whole, broken where the source
    # lines broke. Each command gets a short help of its own (at most two lines at 80).
    out = run_cli(capsys, "--help").out
    listing = out[out.index("Commands"):]
    assert "stages expand" not in listing
    assert "report   One self-contained HTML page" in listing
    rows = [line for line in listing.splitlines() if line.startswith("│")]
    starts = [i for i, line in enumerate(rows) if line[2:3].strip()]  # a command's name
    assert len(starts) == 6
    assert max(b - a for a, b in zip(starts, [*starts[1:], len(rows)], strict=True)) <= 2


def _process(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "resnet_inspect", *args], stdout=subprocess.PIPE,
                          stderr=stderr, text=True, timeout=120, check=False)


def test_main_called_in_python_returns_to_its_caller() -> None:
    # Only the console script and `python -m` end the process with os._exit (`run`);
    # main() called from Python (a notebook, a test, a profiler) ends in SystemExit.
    code = ("import sys\nsys.argv = ['resnet-inspect', 'list', '--no-counts']\n"
            "from resnet_inspect.cli import main\n"
            "try:\n    main()\nexcept SystemExit as done:\n    print('exit', done.code)\n"
            "print('still here')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.splitlines()[-2:] == ["exit 0", "still here"]


def test_a_profiled_run_still_writes_its_profile(tmp_path: Path) -> None:
    profile = tmp_path / "prof.out"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m",
                    "resnet_inspect", "list", "--no-counts"], capture_output=True,
                   timeout=120, check=True)
    assert profile.stat().st_size > 10_000


def test_a_models_exit_message_is_printed(tmp_path: Path) -> None:
    source = tmp_path / "quits.py"
    source.write_text("import sys\n\ndef make():\n    sys.exit('my model needs CUDA')\n")
    done = _process("summary", "--model", f"{source}:make")
    assert done.returncode == 1 and "my model needs CUDA" in done.stderr


def test_a_closed_stderr_does_not_fail_a_run() -> None:
    done = _process("list", "--no-counts", stderr=subprocess.DEVNULL)
    assert done.returncode == 0 and "resnet50" in done.stdout
    closed = subprocess.run(f"'{sys.executable}' -m resnet_inspect list --no-counts 2>&- "
                            ">/dev/null; echo $?", shell=True, capture_output=True, text=True,
                            timeout=120, check=True)
    assert closed.stdout.strip() == "0"


def test_a_reader_that_stops_early_ends_every_command_with_0() -> None:
    # typer turns a closed pipe into exit 1; a reader taking the first line is not an error
    for command in ("summary 18", "compare 18 34", "list"):
        piped = subprocess.run(f"'{sys.executable}' -m resnet_inspect {command} | head -n 1 "
                               ">/dev/null; echo \"${PIPESTATUS[0]}\"", shell=True,
                               executable="/bin/bash", capture_output=True, text=True,
                               timeout=120, check=True)
        assert piped.stdout.strip() == "0" and piped.stderr == "", command


def test_help_before_a_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--help", "summary")
    for name in ("check", "compare", "diagram", "list", "report", "summary"):
        assert f"│ {name} " in result.out


def test_rf_column_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    # the paper's layout (Distill 2019's resnet_v1_50, tests/published.py): conv5_x ends at
    # 483 px, 32 px apart; --level stage shows it, block and layer views need --rf at 80
    stage = run_cli(capsys, "summary", "50", "--stride-on", "1x1", "--level", "stage").out
    assert re.search(r"conv5_x +3 +1x2048x7x7 +483/32 ", stage)
    block = run_cli(capsys, "summary", "50", "--stride-on", "1x1").out
    assert "RF/jump" not in block
    block = run_cli(capsys, "summary", "50", "--stride-on", "1x1", "--rf").out
    assert re.search(r"layer4\.2 +identity +1x2048x7x7 +483/32 ", block)
    assert max(len(line) for line in block.splitlines()) <= 80
    layer = run_cli(capsys, "summary", "50", "--stride-on", "1x1", "--level", "layer",
                    "--rf").out
    # fc reads every position once the global pool has run
    assert re.search(r"^ fc +1x1000 +global ", layer, re.M)
    assert max(len(line) for line in layer.splitlines()) <= 80
