"""`resnet-inspect report`: one self-contained HTML page to share (a class, a review)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.cli import options as opt
from resnet_inspect.cli.app import app
from resnet_inspect.cli.format_option import chosen_format, format_option
from resnet_inspect.errors import InspectError
from resnet_inspect.render.formats import write
from resnet_inspect.render.output import check_writable, safe_file_name, written_through


@app.command(
    short_help="One self-contained HTML page: stage table, diagram, charts, layer count.",
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect report resnet50 -o resnet50.html\n\n"
        "  resnet-inspect report 18 --input 3x512x512 -o resnet18-512.html\n\n"
        "  resnet-inspect report --block bottleneck --layers 3,4,6,3 -o mine.html\n\n"
        "  resnet-inspect report --model mymodels.py:make_net -o mine.html\n\n"
        "  resnet-inspect report resnet18 --format html -o resnet18.html"
    )
)
@opt.model_options
@opt.run_options
def report(
    arch: opt.ArchName = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file to write \\[default: NAME.html, "
                     "e.g. resnet50.html; - is stdout].", show_default=False),
    ] = None,
    output_format: Annotated[str | None, format_option("report", "html")] = None,
    *,
    model: opt.ModelOptions,
    run: opt.RunOptions,
) -> None:
    """Write one HTML page: the stage table (stages expand into blocks and layers), the
    diagram, a chart of parameters and MACs per stage, the layer count and the counting
    conventions. The file needs no network to open: mail it, or put it on a course page.
    """
    fmt = chosen_format("report", output_format)
    run.validate()
    user = model.user_module()
    if user is not None and arch is not None:
        raise InspectError(f"both a name ({arch}) and --model were given; use one of them")
    spec = model.spec(arch) if user is None else None
    subject: Any = spec if user is None else user[0]
    name = spec.name if spec is not None else user[1]  # type: ignore[index]
    if output is None:  # in the working directory, whatever a config's name holds
        output = Path(f"{safe_file_name(name)}.html")
    if output.is_dir():
        raise InspectError(f"--output {output} is a directory; give a file name, e.g. "
                           f"{output / f'{safe_file_name(name)}.html'}")
    # - is stdout, and a device or FIFO is written through, whatever its name
    if str(output) != "-" and not written_through(output) \
            and output.suffix.lower() not in (".html", ".htm"):
        raise InspectError(f"--output {output}: the report is an HTML page; name it "
                           f"{output.with_suffix('.html')}")
    check_writable(output)
    from resnet_inspect.usecases.report import make_report

    page = make_report(subject, input_shape=run.input_shape(spec, any_rank=user is not None),
                       batch=run.batch, device=run.device.value,
                       name=user[1] if user is not None else None, input_dtype=run.input_dtype)
    write("report", fmt, page, output)
