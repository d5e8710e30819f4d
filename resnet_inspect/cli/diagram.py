"""`resnet-inspect diagram`: teaching diagrams of one block or a whole network.

`diagram block basic|bottleneck` draws one block (the paper's Figure 5); `diagram NAME` or
`diagram --depth 34` draws a network (Figure 3). The word "block" as the first argument
switches to block mode, so both forms live in one command with the shared flags.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resnet_inspect.analysis.block_report import block_report
from resnet_inspect.cli.app import app
from resnet_inspect.cli.options import (
    ModelOptions,
    RunOptions,
    int_parser,
    model_options,
    run_options,
)
from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.render.output import output_callback
from resnet_inspect.report.levels import Level
from resnet_inspect.spec.arch import BlockKind
from resnet_inspect.spec.numbers import member_named

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report

BLOCK_WORD = "block"
BLOCK_PANEL = "Block diagrams (diagram block KIND)"
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class Style(str, Enum):
    DEFAULT = "default"
    PAPER = "paper"


class Direction(str, Enum):
    TB = "TB"
    LR = "LR"


class DiagramFormat(str, Enum):
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"


def parse_block_kind(text: str | None) -> BlockKind:
    choices = [k.value for k in BlockKind]
    if text is None:
        raise InspectError(
            f"`diagram block` needs a block kind: one of {', '.join(choices)}, "
            "e.g. resnet-inspect diagram block bottleneck"
        )
    kind = member_named(BlockKind, text, dashes=True)  # as `compare` reads a block's name
    if kind is None:
        raise InspectError(
            f"unknown block {text!r}{did_you_mean(text, choices)}; use one of {', '.join(choices)}"
        )
    return kind


def resolve_format(fmt: DiagramFormat | None, output: Path | None) -> str:
    """--format, else the output's suffix, else DOT (text on stdout)."""
    suffix_fmt = SUFFIXES.get(output.suffix.lower()) if output is not None else None
    if fmt is not None:
        if suffix_fmt is not None and suffix_fmt != fmt.value:
            raise InspectError(
                f"--format {fmt.value} but --output {output} ends in {output.suffix}; "  # type: ignore[union-attr]
                "make them agree"
            )
        return fmt.value
    if output is None:
        return "dot"
    if suffix_fmt is None:
        raise InspectError(
            f"--output {output}: cannot tell the format from {output.suffix or 'no suffix'}; "
            "end the name in .svg, .png, .pdf or .dot, or give --format"
        )
    return suffix_fmt


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect diagram block bottleneck -o bottleneck.svg\n\n"
        "  resnet-inspect diagram block basic --channels 64,128 --stride 2 -o basic.png\n\n"
        "  resnet-inspect diagram block bottleneck --stride 2 --channels 256,512 "
        "--stride-on 1x1 -o v1.png\n\n"
        "  resnet-inspect diagram --depth 34 -o resnet34.png\n\n"
        "  resnet-inspect diagram resnet101 --level stage -o r101.svg\n\n"
        "  resnet-inspect diagram resnet152 --level layer --expand -o r152_all.svg\n\n"
        "  resnet-inspect diagram 34 --level layer --beside-plain -o figure3.png\n\n"
        "  resnet-inspect diagram resnet50 --fit slide -o r50.png\n\n"
        "  resnet-inspect diagram block bottleneck --style paper -o figure5.png\n\n"
        "  resnet-inspect diagram vgg19 --beside plain-34,resnet34 --level layer "
        "--fit a4 -o figure3.png\n\n"
        "  resnet-inspect diagram --model mynet.py:build --input 3x64x64 -o mynet.svg\n\n"
        "  resnet-inspect diagram --model mynet.py:build --input 3x64x64 --level block "
        "-o mynet_blocks.svg\n\n"
        "  resnet-inspect diagram resnet50 > resnet50.dot"
    )
)
@model_options
@run_options
def diagram(
    arch: Annotated[str | None, typer.Argument(
        metavar="NAME|block",
        help="Preset name (resnet50, or a depth: 50); or the word 'block' for one block, as "
             "in the paper's Figure 5.", show_default=False)] = None,
    kind: Annotated[str | None, typer.Argument(
        metavar="KIND", help="After 'block': basic, bottleneck, preact-basic or "
        "preact-bottleneck.", show_default=False)] = None,
    level: Annotated[Level | None, typer.Option(
        "--level", "-l", help="Network detail: one node per stage, per block, or per layer "
        "\\[default: block; with --model, layer]. With --model: stage draws each top-level "
        "module as one node, block each block (name.0, name.1 ...) and each other "
        "top-level module.", case_sensitive=False, show_default=False)] = None,
    expand: Annotated[bool, typer.Option(
        "--expand", help="Draw every block. By default each stage shows its first block, "
        "then one block marked '× n' for each run of n identical blocks (with --model: each "
        "run of identical calls, drawn once).")] = False,
    direction: Annotated[Direction | None, typer.Option(
        "--direction", help="TB: top to bottom, as the paper; LR: left to right, for a "
        "wide slide \\[default: TB; with --fit, the layout whose text prints largest].",
        case_sensitive=False, show_default=False)] = None,
    style: Annotated[Style, typer.Option(
        "--style", help="default: every layer's details (BN, ReLU, parameter counts); paper: "
        "what the paper draws ('3x3, 64' labels, larger text, no parameter arithmetic) and a "
        "drawn legend of the shortcut lines.", case_sensitive=False)] = Style.DEFAULT,
    fit: Annotated[str | None, typer.Option(
        "--fit", help="Fit to a medium: slide (16:9, 13.33x7.5 in), a4, a4-landscape, or WxH "
        "in inches (10x7.5) or pixels (1920x1080px), scaling up or down. Picks the layout "
        "whose text prints largest; where it would still print under 10 pt on a slide "
        "(6 pt on A4, 8 pt on a size you give), splits the drawing into pages.",
        show_default=False)] = None,
    beside: Annotated[str | None, typer.Option(
        "--beside", help="One or two more networks drawn in columns after NAME, "
        "comma-separated; plain-34 is ResNet-34 without shortcuts. The paper's Figure 3: "
        "diagram vgg19 --beside plain-34,resnet34 --level layer --fit a4 (one A4 page).",
        show_default=False)] = None,
    beside_plain: Annotated[bool, typer.Option(
        "--beside-plain", help="Draw the plain network (no shortcuts) beside the residual "
        "one, as in the paper's Figure 3.")] = False,
    channels: Annotated[str | None, typer.Option(
        "--channels", help="Block input and output channels: 256, or in,out as 64,128 "
        "\\[default: the paper's Figure 5: 64 for a basic block, 256 for a bottleneck].", rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    width: Annotated[int | None, typer.Option(
        "--width", parser=int_parser("--width", "--width 64"), metavar="INTEGER", help="Bottleneck inner width \\[default: output channels / 4].",
        rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    stride: Annotated[int | None, typer.Option(
        "--stride", parser=int_parser("--stride", "--stride 2"), metavar="INTEGER", help="2 for a downsampling block, with a projection shortcut \\[default: 1].",
        rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    spatial: Annotated[str | None, typer.Option(
        "--spatial", help="Input size, 56 or HxW \\[default: 56].", rich_help_panel=BLOCK_PANEL,
        show_default=False)] = None,
    fmt: Annotated[DiagramFormat | None, typer.Option(
        "--format", "-f", help="svg, png, pdf or dot \\[default: from --output's suffix; dot "
        "on stdout without --output]. pdf needs the system Graphviz.", case_sensitive=False,
        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (written whole or not at all; - is "
        "stdout).", show_default=False, callback=output_callback)] = None,
    *,
    model: ModelOptions,
    run: RunOptions,
) -> None:
    """Graphviz diagrams of one block (paper's Figure 5) or a network (Figure 3).

    Shortcuts as in the paper: identity solid, projection dashed.

    --model draws your network as its forward runs it, an edge per tensor.

    Renders with the system Graphviz when installed, else with graphviz-pure.
    """
    block_mode = arch is not None and arch.lower() == BLOCK_WORD
    if not block_mode and kind is not None:
        raise InspectError(
            f"unexpected argument {kind!r}; draw one network (diagram resnet50) or one block "
            "(diagram block bottleneck)"
        )
    run.validate()
    if output is not None:
        from resnet_inspect.render.output import check_writable

        check_writable(output)
    out_format = resolve_format(fmt, output)

    if fit is not None:
        from resnet_inspect.render.diagram import parse_fit

        parse_fit(fit)  # a bad --fit is refused before any tracing
    from resnet_inspect.render.diagram import make_diagram

    if block_mode:
        block_kind = parse_block_kind(kind)
        from resnet_inspect.spec.arch import StrideOn

        stride_on = model.stride_on
        model.stride_on = None  # the one architecture flag a block takes
        _refuse_network_flags(model, run, level, beside_plain or beside is not None, expand)
        from resnet_inspect.spec.numbers import parse_channels, parse_spatial

        report = block_report(
            block_kind,
            channels=parse_channels(channels) or None,
            width=width,
            stride=1 if stride is None else stride,
            spatial=parse_spatial(spatial) or 56,
            device=run.device.value,
            stride_on_3x3=stride_on is not StrideOn.CONV1X1,
        )
        result = make_diagram(report, out_format, direction=direction.value if direction else None, fit=fit,
                              block=True, style=style.value)
    else:
        given = [f for f, v in (("--channels", channels), ("--width", width),
                                ("--stride", stride), ("--spatial", spatial)) if v is not None]
        if given:
            raise InspectError(
                f"{given[0]} applies to block diagrams only; use "
                f"resnet-inspect diagram block bottleneck {given[0]} ..."
            )
        if beside_plain and model.plain:
            raise InspectError("--beside-plain draws the plain network already; drop --plain")
        from resnet_inspect.trace.run import inspect as inspect_model

        user = model.user_module()
        if user is not None:  # the user's own network, drawn from its trace
            if arch is not None:
                raise InspectError(f"both a name ({arch}) and --model were given; use one of them")
            if beside is not None or beside_plain:
                raise InspectError("--beside and --beside-plain draw resnet-inspect's networks; "
                                   "draw --model on its own")
            report = inspect_model(user[0], input_shape=run.input_shape(None, any_rank=True),
                                   batch=run.batch, device=run.device.value, name=user[1],
                                   input_dtype=run.input_dtype)
            # drawn from its dataflow graph: the edges its forward really has
            result = make_diagram(report, out_format, expand=expand,
                                  level=(level or Level.LAYER).value,
                                  direction=direction.value if direction else None, fit=fit,
                                  style=style.value, dataflow=True)
            _emit(result, out_format, output)
            return
        spec = model.spec(arch)
        assert spec is not None
        from resnet_inspect.spec.arch import ArchSpec

        if beside_plain and not isinstance(spec, ArchSpec):
            raise InspectError(
                f"--beside-plain needs a residual network; {spec.name} has no shortcuts to "
                "remove (try resnet34)"
            )
        def traced(s: Any) -> Report:
            return inspect_model(s, input_shape=run.input_shape(s), batch=run.batch,
                                 device=run.device.value, input_dtype=run.input_dtype)

        if beside is not None and beside_plain:
            raise InspectError("--beside and --beside-plain both add columns; give one")
        reports = ([traced(spec.with_changes(plain=True)), traced(spec)] if beside_plain
                   else [traced(spec)])
        reports += [traced(s) for s in beside_specs(beside)]
        result = make_diagram(reports, out_format, level=(level or Level.BLOCK).value,
                              expand=expand,
                              direction=direction.value if direction else None, fit=fit,
                              style=style.value, paginate=True)
    _emit(result, out_format, output)


def _emit(result: Any, out_format: str, output: Path | None) -> None:
    """Warnings on stderr, then the diagram to `output` (stdout without one). A drawing
    in pages goes to OUTPUT-1.png, OUTPUT-2.png ... (DOT on stdout: one graph a page)."""
    pages = result.pages or [result]
    if len(pages) > 1 and output is None and out_format != "dot":
        raise InspectError(f"the drawing takes {len(pages)} pages; give -o FILE."
                           f"{out_format} (it writes FILE-1.{out_format} ...), or a larger --fit")
    for warning in result.warnings:
        print(f"resnet-inspect: warning: {warning}", file=sys.stderr)
    if len(pages) == 1:
        write_diagram(result.source, out_format, output, result.data)
        return
    if output is None:
        write_diagram("\n".join(page.source for page in pages), out_format, None)
        return
    from resnet_inspect.render.graphviz_render import can_render, render
    from resnet_inspect.render.output import write_all, written_through

    if out_format != "dot" and not can_render(out_format):
        write_diagram(pages[0].source, out_format, output)  # says how to get the format
    if written_through(output):  # /dev/null, a FIFO: every page to it, in order
        for page in pages:
            write_diagram(page.source, out_format, output, page.data)
        return
    # all pages or none: a full disk at page 3 leaves no page 1 and 2 of a new drawing
    # beside the old ones
    files = [(output.with_name(f"{output.stem}-{i}{output.suffix}"),
              page.source.encode("utf-8") if out_format == "dot"
              else page.data if page.data is not None else render(page.source, out_format))
             for i, page in enumerate(pages, start=1)]
    write_all(files)
    for path, _ in files:
        print(f"resnet-inspect: wrote {path}", file=sys.stderr)


def beside_specs(text: str | None) -> list[Any]:
    """'plain-34,resnet34' -> specs; 'plain-N' is resnet N without shortcuts (the paper's
    plain baseline). One or two, so the figure has at most three columns."""
    if text is None:
        return []
    import re

    from resnet_inspect.spec.registry import resolve_spec

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not 1 <= len(names) <= 2:
        raise InspectError(
            f"--beside {text!r}: give one or two networks, e.g. --beside plain-34,resnet34"
        )
    specs = []
    for name in names:
        m = re.fullmatch(r"plain-?(\d+)", name.lower())
        specs.append(resolve_spec(f"resnet{m.group(1)}").with_changes(plain=True) if m
                     else resolve_spec(name))
    return specs


def _refuse_network_flags(model: ModelOptions, run: RunOptions, level: Level | None,
                          beside_plain: bool, expand: bool = False) -> None:
    if model.user_model is not None:
        raise InspectError("--model draws your network: drop `block`, or drop --model to "
                           "draw one of the paper's blocks")
    if model.depth is not None or model.custom or model.overrides():
        raise InspectError(
            "architecture flags (--depth, --block, --layers ...) draw networks, not one block; "
            "use --channels, --width, --stride with `diagram block`"
        )
    if run.input is not None or run.batch != 1 or run.input_dtype is not None:
        raise InspectError(
            "`diagram block` takes --channels and --spatial instead of --input, "
            "--input-dtype and --batch"
        )
    if level is not None or beside_plain or expand:
        flag = "--beside-plain" if beside_plain else "--expand" if expand else "--level"
        raise InspectError(f"{flag} applies to network diagrams; drop it for `diagram block`")


def write_diagram(source: str, fmt: str, output: Path | None,
                  data: bytes | None = None) -> None:
    """DOT text rendered to `fmt`, written atomically to `output` or to stdout.

    When this machine cannot make `fmt` (pdf without system Graphviz), the DOT source is
    written beside the output as .gv -- unless a file of that name exists, which is left
    untouched -- and the error says how to get the format.
    """
    from resnet_inspect.render.graphviz_render import can_render, render
    from resnet_inspect.render.output import emit, write_atomic

    if fmt == "dot":
        emit(source, output)
        return
    if not can_render(fmt):
        kept = ""
        if output is not None:
            gv = output.with_suffix(".gv")
            if gv.exists():  # the user's own file (issue 12): never overwrite it
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
    if data is None:
        data = render(source, fmt)
    if output is not None:
        write_atomic(output, data)
    elif fmt == "svg":
        emit(data.decode("utf-8"), None)
    elif sys.stdout.isatty():
        raise InspectError(f"{fmt} is binary and stdout is a terminal; give --output FILE.{fmt}")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
