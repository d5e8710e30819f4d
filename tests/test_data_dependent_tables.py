"""The tables mark '~' the MACs and FLOPs of work that ran on a shape from the data, as
they mark the shape itself: per row, in the total row and the footer, in every medium
but CSV (which keeps numbers; its shapes carry the '~'). The diagrams' subtitles follow
the same rule (tests/test_data_dependent_subtitle.py); both read
report.model.counted_on_data."""

from __future__ import annotations

import csv
import io

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect import InspectWarning
from resnet_inspect.render.columns import TERMINAL, View
from resnet_inspect.render.export import to_csv, to_markdown
from resnet_inspect.report.model import Report, counted_on_data, rollup
from tests.test_data_dependent_subtitle import Mask, MaskThenLinear


def _inspect(model: nn.Module) -> Report:
    with pytest.warns(InspectWarning, match="data-dependent"):
        return resnet_inspect.inspect(model, input_shape=(96, 4))


@pytest.fixture(scope="module")
def after_mask() -> Report:
    # lin: 96 x 4 x 2 = 768 MACs on the input; head: the 192 values kept x 1 x 3 = 576
    # MACs, on the data's shape; total 1,344 MACs, 2,688 FLOPs
    return _inspect(MaskThenLinear())


def _terminal(report: Report) -> dict[str, tuple[str, str]]:
    """Each layer's (MACs, FLOPs) cells as the terminal prints them, and the total's."""
    view = View(report, "layer", TERMINAL)
    headers = view.headers()
    at = (next(i for i, h in enumerate(headers) if h.startswith("MACs")), headers.index("FLOPs"))
    cells = {row.name: view.cells(row) for row in rollup(report, "layer")}
    cells["Total"] = view.totals()
    return {name: (row[at[0]], row[at[1]]) for name, row in cells.items()}


def test_rows_and_total_mark_work_on_the_datas_shape(after_mask: Report) -> None:
    rows = _terminal(after_mask)
    assert rows["lin"] == ("768", "1.54 k")  # on the input: exact
    assert rows["head"] == ("~576", "~1.15 k")
    assert rows["Total"] == ("~1.34 k", "~2.69 k")


def test_markdown_marks_exact_counts(after_mask: Report) -> None:
    text = to_markdown(after_mask, "layer")
    assert "16 params, ~1.34 k MACs" in text.splitlines()[0]
    head = next(line for line in text.splitlines() if line.startswith("| head |"))
    assert head.endswith("| 6 | ~576 |"), head
    assert "**~1,344**" in text


def test_csv_keeps_numbers(after_mask: Report) -> None:
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(to_csv(after_mask, "layer")))}
    assert rows["head"]["macs"] == "576" and rows["head"]["output_shape"] == "~192x3"


def test_footer_marks_the_totals(after_mask: Report, capsys: pytest.CaptureFixture[str]) -> None:
    from resnet_inspect.render.console import make_console
    from resnet_inspect.render.table import render_summary

    render_summary(after_mask, make_console(width=100), "layer")
    out = capsys.readouterr().out
    assert "~1.34 k conv+fc (~1,344); FLOPs ~2.69 k = 2 x MACs" in out, out


def test_work_before_the_mask_stays_exact() -> None:
    # Mask: lin's 768 MACs ran before the mask; only the output's shape is the data's
    report = _inspect(Mask())
    assert not counted_on_data(report.layers, report.totals.headline)
    assert _terminal(report) == {"lin": ("768", "1.54 k"), "M": ("-", "-"),
                                 "Total": ("768", "1.54 k")}  # headline FLOPs: 2 x MACs


class NoneKept(MaskThenLinear):
    """The mask keeps nothing (every output -1): head runs on 0 rows."""

    def __init__(self) -> None:
        super().__init__()
        with torch.no_grad():
            self.lin.bias.fill_(-1.0)


def test_a_zero_the_data_made_is_marked_not_dashed() -> None:
    # head's 0 x 1 x 3 = 0 MACs: true of this input only, so '~0', not the dash of a
    # layer that never does arithmetic
    rows = _terminal(_inspect(NoneKept()))
    assert rows["head"] == ("~0", "~0")
