"""Make the teaching-diagram gallery in docs/gallery/ (SVG and PNG).

    python docs/make_gallery.py                      # every diagram, svg + png
    python docs/make_gallery.py --out /tmp/g --formats svg

Every picture is drawn from a traced Report (shapes and counts on the meta device, so this
takes seconds) and rendered by the system Graphviz `dot` when installed, else by
graphviz-pure. The DOT text is what tests snapshot; these images are for reading only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
GALLERY = HERE / "gallery"


def _diagrams() -> list[tuple[str, str, Callable[[], str]]]:
    """(file stem, caption, function returning DOT) for each gallery picture."""
    from resnet_inspect import inspect
    from resnet_inspect.cli.diagram import block_report
    from resnet_inspect.render.diagram import block_diagram, network_diagram, side_by_side
    from resnet_inspect.spec import BlockKind

    def net(name: str, level: str) -> Callable[[], str]:
        return lambda: network_diagram(inspect(name, device="meta"), level).source

    def block(kind: BlockKind) -> Callable[[], str]:
        return lambda: block_diagram(block_report(kind, device="meta")).source

    def plain_vs_residual() -> str:
        from resnet_inspect import resolve_spec

        spec = resolve_spec("resnet34")
        reports = [inspect(spec.with_changes(plain=True), device="meta"),
                   inspect(spec, device="meta")]
        return side_by_side(reports, "layer").source

    return [
        ("block-basic", "Basic block at 256 channels (Figure 5, left)", block(BlockKind.BASIC)),
        ("block-bottleneck", "Bottleneck block, 256 -> 64 -> 256 (Figure 5, right)",
         block(BlockKind.BOTTLENECK)),
        ("resnet18-blocks", "ResNet-18, one node per block", net("resnet18", "block")),
        ("resnet34-blocks", "ResNet-34, one node per block", net("resnet34", "block")),
        ("resnet50-blocks", "ResNet-50, one node per block", net("resnet50", "block")),
        ("resnet101-stages", "ResNet-101, one node per stage", net("resnet101", "stage")),
        ("plain34-vs-resnet34", "plain-34 beside ResNet-34, every layer (Figure 3)",
         plain_vs_residual),
    ]


def make_gallery(out: Path, formats: tuple[str, ...] = ("svg", "png")) -> list[Path]:
    from resnet_inspect.cli.output import write_atomic
    from resnet_inspect.render.graphviz_render import render

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, _caption, make in _diagrams():
        source = make()
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            write_atomic(path, source if fmt == "dot" else render(source, fmt))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GALLERY, help="folder to write into")
    parser.add_argument("--formats", default="svg,png", help="comma-separated: svg,png,dot")
    args = parser.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    from resnet_inspect.render.graphviz_render import find_renderer

    renderer = find_renderer()
    print(f"rendering with {renderer.name if renderer else 'nothing (dot only)'}",
          file=sys.stderr)
    for path in make_gallery(args.out, formats):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
