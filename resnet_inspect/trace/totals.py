"""A report's totals and its forward memory estimate, summed from the rows and from the
model's own tensors."""

from __future__ import annotations

from collections.abc import Iterable

from resnet_inspect.counting.categories import HEADLINE_CATEGORIES, Headline
from resnet_inspect.report.model import LayerRecord, Memory, Totals
from resnet_inspect.trace.tensors import Sizes, batch_numel


def report_totals(sizes: Sizes, records: list[LayerRecord], headline: Headline) -> Totals:
    """Parameter counts and the headline's forward and backward MACs and FLOPs."""
    # Parameters come from every tensor once (tensor_sizes deduplicates shared weights);
    # work from the rows, each operator counted once, in the row of the module running it.
    by_cat = _by_category(r.categories for r in records)
    cats = [c.value for c in HEADLINE_CATEGORIES[headline]]
    macs = sum(by_cat.get(c, {}).get("macs", 0) for c in cats)
    flops = sum(by_cat.get(c, {}).get("flops", 0) for c in cats)
    back = _by_category(r.backward_categories for r in records)
    return Totals(
        backward_macs=sum(back.get(c, {}).get("macs", 0) for c in cats),
        backward_flops=sum(back.get(c, {}).get("flops", 0) for c in cats),
        backward_by_category=back,
        params=sizes.params,
        trainable_params=sizes.trainable,
        buffers=sizes.buffers,
        running_stats=sizes.running_stats,
        macs=macs,
        flops=flops,
        headline=headline.value,
        by_category=by_cat,
    )


def _by_category(cells: Iterable[dict[str, list[int]]]) -> dict[str, dict[str, int]]:
    """{category: {"macs": ..., "flops": ...}} summed over rows' {category: [macs, flops]}."""
    out: dict[str, dict[str, int]] = {}
    for row in cells:
        for cat, (macs, flops) in row.items():
            c = out.setdefault(cat, {"macs": 0, "flops": 0})
            c["macs"] += macs
            c["flops"] += flops
    return out


def forward_memory(
    sizes: Sizes, records: list[LayerRecord], batch: int, input_shape: list[int], elem: int
) -> Memory:
    """The estimate in torchinfo's style: the input, every row's output twice (kept for
    the backward), parameters and buffers, in bytes."""
    input_bytes = batch * batch_numel(input_shape) * elem
    activations = sum(r.output_bytes for r in records)
    return Memory(
        input_bytes=input_bytes,
        activation_bytes=activations,
        forward_backward_bytes=2 * activations,
        param_bytes=sizes.param_bytes,
        buffer_bytes=sizes.buffer_bytes,
        total_bytes=input_bytes + 2 * activations + sizes.param_bytes + sizes.buffer_bytes,
    )
