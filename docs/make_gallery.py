"""Make the teaching-diagram gallery in docs/gallery/ (SVG and PNG).

    python docs/make_gallery.py                      # every diagram, svg + png
    python docs/make_gallery.py --out /tmp/g --formats svg
    python docs/make_gallery.py --only figure3-a4,block-basic   # just these pictures

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
    from resnet_inspect.analysis.block_report import block_report
    from resnet_inspect.render.diagram import make_diagram
    from resnet_inspect.spec.arch import BlockKind

    def net(name: str, level: str, **options: object) -> Callable[[], str]:
        # make_diagram is the library entry point the CLI calls: DOT with --fit applied
        return lambda: make_diagram(inspect(name, device="meta"), "dot", level=level,
                                    **options).source  # type: ignore[arg-type]

    def block(kind: BlockKind, style: str = "default") -> Callable[[], str]:
        return lambda: make_diagram(block_report(kind, device="meta"), block=True,
                                    style=style).source

    def plain_vs_residual() -> str:
        from resnet_inspect import resolve_spec

        spec = resolve_spec("resnet34")
        reports = [inspect(spec.with_changes(plain=True), device="meta"),
                   inspect(spec, device="meta")]
        return make_diagram(reports, level="layer").source

    def slide_page(i: int) -> Callable[[], str]:
        return lambda: make_diagram(inspect("resnet50", device="meta"), level="layer",
                                    fit="slide", paginate=True).pages[i].source

    def figure3() -> str:
        from resnet_inspect import resolve_spec

        spec = resolve_spec("resnet34")
        reports = [inspect("vgg19", device="meta"),
                   inspect(spec.with_changes(plain=True), device="meta"),
                   inspect(spec, device="meta")]
        return make_diagram(reports, level="layer", fit="a4").source

    def user(callable_name: str, shape: tuple[int, ...], level: str) -> Callable[[], str]:
        # a network as `diagram --model tests/dataflow_models.py:CALLABLE` loads it
        from resnet_inspect.models.user import load_model

        def draw() -> str:
            model, name = load_model(f"{HERE.parent / 'tests' / 'dataflow_models.py'}:"
                                     f"{callable_name}")
            return make_diagram(inspect(model, shape, name=name, device="meta"), "dot",
                                level=level, dataflow=True).source

        return draw

    return [
        ("block-basic", "Basic block at 64 channels (Figure 5, left)", block(BlockKind.BASIC)),
        ("block-bottleneck", "Bottleneck block, 256 -> 64 -> 256 (Figure 5, right)",
         block(BlockKind.BOTTLENECK)),
        ("block-bottleneck-paper", "The bottleneck in the paper's style, with a legend",
         block(BlockKind.BOTTLENECK, "paper")),
        ("resnet18-blocks", "ResNet-18, one node per block", net("resnet18", "block")),
        ("resnet34-blocks", "ResNet-34, one node per block, folded", net("resnet34", "block")),
        ("resnet50-blocks", "ResNet-50, one node per block, folded", net("resnet50", "block")),
        ("resnet152-layers", "ResNet-152, every layer, folded (one column per stage)",
         net("resnet152", "layer")),
        ("resnet50d-layers", "ResNet-50-D, every layer: avg pool -> 1x1 conv shortcut",
         net("resnet50d", "layer")),
        ("resnet101-stages", "ResNet-101, one node per stage", net("resnet101", "stage")),
        ("resnet50-stages-slide", "ResNet-50 stages fitted to a 16:9 slide (10.5 pt)",
         net("resnet50", "stage", fit="slide")),
        ("plain34-vs-resnet34", "plain-34 beside ResNet-34, every layer, folded (Figure 3)",
         plain_vs_residual),
        ("resnet50-blocks-slide", "ResNet-50 by blocks on one 16:9 slide at 11 pt",
         net("resnet50", "block", fit="slide")),
        ("resnet18-blocks-slide", "ResNet-18 by blocks on one 16:9 slide at 12 pt",
         net("resnet18", "block", fit="slide")),
        ("resnet50-slide-1", "ResNet-50 by layers at 10 pt: slide 1 of 5", slide_page(0)),
        ("resnet50-slide-2", "ResNet-50 by layers at 10 pt: slide 2 of 5", slide_page(1)),
        ("figure3-a4", "VGG-19, plain-34 and ResNet-34 (Figure 3) on one A4 page at 6.2 pt",
         figure3),
        ("user-vit-layers", "A small ViT (--model), every layer: attention as one node",
         user("make_vit_sdpa", (3, 32, 32), "layer")),
        ("user-mobile-blocks", "Inverted residuals (--model), a node a block",
         user("make_mobile", (3, 32, 32), "block")),
    ]


def make_gallery(out: Path, formats: tuple[str, ...] = ("svg", "png"),
                 only: tuple[str, ...] = ()) -> list[Path]:
    """Write the pictures (those named in `only`, when given) and return their paths."""
    from resnet_inspect.render.graphviz_render import render
    from resnet_inspect.render.output import write_atomic

    diagrams = _diagrams()
    unknown = sorted(set(only) - {stem for stem, _, _ in diagrams})
    if unknown:
        raise SystemExit(f"make_gallery: no picture named {', '.join(unknown)}; the "
                         f"names are {', '.join(stem for stem, _, _ in diagrams)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, _caption, make in diagrams:
        if only and stem not in only:
            continue
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
    parser.add_argument("--only", default=None,
                        help="comma-separated picture names (file stems), e.g. figure3-a4")
    args = parser.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    only = tuple(n for n in (args.only or "").split(",") if n)
    if args.only is not None and not only:  # --only "$UNSET": not every picture
        names = ", ".join(stem for stem, _, _ in _diagrams())
        raise SystemExit(f"make_gallery: --only names no picture; the names are {names}")
    from resnet_inspect.render.graphviz_render import find_renderer

    renderer = find_renderer()
    print(f"rendering with {renderer.name if renderer else 'nothing (dot only)'}",
          file=sys.stderr)
    for path in make_gallery(args.out, formats, only):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
