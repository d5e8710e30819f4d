"""Run the CLI in-process, as the console script does, and capture what a user sees."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from resnet_inspect.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def main_in_fresh_python(args: list[str], report: str) -> subprocess.CompletedProcess[str]:
    """Run `main(args)` in a new interpreter (so nothing this test process imported counts)
    and print `report`, a Python expression evaluated after it, on stdout; `code` is the
    exit status."""
    code = (f"import sys; from resnet_inspect.cli import main\ncode = 0\n"
            f"try:\n    main({args!r})\nexcept SystemExit as e:\n    code = e.code\n"
            f"print({report})")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
