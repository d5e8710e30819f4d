"""Report -> Graphviz DOT: teaching diagrams of one block or a whole network.

Two kinds of picture, both drawn from a Report (never from a model):

- a block (the ResNet paper's Figure 5): one node per layer, batch-norm and ReLU where the
  block applies them, the shortcut into the addition, the block's total in the title;
- a network (the paper's Figure 3): top to bottom, one labelled cluster per stage (conv2_x
  ...), at three levels of detail (`stage`, `block`, `layer`), the tensor shape on every edge
  where it changes.

Shortcuts follow the paper's figures: identity solid, projection (1x1 conv) dashed;
zero-padding (option A) dotted. Every shortcut edge carries `id="shortcut_<block>"`, so a
reader (or a test) can find them in the DOT and the SVG.

Output is deterministic: node ids come from module names, nodes and edges are emitted in
execution order, and nothing depends on dict order of anything but the report itself, so
the DOT text can be snapshot in tests.

The package, in the order its modules depend on each other:

- grouping: the report's rows regrouped into what is drawn (blocks, folded runs);
- style: colours, fonts, labels, the paper style and the legends;
- layout: the DOT shared by both pictures (graph, main-path edges, shortcuts, the "+");
- network and block: the two pictures; beside: networks side by side (Figure 3);
- fit: `make_diagram`, the entry point, with --fit, --direction and --style, and
  `diagram_of`, which draws a `usecases.draw.Drawing`.
"""

from resnet_inspect.render.diagram.beside import side_by_side
from resnet_inspect.render.diagram.block import block_caption, block_diagram
from resnet_inspect.render.diagram.fit import (
    MEDIA,
    Diagram,
    diagram_of,
    fit_source,
    make_diagram,
    natural_size,
    parse_fit,
)
from resnet_inspect.render.diagram.grouping import fold_runs
from resnet_inspect.render.diagram.layout import shortcut_edges
from resnet_inspect.render.diagram.network import LEVELS, network_diagram
from resnet_inspect.render.diagram.style import (
    COLOURS,
    LEGEND,
    PAPER_STYLE,
    SHORTCUT_STYLE,
    STAGE_FILLS,
    layer_text,
    pretty_name,
    shape_text,
    stage_fill,
)

__all__ = [
    "COLOURS",
    "LEGEND",
    "LEVELS",
    "MEDIA",
    "PAPER_STYLE",
    "SHORTCUT_STYLE",
    "STAGE_FILLS",
    "Diagram",
    "block_caption",
    "block_diagram",
    "diagram_of",
    "fit_source",
    "fold_runs",
    "layer_text",
    "make_diagram",
    "natural_size",
    "network_diagram",
    "parse_fit",
    "pretty_name",
    "shape_text",
    "shortcut_edges",
    "side_by_side",
    "stage_fill",
]
