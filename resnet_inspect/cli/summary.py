"""`resnet-inspect summary`: the per-layer table of one network."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.cli.options import (
    Device,
    ModelOptions,
    OutputPath,
    RunOptions,
    model_options,
    run_options,
)
from resnet_inspect.errors import InspectError
from resnet_inspect.render.names import NameScheme

if TYPE_CHECKING:
    from rich.console import Console

    from resnet_inspect.report import Report
    from resnet_inspect.timing import Timing


class Headline(str, Enum):
    """--count choices; the same values as counting.Headline (which imports torch)."""

    CONV = "conv"
    CONV_NORM = "conv+norm"
    ALL = "all"


class Level(str, Enum):
    STAGE = "stage"
    BLOCK = "block"
    LAYER = "layer"


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect summary --depth 101\n\n"
        "  resnet-inspect summary resnet50 --level layer --names caffe\n\n"
        "  resnet-inspect summary resnet18 --input 3x512x512 --batch 32 --device meta\n\n"
        "  resnet-inspect summary --block bottleneck --layers 3,4,6,3 --json -o r50.json\n\n"
        "  resnet-inspect summary resnet50 --ops --count conv+norm\n\n"
        "  resnet-inspect summary resnet50 --level stage --latex -o r50.tex\n\n"
        "  resnet-inspect summary resnet50 --time --batch 8"
    )
)
@model_options
@run_options
def summary(
    arch: Annotated[
        str | None,
        typer.Argument(help="Preset name, e.g. resnet50 (or a depth: 50).", show_default=False),
    ] = None,
    level: Annotated[
        Level,
        typer.Option(
            "--level", "-l", help="Rows: one per stage, block or layer.", case_sensitive=False
        ),
    ] = Level.BLOCK,
    names: Annotated[
        NameScheme,
        typer.Option(
            "--names",
            help="Layer names: torchvision modules, the paper's stages, or the Caffe release's.",
            case_sensitive=False,
        ),
    ] = NameScheme.TORCHVISION,
    json_out: Annotated[
        bool, typer.Option("--json", help="Write the whole report as JSON.")
    ] = False,
    csv_out: Annotated[
        bool, typer.Option("--csv", help="Write the rows (at --level) as CSV.")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Write the rows (at --level) as a Markdown table.")
    ] = False,
    latex: Annotated[
        bool, typer.Option("--latex", help="Write the rows (at --level) as a LaTeX booktabs table.")
    ] = False,
    output: OutputPath = None,
    count: Annotated[
        Headline,
        typer.Option("--count", help="What the headline MACs count: conv (conv+fc, the paper's and torchvision's figure), conv+norm, or all.", case_sensitive=False),
    ] = Headline.CONV,
    ops: Annotated[
        bool,
        typer.Option("--ops", help="Add a table with one column per op type (conv, fc, BN, activations, pooling, adds) and what torchinfo, fvcore, torch's counter and paddle.summary would print."),
    ] = False,
    time_it: Annotated[
        bool,
        typer.Option("--time", help="Measure each layer's forward time on the device (CUDA events on a GPU, wall clock on CPU), GFLOP/s and peak memory."),
    ] = False,
    *,
    model: ModelOptions,
    run: RunOptions,
) -> None:
    """Per-layer shapes, parameters, MACs and memory of one network, from one forward pass.

    The input defaults to the network's own (3x224x224 for ImageNet ResNets). MACs count conv and fc layers (the paper's "FLOPs", torchvision's GFLOPS); FLOPs = 2 x MACs.
    """
    if sum((json_out, csv_out, markdown, latex)) > 1:
        raise InspectError("choose one of --json, --csv, --markdown and --latex")
    if time_it and run.device is Device.META:
        raise InspectError("--time measures on a real device; use --device auto, cpu or cuda")
    run.validate()
    if output is not None:
        from resnet_inspect.cli.output import check_writable

        check_writable(output)
    spec = model.spec(arch)
    assert spec is not None

    timing = None
    if time_it:
        from resnet_inspect.cli.progress import progress_bar
        from resnet_inspect.timing import measure

        with progress_bar("Timing forward passes") as update:
            report, timing = measure(spec, input_shape=run.input_shape(spec), batch=run.batch,
                                     device=run.device.value, progress=update,
                                     headline=count.value)
    else:
        from resnet_inspect import inspect as inspect_model
        from resnet_inspect.cli.progress import progress_bar
        from resnet_inspect.trace import progress_to

        # a bar on stderr (terminal only) when a deep network takes more than a moment
        with progress_bar("Tracing") as update, progress_to(update):
            report = inspect_model(spec, input_shape=run.input_shape(spec), batch=run.batch,
                                   device=run.device.value, headline=count.value)
    from resnet_inspect.cli.output import emit, emit_rendered

    if json_out:
        import json

        from resnet_inspect.render.export import to_json

        text = to_json(report)
        if timing is not None:  # the report's JSON, plus the measured times beside it
            data = json.loads(text)
            data["timing"] = timing.to_dict()
            text = json.dumps(data, indent=2)
        emit(text, output)
    elif csv_out:
        from resnet_inspect.render.export import to_csv

        emit(to_csv(report, level.value, names), output)
    elif markdown:
        from resnet_inspect.render.export import to_markdown

        emit(to_markdown(report, level.value, names), output)
    elif latex:
        from resnet_inspect.render.latex import summary_latex

        emit(summary_latex(report, level.value), output)
    else:

        emit_rendered(lambda console: _render(report, timing, console, level.value, names, ops),
                      output)


def _render(report: Report, timing: Timing | None, console: Console, level: str,
            names: NameScheme, ops: bool) -> None:
    """The summary table; then, when asked, the per-op table and the measured times."""
    from resnet_inspect.render.console import print_block
    from resnet_inspect.render.table import render_summary

    render_summary(report, console, level, names)
    if ops:
        from resnet_inspect.render.ops import render_ops

        print_block(console, "")
        render_ops(report, console, level)
    if timing is not None:
        from resnet_inspect.render.timing_table import render_timing

        print_block(console, "")
        render_timing(report, timing, console, level)
