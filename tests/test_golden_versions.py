"""Golden files hold what a user reads, never the version of anything installed.

The README's test command installs the newest torch the project's range allows, so a golden
that held the installed torch's version failed on the day a newer one came out (issue 23).
Two checks: no golden holds a version, and every golden test passes with torch and every
package reporting one that exists nowhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from tests.conftest import FAKE_VERSION, GOLDEN

ROOT = Path(__file__).parent.parent

# a dotted version with three parts ("9.87.6", "1.8.0+cpu"); the goldens' own numbers are
# grouped with commas ("1,814,073,344") or carry at most one decimal point ("62.79 MiB")
DOTTED = re.compile(r"(?<![\w.,])\d+\.\d+\.\d+(?![\d,])")
PACKAGES = ("torch", "torchinfo", "fvcore", "torchvision", "rich", "typer", "graphviz",
            "resnet-inspect")


def _installed() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name).split("+")[0]
        except PackageNotFoundError:
            continue
    return found


def test_no_golden_holds_a_version() -> None:
    files = sorted(p for p in GOLDEN.rglob("*") if p.is_file())
    assert files, "no golden files found"
    installed = _installed()
    assert "torch" in installed
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not DOTTED.findall(text), f"{path} holds a version: {DOTTED.findall(text)}"
        for name, number in installed.items():
            assert f"{name} {number}" not in text, f"{path} holds {name} {number}"


def test_the_pattern_finds_the_version_that_broke_the_readme() -> None:
    # the shape of the line of check/resnet18_80.txt that failed under a newer torch (issue 23)
    assert DOTTED.findall(" torch counter 9.87.6            -   3,628,146,688   FLOPs") == [
        "9.87.6"]
    assert DOTTED.findall("torchinfo 1.8.0+cpu: 1,814,083,944 mult-adds, 62.79 MiB") == ["1.8.0"]


@pytest.mark.slow
def test_goldens_pass_with_another_torch_version() -> None:
    # conftest's --fake-versions keeps only the tests that compare against a golden file
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--fake-versions",
         "-W", "ignore::pytest.PytestUnraisableExceptionWarning", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    tail = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    passed = re.search(r"(\d+) passed", done.stdout)
    # 17 golden tests at the time of writing (parametrized: summary levels, compare
    # names, DOT diagrams, the check, the ops table, the preset list)
    assert passed and int(passed.group(1)) >= 17, tail
    assert "failed" not in done.stdout.splitlines()[-1], tail


def test_faked_version_reaches_the_code_that_reads_it() -> None:
    # the patch --fake-versions applies, seen where resnet-inspect reads versions: the
    # cross-check's tool versions and the training check's torch
    code = (
        "from tests.conftest import fake_versions; fake_versions()\n"
        "from resnet_inspect.analysis.check import check\n"
        "import torch\n"
        "c = check('resnet18', tools=('torch', 'torchinfo'), device='meta')\n"
        "print(c.tool('torch').version, c.tool('torchinfo').version, torch.__version__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [FAKE_VERSION] * 3
