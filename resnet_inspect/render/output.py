"""Writing results: stdout, or a file written whole or not at all.

What `--output PATH` does, as careful command-line tools do it:

- `-` is stdout (the option's callback turns it into None before a command sees it);
- a regular file (or a new one) is written to a temporary file beside it and renamed into
  place, so a reader never sees half a file and a failed run leaves the old one untouched;
- a symlink is followed: its target is replaced that way and the link itself is kept;
- anything that is not a regular file (/dev/null, /dev/full, a FIFO, a terminal,
  /dev/stdout and the other /dev/fd/N and /proc paths) is opened and written through,
  never replaced by a regular file;
- a failed write is one line naming the path and the system's reason (exit 1).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError, RunFailure

if TYPE_CHECKING:
    from rich.console import Console

STDOUT = "-"
# Names of our own stdout: written to the stream we already hold, so a shell's `>>` or
# pipe keeps its meaning (reopening would start at offset 0 of an appended file).
_STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")

# Paths that name an already-open file or a kernel object: written through, never resolved
# and replaced (realpath("/dev/stdout") may name the file the shell redirected to).
_PASS_THROUGH_PREFIXES = ("/dev/", "/proc/")
# A temporary file's name keeps this much of the target's, so that a 255-byte name (the
# usual limit) still has a temporary name that fits
_TMP_NAME_KEEP = 64


def output_callback(value: Path | None) -> Path | None:
    """--output's typer callback: `-o -` means stdout, as it does for most tools."""
    if value is not None and str(value) == STDOUT:
        return None
    return value


def safe_file_name(name: str) -> str:
    """A network's name as a file name in the working directory: a config's `name` of
    '../../x', '/etc/x' or 'a\\nb' must not choose where a file goes or what it is called.
    Letters, digits, '.', '_' and '-' are kept; anything else becomes '-'."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return safe[:100] or "report"


def _through(path: Path) -> bool:
    """Whether `path` must be opened and written in place rather than replaced: what is
    not a regular file (a device, a FIFO, a terminal), /proc and /dev/fd paths, and
    /dev's own entries (/dev/stderr may name a file the shell redirected to). A directory
    under /dev that holds files (/dev/shm) is an ordinary place to write."""
    absolute = path.expanduser().absolute()
    text = str(absolute)
    if text.startswith(_PASS_THROUGH_PREFIXES[1:]) or text.startswith("/dev/fd/") \
            or absolute.parent == Path("/dev"):
        return True
    try:
        mode = path.expanduser().stat().st_mode  # follows symlinks
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _target(path: Path) -> Path:
    """Where the bytes end up: a symlink's final target (which may not exist yet)."""
    return Path(os.path.realpath(path.expanduser()))


def check_writable(path: Path) -> None:
    """Fail before any work is done when `path` cannot be written."""
    if str(path) == STDOUT:
        return
    shown = str(path)
    if path.is_dir():
        raise InspectError(
            f"--output {shown} is a directory; give a file name, e.g. {shown.rstrip('/')}/"
            "report.json"
        )
    if _through(path):
        if not path.exists() and str(path) not in _STDOUT_NAMES:
            raise InspectError(f"--output {shown} does not exist, and a file under /dev or "
                               "/proc is not created; choose another path")
        if path.exists() and not os.access(path, os.W_OK):
            raise InspectError(f"--output {shown} is not writable by this user; choose "
                               "another path")
        return
    target = _target(path)
    parent = target.parent
    if path.is_symlink() and target.is_dir():
        raise InspectError(f"--output {shown} links to the directory {target}; give a file name")
    if not parent.is_dir():
        raise InspectError(
            f"--output {shown}: the directory {parent} does not exist; "
            "create it first or choose another path"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InspectError(
            f"--output {shown}: the directory {parent} is not writable; choose another path"
        )


def _failure(path: Path, err: OSError, kept: bool = False) -> RunFailure:
    reason = err.strerror or type(err).__name__
    after = f"; {path} is unchanged" if kept and os.path.lexists(path) else ""
    return RunFailure(f"cannot write {path}: {reason}{after}")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` by the rules in this module's docstring."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if str(path) == STDOUT:
        _write_stdout(payload)
        return
    write_all([(path, payload)])


def written_through(path: Path) -> bool:
    """Whether `path` is written in place (stdout by another name, a device, a FIFO, a
    terminal) rather than replaced: several pages to /dev/null all go to /dev/null."""
    return str(path) in _STDOUT_NAMES or _through(path)


def _write_through(path: Path, payload: bytes) -> None:
    """Our stdout by another name, or a device, FIFO or terminal: opened and written."""
    if str(path) in _STDOUT_NAMES:
        try:
            _write_stdout(payload)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _failure(path, err) from None
        return
    try:
        # no O_CREAT: a special file that vanished since the check is not re-created
        # as a regular one; O_TRUNC only where a file has a length to cut
        flags = os.O_WRONLY
        if stat.S_ISREG(os.stat(path).st_mode):
            flags |= os.O_TRUNC
        with os.fdopen(os.open(path.expanduser(), flags), "wb") as f:
            f.write(payload)
    except OSError as err:
        raise _failure(path, err) from None


def write_all(files: list[tuple[Path, bytes]]) -> None:
    """Several files (a diagram's pages), all or none: each is written to a temporary file
    beside it first, and only when every one is whole are they renamed into place. A
    failure (a full disk at page 3, Ctrl-C) removes the temporary files and leaves every
    older file as it was. Paths written through (devices, FIFOs) get each in turn."""
    for path, _ in files:
        check_writable(path)
    if any(written_through(path) for path, _ in files):
        for path, data in files:
            if written_through(path):
                _write_through(path, data)
            else:
                write_all([(path, data)])
        return
    staged: list[str] = []
    current = files[0][0]
    try:
        for current, data in files:
            staged.append(_stage(current, data))
        for tmp, (current, _) in zip(list(staged), files, strict=True):
            os.replace(tmp, _target(current))
            staged.remove(tmp)
    except OSError as err:
        for tmp in staged:
            _remove(tmp)
        raise _failure(current, err, kept=True) from None
    except BaseException:
        for tmp in staged:
            _remove(tmp)
        raise


def _stage(path: Path, payload: bytes) -> str:
    """`payload` in a temporary file beside `path`'s target, with the permissions the
    target has (or a new file would get); its name."""
    target = _target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:_TMP_NAME_KEEP]}.", suffix=".tmp",
                               dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _write_stdout(payload: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as err:  # `> /dev/full`, a closed stdout: name stdout, not a file
        raise RunFailure(f"cannot write to stdout: {err.strerror or err}") from None


def emit_rendered(render: Callable[[Console], None], output: Path | None) -> None:
    """Call `render` with the terminal's console, or with a 100-column plain-text console
    whose text goes to `output` (atomically)."""
    from resnet_inspect.render.console import make_console

    if output is None:
        render(make_console())
        return
    buf = io.StringIO()
    render(make_console(width=100, file=buf))
    emit(buf.getvalue(), output)


def emit(text: str, output: Path | None) -> None:
    """Text to `output` (atomically) or to stdout."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            raise RunFailure(f"cannot write to stdout: {err.strerror or err}") from None
    else:
        write_atomic(output, text)
