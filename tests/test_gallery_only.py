"""docs/make_gallery.py --only: one picture regenerated without redrawing the gallery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "docs" / "make_gallery.py"), *args],
                          capture_output=True, text=True, check=False)


def test_only_writes_the_named_pictures(tmp_path: Path) -> None:
    done = _run("--out", str(tmp_path), "--formats", "dot", "--only",
                "block-basic,resnet101-stages")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block-basic.dot",
                                                          "resnet101-stages.dot"]
    # ResNet-101's four stages, conv2_x .. conv5_x, each one node (paper, Table 1)
    stages = (tmp_path / "resnet101-stages.dot").read_text()
    assert all(f"conv{i}_x" in stages for i in range(2, 6))


def test_an_unknown_name_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "g"
    done = _run("--out", str(out), "--formats", "dot", "--only", "block-basic,figure4")
    assert done.returncode == 1
    assert "no picture named figure4" in done.stderr and "block-basic" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_an_empty_only_is_refused_not_read_as_every_picture(tmp_path: Path) -> None:
    # `--only "$NAMES"` with NAMES unset (or a stray comma) named no picture, and drew all
    # 18: the minute --only is there to save, and every picture's file rewritten
    out = tmp_path / "g"
    for names in ("", ","):
        done = _run("--out", str(out), "--formats", "dot", "--only", names)
        assert done.returncode == 1
        assert "--only names no picture" in done.stderr and "block-basic" in done.stderr
        assert "Traceback" not in done.stderr
        assert not out.exists()
