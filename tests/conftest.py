"""Shared fixtures: golden-file comparison with a regenerate flag.

`pytest --update-golden` rewrites every golden file the run touches; review the diff like
code before committing it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files")


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """golden(relative_path, text): assert text equals the stored file (or rewrite it)."""
    update = request.config.getoption("--update-golden")

    def check(relative: str, text: str) -> None:
        path = GOLDEN / relative
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} is missing; run pytest --update-golden")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert text == path.read_text(encoding="utf-8"), (
            f"output differs from {path}; if the change is intended, run pytest --update-golden"
        )
        if relative.startswith("summary/"):
            # the invariant every summary snapshot keeps (as torchinfo's fixture checks):
            # the rows' parameters add up to the printed total
            rows, total = table_params(text)
            assert sum(rows) == total, f"{path}: rows sum to {sum(rows):,}, total {total:,}"

    return check


def table_params(text: str) -> tuple[list[int], int]:
    """Params column of each row, and the Total row's, parsed from a printed summary."""
    rows, total = [], None
    for line in text.splitlines():
        m = re.match(r"^\s+(\S+)\s.*?\s([\d,]+|-)\s+([\d.]+ [kMGT]|-|\d+)$", line)
        if not m:
            continue
        value = 0 if m.group(2) == "-" else int(m.group(2).replace(",", ""))
        if m.group(1) == "Total":
            total = value
        else:
            rows.append(value)
    assert total is not None, "no Total row in the summary"
    return rows, total
