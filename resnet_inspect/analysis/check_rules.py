"""What each tool should report, by its documented rule, computed from our own per-layer
counts: the prediction `check` sets beside every tool's figure, and the footer of `summary`.

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

import math
from collections.abc import Callable
from typing import Any

from resnet_inspect.analysis.check_report import UNATTRIBUTED, Term, ToolCheck
from resnet_inspect.counting import categories
from resnet_inspect.counting.categories import Category
from resnet_inspect.private import child_modules
from resnet_inspect.report.model import LayerRecord, Report

CATEGORIES = tuple(c.value for c in Category)
# conv, linear and attention: the products whose multiply-accumulates make our headline
PRODUCTS = tuple(c.value for c in categories.PRODUCTS)

# --- rules: what each tool should report for one of our layer records -----------------

Rule = Callable[[LayerRecord, Any], int]


def _torchinfo_rule(r: LayerRecord, module: Any) -> int:
    # LayerInfo.calculate_macs: a parameter named weight or bias adds params x batch, and
    # x output positions when the class name contains "Conv" (torchinfo's own substring
    # test, mirrored here on purpose); other names containing weight or bias (RNNs) add
    # params x batch x channels; any other name adds nothing. A module called twice has
    # its parameters on its first row only, as in torchinfo.
    out = r.output_shape
    if not r.params or not out or not r.called:
        return 0
    if module is not None and child_modules(module):
        return 0  # torchinfo sums leaf layers only: a container's own weights go uncounted
    positions = math.prod(out[2:]) if len(out) > 2 else 0  # H x W ...; none without them
    if module is None:  # a report alone: parameters are assumed to be weight and bias
        conv = r.category == Category.CONV
        return r.params * out[0] * (positions if conv else 1)
    total = 0
    for name, p in module.named_parameters():
        n = p.numel()
        if name in ("weight", "bias"):
            total += n * out[0] * (positions if "Conv" in type(module).__name__ else 1)
        elif "weight" in name or "bias" in name:
            total += n * math.prod(out[:2])
    return total


def products(r: LayerRecord) -> int:
    """A row's MACs of products (conv, linear, attention), whatever its main category."""
    return sum(r.categories.get(c, [0])[0] for c in PRODUCTS) if r.categories else (
        r.macs if r.category in PRODUCTS else 0)


def fvcore_rule(r: LayerRecord, module: Any) -> int:
    from torch import nn

    if r.category in PRODUCTS:
        # conv_flop_jit, linear/matmul/bmm_flop_jit: MACs, bias not counted
        return products(r)
    # Without the module (a report alone), its class is torch.nn's of that exact name.
    cls = type(module) if module is not None else getattr(nn, r.type, None)
    if not isinstance(cls, type):
        return 0
    affine = bool(r.params) if module is None else bool(
        getattr(module, "affine", getattr(module, "elementwise_affine", False)))
    # a row with no input shape (a module that never ran) has no elements
    elements = math.prod(r.input_shape) if r.input_shape else 0
    if issubclass(cls, nn.modules.batchnorm._BatchNorm):
        # batchnorm_flop_jit, eval mode: 2 per element with affine parameters, else 1
        return elements * (2 if affine else 1)
    if issubclass(cls, (nn.GroupNorm, nn.LayerNorm)):
        return elements * (5 if affine else 4)  # norm_flop_counter: "rough"
    if issubclass(cls, nn.AdaptiveAvgPool2d):
        return elements  # elementwise_flop_counter(1, 0)
    return 0


def _torch_rule(r: LayerRecord, module: Any) -> int:
    return 2 * products(r)


# each tool's rule in words, by category value; "*" is every other category
RULE_TEXT: dict[str, dict[str, str]] = {
    "torchinfo": {
        Category.CONV.value: "params x batch x output HxW",
        Category.LINEAR.value: "params incl. bias x batch",
        Category.NORM.value: "weight+bias x batch, per sample",
        "*": "no parameters: 0",
    },
    "fvcore": {
        Category.CONV.value: "MACs (1 FMA = 1 flop)",
        Category.LINEAR.value: "MACs, bias not counted",
        Category.ATTENTION.value: "MACs of matmul / bmm",
        Category.NORM.value: "2 per element (eval, affine)",
        Category.POOL.value: "adaptive avg: 1 per input",
        "*": "not counted",
    },
    "torch": {
        Category.CONV.value: "2 x MACs",
        Category.LINEAR.value: "2 x MACs (addmm, no bias)",
        Category.ATTENTION.value: "2 x MACs (bmm, attention)",
        "*": "not counted",
    },
}

RULES: dict[str, Rule] = {
    "torchinfo": _torchinfo_rule, "fvcore": fvcore_rule, "torch": _torch_rule,
}


def tool_terms(tool: str, report: Report, modules: dict[str, Any], by_leaf: dict[str, int],
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
        ours_by[r.category] = ours_by.get(r.category, 0) + scale * products(r)
    headline = PRODUCTS
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
    ours = sum(t.by_category.get(c, {}).get("macs", 0) for c in PRODUCTS)
    p = predict(report)
    ti, fv = p["torchinfo"] - ours, p["fvcore"] - ours
    ours_text = "conv+fc+attn" if t.by_category.get(Category.ATTENTION.value) else "conv+fc"
    return [
        f"torchinfo: {p['torchinfo']:,} mult-adds = {ours_text} {ti:+,} (biases, BN per "
        "sample)",
        f"fvcore: {p['fvcore']:,} flops = {ours_text} {fv:+,} (BN 2/element, global pool)",
        f"torch.utils.flop_counter: {p['torch']:,} FLOPs = 2 x {ours_text} MACs",
        f"paddle.summary: {p['paddle.summary']:,} params (+ BN running mean/var "
        f"{t.running_stats:,})",
    ]


def paddle_convention(report: Report) -> ToolCheck:
    """paddle.summary's parameter count, from its rule (Paddle is not needed to know it)."""
    t = report.totals
    return ToolCheck(
        tool="paddle.summary", version="rule", device="-", unit="params", scale=1,
        params=t.params + t.running_stats, expected_params=t.params + t.running_stats,
        params_rule=f"ours + BN running mean/var {t.running_stats:,}",
        figure=None,
    )
