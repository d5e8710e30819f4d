"""What the comparison renderers share: the table style, titles and notes that wrap at the
console, and the width a table wants.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.compare_data import NetworkSide
from resnet_inspect.report import format as fmt


def compare_table(title: str | None = None, width: int = 80) -> Table:
    # collapse_padding: one space of padding between columns, not two (with the box's own
    # blank divider that is still a clear gap), which is what lets 80 columns hold the
    # two-network table.
    return Table(title=title, title_justify="left", header_style="bold", pad_edge=False,
                 collapse_padding=True, box=box.SIMPLE_HEAD if width >= 60 else None,
                 title_style="bold")


def natural_width(renderable: RenderableType, console: Console) -> int:
    """The width a renderable wants with no limit (console.measure caps it at the console)."""
    options = console.options.update(max_width=10_000)
    return Measurement.get(console, options, renderable).maximum


def inputs_text(nets: Sequence[NetworkSide]) -> str:
    shapes = list(dict.fromkeys(fmt.shape(n.input_shape) for n in nets))
    return f"input {shapes[0]}" if len(shapes) == 1 else f"inputs {', '.join(shapes)}"


def heading(text: str) -> Text:
    """A title line above a table: it wraps at the console, not at the table's width."""
    return Text(text, style="bold", overflow="fold")


def note_lines(lines: Sequence[str]) -> Group:
    return Group(*(Text(line, overflow="fold") for line in lines))
