"""Output formats: one registry of renderers, a row per (command, format).

`--format table|json|csv|markdown|latex|html` picks a row; a renderer takes the command's
use-case result (`resnet_inspect.usecases`) and the view options, and returns text, or a
function that prints to a console (the rich table, which adapts to the terminal's width).
A new format is one renderer and one row in `RENDERERS`; the commands' `--format` choices
and `--help` follow from the table, and a command's first row is its default format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resnet_inspect.render.names import NameScheme
from resnet_inspect.render.output import emit, emit_rendered

if TYPE_CHECKING:
    from rich.console import Console

    from resnet_inspect.usecases.check import Checked
    from resnet_inspect.usecases.compare import Compared
    from resnet_inspect.usecases.presets import PresetList
    from resnet_inspect.usecases.report import Page
    from resnet_inspect.usecases.summarize import Summary


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    LATEX = "latex"
    HTML = "html"


@dataclass(frozen=True)
class View:
    """How a summary is shown (the other commands' renderers ignore it)."""

    level: str = "block"
    names: NameScheme = NameScheme.TORCHVISION
    ops: bool = False
    rf: bool = False


Rendered = str | Callable[["Console"], None]
Renderer = Callable[[Any, View], Rendered]


# --- summary --------------------------------------------------------------------------

def _summary_table(s: Summary, view: View) -> Rendered:
    def show(console: Console) -> None:
        """The summary table; then, when asked, the per-op table and the measured times."""
        from resnet_inspect.render.console import print_block
        from resnet_inspect.render.table import render_summary

        render_summary(s.report, console, view.level, view.names, view.rf)
        if view.ops:
            from resnet_inspect.render.ops import render_ops

            print_block(console, "")
            render_ops(s.report, console, view.level)
        if s.fit is not None:
            from resnet_inspect.render.table import fit_text

            print_block(console, fit_text(s.fit, s.report))
        if s.timing is not None:
            from resnet_inspect.render.timing_table import render_timing

            print_block(console, "")
            render_timing(s.report, s.timing, console, view.level)

    return show


def _summary_json(s: Summary, view: View) -> Rendered:
    from resnet_inspect.render.export import to_json

    text = to_json(s.report)
    if s.timing is None and s.fit is None:
        return text

    data = json.loads(text)  # the report's JSON, with the times or the fit beside it
    if s.timing is not None:
        data["timing"] = s.timing.to_dict()
    if s.fit is not None:
        data["fit"] = {**asdict(s.fit), "dominant": s.fit.dominant}
    return json.dumps(data, indent=2)


def _summary_csv(s: Summary, view: View) -> Rendered:
    from resnet_inspect.render.export import to_csv

    return to_csv(s.report, view.level, view.names)


def _summary_markdown(s: Summary, view: View) -> Rendered:
    from resnet_inspect.render.export import to_markdown

    return to_markdown(s.report, view.level, view.names)


def _summary_latex(s: Summary, view: View) -> Rendered:
    from resnet_inspect.render.latex import summary_latex

    return summary_latex(s.report, view.level)


def _summary_html(s: Summary, view: View) -> Rendered:
    """The notebook's fragment (stages that expand into blocks, and layers at --level
    layer, with its own style) in a page of its own: a file opened from disk needs its
    charset declared, or a browser guessing Windows-1252 shows '1x3x224x224 Â·' for the
    '·' and '×' in it, and a viewport to read on a phone."""
    from html import escape

    from resnet_inspect.render.html import report_html

    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(s.report.model)} · resnet-inspect</title>", "</head><body>",
        report_html(s.report, layers=view.level == "layer"), "</body></html>", ""])


# --- compare --------------------------------------------------------------------------

def _compare_table(c: Compared, view: View) -> Rendered:
    def show(console: Console) -> None:
        from resnet_inspect.render.compare import render

        render(c.result, console)
        if c.train:
            from resnet_inspect.render.console import print_block
            from resnet_inspect.render.training import training_lines

            print_block(console, "\n".join(["", *training_lines(c.reports)]))

    return show


def _compare_json(c: Compared, view: View) -> Rendered:
    from resnet_inspect.render.compare import to_json

    text = to_json(c.result)
    if not c.train:
        return text

    data = json.loads(text)
    data["training"] = [{"model": r.model, **asdict(r.training_memory),
                         "backward_macs": r.totals.backward_macs}
                        for r in c.reports if r.training_memory is not None]
    return json.dumps(data, indent=2)


def _compare_markdown(c: Compared, view: View) -> Rendered:
    from resnet_inspect.render.compare import to_markdown

    return to_markdown(c.result)


def _compare_latex(c: Compared, view: View) -> Rendered:
    from resnet_inspect.render.latex import compare_latex

    return compare_latex(c.result)


# --- check and list -------------------------------------------------------------------

def _check_table(c: Checked, view: View) -> Rendered:
    def show(console: Console) -> None:
        from resnet_inspect.render.check_table import render_check

        render_check(c.report, console)
        if c.step is not None:
            from resnet_inspect.render.console import print_block

            print_block(console, "\n" + c.step.text())

    return show


def _check_json(c: Checked, view: View) -> Rendered:
    data = c.report.to_dict()
    if c.step is not None:
        data["training_step"] = {**asdict(c.step), "accounted": c.step.accounted}
    return json.dumps(data, indent=2) + "\n"


def _list_table(listed: PresetList, view: View) -> Rendered:
    from resnet_inspect.render.list_table import render_list

    return lambda console: render_list(listed, console)


def _list_json(listed: PresetList, view: View) -> Rendered:
    from resnet_inspect.render.list_table import list_json

    return list_json(listed)


# --- report (begin) ---------------------------------------------------------------------

def _report_html(page: Page, view: View) -> Rendered:
    """The self-contained page: stage table, charts, the block-level diagram inlined as
    SVG (its tooltips kept), the counting conventions."""
    from resnet_inspect.render.diagram import network_diagram
    from resnet_inspect.render.graphviz_render import render
    from resnet_inspect.render.html import report_page

    svg = render(network_diagram(page.report, "block").source, "svg").decode("utf-8")
    return report_page(page.report, svg)


REPORT_RENDERERS: dict[Format, Renderer] = {Format.HTML: _report_html}

# --- report (end) -----------------------------------------------------------------------


RENDERERS: dict[str, dict[Format, Renderer]] = {
    "summary": {Format.TABLE: _summary_table, Format.JSON: _summary_json,
                Format.CSV: _summary_csv, Format.MARKDOWN: _summary_markdown,
                Format.LATEX: _summary_latex, Format.HTML: _summary_html},
    "compare": {Format.TABLE: _compare_table, Format.JSON: _compare_json,
                Format.MARKDOWN: _compare_markdown, Format.LATEX: _compare_latex},
    "check": {Format.TABLE: _check_table, Format.JSON: _check_json},
    "list": {Format.TABLE: _list_table, Format.JSON: _list_json},
    "report": REPORT_RENDERERS,
}


def formats_of(command: str) -> list[str]:
    """The formats `command` writes, in the registry's order (its default first)."""
    return [f.value for f in RENDERERS[command]]


def write(command: str, fmt: Format, result: Any, output: Path | None,
          view: View = View()) -> None:
    """Render `result` as `fmt` and write it to `output` (atomically) or stdout."""
    rendered = RENDERERS[command][fmt](result, view)
    if isinstance(rendered, str):
        emit(rendered, output)
    else:
        emit_rendered(rendered, output)
