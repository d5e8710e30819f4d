"""The one exception type for mistakes a user can fix.

The CLI turns it into a single line on stderr and exit code 2; library callers get an
ordinary exception whose message names the problem and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InspectError(ValueError):
    """Bad input: the message names the problem and how to fix it."""


class InspectWarning(UserWarning):
    """What the CLI says as a `note:` line after its output (a trace that ran on the CPU
    because the model's shapes depend on its input's values, a compiled module inspected
    as its original), said to a library caller (`resnet_inspect.inspect`) as a Python
    warning with the same one-line text: `warnings.simplefilter("ignore", InspectWarning)`
    silences them, "error" makes them exceptions."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def first_line(err: BaseException, empty: str = "", limit: int | None = None) -> str:
    """An exception's message as one line: its first line (C++ errors carry a whole stack
    in the text), `empty` when it has none, cut to `limit` characters with '...'."""
    text = str(err).strip()
    first = text.splitlines()[0] if text else empty
    return first if limit is None or len(first) <= limit else first[:limit - 3] + "..."


class ModelError(RuntimeError):
    """A runtime failure while running the model (it raised, or ran out of memory): the
    message keeps the real cause. The CLI prints it as one line and exits 1."""


class RunFailure(RuntimeError):
    """A runtime failure that is not the input's fault (a write that failed, a device
    without the memory the run needs): one line with the real cause, exit code 1."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (the CLI turns the signal into this exception): like
    KeyboardInterrupt, a BaseException, so no `except Exception` of ours or of a user's
    model stops it, and files being written are cleaned up on the way out. The CLI exits
    with 128 + the signal's number (143 for SIGTERM), as a shell reports a killed job."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name
