"""Every formula in the registry against something that is not itself.

Each row (tests/harness_*.py) runs real torch code on meta tensors, keeps every call of
its operator with torch's own output, and compares what the registry charges with the
row's reference: torch.utils.flop_counter's formula where torch's is right, else a closed
form written in the row with its arithmetic (and, where torch is wrong, the reason). The
sweep covers unbatched and batched inputs, groups, dilation, transposed and padded
convolutions, bias on and off, causal and masked attention, broadcasting matmuls.

A formula registered without a harness row fails `test_every_formula_has_a_row`.
"""

from __future__ import annotations

import pytest

from resnet_inspect.counting.ops import FORMULAS
from tests import harness_elementwise, harness_layers, harness_products
from tests.harness import Row, calls_of, ours

ROWS: list[Row] = [*harness_products.ROWS, *harness_layers.ROWS, *harness_elementwise.ROWS]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_formula_agrees_with_its_reference(row: Row) -> None:
    calls = calls_of(row)
    assert calls, f"the row never ran aten.{row.op.__name__}"
    assert ours(calls) == row.expect(calls)


def test_every_formula_has_a_row() -> None:
    proven = {row.op for row in ROWS}
    missing = sorted(p.__name__ for p in FORMULAS if p not in proven)
    assert missing == [], f"formulas without a harness row: {missing}"


def test_a_row_fails_when_a_formula_is_wrong() -> None:
    # the harness can fail: a reference one MAC off is caught
    row = harness_products.ROWS[0]
    calls = calls_of(row)
    (category, (macs, flops)), = row.expect(calls).items()
    assert ours(calls) != {category: (macs + 1, flops + 2)}
