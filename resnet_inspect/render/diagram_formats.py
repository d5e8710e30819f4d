"""The formats a diagram is written in: a row per format, and the writing of pages.

A table of its own, not rows in `render/formats.py`: that registry's formats are views of
a result (table, json, csv ...) rendered to text for a console or a file, one `--format`
enum for every command; a diagram is one DOT source (or a page's each) laid out by
Graphviz into svg, png or pdf bytes, picked by --output's suffix as much as by --format,
and written as several files when it takes several pages. A new format is one row here
(its suffixes, its renderer, text or bytes) and its name in cli/diagram.py's --format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.render.output import emit, write_all, write_atomic, written_through

if TYPE_CHECKING:
    from resnet_inspect.render.diagram.fit import Diagram


@dataclass(frozen=True)
class DiagramRenderer:
    """One format: the suffixes of --output that ask for it, how DOT becomes the file's
    bytes, whether Graphviz lays it out (else it is the DOT itself), and whether it is
    text (written to stdout as text; bytes are refused on a terminal)."""

    suffixes: tuple[str, ...]
    to_bytes: Callable[[str], bytes]
    image: bool
    text: bool


def _dot(source: str) -> bytes:
    return source.encode("utf-8")


def _laid_out(fmt: str) -> Callable[[str], bytes]:
    def to_bytes(source: str) -> bytes:
        from resnet_inspect.render.graphviz_render import render

        return render(source, fmt)

    return to_bytes


RENDERERS: dict[str, DiagramRenderer] = {
    "svg": DiagramRenderer((".svg",), _laid_out("svg"), image=True, text=True),
    "png": DiagramRenderer((".png",), _laid_out("png"), image=True, text=False),
    "pdf": DiagramRenderer((".pdf",), _laid_out("pdf"), image=True, text=False),
    "dot": DiagramRenderer((".dot", ".gv"), _dot, image=False, text=True),
}
SUFFIXES = {suffix: fmt for fmt, row in RENDERERS.items() for suffix in row.suffixes}


def one_of(names: list[str]) -> str:
    """'svg, png, pdf or dot'."""
    return ", ".join(names[:-1]) + " or " + names[-1]


def resolve_format(fmt: str | None, output: Path | None) -> str:
    """--format, else the output's suffix, else DOT (text on stdout)."""
    suffix_fmt = SUFFIXES.get(output.suffix.lower()) if output is not None else None
    if fmt is not None:
        if suffix_fmt is not None and suffix_fmt != fmt:
            raise InspectError(
                f"--format {fmt} but --output {output} ends in {output.suffix}; "  # type: ignore[union-attr]
                "make them agree"
            )
        return fmt
    if output is None:
        return "dot"
    if suffix_fmt is None:
        firsts = [row.suffixes[0] for row in RENDERERS.values()]
        raise InspectError(
            f"--output {output}: cannot tell the format from {output.suffix or 'no suffix'}; "
            f"end the name in {one_of(firsts)}, or give --format"
        )
    return suffix_fmt


def write_pages(result: Diagram, fmt: str, output: Path | None) -> None:
    """Warnings on stderr, then the diagram to `output` (stdout without one). A drawing
    in pages goes to OUTPUT-1.png, OUTPUT-2.png ... (DOT on stdout: one graph a page)."""
    pages = result.pages or [result]
    row = RENDERERS[fmt]
    if len(pages) > 1 and output is None and row.image:
        raise InspectError(f"the drawing takes {len(pages)} pages; give -o FILE."
                           f"{fmt} (it writes FILE-1.{fmt} ...), or a larger --fit")
    for warning in result.warnings:
        print(f"resnet-inspect: warning: {warning}", file=sys.stderr)
    if len(pages) == 1:
        write_diagram(result.source, fmt, output, result.data)
        return
    if output is None:
        write_diagram("\n".join(page.source for page in pages), fmt, None)
        return
    from resnet_inspect.render.graphviz_render import can_render

    if row.image and not can_render(fmt):
        write_diagram(pages[0].source, fmt, output)  # says how to get the format
    if written_through(output):  # /dev/null, a FIFO: every page to it, in order
        for page in pages:
            write_diagram(page.source, fmt, output, page.data)
        return
    # all pages or none: a full disk at page 3 leaves no page 1 and 2 of a new drawing
    # beside the old ones
    files = [(output.with_name(f"{output.stem}-{i}{output.suffix}"),
              page.data if page.data is not None else row.to_bytes(page.source))
             for i, page in enumerate(pages, start=1)]
    write_all(files)
    for path, _ in files:
        print(f"resnet-inspect: wrote {path}", file=sys.stderr)


def write_diagram(source: str, fmt: str, output: Path | None,
                  data: bytes | None = None) -> None:
    """DOT text rendered to `fmt`, written atomically to `output` or to stdout.

    When this machine cannot make `fmt` (pdf without system Graphviz), the DOT source is
    written beside the output as .gv -- unless a file of that name exists, which is left
    untouched -- and the error says how to get the format.
    """
    from resnet_inspect.render.graphviz_render import can_render

    row = RENDERERS[fmt]
    if not row.image:
        emit(source, output)
        return
    if not can_render(fmt):
        _refuse(source, fmt, output)
    if data is None:
        data = row.to_bytes(source)
    if output is not None:
        write_atomic(output, data)
    elif row.text:
        emit(data.decode("utf-8"), None)
    elif sys.stdout.isatty():
        raise InspectError(f"{fmt} is binary and stdout is a terminal; give --output FILE.{fmt}")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _refuse(source: str, fmt: str, output: Path | None) -> None:
    """`fmt` cannot be made here: the DOT kept beside `output` as .gv (never over a file
    of that name, the user's own: issue 12) and the renderer's error, saying where."""
    from resnet_inspect.render.graphviz_render import render

    kept = ""
    if output is not None:
        gv = output.with_suffix(".gv")
        if gv.exists():
            kept = (f"; {gv} exists and was left as it is, so the DOT source was not "
                    f"kept (write it with --format dot -o OTHER.gv)")
        else:
            write_atomic(gv, source)
            kept = (f"; the DOT source is in {gv} "
                    f"(render it with dot -T{fmt} {gv} -o {output})")
    try:
        render(source, fmt)
    except InspectError as err:
        raise InspectError(f"{err}{kept}") from None
