"""`resnet-inspect compare`: blocks or whole networks side by side.

The command parses, checks which options apply to the items, calls
`resnet_inspect.analysis.compare` and hands the result to `render/compare.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.cli import options as opt
from resnet_inspect.cli.app import app
from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import AnySpec

BLOCK_PANEL = "Blocks (basic, bottleneck, preact-basic, preact-bottleneck)"


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect compare basic bottleneck\n\n"
        "  resnet-inspect compare basic bottleneck --channels 64,128 --stride 2 --spatial 224\n\n"
        "  resnet-inspect compare 50 101\n\n"
        "  resnet-inspect compare 18 34 50 101 152 --markdown -o table1.md\n\n"
        "  resnet-inspect compare 18 34 50 101 152 --latex -o table1.tex\n\n"
        "  resnet-inspect compare 50 101 152 --stride-on 1x1\n\n"
        "  resnet-inspect compare resnet50 --model mymodels.py:make_net\n\n"
        "  resnet-inspect compare 50 101 --train --batch 64"
    )
)
@opt.model_options
@opt.run_options
def compare(
    items: Annotated[list[str], typer.Argument(help="Two or more blocks (basic bottleneck) or networks (50 101, resnet152).", show_default=False)],
    channels: Annotated[str | None, typer.Option("--channels", help="Block input and output channels: 256, or in,out such as 64,128 \\[default: 256].", rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    width: Annotated[int | None, typer.Option("--width", parser=opt.int_parser("--width", "--width 64"), metavar="INTEGER", help="Bottleneck inner width \\[default: output channels / 4, 64 at 256].", rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    spatial: Annotated[str | None, typer.Option("--spatial", help="Block input height and width for MACs: 56 or 56x56 \\[default: 56].", rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    stride: Annotated[int | None, typer.Option("--stride", parser=opt.int_parser("--stride", "--stride 2"), metavar="INTEGER", help="Block stride; 2 makes a downsampling block with a projection shortcut \\[default: 1].", rich_help_panel=BLOCK_PANEL, show_default=False)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Write the comparison as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Write Markdown tables (notes, slides).")] = False,
    latex: Annotated[bool, typer.Option("--latex", help="Write a LaTeX booktabs table (the paper's Table 1 for networks).")] = False,
    output: opt.OutputPath = None,
    train: Annotated[bool, typer.Option("--train", help="Networks: count one training step each (forward and backward MACs, saved activations, peak memory) and set them side by side.", rich_help_panel="Training step")] = False,
    optimizer: Annotated[str, typer.Option("--optimizer", help="Optimizer state counted with --train: sgd, momentum, adam, adamw.", rich_help_panel="Training step")] = "adam",
    *,
    model: opt.ModelOptions,
    run: opt.RunOptions,
) -> None:
    """Compare residual blocks layer by layer, or networks stage by stage.

    Blocks: each is built at the same channels and stride and traced at --spatial; the
    default is the ResNet paper's Figure 5 (256 channels, bottleneck width 64). Two
    networks: one row per stage with deltas and ratios. Three or more: the paper's Table 1.
    Architecture flags (--stride-on, --shortcut, --num-classes, ...) apply to every network; with --plain, a repeated item keeps its first copy residual (compare resnet34 resnet34 --plain).
    Counts do not depend on the device: --device auto traces on meta here.
    """
    if sum((json_out, markdown, latex)) > 1:
        raise InspectError("choose one of --json, --markdown and --latex")
    run.validate()
    if output is not None:
        from resnet_inspect.render.output import check_writable

        check_writable(output)

    from resnet_inspect.analysis.compare_blocks import (
        DEFAULT_CHANNELS,
        DEFAULT_SPATIAL,
        DEFAULT_STRIDE,
        compare_blocks,
    )
    from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
    from resnet_inspect.analysis.compare_items import (
        classify,
        is_network,
        network_reports,
        parse_channels,
        parse_spatial,
        unknown_item,
    )
    from resnet_inspect.analysis.compare_networks import compare_reports
    from resnet_inspect.spec.limits import MAX_COMPARE_ITEMS

    if len(items) > MAX_COMPARE_ITEMS:
        raise InspectError(f"compare takes at most {MAX_COMPARE_ITEMS} items side by side, got "
                           f"{len(items):,}; compare fewer at a time")
    device = "meta" if run.device is opt.Device.AUTO else run.device.value
    user = None
    if model.user_model is not None:  # the user's network, beside the named ones
        from resnet_inspect.models.user import load_model

        user = load_model(model.user_model)
        model = model.replace(user_model=None)
        unknown = [item for item in items if not is_network(item)]
        if unknown:
            raise unknown_item(unknown[0])
    kind = "networks" if user is not None else classify(items, is_network)
    reports: list[Any] = []
    if kind == "blocks":
        if train:
            raise InspectError("--train counts a network's training step; compare networks, "
                               "e.g. compare 50 101 --train --batch 64")
        _no_network_flags(model, run)
        result: BlockComparison | NetworkComparison = compare_blocks(
            items,
            channels=parse_channels(channels) or DEFAULT_CHANNELS,
            width=width,
            spatial=parse_spatial(spatial) or DEFAULT_SPATIAL,
            stride=DEFAULT_STRIDE if stride is None else stride,
            batch=run.batch,
            device=device,
        )
    else:
        _no_block_flags(channels=channels, width=width, spatial=spatial, stride=stride)
        if model.depth is not None:
            raise InspectError(
                f"--depth does not apply to compare; name the networks as items, "
                f"e.g. compare {model.depth} 101"
            )
        # --plain applies to every network, except the first of a repeated item: so
        # `compare resnet34 resnet34 --plain` sets ResNet-34 beside its plain baseline.
        residual_first = {i for i, item in enumerate(items) if model.plain and items.count(item) > 1
                          and items.index(item) == i}
        specs = [
            _network_spec(model.replace(plain=False) if i in residual_first else model, item)
            for i, item in enumerate(items)
        ]
        if device != "meta":
            from resnet_inspect.cli.memory import ensure_fits

            for s in specs:
                ensure_fits(s, run.input_shape(None if run.input is not None else s),
                            run.batch, device)
        reports = network_reports(
            [str(i) for i in range(len(specs))],
            lambda key: specs[int(key)],
            input_shape=run.input_shape(None) if run.input is not None else None,
            batch=run.batch,
            device=device,
            train=train,
            optimizer=optimizer,
            input_dtype=run.input_dtype,
        )
        if user is not None:
            from resnet_inspect.trace.run import inspect as inspect_model

            shape = run.input_shape(None, any_rank=True) if run.input is not None else None
            reports.append(inspect_model(user[0], input_shape=shape, batch=run.batch,
                                         device=device, name=user[1], train=train,
                                         optimizer=optimizer, input_dtype=run.input_dtype))
        result = compare_reports(reports)

    from resnet_inspect.render import compare as render
    from resnet_inspect.render.output import emit, emit_rendered

    reports_out = reports
    if json_out:
        text = render.to_json(result)
        if train:
            import json
            from dataclasses import asdict

            data = json.loads(text)
            data["training"] = [{"model": r.model, **asdict(r.training_memory),
                                 "backward_macs": r.totals.backward_macs}
                                for r in reports_out if r.training_memory is not None]
            text = json.dumps(data, indent=2)
        emit(text, output)
    elif markdown:
        emit(render.to_markdown(result), output)
    elif latex:
        from resnet_inspect.render.latex import compare_latex

        emit(compare_latex(result), output)
    else:

        def show(console: Any) -> None:
            render.render(result, console)
            if train:
                from resnet_inspect.render.console import print_block
                from resnet_inspect.render.training import training_lines

                print_block(console, "\n".join(["", *training_lines(reports_out)]))

        emit_rendered(show, output)


def _network_spec(model: opt.ModelOptions, item: str) -> AnySpec:
    """A network item's spec with the architecture flags applied; an item ending in .toml,
    .yaml or .json is read as a config file, as `--config` would be."""
    from resnet_inspect.analysis.compare_items import is_config_file

    spec = model.replace(config=Path(item)).spec(None) if is_config_file(item) else model.spec(item)
    assert spec is not None
    return spec


def _no_network_flags(model: opt.ModelOptions, run: opt.RunOptions) -> None:
    """Blocks are set by --channels/--width/--spatial/--stride; architecture flags and
    --input belong to networks."""
    from resnet_inspect.spec.settings import BY_NAME

    for name in model.given():
        raise InspectError(
            f"{BY_NAME[name].flag} applies to networks, not to blocks; drop it, or compare "
            "networks (e.g. compare 50 101)"
        )
    if run.input is not None:
        raise InspectError(
            "--input applies to networks; for blocks give --channels and --spatial "
            "(e.g. --channels 256 --spatial 56)"
        )


def _no_block_flags(**given: object) -> None:
    for name, value in given.items():
        if value is not None:
            raise InspectError(
                f"--{name} applies to blocks (basic, bottleneck), not to networks; drop it, "
                "or use --input / --widths for networks"
            )
