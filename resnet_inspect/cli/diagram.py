"""`resnet-inspect diagram`: teaching diagrams of one block or a whole network.

`diagram block basic|bottleneck` draws one block (the paper's Figure 5); `diagram NAME` or
`diagram --depth 34` draws a network (Figure 3). The word "block" as the first argument
switches to block mode, so both forms live in one command with the shared flags.

This module parses: `usecases/draw.py` decides what is drawn and traces it,
`render.diagram.diagram_of` draws it, and `render/diagram_formats.py` writes it in the
format asked for.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.cli.options import (
    ModelOptions,
    RunOptions,
    int_parser,
    model_options,
    run_options,
)
from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.render.diagram_formats import RENDERERS, one_of, resolve_format, write_pages
from resnet_inspect.render.output import check_writable, output_callback
from resnet_inspect.report.levels import Level
from resnet_inspect.spec.arch import BlockKind, StrideOn
from resnet_inspect.spec.numbers import member_named, parse_channels, parse_spatial
from resnet_inspect.usecases.draw import BlockRequest, draw

BLOCK_WORD = "block"
BLOCK_PANEL = "Block diagrams (diagram block KIND)"


class Style(str, Enum):
    DEFAULT = "default"
    PAPER = "paper"


class Direction(str, Enum):
    TB = "TB"
    LR = "LR"


class DiagramFormat(str, Enum):  # the rows of render/diagram_formats.py (a test holds them)
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"


# The command's parameters, one type each, so its signature reads as a list.
Arch = Annotated[str | None, typer.Argument(
    metavar="NAME|block",
    help="Preset name (resnet50, or a depth: 50); or the word 'block' for one block, as "
         "in the paper's Figure 5.", show_default=False)]
Kind = Annotated[str | None, typer.Argument(
    metavar="KIND", help="After 'block': basic, bottleneck, preact-basic or "
    "preact-bottleneck.", show_default=False)]
LevelOption = Annotated[Level | None, typer.Option(
    "--level", "-l", help="Network detail: one node per stage, per block, or per layer "
    "\\[default: block; with --model, layer]. With --model: stage draws each top-level "
    "module as one node, block each block (name.0, name.1 ...) and each other "
    "top-level module.", case_sensitive=False, show_default=False)]
Expand = Annotated[bool, typer.Option(
    "--expand", help="Draw every block. By default each stage shows its first block, "
    "then one block marked '× n' for each run of n identical blocks (with --model: each "
    "run of identical calls, drawn once).")]
DirectionOption = Annotated[Direction | None, typer.Option(
    "--direction", help="TB: top to bottom, as the paper; LR: left to right, for a "
    "wide slide \\[default: TB; with --fit, the layout whose text prints largest].",
    case_sensitive=False, show_default=False)]
StyleOption = Annotated[Style, typer.Option(
    "--style", help="default: every layer's details (BN, ReLU, parameter counts); paper: "
    "what the paper draws ('3x3, 64' labels, larger text, no parameter arithmetic) and a "
    "drawn legend of the shortcut lines.", case_sensitive=False)]
Fit = Annotated[str | None, typer.Option(
    "--fit", help="Fit to a medium: slide (16:9, 13.33x7.5 in), a4, a4-landscape, or WxH "
    "in inches (10x7.5) or pixels (1920x1080px), scaling up or down. Picks the layout "
    "whose text prints largest; where it would still print under 10 pt on a slide "
    "(6 pt on A4, 8 pt on a size you give), splits the drawing into pages.",
    show_default=False)]
Beside = Annotated[str | None, typer.Option(
    "--beside", help="One or two more networks drawn in columns after NAME, "
    "comma-separated; plain-34 is ResNet-34 without shortcuts. The paper's Figure 3: "
    "diagram vgg19 --beside plain-34,resnet34 --level layer --fit a4 (one A4 page).",
    show_default=False)]
BesidePlain = Annotated[bool, typer.Option(
    "--beside-plain", help="Draw the plain network (no shortcuts) beside the residual "
    "one, as in the paper's Figure 3.")]
Channels = Annotated[str | None, typer.Option(
    "--channels", help="Block input and output channels: 256, or in,out as 64,128 "
    "\\[default: the paper's Figure 5: 64 for a basic block, 256 for a bottleneck].",
    rich_help_panel=BLOCK_PANEL, show_default=False)]
Width = Annotated[int | None, typer.Option(
    "--width", parser=int_parser("--width", "--width 64"), metavar="INTEGER",
    help="Bottleneck inner width \\[default: output channels / 4].",
    rich_help_panel=BLOCK_PANEL, show_default=False)]
Stride = Annotated[int | None, typer.Option(
    "--stride", parser=int_parser("--stride", "--stride 2"), metavar="INTEGER",
    help="2 for a downsampling block, with a projection shortcut \\[default: 1].",
    rich_help_panel=BLOCK_PANEL, show_default=False)]
Spatial = Annotated[str | None, typer.Option(
    "--spatial", help="Input size, 56 or HxW \\[default: 56].", rich_help_panel=BLOCK_PANEL,
    show_default=False)]
FormatOption = Annotated[DiagramFormat | None, typer.Option(
    "--format", "-f", help=f"{one_of(list(RENDERERS))} \\[default: from --output's suffix; "
    "dot on stdout without --output]. pdf needs the system Graphviz.", case_sensitive=False,
    show_default=False)]
Output = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file (written whole or not at all; - is "
    "stdout).", show_default=False, callback=output_callback)]


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
    arch: Arch = None, kind: Kind = None, level: LevelOption = None, expand: Expand = False,
    direction: DirectionOption = None, style: StyleOption = Style.DEFAULT, fit: Fit = None,
    beside: Beside = None, beside_plain: BesidePlain = False, channels: Channels = None,
    width: Width = None, stride: Stride = None, spatial: Spatial = None,
    fmt: FormatOption = None, output: Output = None, *, model: ModelOptions,
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
        check_writable(output)

    out_format = resolve_format(fmt.value if fmt else None, output)
    if fit is not None:
        from resnet_inspect.render.diagram import parse_fit

        parse_fit(fit)  # a bad --fit is refused before any tracing
    columns = beside_plain or beside is not None
    flags = (channels, width, stride, spatial)
    subject, name = ((block_request(kind, model, run, level, columns, expand, flags), None)
                     if block_mode else network_subject(arch, model, beside_plain, flags))
    from resnet_inspect.render.diagram import diagram_of

    drawing = draw(subject, beside=beside, beside_plain=beside_plain,
                   level=level.value if level else None, expand=expand,
                   direction=direction.value if direction else None, style=style.value,
                   fit=fit, batch=run.batch, device=run.device.value,
                   input_dtype=run.input_dtype, name=name,
                   input_shape=lambda spec: run.input_shape(spec, any_rank=spec is None))
    write_pages(diagram_of(drawing, out_format), out_format, output)


BlockFlags = tuple[str | None, int | None, int | None, str | None]  # --channels ... --spatial


def block_request(kind: str | None, model: ModelOptions, run: RunOptions, level: Level | None,
                  columns: bool, expand: bool, flags: BlockFlags) -> BlockRequest:
    """`diagram block KIND`'s flags, read; the network flags refused."""
    block_kind = parse_block_kind(kind)

    stride_on = model.stride_on
    model.stride_on = None  # the one architecture flag a block takes
    _refuse_network_flags(model, run, level, columns, expand)

    channels, width, stride, spatial = flags
    return BlockRequest(block_kind, channels=parse_channels(channels) or None, width=width,
                        stride=1 if stride is None else stride,
                        spatial=parse_spatial(spatial) or 56,
                        stride_on_3x3=stride_on is not StrideOn.CONV1X1)


def network_subject(arch: str | None, model: ModelOptions, beside_plain: bool,
                    flags: BlockFlags) -> tuple[Any, str | None]:
    """What `diagram NAME` or `diagram --model` draws: the user's module and its name, or
    the spec the name and the architecture flags describe. The block flags are refused."""
    given = [f for f, v in zip(("--channels", "--width", "--stride", "--spatial"), flags,
                               strict=True) if v is not None]
    if given:
        raise InspectError(
            f"{given[0]} applies to block diagrams only; use "
            f"resnet-inspect diagram block bottleneck {given[0]} ..."
        )
    if beside_plain and model.plain:
        raise InspectError("--beside-plain draws the plain network already; drop --plain")
    user = model.user_module()
    if user is not None:  # the user's own network, drawn from its trace
        if arch is not None:
            raise InspectError(f"both a name ({arch}) and --model were given; use one of them")
        return user
    spec = model.spec(arch)
    assert spec is not None
    return spec, None


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
