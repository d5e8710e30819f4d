"""`resnet-inspect check`: our counts against torchinfo, fvcore and torch's FLOP counter."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resnet_inspect.cli import options as opt
from resnet_inspect.cli.app import app
from resnet_inspect.cli.format_option import alias, chosen_format, format_option
from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.render.formats import write
from resnet_inspect.render.output import check_writable

if TYPE_CHECKING:
    from resnet_inspect.analysis.check_report import CheckReport

_TOOLS = ("torchinfo", "fvcore", "torch")


def parse_tools(text: str) -> tuple[str, ...]:
    """'torchinfo,torch' -> the tools, each once in the order given ('torch,torch' runs it
    once); at most as many entries as there are tools, so 10,000 are refused at once."""
    entries = text.split(",", len(_TOOLS) * 2)
    if len(entries) > len(_TOOLS) * 2:
        raise InspectError(f"--tools has more than {len(_TOOLS) * 2} entries; name each of "
                           f"{','.join(_TOOLS)} at most once")
    tools = tuple(dict.fromkeys(t.strip().lower() for t in entries if t.strip()))
    for tool in tools:
        if tool not in _TOOLS:
            raise InspectError(
                f"--tools: unknown tool {tool!r}{did_you_mean(tool, _TOOLS)}; "
                f"choose from {','.join(_TOOLS)}"
            )
    if not tools:
        raise InspectError(f"--tools is empty; e.g. --tools {','.join(_TOOLS)}")
    return tools


@app.command(
    epilog=(
        "Examples:\n\n"
        "  resnet-inspect check resnet50\n\n"
        "  resnet-inspect check --depth 152 --batch 8 --tools torchinfo,torch\n\n"
        "  resnet-inspect check --block bottleneck --layers 3,4,6,3 --format json -o check.json\n\n"
        "Exit status 1 when a tool's figure is not fully explained by its rule."
    )
)
@opt.model_options
@opt.run_options
def check(
    arch: opt.ArchName = None,
    tools: Annotated[str, typer.Option("--tools", help="Tools to run, comma-separated: torchinfo,fvcore,torch.")] = ",".join(_TOOLS),
    output_format: Annotated[str | None, format_option("check", "json")] = None,
    output: opt.OutputPath = None,
    train: Annotated[bool, typer.Option("--train", help="Also count one training step and check its forward and backward products against torch's counter (FlopCounterMode over the same step).")] = False,
    json_out: Annotated[bool, alias("json")] = False,
    *,
    model: opt.ModelOptions,
    run: opt.RunOptions,
) -> None:
    """Count one network with torchinfo, fvcore and torch.utils.flop_counter beside ours.

    Each tool's figure is split by layer type (conv, fc, batch-norm, activations, pooling,
    residual add) and explained, to the unit, by that tool's rule; work a tool leaves out
    and ops it reports unsupported are listed. paddle.summary's convention (BN running
    statistics counted as parameters) is shown too.
    """
    chosen = parse_tools(tools)
    fmt = chosen_format("check", output_format, json=json_out)
    run.validate()
    if output is not None:
        check_writable(output)
    user = model.user_module()
    if user is not None and arch is not None:
        raise InspectError(f"both a name ({arch}) and --model were given; use one of them")
    spec = model.spec(arch) if user is None else None
    subject: Any = spec if user is None else user[0]

    if run.device in (opt.Device.CPU, opt.Device.CUDA) and spec is not None:
        # every tool then runs the model there (with auto, only fvcore runs for real, and
        # only below a work limit on a CPU; a failure of it is shown as its finding)
        from resnet_inspect.cli.memory import ensure_fits

        ensure_fits(spec, run.input_shape(spec), run.batch, run.device.value)

    from resnet_inspect.cli.progress import progress_bar
    from resnet_inspect.usecases.check import check as check_counts

    checked = check_counts(subject, tools=chosen,
                           input_shape=run.input_shape(spec, any_rank=user is not None),
                           batch=run.batch, device=run.device.value,
                           input_dtype=run.input_dtype, train=train, progress=progress_bar)
    write("check", fmt, checked, output)
    step, result = checked.step, checked.report
    if step is not None and not step.accounted:
        print("resnet-inspect: check: the training step's products differ from torch's "
              "counter", file=sys.stderr)
        raise typer.Exit(1)
    if not result.accounted:
        print(f"resnet-inspect: check: {_verdict(result)}", file=sys.stderr)
        raise typer.Exit(1)


def _verdict(result: CheckReport) -> str:
    """Why the check did not pass, in one line (exit code 1)."""
    if result.failed:
        crashed = "; ".join(f"{t.tool} ({t.skipped})" for t in result.failed)
        return f"failed: {crashed}; its figures are not checked"
    if not result.ran:
        why = "; ".join(f"{t.tool}: {t.skipped}" for t in result.tools if t.skipped)
        return f"no tool ran, so nothing was cross-checked ({why})"
    return "some differences are not explained by the tools' rules (rows marked ✗)"
