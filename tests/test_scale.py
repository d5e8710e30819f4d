"""Scale: the deepest presets and deeper custom stacks at 3x4096x4096, batch 64, on meta.

Asserted by shape and count, never by time: meta computes nothing and allocates nothing,
so these finish in seconds on any machine (the benchmark shows time per block is flat).
"""

from __future__ import annotations

import pytest

import resnet_inspect
from resnet_inspect.spec.arch import ArchSpec, BlockKind, StageSpec, StemKind

BIG = (3, 4096, 4096)
BATCH = 64
# A CIFAR network's spatial sizes scale exactly from 32x32 to 4096x4096 (128x per side,
# every stride divides), so every conv's MACs scale by 128^2 x the batch; the classifier
# after global pooling scales by the batch only.
SCALE = (4096 // 32) ** 2


@pytest.mark.parametrize(
    ("name", "layers", "blocks"),
    # He et al. 2015, Table 6 (ResNet-1202: 3 stages of 200 basic blocks); He et al. 2016,
    # "Identity Mappings", Table 3 (ResNet-1001: 3 stages of 111 pre-activation bottlenecks)
    [("resnet1202", 1202, 600), ("preact_resnet1001", 1001, 333)],
)
def test_deepest_presets_at_4096_batch_64(name: str, layers: int, blocks: int) -> None:
    small = resnet_inspect.inspect(name, device="meta")
    big = resnet_inspect.inspect(name, input_shape=BIG, batch=BATCH, device="meta")
    assert big.device == "meta"
    assert big.layer_count.total == layers
    assert len(big.blocks) == blocks
    assert big.input_shape == [BATCH, *BIG]
    stage_out = {b.stage: b.output_shape for b in big.blocks}
    out = 4 if name.startswith("preact") else 1
    assert stage_out == {
        "conv2_x": [BATCH, 16 * out, 4096, 4096],
        "conv3_x": [BATCH, 32 * out, 2048, 2048],
        "conv4_x": [BATCH, 64 * out, 1024, 1024],
    }
    assert big.layers[-1].output_shape == [BATCH, 10]
    fc = small.totals.by_category["linear"]["macs"]
    assert big.totals.macs == (small.totals.macs - fc) * SCALE * BATCH + fc * BATCH
    assert big.totals.params == small.totals.params
    # activations grow like the conv work: every layer's output is 128^2 x 64 larger
    # except the classifier's ([64, 10]) and the pooled features before it
    assert big.memory.activation_bytes > small.memory.activation_bytes * SCALE * BATCH * 0.99


def test_resnet1202_parameters_match_the_paper() -> None:
    # He et al. 2015, Table 6: ResNet-1202 has 19.4M parameters
    report = resnet_inspect.inspect("resnet1202", device="meta")
    assert round(report.totals.params / 1e6, 1) == 19.4


def _deep_stack(blocks_per_stage: int, block: BlockKind) -> ArchSpec:
    return ArchSpec(
        name=f"deep{blocks_per_stage}",
        block=block,
        stages=(StageSpec(blocks_per_stage, 16, 1), StageSpec(blocks_per_stage, 32, 2),
                StageSpec(blocks_per_stage, 64, 2)),
        stem=StemKind.CIFAR,
        stem_width=16,
        num_classes=10,
        input_shape=(3, 32, 32),
    )


@pytest.mark.parametrize("block", [BlockKind.BASIC, BlockKind.BOTTLENECK])
def test_custom_stack_deeper_than_any_preset(block: BlockKind) -> None:
    spec = _deep_stack(700, block)  # 2,100 blocks
    report = resnet_inspect.inspect(spec, input_shape=BIG, batch=BATCH, device="meta")
    convs = block.convs
    assert report.layer_count.total == 1 + convs * 2_100 + 1
    assert len(report.blocks) == 2_100
    assert report.layers[-1].output_shape == [BATCH, 10]
    last_block = report.blocks[-1]
    assert last_block.output_shape == [BATCH, 64 * block.expansion, 1024, 1024]
    # only a stage's first block changes shape (projection); a basic stack's first stage
    # keeps the stem's 16 channels, so its first block is an identity too
    projections = 2 if block is BlockKind.BASIC else 3
    assert sum(b.shortcut == "identity" for b in report.blocks) == 2_100 - projections


def test_time_per_block_data_is_linear_in_depth() -> None:
    # What the benchmark plots, checked by count: rows grow exactly linearly with blocks.
    rows = [len(resnet_inspect.inspect(_deep_stack(n, BlockKind.BASIC), device="meta").layers)
            for n in (10, 20, 40)]
    assert rows[2] - rows[1] == 2 * (rows[1] - rows[0])


# --- the plain-text table off a terminal ------------------------------------------------------


@pytest.mark.parametrize("name", ["resnet18", "resnet152", "resnet56", "resnext50_32x4d", "vgg16"])
@pytest.mark.parametrize("level", ["stage", "block", "layer"])
@pytest.mark.parametrize("width", [60, 80, 120])
def test_plain_table_is_what_rich_draws(name: str, level: str, width: int) -> None:
    # Off a terminal the summary table is laid out directly, not by rich (a 10,000-block
    # table spent ~40% of its time in rich); where it applies it must be rich's text exactly.
    import io

    from resnet_inspect.render.console import make_console, print_block
    from resnet_inspect.render.table import plain_table, summary_table

    report = resnet_inspect.inspect(name, device="meta")
    table = summary_table(report, level, "torchvision", width)
    fast = plain_table(table, width)
    buf = io.StringIO()
    print_block(make_console(width=width, file=buf), summary_table(report, level, "torchvision",
                                                                   width))
    if fast is None:  # too wide for the width: rich wraps it, and is used
        assert max(len(line) for line in buf.getvalue().splitlines()) <= width
        assert width < 80 or level == "layer"
        return
    assert fast == buf.getvalue()


def test_plain_table_declines_what_it_cannot_draw() -> None:
    from rich.table import Table

    from resnet_inspect.render.table import plain_table

    table = Table(title="a title far wider than the table itself", box=None)
    table.add_column("x")
    table.add_row("1")
    assert plain_table(table, 80) is None  # no box: rich draws it
