"""The same figures on every device: models traced on meta and on the CPU give equal
categories, rows and operator tables (issue 22). The CPU trace runs torch's real kernels,
the authority; the meta trace answers common operators from plain-Python rules
(counting/meta_ops.py), which must not change a single figure."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

import resnet_inspect
from resnet_inspect.report.model import Report
from tests import meta_models, reference_models

MODELS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "resmlp": (meta_models.ResMlpBlock, (6, 8)),
    "pvt_v2": (meta_models.PvtBlock, (16, 8)),
    "convit": (meta_models.ConvitPositions, (5, 8)),
    "volo": (meta_models.OutlookAttention, (4, 5, 4)),
    "channels_last": (meta_models.ChannelsLastNet, (3, 6, 6)),
    "vit": (lambda: reference_models.ViT(32, 8, 64, 2, 4, 128, 10), (3, 32, 32)),
    "swin": (reference_models.make_swin_block, (16, 32)),
    "encoder": (reference_models.make_encoder_block, (10, 64)),
    "torchvision_bottleneck_net": (reference_models.TorchvisionStyleNet, (3, 32, 32)),
}


def _figures(r: Report) -> dict[str, Any]:
    return {
        "rows": [(row.name, row.input_shape, row.output_shape, row.categories, row.macs,
                  row.flops, row.params, row.output_bytes) for row in r.layers],
        "categories": r.totals.by_category,
        "operators": sorted((o["op"], o["category"], o["calls"], o["macs"], o["flops"])
                            for o in r.operators),
        "unsupported": r.unsupported,
        "totals": r.totals,
    }


def _make(key: str) -> nn.Module:
    return MODELS[key][0]()


@pytest.mark.parametrize("key", MODELS)
def test_every_figure_is_the_same_on_meta_and_cpu(key: str) -> None:
    shape = MODELS[key][1]
    model = _make(key)
    meta = resnet_inspect.inspect(model, shape, batch=2, device="meta")
    cpu = resnet_inspect.inspect(model, shape, batch=2, device="cpu")
    assert meta.device == "meta" and cpu.device == "cpu"
    assert _figures(meta) == _figures(cpu)


@pytest.mark.parametrize("key", ["resmlp", "pvt_v2", "volo"])
def test_a_training_step_is_the_same_on_meta_and_cpu(key: str) -> None:
    shape = MODELS[key][1]
    meta = resnet_inspect.inspect(_make(key), shape, batch=2, device="meta", train=True)
    cpu = resnet_inspect.inspect(_make(key), shape, batch=2, device="cpu", train=True)
    assert [(r.name, r.categories, r.backward_categories) for r in meta.layers] == [
        (r.name, r.categories, r.backward_categories) for r in cpu.layers]
    assert meta.totals == cpu.totals


def test_host_side_arithmetic_stays_on_the_host_during_a_meta_trace() -> None:
    # convit's torch.arange(4.) arithmetic and .item() ran into "Cannot copy out of meta
    # tensor" and auto fell back to the CPU; now the trace stays on meta
    report = resnet_inspect.inspect(meta_models.ConvitPositions(), (5, 8), batch=2)
    assert report.device == "meta"
    # the linear 2 x 5 x 8 x 8 = 640 MACs; the host arithmetic is counted as the model ran
    # it: sub 16, mul 16 + 16, add 16, relu 16, and the output's div and add 2 x 80
    assert report.totals.by_category["linear"]["macs"] == 640
    assert report.totals.by_category["elementwise"]["flops"] == 16 * 4 + 2 * 80


@pytest.mark.parametrize(("factory", "shape"), [(meta_models.SequencerBlock, (3, 5, 4)),
                                                (reference_models.ConvLstmAttention, (8, 20))])
def test_recurrent_layers_differ_only_where_atens_cpu_kernel_does(factory: Any,
                                                                    shape: tuple[int, ...]) -> None:
    # The one known difference, and not ours: ATen's LSTM (aten/src/ATen/native/RNN.cpp,
    # FullLayer) projects the inputs of all time steps in one product before stepping
    # when the input is on the CPU, and step by step on every other device (meta and CUDA
    # alike). The MACs are the same; the calls differ, and where that projection runs as
    # a matmul (a batch_first input is not contiguous) its bias is added apart.
    model = factory()
    meta = resnet_inspect.inspect(model, shape, batch=2, device="meta")
    cpu = resnet_inspect.inspect(model, shape, batch=2, device="cpu")
    assert meta.totals.macs == cpu.totals.macs
    for cat in ("conv", "linear", "attention", "norm", "activation", "pool"):
        assert meta.totals.by_category.get(cat) == cpu.totals.by_category.get(cat), cat
    lstm_rows = {r.name for r in cpu.layers if r.type == "LSTM"}
    assert [r for r in meta.layers if r.name not in lstm_rows] == [
        r for r in cpu.layers if r.name not in lstm_rows]
