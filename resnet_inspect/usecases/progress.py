"""The progress hook a use-case reports through: a context manager per phase.

An adapter passes its own (the CLI's terminal bar); the notebook API and tests pass none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

Update = Callable[[int, int], None]
Progress = Callable[[str], AbstractContextManager[Update]]


@contextlib.contextmanager
def silent(description: str) -> Iterator[Update]:
    """No bar: every update is dropped."""
    yield lambda done, total: None
