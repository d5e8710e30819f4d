"""`resnet-inspect compare`: blocks or whole networks side by side.

The command parses, refuses the options that do not apply to the items (blocks or
networks, decided by the use-case), calls `resnet_inspect.usecases.compare` and hands the
result to the `--format` renderer (`render/formats.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.cli import options as opt
from resnet_inspect.cli.app import app
from resnet_inspect.cli.format_option import alias, chosen_format, format_option
from resnet_inspect.errors import InspectError
from resnet_inspect.render.formats import write
from resnet_inspect.render.output import check_writable
from resnet_inspect.spec.arch import AnySpec, BlockKind
from resnet_inspect.spec.limits import MAX_COMPARE_ITEMS
from resnet_inspect.spec.settings import BY_NAME, Optimizer

BLOCK_PANEL = f"Blocks ({', '.join(k.value for k in BlockKind)})"
OPTIMIZERS = ", ".join(o.value for o in Optimizer)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect compare basic bottleneck\n\n"
        "  resnet-inspect compare basic bottleneck --channels 64,128 --stride 2 --spatial 224\n\n"
        "  resnet-inspect compare 50 101\n\n"
        "  resnet-inspect compare 18 34 50 101 152 --format markdown -o table1.md\n\n"
        "  resnet-inspect compare 18 34 50 101 152 --format latex -o table1.tex\n\n"
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
    output_format: Annotated[str | None, format_option("compare", "markdown")] = None,
    output: opt.OutputPath = None,
    train: Annotated[bool, typer.Option("--train", help="Networks: count one training step each (forward and backward MACs, saved activations, peak memory) and set them side by side.", rich_help_panel="Training step")] = False,
    optimizer: Annotated[str, typer.Option("--optimizer", help=f"Optimizer state counted with --train: {OPTIMIZERS}.", rich_help_panel="Training step")] = "adam",
    json_out: Annotated[bool, alias("json")] = False,
    markdown: Annotated[bool, alias("markdown")] = False,
    latex: Annotated[bool, alias("latex")] = False,
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
    fmt = chosen_format("compare", output_format, json=json_out, markdown=markdown,
                        latex=latex)
    run.validate()
    if output is not None:
        check_writable(output)

    if len(items) > MAX_COMPARE_ITEMS:
        raise InspectError(f"compare takes at most {MAX_COMPARE_ITEMS} items side by side, got "
                           f"{len(items):,}; compare fewer at a time")
    device = "meta" if run.device is opt.Device.AUTO else run.device.value
    subjects, model = _with_user_model(items, model)
    prepare = _refuser(model, run, train, channels=channels, width=width, spatial=spatial,
                       stride=stride)
    from resnet_inspect.usecases.compare import compare as compare_items

    result = compare_items(subjects, channels=channels, width=width, spatial=spatial,
                           stride=stride, batch=run.batch, device=device, train=train,
                           optimizer=optimizer, input_dtype=run.input_dtype, prepare=prepare,
                           resolve=_resolver(items, model, run, device),
                           input_shape=lambda: (run.input_shape(None)
                                                if run.input is not None else None))

    write("compare", fmt, result, output)


def _with_user_model(items: list[str], model: opt.ModelOptions) -> tuple[list[Any], opt.ModelOptions]:
    """The items, with the --model network (its name as shown) after the named ones; the
    model options without it, to apply to the named networks."""
    if model.user_model is None:
        return list(items), model
    from resnet_inspect.analysis.compare_items import is_network, unknown_item
    from resnet_inspect.models.user import load_model
    from resnet_inspect.usecases.compare import Named

    module, name = load_model(model.user_model)
    unknown = [item for item in items if not is_network(item)]
    if unknown:
        raise unknown_item(unknown[0])
    return [*items, Named(module, name)], model.replace(user_model=None)


def _refuser(model: opt.ModelOptions, run: opt.RunOptions, train: bool,
             **block_flags: object) -> Any:
    """What the use-case calls once it knows the kind: the flags that do not apply to
    it refused."""

    def prepare(kind: str) -> None:
        if kind == "blocks":
            if train:
                raise InspectError("--train counts a network's training step; compare "
                                   "networks, e.g. compare 50 101 --train --batch 64")
            _no_network_flags(model, run)
            return
        _no_block_flags(**block_flags)
        if model.depth is not None:
            raise InspectError(
                f"--depth does not apply to compare; name the networks as items, "
                f"e.g. compare {model.depth} 101"
            )

    return prepare


def _resolver(items: list[str], model: opt.ModelOptions, run: opt.RunOptions,
              device: str) -> Any:
    """A network item -> its spec with the architecture flags applied, checked to fit
    `device`. --plain applies to every network, except the first of a repeated item: so
    `compare resnet34 resnet34 --plain` sets ResNet-34 beside its plain baseline."""

    def resolve(index: int, item: str) -> AnySpec:
        first_of_repeat = (model.plain and items.count(item) > 1
                           and items.index(item) == index)
        spec = _network_spec(model.replace(plain=False) if first_of_repeat else model, item)
        if device != "meta":
            from resnet_inspect.cli.memory import ensure_fits

            ensure_fits(spec, run.input_shape(None if run.input is not None else spec),
                        run.batch, device)
        return spec

    return resolve


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
