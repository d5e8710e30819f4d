"""`list`: one table per family, with fixed column widths so the families line up."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from resnet_inspect.report import format as fmt

if TYPE_CHECKING:
    from rich.console import Console

    from resnet_inspect.usecases.presets import PresetList


def render_list(listed: PresetList, console: Console) -> None:
    from rich.table import Table

    first = next(iter(listed.groups), None)
    counts = listed.counted
    for family, presets in listed.groups.items():
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
                f = listed.figures[p.name]
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


def list_json(listed: PresetList) -> str:
    data = [{**asdict(f), "input_shape": list(f.input_shape)} for f in listed.figures.values()]
    return json.dumps(data, indent=2)
