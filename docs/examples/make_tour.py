"""Write docs/examples/tour.ipynb and run it, so its outputs are saved for GitHub's view.

    .venv/bin/python docs/examples/make_tour.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent

CELLS = [
    ("md", """# A tour of ResNet with resnet-inspect

Four questions a student asks about ResNet, answered with numbers from one traced
forward pass (no weights are needed: networks are traced on PyTorch's `meta` device).
Every table below is a `Report` or a comparison displayed by Jupyter; the same numbers
come out of `resnet-inspect summary` and `resnet-inspect compare` in a terminal."""),
    ("code", """import resnet_inspect as ri

r101 = ri.inspect("resnet101", device="meta")"""),
    ("md", """## 1. Why is ResNet-101 called 101?

Count the weighted layers on the main path: the stem conv, three convs in each of the
33 bottleneck blocks, and the classifier. Projection shortcuts and batch-norm are not
counted (the paper counts them the same way)."""),
    ("code", """print(r101.layer_count.text)
print("blocks per stage:", r101.layer_count.stage_blocks)"""),
    ("md", """## 2. Why does the bottleneck save parameters?

The paper's Figure 5: at 256 channels, a basic block runs two 3x3 convs at full width,
while a bottleneck shrinks to 64 channels with a 1x1, runs its 3x3 there, and expands
back with a 1x1."""),
    ("code", """ri.compare("basic", "bottleneck")"""),
    ("md", """## 3. Where are the projection shortcuts?

Only where the shape changes: the first block of each stage (channels grow, and from
conv3_x on the spatial size halves). Every other shortcut is the identity."""),
    ("code", """r50 = ri.inspect("resnet50", device="meta")
[b.name for b in r50.blocks if b.shortcut == "projection"]"""),
    ("md", """The whole network, one node per block; dashed edges are the projections
(hover a node for its details; `.save("resnet50.png")` writes a file)."""),
    ("code", """ri.diagram(r50)"""),
    ("md", """## 4. What does a backbone cost at my resolution?

MACs grow with the number of pixels, parameters do not. At 512x512 a ResNet-50 has
the same 25.6 M parameters and about (512/224)^2 = 5.2 times the MACs. The table's
stages expand into their blocks."""),
    ("code", """r50_512 = ri.inspect("resnet50", input_shape=(3, 512, 512), device="meta")
print(f"MACs at 224: {r50.totals.macs:,}  at 512: {r50_512.totals.macs:,}  "
      f"ratio {r50_512.totals.macs / r50.totals.macs:.2f}")
r50_512"""),
    ("md", """## The whole family: the paper's Table 1

`ri.compare` with three or more networks lays them out as Table 1 of He et al. (2016);
`resnet-inspect compare 18 34 50 101 152 --latex` writes it for LaTeX notes."""),
    ("code", """ri.compare("18", "34", "50", "101", "152")"""),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src) for kind, src in CELLS]
    return nb


if __name__ == "__main__":
    notebook = build()
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in notebook.cells:  # stable ids and no timing noise in the saved file
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, HERE / "tour.ipynb")
