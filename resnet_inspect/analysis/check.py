"""Cross-check: one network counted by resnet-inspect, torchinfo, fvcore and torch's own
FLOP counter, with every difference attributed to a layer type and explained, to the unit.

The tools disagree because they count different things, not because one is wrong
(fvcore #69, ptflops #76/#94, thop #17 ask why, again and again). Each tool's figure is
split by module into our layer types (conv, fc, batch-norm, activations, pooling,
residual add); beside it stands what that tool's documented rule predicts from our own
per-layer counts. When the two agree on every row the difference from our headline is
fully explained; when they do not, the row says so. Nothing is dropped: work a tool
leaves out is listed as not counted, ops a tool reports as unsupported are listed
verbatim, and a tool's work outside any leaf module is its own `unattributed` row.

`check` below runs it; the work is in modules of one job each: check_rules.py (what each
tool's rule predicts, and the rules in words), check_tools.py (running the tools),
check_report.py (the result as data, and its one-line explanation).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from resnet_inspect.analysis.check_report import CheckReport, ToolCheck
from resnet_inspect.analysis.check_rules import PRODUCTS, paddle_convention
from resnet_inspect.analysis.check_tools import not_run, run_fvcore, run_torch, run_torchinfo
from resnet_inspect.errors import InspectError, first_line

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report

TOOLS = ("torchinfo", "fvcore", "torch")

# fvcore runs the model for real (it cannot trace on meta); above this much work on a
# CPU it would take minutes, so it is skipped with the reason instead.
FVCORE_CPU_LIMIT_MACS = 200 * 10**9

RUNNERS = {"torchinfo": run_torchinfo, "fvcore": run_fvcore, "torch": run_torch}


def check(
    model_or_name: Any,
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "auto",
    tools: tuple[str, ...] = TOOLS,
    progress: Callable[[int, int], None] | None = None,
    input_dtype: str | None = None,
) -> CheckReport:
    """Count one network with every tool and explain each difference, layer type by type.

    Names and specs are built here; a module is copied, never modified. torchinfo and
    torch's counter run on meta when `device` is auto or meta (they support it); fvcore
    traces with torch.jit, which needs real tensors, so it runs on CUDA or CPU, and is
    skipped (with the reason) when that would take minutes on a CPU.
    """
    import torch

    from resnet_inspect.models.builder import build_model
    from resnet_inspect.trace.device import resolve_device
    from resnet_inspect.trace.inputs import input_dtype_named, made_input

    unknown = [t for t in tools if t not in RUNNERS]
    if unknown:
        raise InspectError(f"unknown tool {unknown[0]!r}; choose from {', '.join(TOOLS)}")
    spec, shape, report = _our_count(model_or_name, input_shape, batch, device, input_dtype)

    def model_on(where: torch.device) -> torch.nn.Module:
        if spec is not None:
            return build_model(spec, device=where, init=False)
        return copy.deepcopy(model_or_name).to(where).eval()

    dtype_in = input_dtype_named(input_dtype)
    traced_on = resolve_device(device)
    if report.device_fallback:  # the model does not run on meta (y[y > 0]): nor do the tools
        traced_on = torch.device(report.device)
    real = resolve_device(device, measure=True) if traced_on.type == "meta" else traced_on
    results: list[ToolCheck] = []
    models: dict[str, torch.nn.Module] = {}
    for step, tool in enumerate(tools, start=1):
        if progress is not None:
            progress(step, len(tools) + 1)
        where = real if tool == "fvcore" else traced_on
        work = report.totals.macs
        if tool == "fvcore" and where.type == "cpu" and work > FVCORE_CPU_LIMIT_MACS:
            results.append(not_run(tool, (
                f"it runs the model for real and cannot trace on meta: {work / 1e9:,.0f} "
                "GMACs would take minutes on a CPU; use a smaller --input or --batch, or a GPU"
            )))
            continue
        key = str(where)
        if key not in models:
            models[key] = model_on(where)
        model = models[key]
        modules = {name: m for name, m in model.named_modules()}
        modules[report.model] = model  # the model's own operators are on the row named after it
        # the input the trace had: zeros of the float dtype, or token ids in range
        x = made_input(model, (batch, *shape), dtype_in or torch.float32, where)
        results.append(_run_tool(tool, model, x, report, modules))
    if progress is not None:
        progress(len(tools) + 1, len(tools) + 1)
    results.append(paddle_convention(report))
    t = report.totals
    conv_fc = sum(t.by_category.get(c, {}).get("macs", 0) for c in PRODUCTS)
    return CheckReport(
        model=report.model, input_shape=report.input_shape, device=report.device,
        params=t.params, running_stats=t.running_stats, macs=conv_fc,
        by_category=t.by_category, tools=results, unsupported=report.unsupported,
    )


def _our_count(model_or_name: Any, input_shape: tuple[int, ...] | None, batch: int,
               device: str, input_dtype: str | None) -> tuple[Any, tuple[int, ...], Report]:
    """Our own trace, the one each tool is explained against: the spec (None for a
    module), the input shape used, and the report."""
    import torch

    from resnet_inspect.spec.registry import resolve_spec
    from resnet_inspect.trace.run import inspect as inspect_model

    if isinstance(model_or_name, torch.nn.Module):
        shape = tuple(input_shape) if input_shape is not None else (3, 224, 224)
        return None, shape, inspect_model(model_or_name, shape, batch=batch, device=device,
                                          input_dtype=input_dtype)
    spec = resolve_spec(model_or_name)
    shape = tuple(input_shape) if input_shape is not None else spec.input_shape
    return spec, shape, inspect_model(spec, shape, batch=batch, device=device,
                                      input_dtype=input_dtype)


def _run_tool(tool: str, model: Any, x: Any, report: Report,
              modules: dict[str, Any]) -> ToolCheck:
    """One tool's figures explained; a tool that is missing or fails is a finding to
    show, not a crash."""
    try:
        return RUNNERS[tool](model, x, report, modules)
    except ImportError as err:
        return not_run(tool, f"not installed ({err.name}); pip install {tool}")
    except Exception as err:
        crashed = not_run(tool, f"{type(err).__name__}: {first_line(err)}"[:200])
        crashed.failed = True
        return crashed
