"""A progress bar on stderr for work that takes more than a moment, only on a terminal.

`with progress_bar("Tracing") as update: work(progress=update)`: `update(done, total)` is
what the library's `progress=` callbacks take. Off a TTY (pipes, files, tests) or with
NO_COLOR/TERM=dumb it is a no-op, so captured output stays clean. The bar appears only
after `delay` seconds, so quick runs never flash one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Update = Callable[[int, int], None]


def _enabled() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextmanager
def progress_bar(description: str, delay: float = 0.5) -> Iterator[Update]:
    if not _enabled():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    started = time.perf_counter()
    bar: Progress | None = None
    task = None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            if time.perf_counter() - started < delay:
                return
            bar = Progress("[progress.description]{task.description}", BarColumn(),
                           MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
            bar.start()
            task = bar.add_task(description, total=total)
        assert task is not None
        bar.update(task, completed=min(done, total), total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
