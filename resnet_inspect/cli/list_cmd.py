"""`resnet-inspect list`: every preset, grouped by family, with params and MACs."""

from __future__ import annotations

from typing import Annotated

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.errors import InspectError


@app.command(
    "list",
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect list\n\n"
        "  resnet-inspect list resnext\n\n"
        "  resnet-inspect list cifar --no-counts\n\n"
        "  resnet-inspect list --json > presets.json"
    ),
)
def list_presets(
    match: Annotated[str | None, typer.Argument(help="Show only presets whose name, family or description contains this, e.g. wide, cifar, vgg.", show_default=False)] = None,
    counts: Annotated[bool, typer.Option("--counts/--no-counts", help="Trace each preset (on the meta device) for its params and MACs.")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Write the list as JSON.")] = False,
) -> None:
    """Every named architecture by family, with its parameters and MACs.

    Counted at each network's own input size (MACs: conv + fc multiply-accumulates,
    torchvision's GFLOPS).

    Any name works with summary, compare and diagram; `wrn{depth}_{k}` and
    `resnext{depth}_{C}x{d}d` also work for depths and widths not listed.
    """
    from resnet_inspect.spec.registry import Preset, families

    wanted = (match or "").strip().lower()
    groups: dict[str, list[Preset]] = {}
    for family, presets in families().items():
        kept = [p for p in presets
                if wanted in f"{p.name} {family} {p.summary}".lower()]
        if kept:
            groups[family] = kept
    first = next(iter(groups), None)
    if not groups:
        names = ", ".join(families())
        raise InspectError(
            f"no preset matches {match!r}; try a family ({names}) or run `resnet-inspect list`"
        )
    if counts or json_out:
        from resnet_inspect.analysis.preset_figures import figures

        rows = {p.name: figures(p) for ps in groups.values() for p in ps}
    else:
        rows = {}
    if json_out:
        import json
        from dataclasses import asdict

        data = [{**asdict(f), "input_shape": list(f.input_shape)} for f in rows.values()]
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.table import Table

    from resnet_inspect.render.console import make_console
    from resnet_inspect.report import format as fmt

    console = make_console()
    for family, presets in groups.items():
        # one table per family, with fixed column widths so the families line up
        table = Table(title=family, title_justify="left", title_style="bold", box=None,
                      pad_edge=False, header_style="bold", show_header=family == first)
        table.add_column("Name", no_wrap=True, min_width=18)
        if counts:
            table.add_column("Params", justify="right", no_wrap=True, min_width=11)
            table.add_column("MACs", justify="right", no_wrap=True, min_width=8)
        table.add_column("Input", no_wrap=True, min_width=9)
        table.add_column("Description", overflow="fold")
        for p in presets:
            cells = [p.name]
            if counts:
                f = rows[p.name]
                cells += [fmt.count(f.params), fmt.si(f.macs), fmt.shape(f.input_shape)]
            else:
                cells.append(fmt.shape(p.make().input_shape))
            table.add_row(*cells, p.summary)
        console.print(table)
        console.print()
    if counts:
        console.print(
            "MACs: conv + fc multiply-accumulates at the input shown (the papers' \"FLOPs\", "
            "torchvision's GFLOPS); FLOPs = 2 x MACs. Any preset takes --input, --plain and "
            "the other architecture flags."
        )
