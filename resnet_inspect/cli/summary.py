"""`resnet-inspect summary`: the per-layer table of one network."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.cli.options import ModelOptions, RunOptions, model_options, run_options
from resnet_inspect.errors import InspectError
from resnet_inspect.render.names import NameScheme


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
        "  resnet-inspect summary --block bottleneck --layers 3,4,6,3 --json -o r50.json"
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
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout.", show_default=False
        ),
    ] = None,
    *,
    model: ModelOptions,
    run: RunOptions,
) -> None:
    """Per-layer shapes, parameters, MACs and memory of one network, from one forward pass.

    The input defaults to the network's own (3x224x224 for ImageNet ResNets). MACs count conv and fc layers (the paper's "FLOPs", torchvision's GFLOPS); FLOPs = 2 x MACs.
    """
    if sum((json_out, csv_out, markdown)) > 1:
        raise InspectError("choose one of --json, --csv and --markdown")
    run.validate()
    if output is not None:
        from resnet_inspect.cli.output import check_writable

        check_writable(output)
    spec = model.spec(arch)
    assert spec is not None

    from resnet_inspect import inspect as inspect_model

    report = inspect_model(
        spec, input_shape=run.input_shape(spec), batch=run.batch, device=run.device.value
    )
    from resnet_inspect.cli.output import emit

    if json_out:
        from resnet_inspect.render.export import to_json

        emit(to_json(report), output)
    elif csv_out:
        from resnet_inspect.render.export import to_csv

        emit(to_csv(report, level.value, names), output)
    elif markdown:
        from resnet_inspect.render.export import to_markdown

        emit(to_markdown(report, level.value, names), output)
    else:
        from resnet_inspect.render.table import make_console, render_summary

        if output is not None:
            import io

            buf = io.StringIO()
            render_summary(report, make_console(width=100, file=buf), level.value, names)
            emit(buf.getvalue(), output)
        else:
            render_summary(report, make_console(), level.value, names)
