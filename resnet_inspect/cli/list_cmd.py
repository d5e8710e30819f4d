"""`resnet-inspect list`: every preset, grouped by family, with params and MACs."""

from __future__ import annotations

from typing import Annotated

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.cli.format_option import alias, chosen_format, format_option
from resnet_inspect.render.formats import Format, write


@app.command(
    "list",
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect list\n\n"
        "  resnet-inspect list resnext\n\n"
        "  resnet-inspect list cifar --no-counts\n\n"
        "  resnet-inspect list --format json > presets.json"
    ),
)
def list_presets(
    match: Annotated[str | None, typer.Argument(help="Show only presets whose name, family or description contains this, e.g. wide, cifar, vgg.", show_default=False)] = None,
    counts: Annotated[bool, typer.Option("--counts/--no-counts", help="Trace each preset (on the meta device) for its params and MACs.")] = True,
    output_format: Annotated[str | None, format_option("list", "json")] = None,
    json_out: Annotated[bool, alias("json")] = False,
) -> None:
    """Every named architecture by family, with its parameters and MACs.

    Counted at each network's own input size (MACs: conv + fc multiply-accumulates,
    torchvision's GFLOPS).

    Any name works with summary, compare and diagram; `wrn{depth}_{k}` and
    `resnext{depth}_{C}x{d}d` also work for depths and widths not listed.
    """
    fmt = chosen_format("list", output_format, json=json_out)
    from resnet_inspect.usecases.presets import list_presets

    # JSON always carries the figures
    write("list", fmt, list_presets(match, counts or fmt is Format.JSON), None)
