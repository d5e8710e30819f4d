"""Run the CLI in-process, as the console script does, and capture what a user sees."""

from __future__ import annotations

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
