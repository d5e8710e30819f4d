"""The console every renderer prints to, and the one way they print.

One factory (`make_console`) so width and colour behave alike everywhere; one printer
(`print_block`) so that piped or captured output carries no padding to the full width.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.box import SIMPLE_HEAD
from rich.console import Console, RenderableType

# the box of every table: a rule under the header and nothing else
TABLE_BOX = SIMPLE_HEAD


class _Console(Console):
    """rich's Console, except that a closed pipe is left to the CLI's entry point (which
    ends quietly with exit 0, as `resnet-inspect list | head -1` should) instead of rich's
    own exit code 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def make_console(width: int | None = None, stderr: bool = False, file: Any = None) -> Console:
    """Width from the terminal (or fixed, for files and tests); colour off when not a TTY
    or NO_COLOR is set (rich honours both)."""
    if file is not None:  # plain text for a file or a test: no colour codes
        return _Console(
            width=width, file=file, color_system=None, force_terminal=False, highlight=False
        )
    if width is None:
        width = _width_from_environment(stderr)
    return _Console(width=width, stderr=stderr, highlight=False, soft_wrap=False)


# Narrower than this, no table of ours can show a number beside its name.
MIN_WIDTH = 40


def _width_from_environment(stderr: bool) -> int | None:
    """None (rich decides: COLUMNS, else the terminal, else 80) unless COLUMNS is set to
    something rich would obey to no purpose: `COLUMNS=0` drew every table zero columns
    wide, an empty report with exit code 0. Such a value is ignored, as `ls` ignores it,
    and a tiny one is raised to MIN_WIDTH."""
    text = os.environ.get("COLUMNS")
    if text is None:
        return None
    text = text.strip()
    if text.isdigit() and int(text) >= MIN_WIDTH:
        return None
    if text.isdigit() and int(text) > 0:
        return MIN_WIDTH
    try:  # not a positive number: the terminal's own width, else rich's default
        stream = sys.stderr if stderr else sys.stdout
        return max(os.get_terminal_size(stream.fileno()).columns, MIN_WIDTH)
    except (OSError, ValueError, AttributeError):
        return 80


def print_block(console: Console, body: RenderableType) -> None:
    """On a terminal as rich draws it; piped or captured, each line without trailing spaces."""
    if console.is_terminal:
        console.print(body)
        return
    with console.capture() as cap:
        console.print(body)
    console.file.write("\n".join(line.rstrip() for line in cap.get().splitlines()) + "\n")
