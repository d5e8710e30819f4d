"""Bad input, round two (issue 25): cases a user with a shell tried after the first table
(tests/test_bad_input.py, whose checks each case here goes through: exit code, one stderr
line with the message, the older output untouched, no temporary file left).

The rule for numbers (spec/numbers.py): ASCII digits only, in every option and config value,
with a message naming the character; '3 4' is not 34 and '6_4' is not 64.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_inspect.errors import InspectError
from tests.cli_helpers import run_cli
from tests.test_bad_input import OLD, Case, c, check_case

S = "summary"
B = ("--block", "basic")
FULLWIDTH_3 = "\uff13"  # '３' FULLWIDTH DIGIT THREE
ARABIC_3 = "\u0663"  # '٣' ARABIC-INDIC DIGIT THREE

CASES: list[Case] = [
    # --- numbers on the command line: one rule for every option --------------------------
    c(S, *B, "--layers", "3 4", msg="--layers '3 4': '3 4' has a space inside; separate "
      "entries with commas"),
    c(S, *B, "--layers", "3,4 6", msg="'4 6' has a space inside"),
    c(S, *B, "--layers", "3\t4", msg="has a space inside"),
    c(S, *B, "--layers", "2,2", "--widths", "6 4,8", msg="--widths '6 4,8': '6 4' has a space"),
    c(S, *B, "--layers", "2", "--widths", "6_4", msg="'_' (LOW LINE) is not one of the "
      "digits 0-9"),
    c(S, *B, "--layers", f"{FULLWIDTH_3},4", msg=f"'{FULLWIDTH_3}' (FULLWIDTH DIGIT THREE) "
      "is not one of the digits 0-9", id="layers-fullwidth"),
    c(S, *B, "--layers", ARABIC_3, msg="(ARABIC-INDIC DIGIT THREE)", id="layers-arabic"),
    c(S, *B, "--layers", "+3,-4", msg="counts must be positive, got -4"),
    c(S, *B, "--layers", "0x10", msg="'x' (LATIN SMALL LETTER X)"),
    c(S, *B, "--layers", "1e3", msg="'e' (LATIN SMALL LETTER E)"),
    c(S, *B, "--layers", "9" * 5000, msg="--layers entry 9999999999...(5,000 digits) is above "
      "the limit of 1,000", id="layers-5000-digits"),
    c(S, "18", "--batch", ARABIC_3, msg=f"--batch '{ARABIC_3}' is not a whole number: "
      f"'{ARABIC_3}' (ARABIC-INDIC DIGIT THREE)", id="batch-arabic"),
    c(S, "18", "--batch", "1_0", msg="--batch '1_0' is not a whole number: '_' (LOW LINE)"),
    c(S, "18", "--batch", "1 0", msg="--batch '1 0' is not a whole number: a space"),
    c(S, "18", "--batch", "", msg="--batch '' is not a number"),
    c(S, "18", "--batch", "-", msg="--batch '-' is not a number"),
    c(S, "18", "--batch", "9" * 5000, msg="--batch 9999999999...(5,000 digits) is above the "
      "limit of 1,048,576", id="batch-5000-digits"),
    c(S, "18", "--batch", "-" + "9" * 5000, msg="--batch must be a positive integer",
      id="batch-minus-5000-digits"),
    c(S, "50", "--groups", FULLWIDTH_3 * 2, msg="--groups '３３' is not a whole number",
      id="groups-fullwidth"),
    c(S, "50", "--width-per-group", "4.0", msg="--width-per-group '4.0' is not a whole number"),
    c(S, "18", "--num-classes", "1e3", msg="--num-classes '1e3' is not a whole number"),
    c(S, "18", "--num-classes", "9" * 5000, msg="--num-classes 9999999999...(5,000 digits) is "
      "above the limit of 10,000,000", id="num-classes-5000-digits"),
    c(S, "18", "--stem-width", "6\u0664", msg="(ARABIC-INDIC DIGIT FOUR)", id="stem-arabic"),
    c(S, "--depth", "\uff15\uff10", msg="--depth '５０' is not a whole number",
      id="depth-fullwidth"),
    c(S, "18", "--input", f"3x{FULLWIDTH_3}2x32", msg="is not a shape: '３' (FULLWIDTH DIGIT "
      "THREE)", id="input-fullwidth"),
    c(S, "18", "--input", "3x2 2x32", msg="is not a shape: a space is not one of the digits"),
    c(S, "18", "--input", "3x+2x32", msg="is not a shape: '+' (PLUS SIGN)"),
    c("compare", "basic", "bottleneck", "--width", "6_4", msg="--width '6_4' is not a whole "
      "number"),
    c("compare", "basic", "bottleneck", "--stride", ARABIC_3, msg="--stride '٣' is not a "
      "whole number", id="stride-arabic"),
    c("compare", "basic", "bottleneck", "--channels", "6 4", msg="--channels '6 4' is not a "
      "channel count: a space"),
    c("compare", "basic", "bottleneck", "--channels", "64,1_28", msg="'_' (LOW LINE)"),
    c("compare", "basic", "bottleneck", "--spatial", "5\uff16", msg="--spatial '5６' is not a "
      "size: '６' (FULLWIDTH DIGIT SIX)", id="spatial-fullwidth"),
    c("diagram", "block", "bottleneck", "--width", "1 6", msg="--width '1 6' is not a whole "
      "number"),
    c("diagram", "18", "--batch", "0x1", msg="--batch '0x1' is not a whole number"),
    c("check", "18", "--batch", "２", msg="--batch '２' is not a whole number",
      id="check-batch-fullwidth"),
    # --- numbers in config files: the same rule ----------------------------------------
    c(S, "--config", "{d}/a.toml", files={"a.toml": 'block = "basic"\nlayers = "3 4"\n'},
      msg="line 2: 'layers' must be a list of at most 16 positive integers, e.g. [3, 4, 6, 3], "
      "got \"3 4\"; '3 4' has a space inside an entry"),
    c(S, "--config", "{d}/w.toml", files={"w.toml": 'arch = "resnet18"\nwidths = "6 4"\n'},
      msg="got \"6 4\"; '6 4' has a space inside"),
    c(S, "--config", "{d}/f.toml", files={"f.toml": 'block = "basic"\nlayers = "３,４"\n'},
      msg="got \"３,４\"; '３' (FULLWIDTH DIGIT THREE) is not one of the digits 0-9",
      id="toml-fullwidth-string"),
    c(S, "--config", "{d}/ar.json", files={"ar.json": '{"block": "basic", "layers": "\u0663"}'},
      msg="(ARABIC-INDIC DIGIT THREE)", id="json-arabic-string"),
    c(S, "--config", "{d}/in.yaml", files={"in.yaml": "arch: resnet18\ninput: 3x３2x32\n"},
      msg="line 2: 'input' must be a shape", id="yaml-input-fullwidth"),
    c(S, "--config", "{d}/u.toml", files={"u.toml": 'block = "basic"\nlayers = [6_4]\n'},
      msg="line 2: '6_4': write numbers with the digits 0-9 alone"),
    c(S, "--config", "{d}/h.toml", files={"h.toml": 'block = "basic"\nlayers = [0x10]\n'},
      msg="line 2: '0x10': write numbers"),
    c(S, "--config", "{d}/u.yaml", files={"u.yaml": "block: basic\nlayers: [6_4]\n"},
      msg="line 2: 'layers' must be a list of at most 16 positive integers, e.g. [3, 4, 6, 3], "
      "got [\"6_4\"]; '_' (LOW LINE) is not one of the digits 0-9"),
    c(S, "--config", "{d}/s.yaml", files={"s.yaml": "block: basic\nlayers: [1:4]\n"},
      msg="got [\"1:4\"]; ':' (COLON)", id="yaml-sexagesimal"),
    c(S, "--config", "{d}/x.yaml", files={"x.yaml": "arch: resnet50\ngroups: 0x20\n"},
      msg="'groups' must be a positive integer, got \"0x20\""),
    c(S, "--config", "{d}/big.json",
      files={"big.json": '{"arch": "resnet18", "num-classes": ' + "9" * 5000 + "}"},
      msg="a number has more than 4,300 digits", id="json-5000-digits"),
    c(S, "--config", "{d}/big.toml",
      files={"big.toml": 'arch = "resnet18"\nnum-classes = ' + "9" * 5000 + "\n"},
      msg="a number has more than 4,300 digits", id="toml-5000-digits"),
    c(S, "--config", "{d}/big.yaml",
      files={"big.yaml": "arch: resnet18\nnum-classes: " + "9" * 5000 + "\n"},
      msg="line 2: not valid YAML: a number has more than 4,300 digits", id="yaml-5000-digits"),
    c(S, "--config", "{d}/b4.toml",
      files={"b4.toml": 'arch = "resnet18"\nnum-classes = ' + "9" * 4000 + "\n"},
      msg="line 2: --num-classes a number of 4,000 digits is above the limit",
      id="toml-4000-digits"),
    # --- config files: keys given twice -------------------------------------------------
    c(S, "--config", "{d}/d.json",
      files={"d.json": '{"block": "basic",\n "layers": [3],\n "block": "bottleneck"}'},
      msg="line 3: 'block' is set twice; keep one"),
    c(S, "--config", "{d}/d.yaml", files={"d.yaml": "block: basic\nlayers: [3]\nlayers: [4]\n"},
      msg="line 3: 'layers' is set twice (lines 2 and 3); keep one"),
    c(S, "--config", "{d}/d.toml", files={"d.toml": 'block = "basic"\nblock = "basic"\n'},
      msg="not valid TOML"),
    # --- config files: names that would reach a terminal or a file name ----------------
    c(S, "--config", "{d}/n.toml", files={"n.toml": 'arch = "resnet18"\nname = "a\\nb"\n'},
      msg="line 2: 'name' must be a non-empty string without control characters"),
    c(S, "--config", "{d}/e.toml",
      files={"e.toml": 'arch = "resnet18"\nname = "\\u001b[31mred"\n'},
      msg="'name' must be a non-empty string without control characters, got "
      "\"\\u001b[31mred\"", id="name-ansi"),
    c(S, "--config", "{d}/a.json",
      files={"a.json": json.dumps({"arch": "resnet18\u001b[2J"})},
      msg="'arch' must be a preset name", id="arch-ansi"),
    # --- an input the network was not built for ------------------------------------------
    # LeNet-5 reads 1x32x32 greyscale digits (LeCun et al. 1998); ResNets 3-channel images
    c(S, "lenet5", "--input", "3x32x32", msg="lenet5 takes 1 input channel (its input is "
      "1x32x32), not 3; use --input 1x32x32"),
    c(S, "18", "--input", "1x64x64", msg="resnet18 takes 3 input channels (its input is "
      "3x224x224), not 1; use --input 3x64x64"),
    c("diagram", "lenet5", "--input", "3x32x32", msg="lenet5 takes 1 input channel"),
    # --- unbounded work, refused at once -----------------------------------------------
    c(S, "18", "--train", "--fit", "1e23TB", msg="--fit '1e23TB': not a memory size"),
    c(S, "18", "--train", "--fit", "9" * 5000 + "GB", msg="not a memory size",
      id="fit-5000-digits"),
    c(S, "18", "--train", "--fit", "\uff116GB", msg="not a memory size", id="fit-fullwidth"),
    c("check", "18", "--tools", ",".join(["torch"] * 10_000),
      msg="--tools has more than 6 entries; name each of torchinfo,fvcore,torch at most once",
      id="tools-10000"),
    c("compare", *["18"] * 200, msg="compare takes at most 12 items side by side, got 200",
      id="compare-200"),
    c(S, "18", "--time", "--latex", msg="--latex rows carry no timing"),
    c("report", "--config", "{d}/r.toml", output=False,
      files={"r.toml": 'arch = "resnet18"\nname = "x\\ty"\n'},
      msg="'name' must be a non-empty string without control characters"),
]


def _id(case: Case) -> str:
    return case.id or " ".join(case.args)[:60]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_bad_input_round_two(case: Case, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    check_case(case, tmp_path, capsys)


# --- the user's model does not own stdout or the exit code --------------------------------

MODEL = '''\
import os, sys, time
from torch import nn

MODE = os.environ.get("RI_TEST_MODE", "")


class Boom(BaseException):
    pass


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        print("forward says hi")
        os.write(1, b"forward writes to fd 1\\n")
        if MODE == "exit0":
            sys.exit(0)
        if MODE == "exit3":
            sys.exit(3)
        if MODE == "exit-message":
            sys.exit("bye")
        if MODE == "base":
            raise Boom("boom")
        if MODE == "generator-exit":
            raise GeneratorExit
        if MODE == "ctrl-c":
            raise KeyboardInterrupt
        if MODE == "wait":
            open(os.environ["RI_TEST_READY"], "w").close()
            time.sleep(60)
        return self.fc(x)


def make():
    print("factory says hi")
    if MODE == "factory-exit3":
        sys.exit(3)
    if MODE == "factory-base":
        raise Boom("boom")
    return Net()
'''


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "hostile_model.py"
    path.write_text(MODEL)
    return path


@pytest.mark.parametrize("fmt", ["--json", "--csv", "--markdown"])
def test_a_model_that_prints_leaves_stdout_to_us(
    model_file: Path, fmt: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RI_TEST_MODE", "")
    r = run_cli(capsys, "summary", "--model", f"{model_file}:make", "--input", "4", fmt)
    assert r.code == 0, r.err
    assert "says hi" not in r.out
    assert "factory says hi" in r.err and "forward says hi" in r.err
    if fmt == "--json":  # the whole of stdout is our JSON: 4 x 2 weights + 2 biases
        assert json.loads(r.out)["totals"]["params"] == 10


def test_a_model_writing_to_descriptor_1_goes_to_stderr(model_file: Path) -> None:
    # os.write(1, ...) (a C library's or a subprocess's print) is redirected too
    r = subprocess.run([sys.executable, "-m", "resnet_inspect", "summary", "--model",
                        f"{model_file}:make", "--input", "4", "--json"],
                       capture_output=True, text=True, env={**os.environ, "RI_TEST_MODE": ""},
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["totals"]["params"] == 10
    assert "forward writes to fd 1" in r.stderr


@pytest.mark.parametrize(("mode", "code", "message"), [
    ("exit0", 1, "the model's forward ended with sys.exit(0); a forward must return its output"),
    ("exit3", 1, "the model's forward ended with sys.exit(3)"),
    ("exit-message", 1, "the model's forward ended with sys.exit('bye')"),
    ("base", 1, "the model's forward raised Boom (a BaseException, not an Exception): boom"),
    ("generator-exit", 1, "the model's forward raised GeneratorExit (a BaseException"),
    ("ctrl-c", 130, "interrupted"),
    ("factory-exit3", 1, "calling make() ended with sys.exit(3); it must build the model"),
    ("factory-base", 1, "calling make() raised Boom (a BaseException, not an Exception)"),
])
def test_a_model_that_exits_does_not_choose_the_exit_code(
    model_file: Path, mode: str, code: int, message: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RI_TEST_MODE", mode)
    old = tmp_path / "old.json"
    old.write_text(OLD)
    r = run_cli(capsys, "summary", "--model", f"{model_file}:make", "--input", "4", "--json",
                "-o", str(old))
    assert r.code == code, r.err
    last = r.err.splitlines()[-1]
    assert last.startswith(f"resnet-inspect: error: {message}") or \
        last.startswith(f"resnet-inspect: error: --model {model_file}:make: {message}"), last
    assert "Traceback" not in r.err and r.out == ""
    assert old.read_text() == OLD
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- signals: a real process, a signal at a known moment --------------------------------


@pytest.mark.parametrize(("sig", "code", "message"), [
    (signal.SIGINT, 130, "resnet-inspect: error: interrupted"),
    (signal.SIGTERM, 143, "resnet-inspect: error: terminated by SIGTERM"),
    (signal.SIGHUP, 129, "resnet-inspect: error: terminated by SIGHUP"),
])
def test_a_signal_mid_trace_is_one_line_and_keeps_the_old_output(
    model_file: Path, tmp_path: Path, sig: signal.Signals, code: int, message: str,
) -> None:
    ready = tmp_path / "ready"
    old = tmp_path / "old.json"
    old.write_text(OLD)
    env = {**os.environ, "RI_TEST_MODE": "wait", "RI_TEST_READY": str(ready)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "resnet_inspect", "summary", "--model", f"{model_file}:make",
         "--input", "4", "--json", "-o", str(old)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # a shell's background job ignores SIGINT; this child must not inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
    deadline = time.monotonic() + 120
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), proc.communicate()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.splitlines()[-1] == message and "Traceback" not in err
    assert out == "" and old.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile_model.py", "old.json",
                                                          "ready"]


@pytest.mark.parametrize("raised", [KeyboardInterrupt, "terminated"])
def test_an_interrupted_write_removes_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: object,
) -> None:
    from resnet_inspect.errors import Terminated
    from resnet_inspect.render import output

    exc = Terminated(15, "SIGTERM") if raised == "terminated" else KeyboardInterrupt()

    def fsync(fd: int) -> None:  # the signal arrives after the bytes, before the rename
        raise exc

    monkeypatch.setattr(output.os, "fsync", fsync)
    target = tmp_path / "big.json"
    target.write_text(OLD)
    with pytest.raises(type(exc)):
        output.write_atomic(target, "x" * 2_000_000)
    assert target.read_text() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["big.json"]


# --- output files: names, places, pages ---------------------------------------------------


def test_a_long_output_name_has_a_temporary_name_that_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # 250 bytes is a legal name (the limit is 255); ".NAME.XXXXXXXX.tmp" would not be
    out = tmp_path / ("a" * 245 + ".json")
    r = run_cli(capsys, "summary", "18", "--json", "-o", str(out))
    assert r.code == 0, r.err
    assert json.loads(out.read_text())["model"] == "resnet18"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_new_file_under_dev_shm_is_an_ordinary_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    out = shm / f"resnet-inspect-test-{os.getpid()}.json"
    try:
        r = run_cli(capsys, "summary", "18", "--json", "-o", str(out))
        assert r.code == 0, r.err
        assert json.loads(out.read_text())["model"] == "resnet18"
    finally:
        out.unlink(missing_ok=True)
    # /dev's own entries are still never created
    r = run_cli(capsys, "summary", "18", "--json", "-o", "/dev/resnet-inspect-no-such")
    assert r.code == 2 and "does not exist, and a file under /dev" in r.err


PAGES = ("diagram", "18", "--level", "layer", "--fit", "a4")  # 2 pages at 8 pt


def test_pages_are_written_all_or_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from resnet_inspect.render import output

    (tmp_path / "p-1.dot").write_text(OLD)
    staged: list[Path] = []
    real_stage = output._stage

    def stage(path: Path, payload: bytes) -> str:  # the disk fills up at page 2
        staged.append(path)
        if len(staged) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(path, payload)

    monkeypatch.setattr(output, "_stage", stage)
    r = run_cli(capsys, *PAGES, "-o", str(tmp_path / "p.dot"))
    assert r.code == 1, r.err
    assert r.err.splitlines()[-1] == (f"resnet-inspect: error: cannot write {tmp_path}/p-2.dot: "
                                      "No space left on device")
    # page 1 was whole but is not put in place without page 2; the older page 1 is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-1.dot"]
    assert (tmp_path / "p-1.dot").read_text() == OLD
    monkeypatch.setattr(output, "_stage", real_stage)
    r = run_cli(capsys, *PAGES, "-o", str(tmp_path / "p.dot"))
    assert r.code == 0, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-1.dot", "p-2.dot"]
    assert (tmp_path / "p-2.dot").read_text().startswith("digraph")


def test_pages_to_dev_null_go_to_dev_null(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, *PAGES, "-o", "/dev/null", "-f", "dot")
    assert r.code == 0, r.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- stdout and stderr as the shell hands them over ---------------------------------------


def _run(args: list[str], env: dict[str, str] | None = None, **kw: object
         ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "resnet_inspect", *args], capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kw)  # type: ignore[call-overload]


def test_a_full_stdout_is_named() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "wb") as full:
        r = subprocess.run([sys.executable, "-m", "resnet_inspect", "summary", "18"],
                           stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 1
    assert r.stderr.decode() == ("resnet-inspect: error: cannot write to stdout: No space left "
                                 "on device\n")


@pytest.mark.parametrize("args", [["summary", "18"], ["summary", "18", "--json"], ["list"]])
def test_a_closed_stdout_is_one_line(args: list[str]) -> None:
    r = subprocess.run([sys.executable, "-m", "resnet_inspect", *args], stdout=None,
                       stderr=subprocess.PIPE, timeout=120,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 1
    assert r.stderr.decode() == ("resnet-inspect: error: cannot write to stdout: stdout is "
                                 "closed; give -o FILE, or leave it open\n")


def test_a_closed_stdout_does_not_matter_with_output(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "resnet_inspect", "summary", "18", "--json", "-o",
                        str(out)], stderr=subprocess.PIPE, timeout=120,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["model"] == "resnet18"


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"},
                                 {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0",
                                  "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}])
def test_an_ascii_terminal_gets_ascii(env: dict[str, str]) -> None:
    for args in (["summary", "18", "--level", "stage"], ["compare", "basic", "bottleneck"]):
        r = _run(args, env)
        assert r.returncode == 0, r.stderr
        r.stdout.decode("ascii")  # every byte is ASCII
        text = r.stdout.decode()
        # the title's "resnet18 · input 1x3x224x224" and the rule under the header
        assert "UnicodeEncodeError" not in r.stderr.decode()
        if args[0] == "summary":
            assert text.startswith("resnet18 - input 1x3x224x224 - traced on meta")
            assert "\n ------" in text
    bad = _run(["summary", "18", "--layers", "3 4"], env)  # an error quoting the input
    assert bad.returncode == 2
    assert bad.stderr.decode("ascii").startswith("resnet-inspect: error: --layers '3 4'")


def test_an_ascii_error_names_a_unicode_character_readably() -> None:
    r = _run(["summary", "18", "--batch", "\uff13"], {"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 2
    assert r.stderr.decode("ascii") == (
        "resnet-inspect: error: --batch '?' is not a whole number: '?' (FULLWIDTH DIGIT THREE) "
        "is not one of the digits 0-9; e.g. --batch 8\n")


def test_duplicate_tools_run_once() -> None:
    from resnet_inspect.cli.check import parse_tools

    assert parse_tools("torch, TORCH,torchinfo,torch") == ("torch", "torchinfo")


def test_fit_sizes_are_ascii_and_bounded() -> None:
    from resnet_inspect.analysis.fit import parse_size

    assert parse_size("16GB") == 16 * 10**9 and parse_size("1.5 KiB") == 1536
    for bad in ("\uff116GB", "1e23TB", "9" * 31 + "GB", "16 G B"):
        with pytest.raises(InspectError, match="not a memory size"):
            parse_size(bad)


ODD = """\
from torch import nn


class Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("a|b", nn.Linear(4, 4))
        self.add_module("c\\\\", nn.Linear(4, 4))
        self.add_module("d<e>", nn.Linear(4, 2))

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x
"""


def test_odd_module_names_in_markdown_and_dot(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "odd.py"
    src.write_text(ODD)
    r = run_cli(capsys, "summary", "--model", f"{src}:Odd", "--input", "4", "--level", "layer",
                "--markdown")
    assert r.code == 0, r.err
    rows = [line for line in r.out.splitlines() if line.startswith("| ")]
    # every row has the header's 6 cells (layer, type, output, RF/jump, params, MACs): an
    # escaped '|' does not split a cell
    cells = [len(re.split(r"(?<!\\)\|", row)) for row in rows]
    assert len(rows) == 5 and cells == [8] * 5, rows
    assert "| a\\|b |" in r.out and "| c\\\\ |" in r.out and "| d&lt;e> |" in r.out
    r = run_cli(capsys, "diagram", "--model", f"{src}:Odd", "--input", "4", "--level", "layer",
                "-f", "dot")
    assert r.code == 0, r.err
    # no quoted string ends in a lone backslash (which would escape its closing quote)
    assert re.search(r'(?<!\\)\\"', r.out) is None


def test_a_fit_holding_more_than_the_batch_limit_is_refused_at_once() -> None:
    # --train --fit 10TiB searched batch after batch until killed: a step of 10 MiB fixed
    # and 1 MiB a sample fits (10 TiB - 10 MiB) / 1 MiB = 10,485,750 samples > 1,048,576
    from types import SimpleNamespace

    from resnet_inspect.analysis import fit

    counted: list[int] = []

    def count(batch: int) -> object:  # a stand-in report: only its step's peak is read
        counted.append(batch)
        return SimpleNamespace(training_memory=SimpleNamespace(peak=10 * 2**20 + batch * 2**20))

    with pytest.raises(InspectError, match=r"10\.00 TiB holds more than 1,048,576 samples"):
        fit.largest_batch(count, 10 * 2**40, "10.00 TiB")  # type: ignore[arg-type]
    assert sorted(counted) == [1, 2]  # the line from two counts, no search


def test_a_config_fifo_without_a_writer_times_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from resnet_inspect.spec import limits

    monkeypatch.setattr(limits, "CONFIG_WAIT_S", 0.3)
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    r = run_cli(capsys, "summary", "--config", str(fifo))
    assert r.code == 2
    assert r.err == (f"resnet-inspect: error: config file {fifo} is a FIFO and nothing was "
                     "written to it in 0.3 s; start its writer first, or give a file\n")
    assert time.monotonic() - started < 30


def test_a_config_fifo_with_a_writer_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    import threading

    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.2)  # the writer comes after the reader opened the FIFO
        with open(fifo, "w") as f:
            f.write('block = "basic"\nlayers = [2, 2]\n')

    writer = threading.Thread(target=write)
    writer.start()
    r = run_cli(capsys, "summary", "--config", str(fifo), "--level", "stage", "--json")
    writer.join(timeout=30)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    # the FIFO's network: two basic stages of 2 blocks each
    assert data["model"] == "custom" and data["spec"]["stages"][1]["blocks"] == 2
