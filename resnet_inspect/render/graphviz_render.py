"""DOT text -> SVG / PNG / PDF bytes, with whichever Graphviz this machine has.

The system Graphviz `dot` is used when it is on PATH. Otherwise the `graphviz-pure`
command is used: a self-contained port of `dot` that pip installs with this package (a
declared dependency), so diagrams render after a plain `pip install`. It writes SVG and PNG
but not PDF; asking it for PDF is a one-line error that says how to get it.

Both renderers take the same command line (`-Tsvg`, DOT on stdin, the image on stdout).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from resnet_inspect.errors import InspectError

FORMATS = ("svg", "png", "pdf", "dot")
# What graphviz-pure 0.2 writes (its own list, `graphviz-pure -Tx`); no pdf, no ps.
PURE_FORMATS = ("svg", "png", "dot")
PNG_DPI = 150  # Graphviz's default 72 dpi blurs text on slides and printouts
PDF_HINT = (
    "install the system Graphviz (apt-get install graphviz, or brew install graphviz) "
    "to get pdf, or use --format svg or png"
)
TIMEOUT_S = 300
# Text is measured with the font the SVG names first, DejaVu Sans: graphviz-pure has its
# metrics built in, the system `dot` finds it through fontconfig. After it the SVG names only
# families that set text narrower (Liberation Sans, Arial and Helvetica about 10% narrower),
# so wherever the SVG is opened a label fits its box. (Helvetica, the old choice, was
# measured with Helvetica's metrics by graphviz-pure and drawn with a wider substitute by
# rsvg-convert and chromium on Linux: labels overran their boxes.)
FONT = "DejaVu Sans"
SVG_FONT_FAMILY = "DejaVu Sans,Bitstream Vera Sans,Liberation Sans,Arial,Helvetica,sans-serif"
_SVG_FONT = f'font-family="{FONT}"'.encode()


def declare_fonts(svg: bytes) -> bytes:
    """The SVG's text names FONT, then narrower families for where FONT is missing."""
    return svg.replace(_SVG_FONT, f'font-family="{SVG_FONT_FAMILY}"'.encode())


@dataclass(frozen=True)
class Renderer:
    name: str  # "dot" or "graphviz-pure"
    path: str
    formats: tuple[str, ...]


def _pure_path() -> str | None:
    """graphviz-pure on PATH, or beside this Python (a venv used without activating it)."""
    found = shutil.which("graphviz-pure")
    if found:
        return found
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_renderer() -> Renderer | None:
    """The system `dot` when installed, else graphviz-pure, else None."""
    dot = shutil.which("dot")
    if dot:
        return Renderer("dot", dot, ("svg", "png", "pdf", "dot"))
    pure = _pure_path()
    if pure:
        return Renderer("graphviz-pure", pure, PURE_FORMATS)
    return None


def can_render(fmt: str) -> bool:
    if fmt == "dot":
        return True
    renderer = find_renderer()
    return renderer is not None and fmt in renderer.formats


def render(source: str, fmt: str) -> bytes:
    """Lay out DOT `source` and return the image in `fmt` (svg, png, pdf) as bytes.

    Raises InspectError when no renderer here can write `fmt`.
    """
    if fmt not in FORMATS:
        raise InspectError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "dot":
        return source.encode("utf-8")
    renderer = find_renderer()
    if renderer is None:
        raise InspectError(
            "no Graphviz renderer found (neither `dot` nor `graphviz-pure` on PATH); "
            "reinstall resnet-inspect (pip install resnet-inspect) or install Graphviz, "
            "or use --format dot"
        )
    if fmt not in renderer.formats:
        raise InspectError(f"{fmt} needs the system Graphviz `dot`, which is not installed; "
                           f"{PDF_HINT}")
    command = [renderer.path, f"-T{fmt}"]
    if fmt == "png":
        command.append(f"-Gdpi={PNG_DPI}")
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{renderer.name} took more than {TIMEOUT_S} s; "
                           "try --level block or stage, or --format dot") from None
    if done.returncode != 0 or not done.stdout:
        errors = [
            line for line in done.stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("Warning")
        ]
        detail = errors[0] if errors else f"exit code {done.returncode}"
        raise RuntimeError(f"{renderer.name} failed to render {fmt}: {detail}")
    return declare_fonts(done.stdout) if fmt == "svg" else done.stdout
