"""Running the other tools on one network: torchinfo, fvcore and torch's FlopCounterMode,
each figure read back per module and split by our layer types (`check_rules.tool_terms`).
"""

from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any

from resnet_inspect.analysis.check_report import Term, ToolCheck
from resnet_inspect.analysis.check_rules import PRODUCTS, fvcore_rule, tool_terms
from resnet_inspect.counting.categories import Category
from resnet_inspect.private import child_modules
from resnet_inspect.report.model import LayerRecord, Report


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _own(inclusive: dict[str, int], root_row: str) -> dict[str, int]:
    """A tool's per-module figures (each including its submodules') as what each module
    ran itself, so they compare with our rows, which hold a module's own operators; the
    model's own work is on our row named after the model."""
    own = dict(inclusive)
    for name, value in inclusive.items():
        if not name:
            continue
        parent = name.rpartition(".")[0]
        while parent and parent not in inclusive:
            parent = parent.rpartition(".")[0]
        if parent in own:
            own[parent] -= value
    if "" in own:
        own[root_row] = own.get(root_row, 0) + own.pop("")
    return {k: v for k, v in own.items() if v}


def _leaf_names(model: Any) -> dict[int, str]:
    return {id(m): name for name, m in model.named_modules() if name and not child_modules(m)}


def run_torchinfo(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
    import torchinfo

    from resnet_inspect.counting.meta_ops import MetaRules

    start = time.perf_counter()
    # torchinfo counts from parameters and output shapes only, so on meta the counter's
    # shape rules may answer its forward (torch's meta decompositions cost a second on
    # first use)
    with MetaRules() if x.device.type == "meta" else contextlib.nullcontext():
        stats = torchinfo.summary(model, input_data=x, verbose=0, device=x.device)
    seconds = time.perf_counter() - start
    names = _leaf_names(model)
    by_leaf: dict[str, int] = {}
    for layer in stats.summary_list:
        if layer.is_leaf_layer:
            name = names.get(id(layer.module), "")
            by_leaf[name] = by_leaf.get(name, 0) + int(layer.macs)
    leaf_total = sum(by_leaf.values())
    unattributed = int(stats.total_mult_adds) - leaf_total
    terms, not_counted = tool_terms("torchinfo", report, modules, by_leaf, unattributed, 1)
    return ToolCheck(
        tool="torchinfo", version=_version("torchinfo"), device=str(x.device),
        unit="mult-adds", scale=1, params=int(stats.total_params),
        expected_params=report.totals.params,
        params_rule="nn.Parameters, as ours", figure=int(stats.total_mult_adds),
        terms=terms, not_counted=not_counted, seconds=seconds,
    )


def run_fvcore(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
    start = time.perf_counter()
    with warnings.catch_warnings():
        # fvcore's import and its jit tracer warn (deprecations, tracer warnings): fvcore's
        # business, not the user's
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis, parameter_count

        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        analysis.tracer_warnings("none")
        total = int(analysis.total())
        per_module = analysis.by_module_and_operator()
        unsupported = dict(analysis.unsupported_ops())
        params = int(parameter_count(model)[""])
    seconds = time.perf_counter() - start
    inclusive = {n: int(sum(ops.values())) for n, ops in per_module.items()}
    by_module = _own(inclusive, report.model)
    unattributed = total - sum(by_module.values())
    rule = fvcore_rule
    if "aten::scaled_dot_product_attention" in unsupported:
        # fvcore has no handle for it: the attention products made there are not counted
        def rule(r: LayerRecord, module: Any) -> int:
            return fvcore_rule(r, module) - (
                r.categories.get(Category.ATTENTION.value, [0])[0]
                if r.category in PRODUCTS else 0)
    terms, not_counted = tool_terms("fvcore", report, modules, by_module, unattributed, 1, rule)
    # ops it skips by design without a word (fvcore.nn.jit_analysis._IGNORED_OPS) that a
    # residual network uses: listed so that nothing is silently zero
    ignored = [op for op, cat in (("aten::relu_", Category.ACTIVATION.value),
                                  ("aten::flatten", Category.OTHER.value))
               if report.totals.by_category.get(cat, {}).get("flops", 0)
               or (cat == Category.OTHER and any(r.type == "Flatten" for r in report.layers))]
    return ToolCheck(
        tool="fvcore", version=_version("fvcore"), device=str(x.device),
        unit="flops, FMA=1", scale=1, params=params,
        expected_params=report.totals.params, params_rule="fvcore.nn.parameter_count, as ours",
        figure=total, terms=terms, not_counted=not_counted, unsupported=unsupported,
        ignored=ignored, seconds=seconds,
    )


def run_torch(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from resnet_inspect.counting.meta_ops import MetaRules

    start = time.perf_counter()
    # On meta the counter's shape rules answer the operators torch's counter passes on:
    # entered first, they sit below it, so it still sees and counts every one.
    fast = MetaRules() if x.device.type == "meta" else None
    with torch.no_grad(), fast or contextlib.nullcontext(), \
            FlopCounterMode(display=False) as counter:
        model(x)
    seconds = time.perf_counter() - start
    total = int(counter.get_total_flops())
    root = type(model).__name__
    inclusive: dict[str, int] = {}
    for key, ops in counter.get_flop_counts().items():
        if key == root or key.startswith(root + "."):
            inclusive[key[len(root) + 1:]] = int(sum(ops.values()))  # root -> ""
    by_module = _own(inclusive, report.model)
    unattributed = total - sum(by_module.values())
    terms, not_counted = tool_terms("torch", report, modules, by_module, unattributed, 2)
    _without_torch_formula(terms, report)
    return ToolCheck(
        tool="torch", version=_version("torch"), device=str(x.device),
        unit="FLOPs", scale=2, params=None, expected_params=None,
        params_rule="(counts no parameters)", figure=total, terms=terms,
        not_counted=not_counted, seconds=seconds,
    )


def _without_torch_formula(terms: list[Term], report: Report) -> None:
    """Products torch's counter has no formula for (cdist, linear solves): our headline
    counts them, torch's figure cannot, so its rule predicts them out, in the category
    of the operator, and says which."""
    import torch
    from torch.utils.flop_counter import flop_registry

    missing: dict[str, list[Any]] = {}
    for o in report.operators:
        packet = getattr(torch.ops.aten, o["op"].removeprefix("aten."), None)
        if o["category"] in PRODUCTS and o["macs"] and packet not in flop_registry:
            missing.setdefault(o["category"], []).append(o)
    for term in terms:
        for o in missing.pop(term.category, []):
            term.expected -= 2 * o["macs"]
            term.rule += f"; {o['op']} has no torch formula"


def not_run(tool: str, why: str) -> ToolCheck:
    """A tool that did not run, with the reason (`failed` is set by the caller on a crash)."""
    return ToolCheck(tool=tool, version=_version(tool), device="-", unit="", scale=1,
                     params=None, expected_params=None, params_rule="", figure=None, skipped=why)
