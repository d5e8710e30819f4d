"""docs/examples/tour.ipynb runs top to bottom in a real kernel, and its saved outputs
(what GitHub shows) are the numbers the code gives today."""

from __future__ import annotations

from pathlib import Path

import pytest

TOUR = Path(__file__).parent.parent / "docs" / "examples" / "tour.ipynb"

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]' (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]' (nbclient)")
pytest.importorskip("ipykernel", reason="pip install -e '.[test]' (ipykernel)")


def _text(nb) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for v in out.get("data", {}).values())
    return "\n".join(parts)


def test_tour_runs_without_error_and_matches_its_saved_outputs() -> None:
    saved = nbformat.read(TOUR, as_version=4)
    fresh = nbformat.read(TOUR, as_version=4)
    # raises CellExecutionError on the first cell that fails
    nbclient.NotebookClient(fresh, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(TOUR.parent)}}).execute()
    for text in (_text(saved), _text(fresh)):
        # He et al. 2016, Table 1: 101 = 1 + 3 x (3 + 4 + 23 + 3) + 1
        assert "101 layers = 1 conv + 3 x (3 + 4 + 23 + 3) block convs + 1 fc" in text
        assert "['layer1.0', 'layer2.0', 'layer3.0', 'layer4.0']" in text
        # torchvision resnet50 at 224: 4,089,184,256 MACs; 512x512 is (512/224)^2 ~ 5.2x
        assert "MACs at 224: 4,089,184,256" in text and "ratio 5.22" in text
        assert "<svg" in text  # the diagram, inline
    # every code cell's output was saved, so the notebook reads on a plain GitHub view
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code[1:])  # the first cell only imports
