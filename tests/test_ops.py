"""Per-op-type columns (`summary --ops`): each column sums to its category's total."""

from __future__ import annotations

import pytest

import resnet_inspect
from resnet_inspect.render.ops import op_columns
from resnet_inspect.report.model import rollup


@pytest.mark.parametrize("level", ["stage", "block", "layer"])
def test_columns_sum_to_the_category_totals(level: str) -> None:
    report = resnet_inspect.inspect("resnet50", device="meta")
    columns = op_columns(report, level)
    assert [c.category for c in columns] == ["conv", "linear", "norm", "activation", "pool",
                                             "elementwise"]
    rows = rollup(report, level)
    for column in columns:
        assert len(column.values) == len(rows)
        assert sum(column.values) == column.total_value
    by = {c.category: c.total_value for c in columns}
    # torchvision: resnet50 4,089,184,256 MACs = conv + fc (fc 2048 x 1000 = 2,048,000)
    assert by["conv"] + by["linear"] == 4_089_184_256
    assert by["linear"] == 2_048_000
    # 16 residual adds; the first, layer1.0's, adds 256 x 56 x 56 = 802,816 elements
    adds = [r for r in report.layers if r.category == "elementwise"]
    assert len(adds) == 16 and adds[0].flops == 802_816
    # every add is one FLOP per output element: layer1 3 x 256x56x56 = 2,408,448;
    # layer2 4 x 512x28x28 = 1,605,632; layer3 6 x 1024x14x14 = 1,204,224; layer4
    # 3 x 2048x7x7 = 301,056
    assert by["elementwise"] == 2_408_448 + 1_605_632 + 1_204_224 + 301_056 == 5_519_360


def test_a_plain_network_has_no_add_column() -> None:
    report = resnet_inspect.inspect("resnet18", device="meta", plain=True)
    assert "elementwise" not in [c.category for c in op_columns(report, "stage")]


def test_ops_table_reads_at_80_columns(golden) -> None:  # type: ignore[no-untyped-def]
    import io

    from resnet_inspect.render.console import make_console
    from resnet_inspect.render.ops import render_ops

    report = resnet_inspect.inspect("resnet50", device="meta")
    buf = io.StringIO()
    render_ops(report, make_console(width=80, file=buf), "stage")
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    # torchinfo 4,089,184,256 + fc bias 1,000 + BN weight and bias 53,120 (test_check.py)
    assert "torchinfo: 4,089,238,376 mult-adds" in text
    golden("ops/resnet50_stage_80.txt", text)
