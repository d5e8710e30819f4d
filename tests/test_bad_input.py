"""Bad input, every command: one line on stderr naming the problem and the fix, exit 2
(exit 1 for a runtime failure), no traceback, and an output file that existed before is
left exactly as it was. The contract and the limits: docs/errors.md; the cases come from
issue 12 (about 200 bad inputs tried as a new user and a hostile one would).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.config import load_config
from resnet_inspect.spec.limits import (
    MAX_BATCH,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_CONFIG_BYTES,
    MAX_SPATIAL,
    MAX_STAGES,
)
from resnet_inspect.spec.numbers import parse_input, parse_int_list
from tests.cli_helpers import run_cli
from tests.published import PARAMS

OLD = "an older result that must survive a failed run\n"

LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
layers: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""


@dataclass
class Case:
    args: list[str]
    code: int
    message: str
    files: dict[str, str | bytes] = field(default_factory=dict)  # written under {d}
    output: bool = True  # append -o FILE (an existing file that must not change)
    id: str = ""


def c(*args: str, code: int = 2, msg: str, files: dict[str, str | bytes] | None = None,
      output: bool = True, id: str = "") -> Case:
    return Case(list(args), code, msg, files or {}, output, id)


S = "summary"
CASES: list[Case] = [
    # --- summary: run options -------------------------------------------------------
    c(S, "18", "--batch", "0", msg="--batch must be a positive integer, got 0"),
    c(S, "18", "--batch", "-5", msg="--batch must be a positive integer, got -5"),
    c(S, "18", "--batch", "99999999999999999999999999",
      msg=f"--batch 9999999999...(26 digits) is above the limit of {MAX_BATCH:,}",
      id="batch-10**26"),
    c(S, "18", "--batch", str(MAX_BATCH + 1), msg="above the limit of 1,048,576"),
    c(S, "18", "--batch", "abc", msg="--batch 'abc' is not a whole number: 'a' (LATIN SMALL "
      "LETTER A) is not one of the digits 0-9; e.g. --batch 8"),
    c(S, "18", "--batch", "1.5", msg="--batch '1.5' is not a whole number: '.' (FULL STOP)"),
    c(S, "18", "--input", "3x224", msg="--input '3x224' has 2 dimensions; use CxHxW"),
    c(S, "18", "--input", "3x224x224x5", msg="has 4 dimensions"),
    c(S, "18", "--input", "axbxc", msg="--input 'axbxc' is not a shape"),
    c(S, "18", "--input", "", msg="--input '' is not a shape"),
    c(S, "18", "--input", "3x-1x4", msg="is not a shape"),
    c(S, "18", "--input", "3x1_000x8", msg="is not a shape"),
    c(S, "18", "--input", "٣x224x224", msg="is not a shape", id="arabic-digit"),
    c(S, "18", "--input", "3x" + "9" * 500, msg="is not a shape", id="input-500-digits"),
    c(S, "18", "--input", "0x224x224", msg="every dimension must be at least 1"),
    c(S, "18", "--input", "3x100000x100000", msg="the height 100000 is above the limit of "
      f"{MAX_SPATIAL:,}"),
    c(S, "18", "--input", "3x224x70000", msg="the width 70000 is above the limit"),
    c(S, "18", "--input", "70000x8x8", msg="the channel count 70000 is above the limit"),
    c(S, "18", "--input", "3x60000x60000", "--batch", "1000",
      msg="input elements, above the limit"),
    c(S, "18", "--device", "tpu", msg="Invalid value for '--device'"),
    c(S, "18", "--device", "meta", "--time", msg="--time measures on a real device"),
    # --- summary: architecture flags ------------------------------------------------
    c(S, "18", "--layers", "3,,4", msg="--layers '3,,4' has an empty entry"),
    c(S, "18", "--layers", "3,4,", msg="has an empty entry"),
    c(S, "18", "--layers", "", msg="--layers is empty"),
    c(S, "18", "--layers", "3,a", msg="expected comma-separated integers"),
    c(S, "18", "--layers", "3,0,4", msg="counts must be positive, got 0"),
    c(S, "18", "--layers", "3,-1", msg="counts must be positive, got -1"),
    c(S, "--block", "basic", "--layers", "2000", msg="--layers entry 2000 is above the limit "
      "of 1,000"),
    c(S, "--block", "basic", "--layers", ",".join(["1"] * 20),
      msg=f"--layers has 20 entries, above the limit of {MAX_STAGES} stages"),
    c(S, "--block", "basic", "--layers", ",".join(["1"] * 1_000_000),
      msg="--layers has 1,000,000 entries", id="layers-million"),
    c(S, "--block", "basic", "--layers", ",".join(["1"] * 12),
      msg="stage 12 would have 131,072 channels, above the limit of 65,536",
      id="layers-12-stages-doubling"),
    c(S, "18", "--widths", "64,,128", msg="--widths '64,,128' has an empty entry"),
    c(S, "18", "--widths", "100000,1,1,1", msg=f"above the limit of {MAX_CHANNELS:,}"),
    c(S, "--block", "basic", "--layers", "2,2,2", "--widths", "64,128",
      msg="--layers has 3 stages but --widths has 2; give one width per stage"),
    c(S, "50", "--groups", "0", msg="--groups must be a positive integer, got 0"),
    c(S, "50", "--groups", "100000000000", msg="--groups 100000000000 is above the limit"),
    c(S, "18", "--groups", "32", msg="needs a bottleneck block"),
    c(S, "18", "--config", output=False, msg="Option '--config' requires an argument"),
    c(S, "50", "--groups", "64", "--width-per-group", "4000",
      msg="stage 1 would have 256,000 channels"),
    c(S, "50", "--width-per-group", "0", msg="--width-per-group must be a positive integer"),
    c(S, "18", "--num-classes", "0", msg="--num-classes must be a positive integer, got 0"),
    c(S, "18", "--num-classes", "-1", msg="--num-classes must be a positive integer, got -1"),
    c(S, "18", "--num-classes", "100000000000000000000000",
      msg=f"above the limit of {MAX_CLASSES:,}", id="num-classes-1e23"),
    c(S, "18", "--stem-width", "0", msg="--stem-width must be a positive integer, got 0"),
    c(S, "18", "--stem-width", "70000", msg="--stem-width 70000 is above the limit"),
    c(S, "--depth", "42", msg="42"),
    c(S, "--depth", "0", msg="--depth"),
    c(S, "resnet999", msg="resnet999"),
    c(S, msg="no architecture given"),
    c(S, "50", "--depth", "50", msg="both a name (50) and --depth 50 were given"),
    c(S, "--block", "bottleneck", msg="a custom network needs --layers too"),
    c(S, "--layers", "3,4,6,3", msg="a custom network needs --block too"),
    c(S, "lenet5", "--layers", "2,2", msg="is not a residual network"),
    c(S, "18", "--block", "triangle", msg="Invalid value for '--block'"),
    c(S, "18", "--stem", "huge", msg="Invalid value for '--stem'"),
    c(S, "18", "--shortcut", "D", msg="Invalid value for '--shortcut'"),
    c(S, "50", "--stride-on", "2x2", msg="Invalid value for '--stride-on'"),
    c(S, "18", "--level", "network", msg="Invalid value for '--level' / '-l'"),
    c(S, "18", "--names", "keras", msg="Invalid value for '--names'"),
    c(S, "18", "--count", "flops", msg="Invalid value for '--count'"),
    c(S, "18", "--bogus", msg="No such option: --bogus"),
    c(S, "18", "19", msg="Got unexpected extra argument(s) (19)"),
    # --- summary: output choices ----------------------------------------------------
    c(S, "18", "--json", "--csv", msg="choose one of --json, --csv, --markdown and --latex"),
    c(S, "18", "--csv", "--markdown", msg="choose one of --json, --csv, --markdown and --latex"),
    c(S, "18", "--time", "--csv", msg="--csv rows carry no timing; use --time --json"),
    c(S, "18", "--time", "--markdown", msg="--markdown rows carry no timing"),
    c(S, "18", "--format", "json", "--csv", msg="--format json and --csv ask for two formats; "
      "keep one, e.g. --format json"),
    c(S, "18", "--format", "yaml", msg="--format 'yaml': summary writes table, json, csv, "
      "markdown, latex or html; e.g. --format html"),
    c(S, "18", "--time", "--format", "html", msg="--format html rows carry no timing"),
    c("compare", "50", "101", "--format", "csv", msg="--format 'csv': compare writes table, "
      "json, markdown or latex; e.g. --format latex"),
    c("check", "18", "--format", "markdown", msg="--format 'markdown': check writes table or "
      "json; e.g. --format json"),
    c("list", "--format", "latex", output=False,
      msg="--format 'latex': list writes table or json"),
    c(S, "18", "-o", "{d}", output=False, msg="is a directory; give a file name"),
    c(S, "18", "-o", "{d}/no/such/dir/r.txt", output=False, msg="does not exist; create it "
      "first"),
    c(S, "18", "--json", "-o", "/dev/full", code=1, output=False,
      msg="cannot write /dev/full: No space left on device"),
    # --- summary --config: hostile and broken files --------------------------------
    c(S, "--config", "{d}/laughs.yaml", files={"laughs.yaml": LAUGHS},
      msg="line 2: YAML alias *a refused", id="billion-laughs"),
    c(S, "--config", "{d}/merge.yaml", files={"merge.yaml": "base: &b {x: 1}\n<<: *b\n"},
      msg="YAML alias *b refused", id="yaml-merge-key"),
    c(S, "--config", "{d}/deep.yaml", files={"deep.yaml": "x: " + "[" * 5000 + "]" * 5000},
      msg="nested more than 4 levels deep", id="deep-yaml"),
    c(S, "--config", "{d}/deep.json",
      files={"deep.json": '{"x": ' + "[" * 30000 + "]" * 30000 + "}"},
      msg="nested more than 4 levels deep", id="deep-json"),
    c(S, "--config", "{d}/deep.toml", files={"deep.toml": "x = " + "[" * 3000 + "]" * 3000},
      msg="nested more than 4 levels deep", id="deep-toml"),
    c(S, "--config", "{d}/deepish.json", files={"deepish.json": '{"layers": [[[[[1]]]]]}'},
      msg="nested more than 4 levels deep"),
    c(S, "--config", "{d}/big.toml",
      files={"big.toml": "# " + "x" * MAX_CONFIG_BYTES + "\narch = 'resnet18'\n"},
      msg=f"above the limit of {MAX_CONFIG_BYTES:,}", id="config-over-64k"),
    c(S, "--config", "{d}/million.toml",
      files={"million.toml": "layers = [" + ",".join(["1"] * 1_000_000) + "]\n"},
      msg="bytes, above the limit", id="config-million-layers"),
    c(S, "--config", "{d}/many.json",
      files={"many.json": json.dumps({"block": "basic", "layers": [1] * 5000})},
      msg="'layers' must be a list of at most 16 positive integers", id="config-5000-layers"),
    c(S, "--config", "{d}/dup.json",
      files={"dup.json": '{"arch": "resnet18", "num_classes": 10, "num-classes": 20}'},
      msg="'num_classes' and 'num-classes' are the same setting; keep one"),
    c(S, "--config", "{d}/dup.yaml",
      files={"dup.yaml": "arch: resnet18\nstem_width: 32\nstem-width: 64\n"},
      msg="line 3: 'stem_width' and 'stem-width' are the same setting"),
    c(S, "--config", "{d}/f.json", files={"f.json": '{"arch": "resnet18", "num-classes": 1e23}'},
      msg="'num-classes' must be a positive integer, got 1e+23"),
    c(S, "--config", "{d}/i.toml",
      files={"i.toml": "arch = 'resnet18'\nnum-classes = 100000000000000000000000\n"},
      msg="line 2: --num-classes 100000000000000000000000 is above the limit"),
    c(S, "--config", "{d}/l.toml", files={"l.toml": "block = 'basic'\nlayers = '3,,4'\n"},
      msg="line 2: 'layers' must be a list of at most 16 positive integers"),
    c(S, "--config", "{d}/w.toml", files={"w.toml": "arch = 'resnet18'\nwidths = [64, 0]\n"},
      msg="'widths' must be a list of at most 16 positive integers"),
    c(S, "--config", "{d}/u.toml", files={"u.toml": "arch = 'resnet18'\nlayer = [2, 2]\n"},
      msg="line 2: unknown key 'layer' (did you mean layers?)"),
    c(S, "--config", "{d}/s.toml", files={"s.toml": "layers = [3, 4, 6, 3\n"},
      msg="not valid TOML"),
    c(S, "--config", "{d}/s.json", files={"s.json": '{"layers": [3, 4,]}'},
      msg="not valid JSON"),
    c(S, "--config", "{d}/s.yaml", files={"s.yaml": "layers: [3, 4\nblock: basic\n"},
      msg="not valid YAML"),
    c(S, "--config", "{d}/top.json", files={"top.json": "[1, 2, 3]"},
      msg="expected a table of settings"),
    c(S, "--config", "{d}/latin1.toml", files={"latin1.toml": b"name = '\xe9'\n"},
      msg="it is not UTF-8 text; save it as UTF-8"),
    c(S, "--config", "{d}/t.toml", files={"t.toml": "[model]\ndepth = 50\n"},
      msg="'model' is a table; keys are flat flag names"),
    c(S, "--config", "{d}/b.toml", files={"b.toml": "arch = 'resnet50'\ngroups = true\n"},
      msg="'groups' must be a positive integer, got true"),
    c(S, "--config", "{d}/e.toml", files={"e.toml": "block = 'bottle'\nlayers = [1]\n"},
      msg="'block' must be one of \"basic\", \"bottleneck\""),
    c(S, "--config", "{d}/ad.toml", files={"ad.toml": "arch = 'resnet18'\ndepth = 34\n"},
      msg="both 'arch' and 'depth' are set"),
    c(S, "--config", "{d}/in.toml", files={"in.toml": "arch = 'resnet18'\ninput = '3x0x0'\n"},
      msg="'input' must be a shape CxHxW"),
    c(S, "--config", "{d}/in2.toml",
      files={"in2.toml": "arch = 'resnet18'\ninput = [70000, 8, 8]\n"},
      msg="the channel count 70000 is above the limit"),
    c(S, "--config", "{d}/n.toml", files={"n.toml": "name = 'mine'\n"},
      msg="names no network; add arch"),
    c(S, "--config", "{d}/empty.yaml", files={"empty.yaml": ""}, msg="names no network"),
    c(S, "--config", "{d}/x.ini", files={"x.ini": "[a]\n"}, msg="unknown config format '.ini'"),
    c(S, "--config", "{d}/missing.toml", msg="cannot read config file"),
    # --- compare ---------------------------------------------------------------------
    c("compare", "50", msg="at least two"),
    c("compare", "50", "resnet999", msg="unknown item 'resnet999'"),
    c("compare", "basic", "triangle", msg="unknown item 'triangle'"),
    c("compare", "50", "101", "--json", "--markdown",
      msg="choose one of --json, --markdown and --latex"),
    c("compare", "50", "101", "--batch", "0", msg="--batch must be a positive integer"),
    c("compare", "50", "101", "--batch", "99999999999999999999", msg="is above the limit"),
    c("compare", "50", "101", "--input", "3x100000x2", msg="the height 100000 is above"),
    c("compare", "50", "101", "--input", "3x", msg="is not a shape"),
    c("compare", "50", "101", "--depth", "50", msg="--depth does not apply to compare"),
    c("compare", "50", "101", "--layers", "3,,4", msg="has an empty entry"),
    c("compare", "50", "101", "--num-classes", "0", msg="--num-classes must be a positive"),
    c("compare", "50", "101", "--channels", "64", msg="--channels"),
    c("compare", "basic", "bottleneck", "--channels", "abc", msg="--channels"),
    c("compare", "basic", "bottleneck", "--depth", "50", msg="--depth"),
    c("compare", "50", "101", "-o", "{d}", output=False, msg="is a directory"),
    c("compare", "basic", "bottleneck", "--channels", "999999999999",
      msg="--channels 999999999999 is above the limit of 65,536"),
    c("compare", "basic", "bottleneck", "--spatial", "99999999999",
      msg="--spatial 99999999999 is above the limit of 65,536"),
    c("compare", "basic", "bottleneck", "--width", "999999999999",
      msg="--width 999999999999 is above the limit"),
    c("compare", "basic", "bottleneck", "--stride", "99999999999999999999",
      msg="--stride 99999999999999999999 is above the limit of 56"),
    c("compare", "basic", "bottleneck", "--channels", "4096", "--spatial", "60000",
      msg="input elements, above the limit of 1.1e+12; use a smaller --batch or --channels"),
    c("compare", "basic", "bottleneck", "--stride", "0", msg="--stride must be a positive"),
    c("compare", "50", "101", "--bogus", msg="No such option: --bogus"),
    # --- check -----------------------------------------------------------------------
    c("check", "18", "--tools", "magic", msg="--tools: unknown tool 'magic'"),
    c("check", "18", "--tools", ",", msg="--tools"),
    c("check", "18", "--batch", "0", msg="--batch must be a positive integer"),
    c("check", "18", "--input", "1x", msg="is not a shape"),
    c("check", "--depth", "42", msg="42"),
    c("check", "18", "--groups", "0", msg="--groups must be a positive integer"),
    c("check", "18", "--layers", "3,,4", msg="has an empty entry"),
    c("check", "18", "--json", "-o", "/dev/full", code=1, output=False,
      msg="cannot write /dev/full: No space left on device"),
    # --- diagram ---------------------------------------------------------------------
    c("diagram", "18", "--format", "jpg", msg="Invalid value for '--format' / '-f'"),
    c("diagram", "block", "triangle", msg="triangle"),
    c("diagram", "18", "--channels", "64", msg="--channels applies to block diagrams only"),
    c("diagram", "block", "bottleneck", "--depth", "50",
      msg="architecture flags (--depth, --block, --layers ...) draw networks"),
    c("diagram", "block", "bottleneck", "--batch", "4", msg="takes --channels and --spatial"),
    c("diagram", "18", "--batch", "0", msg="--batch must be a positive integer"),
    c("diagram", "18", "--input", "3x1x", msg="is not a shape"),
    c("diagram", "18", "--layers", "3,,4", msg="has an empty entry"),
    c("diagram", "lenet5", "--beside-plain", msg="--beside-plain needs a residual network"),
    c("diagram", "18", "--plain", "--beside-plain", msg="--beside-plain draws the plain"),
    c("diagram", "18", "--num-classes", "100000000000000000000000", msg="above the limit"),
    c("diagram", "block", "bottleneck", "--spatial", "99999999",
      msg="--spatial 99999999 is above the limit of 65,536"),
    c("diagram", "block", "bottleneck", "--width", "0", msg="--width must be a positive"),
    # --- list and the root -----------------------------------------------------------
    c("list", "--bogus", output=False, msg="No such option: --bogus"),
    c("list", "a", "b", output=False, msg="Got unexpected extra argument(s) (b)"),
    c("bogus", output=False, msg="No such command 'bogus'"),
    c("--bogus", output=False, msg="No such option: --bogus"),
]


def _id(case: Case) -> str:
    return case.id or " ".join(case.args)[:60]


def test_there_are_at_least_100_cases_across_every_command() -> None:
    assert len(CASES) >= 100
    commands = {case.args[0] for case in CASES}
    assert {"summary", "compare", "check", "diagram", "list"} <= commands


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_case(case, tmp_path, capsys)


def check_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One case of a table: the exit code, one stderr line with the message, the older
    output file untouched, no temporary file left, /dev/full and /dev/null still devices."""
    for name, content in case.files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    args = [a.replace("{d}", str(tmp_path)) for a in case.args]
    old = tmp_path / ("old.svg" if args[0] == "diagram" else "old.txt")
    old.write_text(OLD)
    before = old.stat()
    if case.output:
        args += ["-o", str(old)]
    result = run_cli(capsys, *args)
    assert result.code == case.code, result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and result.err.endswith("\n"), result.err[:2000]
    assert lines[0].startswith("resnet-inspect: error: "), lines[0]
    assert case.message in lines[0]
    assert "Traceback" not in result.err and len(lines[0]) < 1100
    # the old output is untouched: same text, same inode (not replaced), no temp files left
    assert old.read_text() == OLD
    assert old.stat().st_ino == before.st_ino and old.stat().st_mtime_ns == before.st_mtime_ns
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    for device in ("/dev/full", "/dev/null"):
        if os.path.exists(device):
            assert stat.S_ISCHR(os.stat(device).st_mode), f"{device} was replaced"


# --- what output files do -------------------------------------------------------------


def test_dash_is_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "summary", "18", "--json", "-o", "-")
    assert result.code == 0 and json.loads(result.out)["model"] == "resnet18"
    assert not (tmp_path / "-").exists()


def test_dev_null_is_written_through_not_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 12: as root, -o /dev/null replaced the device with a 105 KB regular file
    result = run_cli(capsys, "summary", "18", "--json", "-o", "/dev/null")
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_symlink_is_kept_and_its_target_updated(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.csv"
    target.write_text(OLD)
    os.chmod(target, 0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run_cli(capsys, "summary", "18", "--csv", "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("name,stage,kind,category")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file's permissions are kept


def test_a_fifo_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_cli(capsys, "summary", "18", "--csv", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith(b"name,stage,kind,category")


def test_a_regular_file_is_replaced_whole(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.md"
    out.write_text(OLD)
    result = run_cli(capsys, "summary", "18", "--markdown", "-o", str(out))
    assert result.code == 0
    assert out.read_text().startswith("**resnet18**")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]


# --- memory check: the predicted footprint against the device's free memory --------------


def test_a_run_that_cannot_fit_is_refused_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import resnet_inspect.cli.memory as memory

    monkeypatch.setattr(memory, "cpu_available", lambda: 100 * 2**20)  # 100 MiB free
    # ResNet-18's weights alone are 44.59 MiB; at 3x1024x1024 its stem output is
    # 1 x 64 x 512 x 512 x 4 bytes = 64 MiB, held twice: 172.59 MiB at least
    result = run_cli(capsys, "summary", "18", "--input", "3x1024x1024", "--device", "cpu")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "not enough memory on cpu: resnet18 at --batch 1 --input 3x1024x1024" in result.err
    assert "but 100.00 MiB is free; use --device meta" in result.err
    # the same run fits on meta, and at the default input in 100 MiB
    assert run_cli(capsys, "summary", "18", "--input", "3x1024x1024").code == 0
    assert run_cli(capsys, "summary", "18", "--device", "cpu", "--level", "stage").code == 0


def test_predicted_footprint_bounds_the_measured_one() -> None:
    # The prediction is a lower bound: weights + input + the largest output twice must not
    # exceed what a real CPU forward allocates (torch's allocator statistics are
    # CUDA-only, so the CPU check is against the report's own parts).
    from resnet_inspect import inspect
    from resnet_inspect.cli.memory import predict

    report = inspect("resnet18")
    inference, training = predict(report, False).bytes, predict(report, True).bytes
    m = report.memory
    # 44.59 MiB of weights (11,689,512 params x 4 bytes, torchvision's count)
    assert m.param_bytes == PARAMS["resnet18"] * 4
    # stem conv output 1x64x112x112 floats is the largest layer output of ResNet-18
    assert inference == m.param_bytes + m.buffer_bytes + m.input_bytes + 2 * 64 * 112 * 112 * 4
    assert inference < training <= m.total_bytes


# --- hypothesis: whatever is typed, one line and exit 0 or 2 ----------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_input_accepts_or_names_the_problem(text: str) -> None:
    try:
        c, h, w = parse_input(text)
    except InspectError as err:
        assert "\n" not in str(err) and "--input" in str(err)
    else:  # anything accepted is a real shape within the limits
        assert 1 <= c <= MAX_CHANNELS and 1 <= h <= MAX_SPATIAL and 1 <= w <= MAX_SPATIAL


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789,- x", max_size=60), st.text(max_size=30)))
def test_parse_layers_accepts_or_names_the_problem(text: str) -> None:
    try:
        values = parse_int_list(text, "--layers")
    except InspectError as err:
        assert "\n" not in str(err) and "--layers" in str(err)
    else:
        assert values is not None and 1 <= len(values) <= MAX_STAGES
        assert all(1 <= v <= 1000 for v in values)
        # nothing dropped: as many values as the text has commas + 1
        assert len(values) == text.count(",") + 1


_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=12,
)
_keys = st.sampled_from(["arch", "depth", "block", "layers", "widths", "groups",
                         "num_classes", "num-classes", "input", "stem", "plain", "zzz"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_keys, _value, max_size=5), st.sampled_from(["json", "yaml"]))
def test_config_files_load_or_name_the_problem(tmp_path: Path, data: dict[str, object],
                                               fmt: str) -> None:
    import yaml

    path = tmp_path / f"fuzz.{fmt}"
    text = json.dumps(data) if fmt == "json" else yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    try:
        settings_ = load_config(path)
    except InspectError as err:
        assert "\n" not in str(err) and str(path) in str(err)
    else:
        assert set(settings_) <= {"arch", "depth", "block", "layers", "widths", "groups",
                                  "num_classes", "input", "stem", "plain"}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_config_bytes_never_crash(tmp_path: Path, raw: bytes) -> None:
    for suffix in (".toml", ".json", ".yaml"):
        path = tmp_path / f"raw{suffix}"
        path.write_bytes(raw)
        try:
            load_config(path)
        except InspectError as err:
            assert "\n" not in str(err)


def test_cuda_free_memory_comes_from_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    # No GPU here: the CUDA branch is checked against a stand-in for the driver's figure.
    import torch

    from resnet_inspect.cli.memory import device_available

    calls: list[object] = []

    def mem_get_info(device: object) -> tuple[int, int]:
        calls.append(device)
        return (3 * 2**30, 80 * 2**30)

    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    gpu = torch.device("cuda", 0)
    assert device_available(gpu) == 3 * 2**30 and calls == [gpu]
    assert device_available(torch.device("meta")) is None


def test_cpu_free_memory_is_memavailable_or_less() -> None:
    from pathlib import Path

    from resnet_inspect.cli.memory import cpu_available

    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo")
    line = next(x for x in meminfo.read_text().splitlines() if x.startswith("MemAvailable:"))
    available = int(line.split()[1]) * 1024
    got = cpu_available()
    # the kernel's figure moves between two reads; a cgroup limit can only lower it
    assert got is not None and 0 < got <= available * 1.1


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(alphabet="0123456789x,", max_size=16), st.text(max_size=12)),
       st.text(alphabet="0123456789,", max_size=10))
def test_the_cli_answers_any_input_and_layers_in_one_line(
    capsys: pytest.CaptureFixture[str], shape: str, layers: str
) -> None:
    # End to end through the CLI: whatever --input and --layers hold, the answer is a
    # result (exit 0) or one line (exit 2), never a traceback or an exit 1.
    result = run_cli(capsys, "summary", "--block", "basic", "--layers", layers, "--input",
                     shape, "--level", "stage", "--json")
    assert result.code in (0, 2), result.err
    if result.code == 2:
        assert result.err.count("\n") == 1 and result.err.startswith("resnet-inspect: error: ")
    else:
        assert json.loads(result.out)["input_shape"][1:] == list(parse_input(shape))
