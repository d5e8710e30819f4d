"""The console every renderer prints to, and the one way they print.

One factory (`make_console`) so width and colour behave alike everywhere; one printer
(`print_block`) so that piped or captured output carries no padding to the full width.
"""

from __future__ import annotations

from typing import Any

from rich.box import SIMPLE_HEAD
from rich.console import Console, RenderableType

# the box of every table: a rule under the header and nothing else
TABLE_BOX = SIMPLE_HEAD


def make_console(width: int | None = None, stderr: bool = False, file: Any = None) -> Console:
    """Width from the terminal (or fixed, for files and tests); colour off when not a TTY
    or NO_COLOR is set (rich honours both)."""
    if file is not None:  # plain text for a file or a test: no colour codes
        return Console(
            width=width, file=file, color_system=None, force_terminal=False, highlight=False
        )
    return Console(width=width, stderr=stderr, highlight=False, soft_wrap=False)


def print_block(console: Console, body: RenderableType) -> None:
    """On a terminal as rich draws it; piped or captured, each line without trailing spaces."""
    if console.is_terminal:
        console.print(body)
        return
    with console.capture() as cap:
        console.print(body)
    console.file.write("\n".join(line.rstrip() for line in cap.get().splitlines()) + "\n")
