"""The rows-sum-to-totals checker the golden fixture runs must catch a wrong sum."""

from __future__ import annotations

import pytest

from tests.invariants import table_sums

TEXT = """\
 Stage     Params      MACs
 ──────────────────────────
 conv1      9,536  118.01 M
  layer1   10,000    1.03 G

 Total     19,536    1.15 G
"""

MARKDOWN = """\
| Layer | Params |
|---|---:|
| conv1 | 16,384 |
| bn1 | 128 |
| conv2 | 36,864 |
| **convs** | **53,248** |
| with BN | 53,376 |
"""


def test_text_tables_sum_exactly_and_within_rounding() -> None:
    assert table_sums(TEXT, "text") == 2
    with pytest.raises(AssertionError, match="sums to 19,536"):
        table_sums(TEXT.replace("19,536", "19,537"), "text")
    with pytest.raises(AssertionError, match=r"1\.16 G"):  # beyond the printed rounding
        table_sums(TEXT.replace("1.15 G", "1.16 G"), "text")


def test_markdown_convs_sum_conv_rows_and_with_bn_sums_all() -> None:
    assert table_sums(MARKDOWN, "md") == 2
    with pytest.raises(AssertionError, match="'convs'"):
        table_sums(MARKDOWN.replace("**53,248**", "**53,376**"), "md")
