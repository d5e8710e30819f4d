"""`resnet-inspect summary`: the per-layer table of one network."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Any

import typer

from resnet_inspect.cli import options as opt
from resnet_inspect.cli.app import app
from resnet_inspect.cli.format_option import alias, chosen_format, format_option
from resnet_inspect.counting.categories import Headline
from resnet_inspect.errors import InspectError
from resnet_inspect.render.formats import Format, View, write
from resnet_inspect.render.names import NameScheme
from resnet_inspect.render.output import check_writable
from resnet_inspect.report.levels import Level
from resnet_inspect.spec.settings import Optimizer


class DType(str, Enum):
    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"
    FLOAT64 = "float64"


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect summary --depth 101\n\n"
        "  resnet-inspect summary resnet50 --level layer --names caffe\n\n"
        "  resnet-inspect summary resnet18 --input 3x512x512 --batch 32 --device meta\n\n"
        "  resnet-inspect summary --block bottleneck --layers 3,4,6,3 --format json -o r50.json\n\n"
        "  resnet-inspect summary resnet50 --ops --count conv+norm\n\n"
        "  resnet-inspect summary resnet50 --stride-on 1x1 --level layer --rf\n\n"
        "  resnet-inspect summary resnet50 --level stage --format latex -o r50.tex\n\n"
        "  resnet-inspect summary resnet50 --format html -o r50.html\n\n"
        "  resnet-inspect summary resnet50 --time --batch 8\n\n"
        "  resnet-inspect summary resnet50 --train --batch 64 --optimizer adamw\n\n"
        "  resnet-inspect summary resnet50 --train --gpu t4\n\n"
        "  resnet-inspect summary --model mymodels.py:make_net --input 3x256x256"
    )
)
@opt.model_options
@opt.run_options
def summary(
    arch: opt.ArchName = None,
    level: Annotated[Level, typer.Option("--level", "-l", help="Rows: one per stage, block or layer.", case_sensitive=False)] = Level.BLOCK,
    names: Annotated[NameScheme, typer.Option("--names", help="Layer names: torchvision modules, the paper's stages, or the Caffe release's.", case_sensitive=False)] = NameScheme.TORCHVISION,
    output_format: Annotated[str | None, format_option("summary", "markdown")] = None,
    output: opt.OutputPath = None,
    count: Annotated[Headline, typer.Option("--count", help="What the headline MACs count: conv (conv+fc, the paper's and torchvision's figure), conv+norm, or all.", case_sensitive=False)] = Headline.CONV,
    ops: Annotated[bool, typer.Option("--ops", help="Add a table with one column per op type (conv, fc, BN, activations, pooling, adds) and what torchinfo, fvcore, torch's counter and paddle.summary would print.")] = False,
    train: Annotated[bool, typer.Option("--train", help="Count one training step: forward and backward MACs per layer from the operators autograd runs, the bytes it saves for backward, gradients, optimizer state and the peak.", rich_help_panel="Training step")] = False,
    optimizer: Annotated[Optimizer, typer.Option("--optimizer", help="Optimizer whose state is counted with --train: sgd (none), momentum (1 buffer per parameter), adam, adamw (2).", case_sensitive=False, rich_help_panel="Training step")] = Optimizer.ADAM,
    fit: Annotated[str | None, typer.Option("--fit", help="With --train: the largest batch whose step fits this much memory, e.g. 24GiB or 16GB.", show_default=False, rich_help_panel="Training step")] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="With --train: the largest batch for a card: t4, a10g, l40s, rtx4090, a100-40gb, a100-80gb, h100, h100-94gb, ... in any spelling ('H100 80GB', rtx-4090); its memory as sold less 1 GiB for the CUDA context.", show_default=False, rich_help_panel="Training step")] = None,
    dtype: Annotated[DType | None, typer.Option("--dtype", help="Count as if the model were cast to this dtype (bytes per value change; counts do not) \\[default: the model's own].", case_sensitive=False, show_default=False)] = None,
    amp: Annotated[bool, typer.Option("--amp", help="With --train: mixed precision as torch.autocast does it (weights float32, convolutions and matmuls in float16).", rich_help_panel="Training step")] = False,
    time_it: Annotated[bool, typer.Option("--time", help="Measure each layer's forward time on the device (CUDA events on a GPU, wall clock on CPU), GFLOP/s and peak memory.")] = False,
    rf: Annotated[bool, typer.Option("--rf", help="Show the receptive field and jump (input pixels between neighbouring outputs) at --level block and layer too, e.g. 99/8; --level stage and tables 140+ columns wide show them anyway.")] = False,
    json_out: Annotated[bool, alias("json")] = False,
    csv_out: Annotated[bool, alias("csv")] = False,
    markdown: Annotated[bool, alias("markdown")] = False,
    latex: Annotated[bool, alias("latex")] = False,
    *,
    model: opt.ModelOptions,
    run: opt.RunOptions,
) -> None:
    """Per-layer shapes, parameters, MACs and memory of one network, from one forward pass.

    The input defaults to the network's own (3x224x224 for ImageNet ResNets). MACs count conv and fc layers (the paper's "FLOPs", torchvision's GFLOPS); FLOPs = 2 x MACs.
    """
    fmt = chosen_format("summary", output_format, json=json_out, csv=csv_out, markdown=markdown,
                        latex=latex)
    _refuse_combinations(fmt, output_format is not None, fit, gpu, train, time_it, run)
    run.validate()
    if output is not None:
        check_writable(output)
    user = model.user_module()
    if user is not None and arch is not None:
        raise InspectError(f"both a name ({arch}) and --model were given; use one of them "
                           f"(compare {arch} --model ... sets them side by side)")
    spec = model.spec(arch) if user is None else None
    subject: Any = spec if user is None else user[0]
    shape = run.input_shape(spec, any_rank=user is not None)
    _before_running(spec, user[1] if user is not None else None, shape, run, time_it,
                    count.value)
    from resnet_inspect.cli.progress import progress_bar
    from resnet_inspect.usecases.summarize import summarize

    result = summarize(subject, input_shape=shape, batch=run.batch, device=run.device.value,
                       headline=count.value, name=user[1] if user is not None else None,
                       train=train, optimizer=optimizer.value,
                       dtype=dtype.value if dtype is not None else None,
                       amp="float16" if amp else None, input_dtype=run.input_dtype,
                       time_it=time_it, fit=fit, gpu=gpu, progress=progress_bar)
    write("summary", fmt, result, output, View(level.value, names, ops, rf))


def _before_running(spec: Any, user_name: str | None, shape: tuple[int, ...],
                    run: opt.RunOptions, time_it: bool, headline: str) -> None:
    """A named network checked to fit a real device; a timing run announced off a
    terminal, where no bar shows that it is working."""
    if spec is not None and (time_it or run.device in (opt.Device.CPU, opt.Device.CUDA)):
        # a user's model is not checked: tracing it on meta here would run their code twice
        from resnet_inspect.cli.memory import ensure_fits

        ensure_fits(spec, shape, run.batch, run.device.value, autograd=time_it,
                    headline=headline)
    if time_it and not sys.stderr.isatty():  # no bar off a terminal: say why nothing comes
        shown = spec.name if spec is not None else user_name or "model"
        print(f"resnet-inspect: timing {shown} at batch {run.batch} (warm-up and "
              "timed passes; the result follows when they finish)", file=sys.stderr,
              flush=True)


def _refuse_combinations(fmt: Format, spelled_out: bool, fit: str | None, gpu: str | None,
                         train: bool, time_it: bool, run: opt.RunOptions) -> None:
    """Options that do not go together, refused before any work."""
    if (fit is not None or gpu is not None) and not train:
        raise InspectError("--fit and --gpu size a training step; add --train")
    if fit is not None and gpu is not None:
        raise InspectError("choose one of --fit and --gpu")
    if train and time_it:
        raise InspectError("--time measures the forward pass; leave out --train to time it")
    if time_it and run.device is opt.Device.META:
        raise InspectError("--time measures on a real device; use --device auto, cpu or cuda")
    if time_it and fmt not in (Format.TABLE, Format.JSON):
        # refused before half a minute of measuring, not dropped after it
        flag = f"--format {fmt.value}" if spelled_out else f"--{fmt.value}"
        raise InspectError(f"{flag} rows carry no timing; use "
                           "--time --json (a \"timing\" key) or the table, or drop --time")
