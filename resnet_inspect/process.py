"""A command that is the whole process: stdout and stderr made safe to write as the shell
handed them over, and the notes said after its output.

Torch-free: the CLI's entry point uses it before any command imports torch.

stdout and stderr as a command finds them: closed, full, or unable to show Unicode.

- A closed stdout (`resnet-inspect summary 18 >&-`) is None in Python: it is replaced by a
  stream whose writes fail with EBADF, so a command that prints says "cannot write to
  stdout" in one line (a command writing `-o FILE` never notices). A closed stderr is
  replaced by /dev/null: there is nowhere to say anything.
- A terminal or pipe whose encoding is not UTF-8 (`PYTHONIOENCODING=ascii`, `LANG=C`
  without Python's UTF-8 mode, a Windows code page) gets ASCII for the few characters our
  output uses ("x" for "×", "-" for rules and "·", "->" for "→") and "?" for anything else,
  instead of a UnicodeEncodeError. rich draws its boxes in ASCII for such a stream itself.
  Files written with -o are always UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from resnet_inspect.errors import InspectWarning

ASCII_HANDLER = "resnet_inspect_ascii"

_ASCII = {
    "×": "x", "·": "-", "─": "-", "━": "-", "═": "=", "│": "|", "┃": "|", "║": "|",
    "→": "->", "←": "<-", "↔": "<->", "…": "...", "≈": "~", "≥": ">=", "≤": "<=", "±": "+/-",
    "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "✓": "ok",
    "✗": "x", "µ": "u", "\u00a0": " ", "▏": "|", "█": "#", "▌": "#", "░": ".",
}


def _ascii_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    bad = err.object[err.start:err.end]
    return "".join(_ASCII.get(ch, "?") for ch in bad), err.end


class ClosedStream:
    """Stands in for a closed stdout: writing fails with EBADF, as writing to the closed
    descriptor would; flushing nothing succeeds."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, data: Any) -> int:
        if not data:
            return 0
        raise OSError(errno.EBADF, f"{self.name} is closed; give -o FILE, or leave it open")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed; give -o FILE, or leave it open")

    @property
    def buffer(self) -> ClosedStream:
        return self


def prepare_streams() -> None:
    """Make stdout and stderr safe to write, by the rules in this module's docstring."""
    if sys.stdout is None:
        sys.stdout = ClosedStream("stdout")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the run
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
            continue
        try:
            codecs.lookup_error(ASCII_HANDLER)
        except LookupError:
            codecs.register_error(ASCII_HANDLER, _ascii_fallback)
        try:
            stream.reconfigure(errors=ASCII_HANDLER)
        except (ValueError, OSError, AttributeError):
            continue


# The system's reasons a write to stdout fails, other than the reader leaving (EPIPE)
STDOUT_WRITE_ERRORS = (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG,
                       getattr(errno, "EDQUOT", errno.ENOSPC))


# Notes for the user, said on stderr after a successful command's output (cli/__init__.py):
# where a trace ran instead of meta, what the user's model warned. Never on stdout, which
# carries only our output (--json, --csv). Outside a command (the library: `inspect(model)`
# in a script or notebook) a note is an InspectWarning with the same text, at once.
_NOTES: list[str] = []
_WARNINGS: list[str] = []
_COLLECTING: list[bool] = []  # inside `collecting_notes`: the CLI's command
MAX_WARNINGS = 3  # notes of the model's warnings shown; the rest are counted
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


@contextlib.contextmanager
def collecting_notes() -> Iterator[None]:
    """While a command runs: notes are kept for `take_notes` (said once, after the
    output), not warned; none is left from an earlier command in this process."""
    take_notes()
    _COLLECTING.append(True)
    try:
        yield
    finally:
        _COLLECTING.pop()


def _warn(line: str) -> None:
    """A note as an InspectWarning, attributed to the caller's line outside this package
    (the script's `inspect(...)`), so Python's filters show it once per line."""
    frame, level = sys._getframe(1), 2  # stacklevel 2: who called _warn
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    warnings.warn(line, InspectWarning, stacklevel=level)


def note(text: str) -> None:
    """A one-line note for the end of the run (said once, however often it is made); in
    the library, an InspectWarning now."""
    line = " ".join(text.split())
    if not _COLLECTING:
        _warn(line)
    elif line not in _NOTES:
        _NOTES.append(line)


def model_warned(message: str, where: str) -> None:
    """A warning the user's model raised: one line, its first, and where it was raised."""
    lines = str(message).strip().splitlines()
    line = f"{' '.join(lines[0].split()) if lines else '(no message)'} ({where})"
    if not _COLLECTING:
        _warn(f"your model warned: {line}")
    elif line not in _WARNINGS:
        _WARNINGS.append(line)


def take_notes() -> list[str]:
    """The notes made so far, as lines to print (at most MAX_WARNINGS of the model's
    warnings, then 'and N more'), and forget them."""
    lines = [f"note: {n}" for n in _NOTES]
    lines += [f"note: your model warned: {w}" for w in _WARNINGS[:MAX_WARNINGS]]
    if len(_WARNINGS) > MAX_WARNINGS:
        lines.append(f"note: and {len(_WARNINGS) - MAX_WARNINGS} more warnings from your model")
    _NOTES.clear()
    _WARNINGS.clear()
    return lines
