"""Writing results: stdout, or a file written atomically (never half-written)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError

if TYPE_CHECKING:
    from rich.console import Console


def check_writable(path: Path) -> None:
    """Fail before any work is done when `path` cannot be written."""
    parent = path.expanduser().resolve().parent
    if path.exists() and path.is_dir():
        raise InspectError(
            f"--output {path} is a directory; give a file name, e.g. {path}/report.json"
        )
    if not parent.is_dir():
        raise InspectError(
            f"--output {path}: the directory {parent} does not exist; "
            "create it first or choose another path"
        )
    if not os.access(parent, os.W_OK):
        raise InspectError(
            f"--output {path}: the directory {parent} is not writable; choose another path"
        )


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    check_writable(path)
    path = path.expanduser()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        # mkstemp makes the file private (0600); give it the permissions open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(output, text if text.endswith("\n") else text + "\n")
