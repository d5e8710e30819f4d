"""docs/architecture.md names every module of the package, so a newcomer's map has no
blank spots: a module added without a line there fails here, naming it."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "resnet_inspect"
DOC = PACKAGE.parent / "docs" / "architecture.md"


def _modules() -> list[str]:
    """Every module as its path in the package ('spec/arch.py'). An `__init__.py` counts
    only when it holds code of its own (a function or class, as the facade and the CLI's
    `main` do); one that only re-exports is covered by its folder's row."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name in ("__init__.py", "__main__.py"):
            tree = ast.parse(path.read_text())
            if not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in tree.body):
                continue
        out.append(rel)
    return out


def _named_in(doc: str) -> tuple[set[str], dict[str, set[str]]]:
    """Paths named anywhere in backticks, and per folder (a table row whose first cell is
    `folder/`) the file names (or globs such as `compare*.py`) its row names."""
    anywhere = set(re.findall(r"`([\w/*.]+\.py)`", doc))
    rows: dict[str, set[str]] = {}
    for line in doc.splitlines():
        cells = line.split("|")
        if len(cells) < 4:
            continue
        for folder in re.findall(r"`([\w/]+/)`", cells[1]):
            rows.setdefault(folder, set()).update(re.findall(r"`([\w*.]+\.py)`", cells[2]))
    return anywhere, rows


def test_every_module_is_in_the_architecture_doc() -> None:
    anywhere, rows = _named_in(DOC.read_text())
    missing = []
    for rel in _modules():
        folder, _, name = rel.rpartition("/")
        in_row = any(fnmatch.fnmatch(name, pattern) for pattern in rows.get(f"{folder}/", ()))
        if not (in_row or rel in anywhere or f"resnet_inspect/{rel}" in anywhere):
            missing.append(rel)
    assert not missing, (
        f"docs/architecture.md does not name {', '.join(missing)}: add each to its folder's "
        "row in 'One line per folder' (`name.py` and what it holds)")
