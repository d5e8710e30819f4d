"""Objects that display themselves in Jupyter: a diagram and a comparison.

    >>> import resnet_inspect as ri
    >>> ri.diagram("resnet50")                 # inline SVG in a notebook
    >>> ri.diagram("resnet50").save("r50.png") # png, svg, pdf or dot, by suffix
    >>> ri.compare("resnet50", "resnet101")    # the stage table

Both are built on what the CLI uses: the use-cases `usecases/draw.py` (which draws the
graph with `render/diagram/`) and `usecases/compare.py`; `render/graphviz_render.py`
renders the graph.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError
from resnet_inspect.render.output import write_atomic
from resnet_inspect.usecases.draw import draw

if TYPE_CHECKING:
    from torch import nn

    from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
    from resnet_inspect.report.model import Report


class Diagram:
    """A Graphviz diagram: inline SVG in Jupyter, `.save(path)` to a file, `.source` DOT."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._svg: str | None = None

    def svg(self) -> str:
        """The diagram as SVG text (rendered once, then kept)."""
        if self._svg is None:
            from resnet_inspect.render.graphviz_render import render

            text = render(self.source, "svg").decode("utf-8")
            # inline in a page: drop the XML prolog and DOCTYPE, keep the <svg> element
            start = text.find("<svg")
            self._svg = text[start:] if start >= 0 else text
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return f'<div style="overflow-x:auto">{self.svg()}</div>'

    def save(self, path: str | Path) -> Path:
        """Write the diagram; the suffix picks the format (.png, .svg, .pdf, .dot/.gv)."""
        from resnet_inspect.render.graphviz_render import FORMATS, render

        path = Path(path)
        fmt = {"gv": "dot"}.get(path.suffix.lower().lstrip("."), path.suffix.lower().lstrip("."))
        if fmt not in FORMATS:
            raise InspectError(f"{path}: unknown suffix {path.suffix!r}; use one of "
                               + ", ".join("." + f for f in FORMATS))
        data: str | bytes = self.source if fmt == "dot" else render(self.source, fmt)
        write_atomic(path, data)
        return path

    def __repr__(self) -> str:
        return f"<Diagram: {len(self.source.splitlines())} lines of DOT; .save('x.png')>"


def diagram(what: str | nn.Module | Report, level: str | None = None, *,
            input_shape: tuple[int, ...] | None = None, **overrides: Any) -> Diagram:
    """The network diagram of a preset name, any nn.Module or a Report.

    A preset is drawn in stages and blocks (level `block` unless given); a module of your
    own from its dataflow graph, the edges its forward really has, as `diagram --model`
    draws it (level `layer` unless given: every node).

    >>> diagram("resnet50")                     # blocks, stages as clusters
    >>> diagram("resnet18", level="layer")      # every layer
    >>> diagram(my_net, input_shape=(3, 64, 64))  # as its forward runs
    >>> diagram(report).save("net.svg")
    """
    from resnet_inspect.render.diagram import diagram_of

    if level not in (None, "stage", "block", "layer"):
        raise InspectError(f"level {level!r}: use 'stage', 'block' or 'layer'")
    drawn = draw(what, level=level, input_shape=input_shape,
                 device="meta" if isinstance(what, str) else "auto", **overrides)
    return Diagram(diagram_of(drawn).source)


# Jupyter's own monospace stack first; a <pre> with no family is proportional under some
# front ends' CSS, and the columns break (issue 23).
MONOSPACE = ("var(--jp-code-font-family, ui-monospace), SFMono-Regular, Menlo, Consolas, "
             "'DejaVu Sans Mono', 'Liberation Mono', monospace")


def _plain_text(draw: Any, width: int | None) -> str:
    """What `draw(console)` prints, as plain text: no colour codes, whatever the output is.
    The width is the terminal's (COLUMNS, else the terminal, else 80) unless given."""
    from resnet_inspect.render.console import make_console

    buf = io.StringIO()
    if width is None:
        width = make_console().width
    console = make_console(width=width, file=buf)
    console.is_jupyter = False  # in a kernel rich would display the text, not write it
    draw(console)
    return buf.getvalue()


def report_text(report: Report, level: str = "block", width: int | None = None) -> str:
    """The table `resnet-inspect summary` prints, with its totals, as plain text:
    `print(report)` shows it; `report.text(level="layer", width=120)` picks the rows."""
    from resnet_inspect.render.table import render_summary

    if level not in ("stage", "block", "layer"):
        raise InspectError(f"level {level!r}: use 'stage', 'block' or 'layer'")
    return _plain_text(lambda console: render_summary(report, console, level), width)


class Comparison:
    """A comparison that displays as a table: HTML in Jupyter, text in a REPL and in
    `print()`.

    `.result` holds the data (compare.NetworkComparison or BlockComparison)."""

    def __init__(self, result: NetworkComparison | BlockComparison) -> None:
        self.result = result

    def text(self, width: int | None = None) -> str:
        """The table `resnet-inspect compare` prints, as plain text (the terminal's width,
        else 80, unless given)."""
        from resnet_inspect.render.compare import render

        return _plain_text(lambda console: render(self.result, console), width)

    def _repr_markdown_(self) -> str:
        from resnet_inspect.render.compare import to_markdown

        return to_markdown(self.result)

    def _repr_html_(self) -> str:
        from html import escape

        # a fixed width, whatever the kernel's COLUMNS: the cell scrolls, the columns hold
        return (f'<pre style="font-family:{MONOSPACE};font-size:12px;line-height:1.3;'
                f'white-space:pre;overflow-x:auto">{escape(self.text(width=100))}</pre>')

    def to_dict(self) -> dict[str, Any]:
        return self.result.to_dict()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def compare(*items: Any, input_shape: tuple[int, ...] | None = None, batch: int = 1,
            **block_options: Any) -> Comparison:
    """Compare networks stage by stage (three or more: the paper's Table 1), or residual
    blocks layer by layer, as `resnet-inspect compare` does. A network is a preset name
    or depth, a config file, a spec, any nn.Module (as the CLI's --model) or a Report.

    >>> compare("resnet50", "resnet101")
    >>> compare("18", "34", "50", "101", "152")
    >>> compare("resnet50", my_module, input_shape=(3, 224, 224))
    >>> compare("basic", "bottleneck", channels=(256, 256), spatial=(56, 56))
    """
    from resnet_inspect.usecases.compare import compare as compare_items

    if len(items) == 1 and isinstance(items[0], (list, tuple)):
        items = tuple(items[0])
    block_keys = ("channels", "width", "spatial", "stride")
    known = {key: value for key, value in block_options.items() if key in block_keys}
    unknown = [key for key in block_options if key not in block_keys]

    def prepare(kind: str) -> None:
        """Keyword arguments that do not apply to `kind` refused."""
        if kind == "blocks":
            if unknown:
                raise InspectError(f"unknown option {unknown[0]!r} for blocks; "
                                   "use channels, width, spatial or stride")
            return
        if block_options:
            raise InspectError(f"{next(iter(block_options))!r} applies to blocks, not "
                               "networks; use input_shape or batch for networks")
        if len(items) < 2:
            raise InspectError(f"compare needs at least two networks, got {len(items)}; "
                               "e.g. compare('resnet50', 'resnet101')")

    return Comparison(compare_items(items, **known, input_shape=input_shape, batch=batch,
                                    prepare=prepare).result)
