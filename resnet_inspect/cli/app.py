"""The typer app. Each command lives in its own module and registers itself on `app`.

Nothing heavy is imported here: `resnet-inspect --help` must not import torch.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from resnet_inspect.version import __version__


class _Commands(TyperGroup):
    """Commands listed by name, whichever were registered first (a run imports only the
    command it runs, so registration order varies within one process)."""

    def list_commands(self, ctx: object) -> list[str]:
        return sorted(self.commands)


app = typer.Typer(
    cls=_Commands,
    name="resnet-inspect",
    help=(
        "Build any ResNet variant, trace one forward pass, and see per-layer shapes, "
        "parameters, MACs and memory.\n\n"
        "Examples:\n\n"
        "  resnet-inspect summary --depth 101\n\n"
        "  resnet-inspect compare basic bottleneck\n\n"
        "  resnet-inspect diagram --depth 34 -o resnet34.png"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"resnet-inspect {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", help="Print the version and exit.", is_eager=True,
        callback=_show_version,
    ),
) -> None:
    """Build any ResNet variant, trace one forward pass, and see every number."""
