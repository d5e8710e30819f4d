"""Receptive field and jump on whole networks, against the published figures (Araujo, Norris &
Sim 2019, tests/published.py) and against layouts worked out by hand here."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect.report.model import Report, rollup
from resnet_inspect.report.receptive import INPUT, Node, Step, as_json, receptive_fields, window
from tests.published import (
    DISTILL_ALEXNET,
    DISTILL_RESNET_V1_RF,
    DISTILL_RESNET_V1_STRIDE,
    DISTILL_VGG16,
)

STAGES = ("conv2_x", "conv3_x", "conv4_x", "conv5_x")


def stage_ends(report: Report) -> dict[str, tuple[object, object]]:
    """(receptive_field, jump) at the end of each stage: the stage rollup's output."""
    return {s.name: (s.receptive_field, s.jump) for s in rollup(report, "stage")}


@pytest.mark.parametrize("depth", sorted(DISTILL_RESNET_V1_RF))
def test_paper_layout_matches_the_distill_table(depth: int) -> None:
    # Distill 2019 / RECEPTIVE_FIELD_TABLE.md, resnet_v1_{depth} block1..block4 (TF-Slim);
    # the paper's layout (stride on the first 1x1) gives the same field at every stage end
    ends = stage_ends(resnet_inspect.inspect(f"resnet{depth}", stride_on="1x1"))
    assert tuple(ends[s][0] for s in STAGES) == DISTILL_RESNET_V1_RF[depth]
    # the jump doubles at the start of conv3_x..conv5_x: 4 after the stem, 8, 16, 32
    assert tuple(ends[s][1] for s in STAGES) == (4, 8, 16, 32)


def _bottleneck_path(strides: list[int], stride_on_3x3_at: int | None) -> list[Step]:
    """The main path of a run of bottlenecks (1x1, 3x3, 1x1), the stride on the 1x1 of unit
    0 or on the 3x3 of unit `stride_on_3x3_at`; the shortcut's field is never the larger."""
    steps = []
    for unit, s in enumerate(strides):
        on_3x3 = stride_on_3x3_at == unit
        steps += [window((1, 1), (1, 1) if on_3x3 else (s, s), (1, 1)),
                  window((3, 3), (s, s) if on_3x3 else (1, 1), (1, 1)),
                  window((1, 1), (1, 1), (1, 1))]
    return steps


def test_tf_slim_layout_by_hand_gives_the_published_jumps() -> None:
    # TF-Slim strides the 3x3 of the LAST unit of block1..block3 (none in block4). Stem:
    # 7x7/2 (r 7, j 2), 3x3/2 pool (r 11, j 4). block1: two 3x3 at j 4 (+8 each, r 27), the
    # last unit's 3x3/2 at j 4 (+8, r 35, j 8); block2: 3 x (+16) + 16 = 99, j 16; block3:
    # 5 x 32 + 32 = 291, j 32; block4: 3 x 64 = 483, j 32: Distill's 35/8 99/16 291/32 483/32
    steps = [window((7, 7), (2, 2), (1, 1)), window((3, 3), (2, 2), (1, 1))]
    ends = []
    for units, stride in ((3, 2), (4, 2), (6, 2), (3, 1)):
        steps += _bottleneck_path([1] * (units - 1) + [stride], units - 1)
        ends.append(len(steps) - 1)
    fields = receptive_fields([Node((i - 1 if i else INPUT,), s) for i, s in enumerate(steps)], 2)
    assert tuple(as_json(fields[e])[0] for e in ends) == DISTILL_RESNET_V1_RF[50]
    assert tuple(as_json(fields[e])[1] for e in ends) == DISTILL_RESNET_V1_STRIDE


def test_torchvision_v1_5_layout_worked_by_hand() -> None:
    # v1.5 strides the 3x3 of the FIRST unit of conv3_x..conv5_x, so that 3x3 grows the field
    # at the old jump. conv2_x: 11 + 3 x 8 = 35 (j 4). conv3_x: 35 + 2 x 4 = 43 (j 8), then
    # 3 x 16 = 91. conv4_x: 91 + 2 x 8 = 107 (j 16), then 5 x 32 = 267. conv5_x:
    # 267 + 2 x 16 = 299 (j 32), then 2 x 64 = 427.
    ends = stage_ends(resnet_inspect.inspect("resnet50"))
    assert [ends[s] for s in STAGES] == [(35, 4), (91, 8), (267, 16), (427, 32)]
    assert ends["conv1"] == (7, 2)  # 7x7/2 alone; the max pool belongs to conv2_x
    assert ends["fc"] == ("global", None)  # after the global average pool


def test_resnet101_sees_835_px_at_conv4_x_where_resnet50_sees_291() -> None:
    # the paper's layout: conv4_x adds 2 x 16 = 32 per unit at j 16 to conv3_x's 99:
    # ResNet-50's 6 units 99 + 192 = 291, ResNet-101's 23 units 99 + 736 = 835
    r50 = stage_ends(resnet_inspect.inspect("resnet50", stride_on="1x1"))
    r101 = stage_ends(resnet_inspect.inspect("resnet101", stride_on="1x1"))
    assert (r50["conv4_x"][0], r101["conv4_x"][0]) == (291, 835)


def _rows(report: Report) -> dict[str, tuple[object, object]]:
    return {r.name: (r.receptive_field, r.jump) for r in report.layers}


def test_vgg16_layer_by_layer_matches_the_distill_table() -> None:
    # torchvision's features.i for TF-Slim's end-points (same kernels and strides)
    names = {"conv1_1": "features.0", "pool1": "features.4", "conv2_1": "features.5",
             "pool2": "features.9", "conv3_1": "features.10", "conv3_2": "features.12",
             "pool3": "features.16", "conv4_1": "features.17", "conv4_2": "features.19",
             "pool4": "features.23", "conv5_1": "features.24", "conv5_2": "features.26",
             "pool5": "features.30"}
    rows = _rows(resnet_inspect.inspect("vgg16"))
    assert {k: rows[v] for k, v in names.items()} == DISTILL_VGG16
    # the 7x7 adaptive pool of a 7x7 map passes it through; fc6 reads every position
    assert rows["avgpool"] == (212, 32)
    assert rows["classifier.0"] == ("global", None)


def test_alexnet_layer_by_layer_matches_the_distill_table() -> None:
    names = {"conv1": "features.0", "pool1": "features.2", "conv2": "features.3",
             "conv3": "features.6", "conv4": "features.8", "conv5": "features.10",
             "pool5": "features.12"}
    rows = _rows(resnet_inspect.inspect("alexnet"))
    assert {k: rows[v] for k, v in names.items()} == DISTILL_ALEXNET
    # a dropout on the flattened pool5 keeps each value's field; fc6 mixes them all
    assert rows["classifier.0"] == (195, 32)
    assert rows["classifier.1"] == ("global", None)


def test_cifar_resnet20_with_zero_pad_shortcuts() -> None:
    # 3x3 stem: r 3, j 1. Stage 1: 6 convs 3x3 at j 1: 3 + 12 = 15. Stage 2: 3x3/2 at j 1
    # (+2, j 2), 5 more at j 2: 17 + 20 = 37. Stage 3: 3x3/2 at j 2 (+4, j 4), 5 more at j 4:
    # 41 + 40 = 81. The option-A shortcut (every 2nd position) never has the larger field.
    ends = stage_ends(resnet_inspect.inspect("resnet20"))
    assert [ends[s] for s in ("conv1", "conv2_x", "conv3_x", "conv4_x")] == \
        [(3, 1), (15, 1), (37, 2), (81, 4)]


def test_a_block_ends_on_its_addition_and_its_shortcut_rows_read_its_input() -> None:
    rows = _rows(resnet_inspect.inspect("resnet50"))
    # layer2.0's projection is a 1x1/2 on the block input (r 35, j 4): r 35, j 8
    assert rows["layer2.0.downsample.0"] == (35, 8)
    # the main path: 1x1 (35), 3x3/2 at j 4 (35 + 8 = 43, j 8); the add takes max(43, 35)
    assert rows["layer2.0.conv2"] == (43, 8)
    assert rows["layer2.0.add"] == (43, 8)


def _decoder() -> nn.Module:
    """An encoder-decoder path: a transposed conv and an upsampling back up, a non-square
    dilated conv at the end."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1),
        nn.ConvTranspose2d(8, 8, 2, stride=2), nn.Conv2d(8, 8, 3, padding=1),
        nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Conv2d(8, 4, (1, 5), padding=(0, 4), dilation=(1, 2)))


def test_transposed_conv_upsampling_and_non_square_layers_in_a_users_model() -> None:
    rows = _rows(resnet_inspect.inspect(_decoder(), (3, 16, 16)))
    assert rows["0"] == (3, 1)  # 3x3: 1 + 2 = 3
    assert rows["1"] == (4, 2)  # 2x2/2: 3 + 1 x 1 = 4, j 2
    assert rows["2"] == (8, 2)  # 3x3 at j 2: 4 + 2 x 2 = 8
    # 2x2/2 transposed: ceil(2 / 2) = 1 input position per output: r 8, j 2 / 2 = 1
    assert rows["3"] == (8, 1)
    assert rows["4"] == (10, 1)  # 3x3 at j 1: 8 + 2 = 10
    assert rows["5"] == (12, 2)  # 3x3/2 at j 1: 10 + 2 = 12, j 2
    # bilinear x2 reads 2 positions: 12 + (2 - 1) x 2 = 14, j 2 / 2 = 1
    assert rows["6"] == (14, 1)
    # 1x5 dilation 2: h 14 + 0 = 14; w 14 + (5 - 1) x 2 x 1 = 22
    assert rows["7"] == ([14, 22], 1)


def test_fields_round_trip_through_json() -> None:
    report = resnet_inspect.inspect(_decoder(), (3, 16, 16))
    again = Report.from_json(report.to_json())
    assert _rows(again) == _rows(report)
    row = json.loads(report.to_json())["layers"][-1]
    assert (row["receptive_field"], row["jump"]) == ([14, 22], 1)


class _ParallelBranches(nn.Module):
    """Two branches from one input, outside any residual block: the rows alone do not say
    that the second reads the input rather than the first branch's output."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 5, padding=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.a(x), self.b(x)], dim=1)


class _Skip(nn.Module):
    """A U-Net's cat skip in a forward: encoder, down, a transposed conv up, cat, decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.mid = nn.Conv2d(4, 4, 3, padding=1)
        self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)
        self.dec = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.enc(x)
        return self.dec(torch.cat([self.up(self.mid(self.pool(e))), e], dim=1))


def test_parallel_branches_and_a_cat_skip_follow_the_dataflow_graph() -> None:
    rows = _rows(resnet_inspect.inspect(_ParallelBranches(), (3, 8, 8)))
    # each branch reads the input: 1 + 2 = 3 and 1 + 4 = 5 (a chain would say 3 + 4 = 7)
    assert rows["a"] == (3, 1)
    assert rows["b"] == (5, 1)
    rows = _rows(resnet_inspect.inspect(_Skip(), (3, 8, 8)))
    # enc 3; pool 2x2/2: 4, j 2; mid 3x3 at j 2: 8; up 2x2/2 transposed: 8, j 1;
    # cat of up (8) and enc (3) on one grid: 8; dec 3x3 at j 1: 10
    assert [rows[n] for n in ("enc", "pool", "mid", "up", "dec")] == [
        (3, 1), (4, 2), (8, 2), (8, 1), (10, 1)]


def test_without_the_graph_a_path_the_rows_cannot_follow_is_undefined_not_guessed() -> None:
    from resnet_inspect.trace.tracer import trace

    # read from the rows alone, b seems to read a's 4-channel output, and dec a cat the
    # rows do not show: both are left undefined rather than chained
    rows = _rows(trace(_ParallelBranches(), (3, 8, 8), graph=False))
    assert (rows["a"], rows["b"]) == ((3, 1), (None, None))
    assert _rows(trace(_Skip(), (3, 8, 8), graph=False))["dec"] == (None, None)
    # a ResNet is read whole from its rows and blocks: the same fields as from the graph
    assert stage_ends(trace(resnet_inspect.build("resnet50"), graph=False)) == \
        stage_ends(resnet_inspect.inspect("resnet50"))


def test_attention_over_tokens_is_not_given_a_field() -> None:
    from tests.reference_models import ViT

    rows = _rows(resnet_inspect.inspect(ViT()))
    assert rows["conv_proj"] == (16, 16)  # the 16x16/16 patch embedding
    assert rows["head"] == (None, None)


def test_a_global_mean_in_a_forward_is_global() -> None:
    class MeanHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x).mean((2, 3))

    rows = _rows(resnet_inspect.inspect(MeanHead(), (3, 8, 8)))
    assert rows["conv"] == (3, 1)
    assert rows["MeanHead"] == ("global", None)


def test_an_adaptive_pool_with_unequal_windows_is_undefined() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(4), nn.Conv2d(4, 4, 3))
    rows = _rows(resnet_inspect.inspect(model, (3, 9, 9)))  # 7x7 -> 4x4: windows of 2 and 3
    assert rows["1"] == (None, None)
    assert rows["2"] == (None, None)
    # 8x8 -> 4x4 is a plain 2x2/2 window: 3 + 1 = 4, j 2
    rows = _rows(resnet_inspect.inspect(model, (3, 10, 10)))
    assert rows["1"] == (4, 2)



def test_the_network_diagram_names_each_stages_field() -> None:
    from resnet_inspect.render.diagram import make_diagram

    report = resnet_inspect.inspect("resnet50", stride_on="1x1")
    for level in ("stage", "block"):
        source = make_diagram(report, "dot", level=level).source
        # the paper's layout, Distill 2019: 99 px at conv3_x's end, 483 at conv5_x's; on
        # a node one line, in a stage's frame two (narrow, left of the main path's edge)
        between = (", " if level == "stage" else
                   '</FONT><BR ALIGN="LEFT"/><FONT POINT-SIZE="11" COLOR="#555555">')
        assert f"RF 99 px{between}stride 8" in source
        assert f"RF 483 px{between}stride 32" in source
        assert "RF global" not in source  # the head reads the whole input: no line


def test_a_squeeze_and_excitation_scale_makes_every_output_global() -> None:
    class SE(nn.Module):  # x * sigmoid(fc(mean(x))): each output reads the whole input
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Conv2d(4, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv(x)
            return y * torch.sigmoid(self.fc(y.mean((2, 3), keepdim=True)))

    rows = _rows(resnet_inspect.inspect(SE(), (3, 8, 8)))
    assert rows["conv"] == (3, 1)
    assert rows["fc"] == ("global", None)  # after the mean over every position
    assert rows["SE"] == ("global", None)  # the scale reaches every output
