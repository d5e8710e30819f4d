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

The rules, from each tool's source (versions in the report):

- torchinfo `summary` (`LayerInfo.calculate_macs`): every parameter named weight or bias
  contributes params x batch, and for layers whose class name contains "Conv", params x
  batch x output positions. For conv and fc that is our MACs plus biases; batch-norm adds
  its weight and bias once per sample (2 per channel), not per element.
- fvcore `FlopCountAnalysis` ("one fused multiply-add counts as one flop", so its figure
  is MACs): conv and linear MACs without bias; eval-mode batch-norm 2 per input element
  with affine parameters (1 without); adaptive average pooling 1 per input element;
  ReLU is ignored by design; `aten::add` and `aten::max_pool2d` are reported unsupported.
- torch.utils.flop_counter.FlopCounterMode: 2 FLOPs per multiply-accumulate of
  convolutions and matrix products (bias not counted); nothing else.
- paddle.summary (a convention, not run here): parameters include batch-norm running mean
  and variance, so its ResNet-50 prints 25,610,152 = 25,557,032 + 53,120.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from resnet_inspect.counting.categories import LABEL as CATEGORY_LABEL
from resnet_inspect.counting.categories import Category
from resnet_inspect.errors import InspectError
from resnet_inspect.report.model import LayerRecord, Report

TOOLS = ("torchinfo", "fvcore", "torch")
CATEGORIES = tuple(c.value for c in Category)
UNATTRIBUTED = "unattributed"

# fvcore runs the model for real (it cannot trace on meta); above this much work on a
# CPU it would take minutes, so it is skipped with the reason instead.
FVCORE_CPU_LIMIT_MACS = 200 * 10**9


@dataclass
class Term:
    """One layer type of one tool: its figure beside what its rule predicts from ours."""

    category: str
    tool: int
    expected: int  # what the tool's rule predicts from our per-layer counts
    rule: str
    ours: int = 0  # our headline (conv + fc MACs) in this layer type, in the tool's unit

    @property
    def difference(self) -> int:
        """The tool against its own rule: zero when the rule explains the figure."""
        return self.tool - self.expected

    @property
    def extra(self) -> int:
        """The tool against our headline: what its convention adds (or leaves out)."""
        return self.tool - self.ours


@dataclass
class ToolCheck:
    tool: str
    version: str
    device: str
    unit: str  # what the tool's figure counts, in its own words
    scale: int  # tool units per MAC of ours: 2 for FLOPs, 1 for MAC-like figures
    params: int | None
    expected_params: int | None
    params_rule: str
    figure: int | None
    terms: list[Term] = field(default_factory=list)
    not_counted: list[str] = field(default_factory=list)  # our layer types it leaves out
    unsupported: dict[str, int] = field(default_factory=dict)  # the tool's own list: op -> calls
    ignored: list[str] = field(default_factory=list)  # ops it skips by design, silently
    skipped: str = ""  # why it did not run
    failed: bool = False  # it crashed: `skipped` holds the error, and nothing is checked
    seconds: float = 0.0

    @property
    def expected(self) -> int:
        return sum(t.expected for t in self.terms)

    def extra(self, ours_macs: int) -> int | None:
        return None if self.figure is None else self.figure - self.scale * ours_macs

    @property
    def accounted(self) -> bool:
        """Every unit of the tool's figure and parameter count is explained."""
        if self.skipped:
            return False
        figure_ok = self.figure is None or (
            self.figure == self.expected and all(t.difference == 0 for t in self.terms)
        )
        params_ok = self.params is None or self.params == self.expected_params
        return figure_ok and params_ok


@dataclass
class CheckReport:
    model: str
    input_shape: list[int]
    device: str  # where resnet-inspect traced
    params: int
    running_stats: int
    macs: int  # conv + fc, our headline
    by_category: dict[str, dict[str, int]]
    tools: list[ToolCheck]
    unsupported: list[dict[str, Any]]  # operators resnet-inspect has no formula for: op, calls

    def tool(self, name: str) -> ToolCheck:
        return next(t for t in self.tools if t.tool == name)

    @property
    def ran(self) -> list[ToolCheck]:
        """The tools that counted something (paddle.summary's rule is ours, not a tool run)."""
        return [t for t in self.tools if not t.skipped and t.version != "rule"]

    @property
    def failed(self) -> list[ToolCheck]:
        return [t for t in self.tools if t.failed]

    @property
    def accounted(self) -> bool:
        """Every tool that ran is explained to the unit, none crashed, and at least one ran:
        a check in which every tool crashed has explained nothing."""
        if self.failed or not self.ran:
            return False
        return all(t.accounted for t in self.tools if not t.skipped)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for tool, out in zip(self.tools, data["tools"], strict=True):
            out["accounted"] = tool.accounted
            out["expected"] = tool.expected
        data["accounted"] = self.accounted
        return data


# --- rules: what each tool should report for one of our layer records -----------------

Rule = Callable[[LayerRecord, Any], int]


def _numel(shape: list[int]) -> int:
    return math.prod(shape) if shape else 0


def _torchinfo_rule(r: LayerRecord, module: Any) -> int:
    # LayerInfo.calculate_macs: a parameter named weight or bias adds params x batch, and
    # x output positions when the class name contains "Conv" (torchinfo's own substring
    # test, mirrored here on purpose); other names containing weight or bias (RNNs) add
    # params x batch x channels; any other name adds nothing. A module called twice has
    # its parameters on its first row only, as in torchinfo.
    out = r.output_shape
    if not r.params or not out or not r.called:
        return 0
    if module is not None and module._modules:
        return 0  # torchinfo sums leaf layers only: a container's own weights go uncounted
    if module is None:  # a report alone: parameters are assumed to be weight and bias
        conv = r.category == "conv"
        return r.params * out[0] * (_numel(out[2:]) if conv else 1)
    total = 0
    for name, p in module.named_parameters():
        n = p.numel()
        if name in ("weight", "bias"):
            positions = _numel(out[2:]) if "Conv" in type(module).__name__ else 1
            total += n * out[0] * positions
        elif "weight" in name or "bias" in name:
            total += n * _numel(out[:2])
    return total


_PRODUCTS = ("conv", "linear", "attention")


def _products(r: LayerRecord) -> int:
    """A row's MACs of products (conv, linear, attention), whatever its main category."""
    return sum(r.categories.get(c, [0])[0] for c in _PRODUCTS) if r.categories else (
        r.macs if r.category in _PRODUCTS else 0)


def _fvcore_rule(r: LayerRecord, module: Any) -> int:
    from torch import nn

    if r.category in _PRODUCTS:
        # conv_flop_jit, linear/matmul/bmm_flop_jit: MACs, bias not counted
        return _products(r)
    # Without the module (a report alone), its class is torch.nn's of that exact name.
    cls = type(module) if module is not None else getattr(nn, r.type, None)
    if not isinstance(cls, type):
        return 0
    affine = bool(r.params) if module is None else bool(
        getattr(module, "affine", getattr(module, "elementwise_affine", False)))
    if issubclass(cls, nn.modules.batchnorm._BatchNorm):
        # batchnorm_flop_jit, eval mode: 2 per element with affine parameters, else 1
        return _numel(r.input_shape) * (2 if affine else 1)
    if issubclass(cls, (nn.GroupNorm, nn.LayerNorm)):
        return _numel(r.input_shape) * (5 if affine else 4)  # norm_flop_counter: "rough"
    if issubclass(cls, nn.AdaptiveAvgPool2d):
        return _numel(r.input_shape)  # elementwise_flop_counter(1, 0)
    return 0


def _torch_rule(r: LayerRecord, module: Any) -> int:
    return 2 * _products(r)


RULE_TEXT: dict[str, dict[str, str]] = {
    "torchinfo": {
        "conv": "params x batch x output HxW",
        "linear": "params incl. bias x batch",
        "norm": "weight+bias x batch, per sample",
        "*": "no parameters: 0",
    },
    "fvcore": {
        "conv": "MACs (1 FMA = 1 flop)",
        "linear": "MACs, bias not counted",
        "attention": "MACs of matmul / bmm",
        "norm": "2 per element (eval, affine)",
        "pool": "adaptive avg: 1 per input",
        "*": "not counted",
    },
    "torch": {
        "conv": "2 x MACs",
        "linear": "2 x MACs (addmm, no bias)",
        "attention": "2 x MACs (bmm, attention)",
        "*": "not counted",
    },
}

RULES: dict[str, Rule] = {
    "torchinfo": _torchinfo_rule, "fvcore": _fvcore_rule, "torch": _torch_rule,
}


def _terms(tool: str, report: Report, modules: dict[str, Any], by_leaf: dict[str, int],
           unattributed: int, scale: int,
           rule: Rule | None = None) -> tuple[list[Term], list[str]]:
    """Split a tool's per-module figures by our layer types, beside its rule's prediction."""
    rule = rule or RULES[tool]
    category_of: dict[str, str] = {}
    for r in report.layers:
        category_of.setdefault(r.name, r.category)
    tool_by: dict[str, int] = {}
    for name, value in by_leaf.items():
        cat = category_of.get(name, UNATTRIBUTED)
        tool_by[cat] = tool_by.get(cat, 0) + value
    expected_by: dict[str, int] = {}
    ours_work: dict[str, int] = {}
    ours_by: dict[str, int] = {}  # our products, bucketed by row as the tool's figures are
    for r in report.layers:
        expected_by[r.category] = expected_by.get(r.category, 0) + rule(r, modules.get(r.name))
        ours_work[r.category] = ours_work.get(r.category, 0) + r.flops
        ours_by[r.category] = ours_by.get(r.category, 0) + scale * _products(r)
    headline = _PRODUCTS
    tool_by[UNATTRIBUTED] = tool_by.get(UNATTRIBUTED, 0) + unattributed
    texts = RULE_TEXT[tool]
    terms = []
    for cat in (*CATEGORIES, UNATTRIBUTED):
        value, expected = tool_by.get(cat, 0), expected_by.get(cat, 0)
        if value or expected:
            if cat == UNATTRIBUTED:
                text = "outside every module we have a row for"
            else:
                text = texts.get(cat, texts["*"])
            ours = ours_by.get(cat, 0)
            terms.append(Term(cat, value, expected, text, ours if cat in headline else 0))
    counted = {t.category for t in terms}
    not_counted = [c for c in CATEGORIES if ours_work.get(c) and c not in counted]
    return terms, not_counted


def predict(report: Report) -> dict[str, int]:
    """What each tool would print for this report, by its rule, without running it.

    `check` runs the tools and proves these; the summary footer only quotes them.
    """
    # a module that holds other modules' rows is no leaf: torchinfo sums leaves only
    parents = {r.name.rpartition(".")[0] for r in report.layers} | {report.model}
    out = {tool: sum(rule(r, None) for r in report.layers
                     if tool != "torchinfo" or r.name not in parents)
           for tool, rule in RULES.items()}
    out["paddle.summary"] = report.totals.params + report.totals.running_stats
    return out


def footer_lines(report: Report) -> list[str]:
    """One line per tool: its figure for this network and how it differs from ours."""
    t = report.totals
    ours = sum(t.by_category.get(c, {}).get("macs", 0) for c in _PRODUCTS)
    p = predict(report)
    ti, fv = p["torchinfo"] - ours, p["fvcore"] - ours
    ours_text = "conv+fc+attn" if t.by_category.get("attention") else "conv+fc"
    return [
        f"torchinfo: {p['torchinfo']:,} mult-adds = {ours_text} {ti:+,} (biases, BN per "
        "sample)",
        f"fvcore: {p['fvcore']:,} flops = {ours_text} {fv:+,} (BN 2/element, global pool)",
        f"torch.utils.flop_counter: {p['torch']:,} FLOPs = 2 x {ours_text} MACs",
        f"paddle.summary: {p['paddle.summary']:,} params (+ BN running mean/var "
        f"{t.running_stats:,})",
    ]


# --- running the tools ----------------------------------------------------------------


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
    return {id(m): name for name, m in model.named_modules() if name and not m._modules}


def _run_torchinfo(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
    import torchinfo

    from resnet_inspect.counting.meta_shapes import MetaShapes

    start = time.perf_counter()
    # torchinfo counts from parameters and output shapes only, so on meta the shape rules
    # may answer its forward (torch's meta decompositions cost a second on first use).
    # Not for torch's counter: it counts the very ops the rules would answer.
    with MetaShapes() if x.device.type == "meta" else contextlib.nullcontext():
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
    terms, not_counted = _terms("torchinfo", report, modules, by_leaf, unattributed, 1)
    return ToolCheck(
        tool="torchinfo", version=_version("torchinfo"), device=str(x.device),
        unit="mult-adds", scale=1, params=int(stats.total_params),
        expected_params=report.totals.params,
        params_rule="nn.Parameters, as ours", figure=int(stats.total_mult_adds),
        terms=terms, not_counted=not_counted, seconds=seconds,
    )


def _run_fvcore(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
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
    rule = _fvcore_rule
    if "aten::scaled_dot_product_attention" in unsupported:
        # fvcore has no handle for it: the attention products made there are not counted
        def rule(r: LayerRecord, module: Any) -> int:
            return _fvcore_rule(r, module) - (
                r.categories.get("attention", [0])[0] if r.category in _PRODUCTS else 0)
    terms, not_counted = _terms("fvcore", report, modules, by_module, unattributed, 1, rule)
    # ops it skips by design without a word (fvcore.nn.jit_analysis._IGNORED_OPS) that a
    # residual network uses: listed so that nothing is silently zero
    ignored = [op for op, cat in (("aten::relu_", "activation"), ("aten::flatten", "other"))
               if report.totals.by_category.get(cat, {}).get("flops", 0)
               or (cat == "other" and any(r.type == "Flatten" for r in report.layers))]
    return ToolCheck(
        tool="fvcore", version=_version("fvcore"), device=str(x.device),
        unit="flops, FMA=1", scale=1, params=params,
        expected_params=report.totals.params, params_rule="fvcore.nn.parameter_count, as ours",
        figure=total, terms=terms, not_counted=not_counted, unsupported=unsupported,
        ignored=ignored, seconds=seconds,
    )


def _run_torch(model: Any, x: Any, report: Report, modules: dict[str, Any]) -> ToolCheck:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from resnet_inspect.counting.meta_shapes import MATMUL_AND_CONV, MetaShapes

    start = time.perf_counter()
    # On meta the shape rules answer batch-norm, ReLU, pooling and adds (which torch's
    # counter does not count); convolutions and matmuls go through to be counted.
    fast = MetaShapes(keep=MATMUL_AND_CONV) if x.device.type == "meta" else None
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
    terms, not_counted = _terms("torch", report, modules, by_module, unattributed, 2)
    return ToolCheck(
        tool="torch", version=_version("torch"), device=str(x.device),
        unit="FLOPs", scale=2, params=None, expected_params=None,
        params_rule="(counts no parameters)", figure=total, terms=terms,
        not_counted=not_counted, seconds=seconds,
    )


def paddle_convention(report: Report) -> ToolCheck:
    """paddle.summary's parameter count, from its rule (Paddle is not needed to know it)."""
    t = report.totals
    return ToolCheck(
        tool="paddle.summary", version="rule", device="-", unit="params", scale=1,
        params=t.params + t.running_stats, expected_params=t.params + t.running_stats,
        params_rule=f"ours + BN running mean/var {t.running_stats:,}",
        figure=None,
    )


RUNNERS = {"torchinfo": _run_torchinfo, "fvcore": _run_fvcore, "torch": _run_torch}


def check(
    model_or_name: Any,
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "auto",
    tools: tuple[str, ...] = TOOLS,
    progress: Callable[[int, int], None] | None = None,
) -> CheckReport:
    """Count one network with every tool and explain each difference, layer type by type.

    Names and specs are built here; a module is copied, never modified. torchinfo and
    torch's counter run on meta when `device` is auto or meta (they support it); fvcore
    traces with torch.jit, which needs real tensors, so it runs on CUDA or CPU, and is
    skipped (with the reason) when that would take minutes on a CPU.
    """
    import torch

    from resnet_inspect.models.builder import build_model
    from resnet_inspect.spec.registry import resolve_spec
    from resnet_inspect.trace.device import resolve_device
    from resnet_inspect.trace.run import inspect as inspect_model

    unknown = [t for t in tools if t not in RUNNERS]
    if unknown:
        raise InspectError(f"unknown tool {unknown[0]!r}; choose from {', '.join(TOOLS)}")
    if isinstance(model_or_name, torch.nn.Module):
        spec = None
        shape = tuple(input_shape) if input_shape is not None else (3, 224, 224)
        report = inspect_model(model_or_name, shape, batch=batch, device=device)
    else:
        spec = resolve_spec(model_or_name)
        shape = tuple(input_shape) if input_shape is not None else spec.input_shape
        report = inspect_model(spec, shape, batch=batch, device=device)

    def model_on(where: torch.device) -> torch.nn.Module:
        if spec is not None:
            return build_model(spec, device=where, init=False)
        return copy.deepcopy(model_or_name).to(where).eval()

    traced_on = resolve_device(device)
    real = resolve_device(device, measure=True) if traced_on.type == "meta" else traced_on
    results: list[ToolCheck] = []
    models: dict[str, torch.nn.Module] = {}
    for step, tool in enumerate(tools, start=1):
        if progress is not None:
            progress(step, len(tools) + 1)
        where = real if tool == "fvcore" else traced_on
        work = report.totals.macs
        if tool == "fvcore" and where.type == "cpu" and work > FVCORE_CPU_LIMIT_MACS:
            results.append(_skipped(tool, (
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
        x = torch.zeros((batch, *shape), device=where)
        try:
            results.append(RUNNERS[tool](model, x, report, modules))
        except ImportError as err:
            results.append(_skipped(tool, f"not installed ({err.name}); pip install {tool}"))
        except Exception as err:  # a tool failing is a finding to show, not a crash
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            crashed = _skipped(tool, f"{type(err).__name__}: {first}"[:200])
            crashed.failed = True
            results.append(crashed)
    if progress is not None:
        progress(len(tools) + 1, len(tools) + 1)
    results.append(paddle_convention(report))
    t = report.totals
    conv_fc = sum(t.by_category.get(c, {}).get("macs", 0) for c in _PRODUCTS)
    return CheckReport(
        model=report.model, input_shape=report.input_shape, device=report.device,
        params=t.params, running_stats=t.running_stats, macs=conv_fc,
        by_category=t.by_category, tools=results, unsupported=report.unsupported,
    )


def _skipped(tool: str, why: str) -> ToolCheck:
    return ToolCheck(tool=tool, version=_version(tool), device="-", unit="", scale=1,
                     params=None, expected_params=None, params_rule="", figure=None, skipped=why)


def explain(tool: ToolCheck, ours_macs: int) -> str:
    """One line: the tool's figure as our headline plus what its convention adds."""
    if tool.failed:
        return f"{tool.tool}: FAILED ({tool.skipped})"
    if tool.skipped:
        return f"{tool.tool}: not run ({tool.skipped})"
    if tool.figure is None:
        return f"{tool.tool} params {tool.params:,} = {tool.params_rule}"
    ours = f"{tool.scale} x ours" if tool.scale != 1 else "ours"
    text = f"{tool.tool} {tool.figure:,} = {ours}"
    for t in tool.terms:
        if t.extra:
            sign = "+" if t.extra > 0 else "-"
            text += f" {sign} {LABEL.get(t.category, t.category)} {abs(t.extra):,}"
    return text + ("" if tool.accounted else " (NOT fully accounted for)")


LABEL = {**CATEGORY_LABEL, UNATTRIBUTED: "unattributed"}
