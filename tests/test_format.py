"""Number formatting shared by the renderers."""

from __future__ import annotations

from resnet_inspect.report import format as fmt


def test_memory_units_scale() -> None:
    # 3x224x224 float32 = 602,112 bytes = 0.57 MiB (paddle.summary's "Input size (MB): 0.57")
    assert fmt.mib(602_112) == "0.57 MiB"
    # 64 x 3 x 4096 x 4096 float32 = 12 GiB exactly
    assert fmt.mib(64 * 3 * 4096 * 4096 * 4) == "12.00 GiB"
    assert fmt.mib(9 * 1024**3) == "9,216.00 MiB"  # below 10 GiB stays in MiB
    assert fmt.mib(20 * 1024**4) == "20.00 TiB"


def test_si_and_counts() -> None:
    assert fmt.count(25_557_032) == "25,557,032"
    assert fmt.si(4_089_184_256) == "4.09 G"
    assert fmt.si(115_605_504) == "115.61 M"
    assert fmt.si(0) == "0"
    assert fmt.ratio(1_179_648, 69_632) == "16.94x"
