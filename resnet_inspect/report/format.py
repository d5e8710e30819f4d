"""Number and shape formatting shared by every renderer."""

from __future__ import annotations

import math
from collections.abc import Sequence

MIB = 1024 * 1024


def count(n: int) -> str:
    """Exact count with thousands separators: 25,557,032."""
    return f"{n:,}"


def si(n: float, digits: int = 2) -> str:
    """Short form for MACs/FLOPs: 4.09 G, 115.61 M, 9.41 k, 0."""
    if n == 0:
        return "0"
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.{digits}f} {unit}"
    return f"{n:.0f}"


def mib(n_bytes: int, digits: int = 2) -> str:
    """Bytes in MiB (2^20, as torchinfo and paddle.summary print); from 10 GiB up in GiB,
    from 10 TiB up in TiB, so a 4096x4096 batch of 64 does not read as 321,617,920 MiB."""
    for unit, scale in (("TiB", MIB * 1024 * 1024), ("GiB", MIB * 1024)):
        if n_bytes >= 10 * scale:
            return f"{n_bytes / scale:,.{digits}f} {unit}"
    return f"{n_bytes / MIB:,.{digits}f} MiB"


def visible(text: str) -> str:
    """`text` with its control and other invisible characters written as Python escapes
    (`\\x1b`, `\\n`, `\\u202e`): a module name (a ModuleDict key) or a model's name reaches a
    terminal, a table, a DOT label or a page, and an ANSI escape or a newline in it must not
    act there (recolour the terminal, split a row, reverse the text), only show."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def shape(dims: Sequence[int]) -> str:
    return "x".join(str(d) for d in dims) if dims else "-"


def uncertain(text: str, data_dependent: bool) -> str:
    """A shape with '~' in front where it came from the input's values (`y[y > 0]`):
    true of the made-up input traced, not of every input (tables, JSON's rows, diagrams)."""
    return "~" + text if data_dependent else text


def ratio(a: float, b: float) -> str:
    """'16.94x' for a / b."""
    if b == 0:
        return "-"
    return times(a / b)


def times(r: float) -> str:
    """A ratio: '1.74x'; below 0.01 two significant digits ('0.000027x'), never a '0.00x'
    that reads as nothing at all (314 params beside ResNet-18's 11,689,512)."""
    if r <= 0 or r >= 0.01:
        return f"{r:.2f}x"

    digits = 1 - math.floor(math.log10(r))  # 0.0000269 -> 6 decimals -> '0.000027'
    return f"{r:.{digits}f}x"
