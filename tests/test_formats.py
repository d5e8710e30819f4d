"""`--format`: one registry of renderers, the old flags as hidden aliases.

The aliases must write the same bytes as `--format` (scripts use them); the registry
decides which formats each command writes, and `--help` shows it.
`tests/format_parity.py` runs the same pairs against another checkout's CLI.
"""

from __future__ import annotations

import pytest

from resnet_inspect.render.formats import RENDERERS, formats_of
from tests.cli_helpers import run_cli

PAIRS = [
    (["summary", "18", "--level", "stage"], "json"),
    (["summary", "18", "--level", "stage"], "csv"),
    (["summary", "18", "--level", "stage"], "markdown"),
    (["summary", "18", "--level", "stage"], "latex"),
    (["compare", "basic", "bottleneck"], "json"),
    (["compare", "basic", "bottleneck"], "markdown"),
    (["list", "cifar", "--no-counts"], "json"),
]


@pytest.mark.parametrize(("args", "fmt"), PAIRS, ids=[f"{a[0]}-{f}" for a, f in PAIRS])
def test_old_flag_writes_the_bytes_of_format(capsys: pytest.CaptureFixture[str],
                                             args: list[str], fmt: str) -> None:
    old = run_cli(capsys, *args, f"--{fmt}")
    new = run_cli(capsys, *args, "--format", fmt)
    assert (old.code, new.code) == (0, 0), old.err + new.err
    assert old.out == new.out and old.out


def test_table_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    plain = run_cli(capsys, "list", "cifar", "--no-counts")
    table = run_cli(capsys, "list", "cifar", "--no-counts", "--format", "TABLE")
    assert plain.out == table.out and "resnet20" in plain.out


def test_each_command_writes_the_formats_it_supports() -> None:
    assert formats_of("summary") == ["table", "json", "csv", "markdown", "latex", "html"]
    assert formats_of("compare") == ["table", "json", "markdown", "latex"]
    assert formats_of("check") == ["table", "json"]
    assert formats_of("list") == ["table", "json"]
    assert formats_of("report") == ["html"]  # the page; its first row is its default
    assert set(RENDERERS) == {"summary", "compare", "check", "list", "report"}


def test_summary_html_is_the_notebook_fragment_in_a_page(
        capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "18", "--format", "html")
    assert r.code == 0, r.err
    # a page that declares its charset (the '×' and '·' in it) and reads on a phone
    assert r.out.startswith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in r.out
    assert r.out.rstrip().endswith("</body></html>")
    fragment = r.out[r.out.index('<div class="ri-report">'):r.out.index("</body>")]
    assert "<style>" in fragment and "1x3x224x224" in fragment
    assert "11,689,512" in r.out  # torchvision's resnet18 parameter count


@pytest.mark.parametrize("command", ["summary", "compare", "check", "list"])
def test_help_shows_format_and_hides_the_aliases(capsys: pytest.CaptureFixture[str],
                                                 command: str) -> None:
    out = " ".join(run_cli(capsys, command, "--help").out.replace("│", " ").split())
    assert "--format" in out and "e.g. --format" in out
    assert "--json " not in out.replace("--format json", "")
    assert "--csv" not in out and "--latex " not in out.replace("--format latex", "")


def test_same_format_twice_is_one_format(capsys: pytest.CaptureFixture[str]) -> None:
    both = run_cli(capsys, "summary", "18", "--level", "stage", "--format", "csv", "--csv")
    assert both.code == 0 and both.out.startswith("name,")
