"""Rows sum to totals, read back from printed output (text tables and Markdown tables).

The golden fixture runs this on every golden file it compares, as torchinfo's test
fixture checks its summaries: a column whose total row holds a number must equal the sum
of the rows above it, exactly for integers, within the printed rounding for SI figures
("9.54 k"). A `convs` row sums the rows named conv*; `Total`, `total` and `with BN` rows sum
every row of their table.
"""

from __future__ import annotations

import re

_SI = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_NUMBER = re.compile(r"^\**([+-]?)([\d,]+)(?:\.(\d+))?(?: ([kMGT]))?\**$")
_CELL = re.compile(r"\S+(?: \S+)*")  # cells of a text table: runs of single-spaced words
_ALL_ROWS = {"total", "with bn"}


def _value(cell: str) -> tuple[float, float] | None:
    """A printed number and its rounding (half a unit of its last digit); '-' is zero."""
    cell = cell.strip()
    if cell in ("-", "0"):
        return 0.0, 0.0
    m = _NUMBER.match(cell)
    if not m:
        return None
    sign, whole, decimals, unit = m.groups()
    scale = _SI[unit or ""]
    value = float(whole.replace(",", "") + ("." + decimals if decimals else "")) * scale
    half = 0.5 * 10 ** -len(decimals or "") * scale if (decimals or unit) else 0.0
    return (-value if sign == "-" else value), half


def _row_name(cell: str) -> str:
    return cell.strip().strip("*").strip().lower()


def _check(rows: list[tuple[str, dict[int, str]]], where: str) -> int:
    """rows: (name, {column: cell}) in order; returns how many sums were checked."""
    checked = 0
    body: list[tuple[str, dict[int, str]]] = []
    for name, cells in rows:
        if name in _ALL_ROWS or name == "convs":
            members = [c for n, c in body if name != "convs" or n.startswith("conv")]
            for col, cell in cells.items():
                total = _value(cell)
                parts = [_value(c.get(col, "-")) for c in members]
                if total is None or not members or any(p is None for p in parts):
                    continue
                got = sum(p[0] for p in parts if p)
                slack = total[1] + sum(p[1] for p in parts if p) + 1e-6 * abs(total[0])
                assert abs(got - total[0]) <= slack, (
                    f"{where}: column {col} of the rows above {name!r} sums to {got:,.0f}, "
                    f"but {name!r} says {cell.strip()}"
                )
                checked += 1
            if name != "convs":
                body = []
            continue
        body.append((name, cells))
    return checked


def _text_tables(text: str) -> list[list[tuple[str, dict[int, str]]]]:
    """Rich tables: rows after a '───' rule, cells keyed by where they end (right-aligned
    numbers line up on their last character)."""
    tables: list[list[tuple[str, dict[int, str]]]] = []
    current: list[tuple[str, dict[int, str]]] | None = None
    for line in text.splitlines():
        if "───" in line:
            # two tables side by side (wide compare output) are read in their narrow form
            current = [] if len(re.findall(r"─+", line)) == 1 else None
            if current is not None:
                tables.append(current)
            continue
        if current is None or not line.strip():
            continue
        if not re.match(r"^ {1,7}\S", line):  # rows (indented by depth); prose ends it
            # a wrapped cell (deeply indented) goes on
            if not line.startswith(" "):
                current = None
            continue
        cells = [(m.end(), m.group()) for m in _CELL.finditer(line)]
        current.append((_row_name(cells[0][1]), {end: cell for end, cell in cells[1:]}))
    return tables


def _markdown_tables(text: str) -> list[list[tuple[str, dict[int, str]]]]:
    tables: list[list[tuple[str, dict[int, str]]]] = []
    current: list[tuple[str, dict[int, str]]] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(line) <= set("|-: "):
            current = []
            tables.append(current)
            continue
        if current is not None:
            current.append((_row_name(cells[0]), dict(enumerate(cells[1:], start=1))))
    return tables


def table_sums(text: str, where: str) -> int:
    """Check every table in `text`; the number of sums checked (0: no table had a total)."""
    tables = _markdown_tables(text) + _text_tables(text)
    return sum(_check(rows, f"{where}, table {i + 1}") for i, rows in enumerate(tables))
