"""No merge left half-done: a conflict's markers in a source file or a doc.

A merge that commits `<<<<<<< HEAD` ... `>>>>>>> branch` keeps both sides' text, so the
other checks (the architecture doc names every module, the docstrings parse) still pass
while the reader gets two versions of one sentence.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("resnet_inspect", "tests", "docs", "benchmarks")
SUFFIXES = {".py", ".md", ".toml", ".cfg", ".txt", ".yml", ".yaml"}
# built here, so that this file does not hold a marker itself
MARKERS = ("<" * 7 + " ", ">" * 7 + " ")


def _files() -> list[Path]:
    found = [p for p in ROOT.iterdir() if p.is_file() and p.suffix in SUFFIXES]
    for folder in FOLDERS:
        found += [p for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES]
    return found


def test_no_file_holds_a_merge_conflicts_markers() -> None:
    files = _files()
    assert any(p.name == "architecture.md" for p in files)  # the walk reaches the docs
    left = [f"{p.relative_to(ROOT)}:{n}"
            for p in files
            for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace")
                                     .splitlines(), 1)
            if line.startswith(MARKERS)]
    assert not left, left
