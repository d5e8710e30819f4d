"""The tracer: counts against published figures, shapes, device independence, hygiene."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect.errors import InspectError
from resnet_inspect.models.blocks import BasicBlock, Bottleneck
from resnet_inspect.report.model import Report, rollup
from resnet_inspect.spec.arch import ShortcutUse
from resnet_inspect.trace.tracer import trace
from tests.published import RESNET_DEPTHS, RESNET_MACS, TORCHVISION

TORCHVISION_GFLOPS = {d: TORCHVISION[f"resnet{d}"].gflops for d in RESNET_DEPTHS}


@pytest.mark.parametrize("depth", TORCHVISION_GFLOPS)
def test_macs_equal_torchvision_gflops(depth: int) -> None:
    report = resnet_inspect.inspect(str(depth), device="meta")
    assert report.totals.macs == RESNET_MACS[depth]
    assert round(report.totals.macs / 1e9, 3) == TORCHVISION_GFLOPS[depth]


@pytest.mark.parametrize(
    ("depth", "text"),
    # The seed material (000) and the ResNet paper, Table 1: depth = 1 conv + blocks x
    # convs per block + 1 fc.
    [
        (18, "18 layers = 1 conv + 2 x (2 + 2 + 2 + 2) block convs + 1 fc"),
        (34, "34 layers = 1 conv + 2 x (3 + 4 + 6 + 3) block convs + 1 fc"),
        (50, "50 layers = 1 conv + 3 x (3 + 4 + 6 + 3) block convs + 1 fc"),
        (101, "101 layers = 1 conv + 3 x (3 + 4 + 23 + 3) block convs + 1 fc"),
        (152, "152 layers = 1 conv + 3 x (3 + 8 + 36 + 3) block convs + 1 fc"),
    ],
)
def test_layer_count_derivation(depth: int, text: str) -> None:
    report = resnet_inspect.inspect(str(depth), device="meta")
    assert report.layer_count.text == text
    assert report.layer_count.total == depth


@pytest.fixture(scope="module")
def r50() -> Report:
    return resnet_inspect.inspect("resnet50", device="cpu")


def test_resnet50_stage_output_shapes(r50: Report) -> None:
    # ResNet paper, Table 1 "output size" (112, 56, 28, 14, 7) with ResNet-50's channels;
    # the same shapes appear in the paddle.summary table of seed 004.
    stages = {row.name: row.output_shape for row in rollup(r50, "stage")}
    assert stages == {
        "conv1": [1, 64, 112, 112],
        "conv2_x": [1, 256, 56, 56],
        "conv3_x": [1, 512, 28, 28],
        "conv4_x": [1, 1024, 14, 14],
        "conv5_x": [1, 2048, 7, 7],
        "fc": [1, 1000],
    }
    by_name = {r.name: r for r in r50.layers}
    assert by_name["maxpool"].output_shape == [1, 64, 56, 56]
    # stride on the 3x3 (torchvision v1.5): conv1 of layer2.0 keeps 56x56, conv2 halves it
    assert by_name["layer2.0.conv1"].output_shape == [1, 128, 56, 56]
    assert by_name["layer2.0.conv2"].output_shape == [1, 128, 28, 28]
    assert by_name["layer2.0.downsample.0"].shortcut


def test_rows_sum_to_totals_at_every_level(r50: Report) -> None:
    for level in ("stage", "block", "layer"):
        rows = rollup(r50, level)
        assert sum(r.params for r in rows) == r50.totals.params
        assert sum(r.macs for r in rows) == r50.totals.macs


def test_category_breakdown_from_the_papers_shapes(r50: Report) -> None:
    cats = r50.totals.by_category
    # fc: 2048 x 1000 MACs, bias not counted
    assert cats["linear"]["macs"] == 2_048_000
    # batch-norm in eval: one multiply-add per element, from Table 1's shapes (v1.5 stride
    # on the 3x3): stem 64 x 112^2 = 802,816; conv2_x 3 x (64 + 64 + 256) x 56^2 + its
    # projection's 256 x 56^2 = 4,415,488; conv3_x block 0 128 x 56^2 + 128 x 28^2 +
    # 2 x 512 x 28^2 = 1,304,576, blocks 1-3 3 x (128 + 128 + 512) x 28^2 = 1,806,336;
    # conv4_x 652,288 + 5 x 301,056; conv5_x 326,144 + 2 x 150,528
    assert cats["norm"]["macs"] == (802_816 + 4_415_488 + 1_304_576 + 1_806_336
                                    + 652_288 + 5 * 301_056 + 326_144 + 2 * 150_528)
    # one residual add per block, the size of its output: 3 x 256 x 56^2 + 4 x 512 x 28^2
    # + 6 x 1024 x 14^2 + 3 x 2048 x 7^2
    assert cats["elementwise"]["flops"] == (3 * 802_816 + 4 * 401_408 + 6 * 200_704
                                            + 3 * 100_352)


def test_paddle_summary_figures_for_resnet50(r50: Report) -> None:
    # seed 004, paddle.summary of its ResNet-50: Total params 25,610,152, which counts the
    # BN running mean and variance as parameters (torchvision: 25,557,032).
    assert r50.totals.params + r50.totals.running_stats == 25_610_152
    mib = 1024 * 1024
    # "Input size (MB): 0.57", "Params size (MB): 97.69"
    assert round(r50.memory.input_bytes / mib, 2) == 0.57
    assert round((r50.totals.params + r50.totals.running_stats) * 4 / mib, 2) == 97.69
    # "Forward/backward pass size (MB): 286.57": twice every layer's output; paddle's model
    # also has a Flatten layer (2048 floats) that torch.flatten does without a module.
    assert round((r50.memory.forward_backward_bytes + 2 * 2048 * 4) / mib, 2) == 286.57


@pytest.mark.parametrize(
    ("block", "params", "trainable", "fwd_bwd"),
    # seed 004: paddle.summary(BasicBlock(64, 128, 2), (None, 64, 224, 224)): total params
    # 230,912 of which 1,536 are BN statistics, Forward/backward 98.00 MB;
    # BottleneckBlock(64, 128, 2) (inner width 32, stride on the 3x3): 24,832 and 107.19 MB.
    [
        (BasicBlock(64, 128, 2, ShortcutUse.PROJECTION), 230_912, 229_376, 98.00),
        (Bottleneck(64, 32, 2, ShortcutUse.PROJECTION), 24_832, 23_552, 107.19),
    ],
)
def test_paddle_block_summaries(
    block: nn.Module, params: int, trainable: int, fwd_bwd: float
) -> None:
    report = trace(block, (64, 224, 224), device="meta")
    t = report.totals
    assert t.params + t.running_stats == params
    # paddle's "trainable" leaves out BN's affine weights: conv weights only
    assert t.by_category["conv"]["macs"] > 0
    assert sum(r.params for r in report.layers if r.category == "conv") == trainable
    # paddle.add is a function, not a layer, so paddle's estimate has no row for it
    no_add = sum(r.output_bytes for r in report.layers if r.type != "Add")
    assert round(2 * no_add / 2**20, 2) == fwd_bwd
    assert round(report.memory.input_bytes / 2**20, 2) == 12.25


def test_counts_identical_on_cpu_and_meta(r50: Report) -> None:
    meta = resnet_inspect.inspect("resnet50", device="meta")
    assert meta.device == "meta"
    assert meta.totals == r50.totals
    assert [(r.name, r.output_shape, r.params, r.macs, r.flops) for r in meta.layers] == [
        (r.name, r.output_shape, r.params, r.macs, r.flops) for r in r50.layers
    ]


def test_model_left_as_found() -> None:
    model = resnet_inspect.build("resnet18")
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trace(model, (3, 64, 64), device="cpu")
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # eval mode: no BN update
    trace(model, (3, 64, 64), device="meta")  # traced as a copy: the weights stay real
    assert next(model.parameters()).device.type == "cpu"


class UserNet(nn.Module):
    """A torchvision-style model written by a user: no spec, no Add module."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.layer1 = nn.Sequential(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()))
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer1(self.conv1(x))
        return self.fc(x.mean((2, 3)))


def test_any_module_works() -> None:
    report = resnet_inspect.inspect(UserNet(), input_shape=(3, 16, 16), device="cpu")
    assert report.model == "UserNet"
    # conv1: 8 x 16 x 16 outputs x 3 x 3 x 3 = 55,296; layer1.0.0: 2048 x 72 = 147,456;
    # fc: 8 x 5 = 40
    assert report.totals.macs == 55_296 + 147_456 + 40
    assert report.totals.params == (3 * 9 * 8 + 8) + (8 * 9 * 8 + 8) + (8 * 5 + 5)
    assert [b.name for b in report.blocks] == ["layer1.0"]


def test_batch_scales_macs_not_params() -> None:
    one = resnet_inspect.inspect("resnet18", device="meta")
    eight = resnet_inspect.inspect("resnet18", batch=8, device="meta")
    assert eight.totals.macs == 8 * one.totals.macs
    assert eight.totals.params == one.totals.params
    assert eight.input_shape == [8, 3, 224, 224]


def test_wrong_channel_count_names_the_layer() -> None:
    with pytest.raises(InspectError, match=r"does not fit conv1 \(Conv2d\).*--input"):
        resnet_inspect.inspect("resnet18", input_shape=(1, 224, 224), device="meta")


@pytest.mark.parametrize(("shape", "batch"), [((3, 0, 224), 1), ((3, 224, 224), 0)])
def test_bad_sizes_rejected(shape: tuple[int, ...], batch: int) -> None:
    with pytest.raises(InspectError, match="at least 1"):
        resnet_inspect.inspect("resnet18", input_shape=shape, batch=batch, device="meta")


def test_json_round_trip(r50: Report) -> None:
    again = Report.from_json(r50.to_json())
    assert again == r50
    data = r50.to_dict()
    assert data["schema_version"] == 3
    assert set(data["totals"]) >= {"params", "trainable_params", "buffers", "macs", "flops"}
    assert set(data["layers"][0]) >= {
        "name",
        "type",
        "stage",
        "input_shape",
        "output_shape",
        "params",
        "macs",
        "flops",
    }


def test_shape_collapsing_to_zero_names_the_layer() -> None:
    # 5x5 conv without padding on a 3x3 input: the output would be -1 x -1
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 5))
    with pytest.raises(InspectError, match=r"3x5x5 does not fit 1 \(Conv2d\)"):
        trace(model, (3, 5, 5), device="meta")
