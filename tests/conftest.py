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


# What --fake-versions reports for every package: another length than any real version,
# so a golden that printed one, or laid a column out by its width, would differ.
FAKE_VERSION = "12.345.6"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files")
    parser.addoption(
        "--fake-versions", action="store_true",
        help=f"run only the golden tests, with torch and every installed package reporting "
             f"version {FAKE_VERSION} (tests/test_golden_versions.py runs the suite this way)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fake-versions"):
        fake_versions()


def fake_versions() -> None:
    """Every installed package, torch included, reports FAKE_VERSION from now on."""
    import importlib.metadata

    import torch
    from torch.torch_version import TorchVersion

    # both ways code reads a version: the distribution's metadata and torch.__version__
    importlib.metadata.version = lambda name: FAKE_VERSION
    torch.__version__ = TorchVersion(FAKE_VERSION)  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--fake-versions"):
        items[:] = [item for item in items if "golden" in getattr(item, "fixturenames", ())]


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
