"""Shared fixtures: golden-file comparison with a regenerate flag.

`pytest --update-golden` rewrites every golden file the run touches; review the diff like
code before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.invariants import table_sums

GOLDEN = Path(__file__).parent / "golden"
# Golden files with no total row to check: preset lists, DOT sources, the paper's Table 1
# layout, and the two blocks side by side (their narrow and Markdown forms are checked).
NO_TOTALS = ("list/", "diagram/", "compare/table1", "compare/blocks_120")


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
        # the invariant every golden table keeps (as torchinfo's fixture checks): rows
        # sum to their total, column by column
        sums = table_sums(text, str(path))
        if not relative.startswith(NO_TOTALS):
            assert sums > 0, f"{path}: no table with a total row was found to check"
    return check
