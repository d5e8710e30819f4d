"""Users' own models, in the styles they write: every operator counted or named.

The independent reference is torch.utils.flop_counter.FlopCounterMode on meta (it counts
convolutions and matrix products, 2 FLOPs per MAC): our headline is exactly half of it.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import resnet_inspect
from resnet_inspect.report.model import Report, rollup
from tests.reference_models import (
    ConvLstmAttention,
    EncoderBlock,
    FunctionalCNN,
    SdpaAttention,
    SortedTokens,
    SwinStyleAttention,
    TorchvisionStyleNet,
    ViT,
    WithAuxHead,
)

CASES = {
    "vit_encoder_block": (lambda: EncoderBlock(64, 4, 128), (2, 10, 64)),
    "swin_style": (lambda: SwinStyleAttention(32, 4, 4), (2, 16, 32)),
    "sdpa": (lambda: SdpaAttention(32, 4), (2, 10, 32)),
    "sdpa_causal": (lambda: SdpaAttention(32, 4, causal=True), (2, 10, 32)),
    "functional_cnn": (FunctionalCNN, (2, 3, 8, 8)),
    "torchvision_bottleneck": (TorchvisionStyleNet, (1, 3, 64, 64)),
    "conv_lstm_attention": (ConvLstmAttention, (2, 8, 20)),
    "aux_head": (WithAuxHead, (2, 4)),
}


def torch_counter_flops(model: nn.Module, shape: tuple[int, ...]) -> int:
    model = model.to("meta").eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(shape, device="meta"))
    return int(counter.get_total_flops())


def assert_rows_sum_to_totals(report: Report) -> None:
    """Params, and MACs and FLOPs of every category, summed over the rows, are the totals."""
    assert sum(r.params for r in report.layers) == report.totals.params
    for level in ("stage", "block", "layer"):
        rows = rollup(report, level)
        assert sum(r.params for r in rows) == report.totals.params
        assert sum(r.macs for r in rows) == report.totals.macs
        assert sum(r.flops for r in rows) == report.totals.flops
    for cat, total in report.totals.by_category.items():
        assert sum(r.categories.get(cat, [0, 0])[0] for r in report.layers) == total["macs"]
        assert sum(r.categories.get(cat, [0, 0])[1] for r in report.layers) == total["flops"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_headline_equals_torchs_counter_and_rows_sum(case: str) -> None:
    make, shape = CASES[case]
    report = resnet_inspect.inspect(make(), shape[1:], batch=shape[0], device="meta")
    assert 2 * report.totals.macs == torch_counter_flops(make(), shape)
    assert report.totals.macs > 0
    assert_rows_sum_to_totals(report)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_counts_on_meta_and_cpu(case: str) -> None:
    make, shape = CASES[case]
    model = make()
    meta = resnet_inspect.inspect(model, shape[1:], batch=shape[0], device="meta")
    cpu = resnet_inspect.inspect(model, shape[1:], batch=shape[0], device="cpu")
    assert cpu.device == "cpu" and meta.device == "meta"
    assert cpu.totals.macs == meta.totals.macs
    assert cpu.unsupported == meta.unsupported
    if case != "conv_lstm_attention":
        # ATen's own CPU LSTM adds the input bias in a separate add where the meta
        # decomposition folds it into addmm: the headline agrees, the elementwise FLOPs not
        assert cpu.totals == meta.totals
        assert [(r.name, r.categories) for r in cpu.layers] == \
            [(r.name, r.categories) for r in meta.layers]


def test_vit_b16_matches_torchvision() -> None:
    # torchvision's ViT_B_16_Weights.IMAGENET1K_V1: num_params 86,567,656, GFLOPS 17.56
    report = resnet_inspect.inspect(ViT(), (3, 224, 224))
    assert report.totals.params == 86_567_656
    assert round(report.totals.macs / 1e9, 2) == 17.56
    by = report.totals.by_category
    # 12 blocks x 12 heads x (197 x 197 x 64) x 2 products = 1,341,204,480 attention MACs
    assert by["attention"]["macs"] == 12 * 12 * 197 * 197 * 64 * 2
    assert_rows_sum_to_totals(report)


def test_attention_block_by_hand() -> None:
    # EncoderBlock(dim 64, 4 heads, mlp 128) on batch 2 x 10 tokens = 20 token rows:
    # in-proj 20 x 64 x 192 = 245,760; out-proj 20 x 64 x 64 = 81,920;
    # mlp 20 x 64 x 128 x 2 = 327,680; linear total 655,360.
    # attention: 2 x 4 heads x 10 x 10 x 16 x 2 products = 25,600.
    report = resnet_inspect.inspect(EncoderBlock(64, 4, 128), (10, 64), batch=2)
    by = report.totals.by_category
    assert by["linear"]["macs"] == 655_360
    assert by["attention"]["macs"] == 25_600
    assert report.totals.macs == 680_960
    # two residual adds of 20 x 64 = 1,280 each; the math path scales q and k
    # (2 x 4 x 10 x 16 = 1,280 each); and the in-projection's bias, which F.linear adds as
    # a separate add on the transposed (non-contiguous) input: 20 x 192 = 3,840
    assert by["elementwise"]["flops"] == 2 * 1_280 + 2 * 1_280 + 3_840
    # the attention's own work is on its row; out_proj's weight is applied by its parent
    attn = next(r for r in report.layers if r.name == "self_attention")
    assert attn.categories["attention"][0] == 25_600
    out_proj = next(r for r in report.layers if r.name == "self_attention.out_proj")
    assert not out_proj.called and out_proj.params == 64 * 64 + 64


def test_functional_cnn_by_hand() -> None:
    # conv 3->8 3x3 pad 1 on 2 x 8 x 8: 2 x 8 x 8 x 8 outputs x 27 = 27,648
    # conv 8->16 on 2 x 4 x 4: 2 x 16 x 4 x 4 x 72 = 36,864; linear 2 x 10 x 16 = 320
    report = resnet_inspect.inspect(FunctionalCNN(), (3, 8, 8), batch=2)
    assert report.totals.by_category["conv"]["macs"] == 27_648 + 36_864
    assert report.totals.by_category["linear"]["macs"] == 320
    # 27,648 + 36,864 + 320 = 64,832: the ReLUs, the pooling and mean/amax add FLOPs only
    assert report.totals.macs == 64_832
    # the work is the model's own, on its own row, with its parameters
    (row,) = report.layers
    assert row.name == "FunctionalCNN" and row.params == 8 * 27 + 16 * 72 + 160


def test_torchvision_residual_add_is_counted_in_the_block() -> None:
    report = resnet_inspect.inspect(TorchvisionStyleNet(), (3, 64, 64))
    adds = [r for r in report.layers if r.categories.get("elementwise")]
    # one `out += identity` per block, on the block's own row, named as the preset's Add
    # module's row is (issue 23): 256 x 16 x 16 twice, then 512 x 8 x 8
    assert [(r.name, r.categories["elementwise"][1]) for r in adds] == [
        ("layer1.0.add", 65_536), ("layer1.1.add", 65_536), ("layer2.0.add", 32_768)]
    assert [b.shortcut for b in report.blocks] == ["projection", "identity", "projection"]
    # the add lands between bn3/downsample and the last ReLU, inside its block
    names = [r.name for r in report.layers]
    assert names.index("layer1.0.add") == names.index("layer1.0.downsample.1") + 1
    assert all(r.block == "layer1.0" for r in report.layers if r.name.startswith("layer1.0"))


def test_parameters_of_a_module_that_never_ran_stay_in_the_total() -> None:
    report = resnet_inspect.inspect(WithAuxHead(), (4,), batch=2)
    aux = [r for r in report.layers if not r.called]
    assert [(r.name, r.params) for r in aux] == [("aux.0", 15)]
    assert report.totals.params == 20 + 15
    assert_rows_sum_to_totals(report)


def test_conv_lstm_attention_rows_add_up() -> None:
    # the model a new user tried: before, its rows summed to 26,634 of 43,274 params
    model = ConvLstmAttention()
    report = resnet_inspect.inspect(model, (8, 20), batch=2)
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    assert_rows_sum_to_totals(report)
    assert report.unsupported == []


def test_an_operator_without_a_formula_is_named_not_zero() -> None:
    report = resnet_inspect.inspect(SortedTokens(), (8,), batch=2)
    assert report.unsupported == [{"op": "aten.kthvalue", "calls": 1},
                                  {"op": "aten.sort", "calls": 1}]
    assert report.layers[0].category == "unsupported"


def test_tied_weights_are_counted_once_in_rows_and_total() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(4, 4, bias=False)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(self.a(x))

    report = resnet_inspect.inspect(Tied(), (4,))
    assert report.totals.params == 16
    assert_rows_sum_to_totals(report)


def test_the_users_model_leaves_as_it_came() -> None:
    model = nn.Sequential(nn.Linear(3, 4).double(), nn.Linear(4, 2).half()).train()
    model[0].weight.data.fill_(math.pi)
    hooks_before = len(model[0]._forward_hooks)
    report = resnet_inspect.inspect(model[0], (3,), device="cpu")
    assert report.dtype == "float64"
    assert report.memory.param_bytes == (12 + 4) * 8  # float64: 8 bytes a value
    assert model[0].weight.dtype == torch.float64 and model[1].weight.dtype == torch.float16
    assert model[0].weight[0, 0].item() == math.pi  # not through float32 and back
    assert model.training and model[0].training
    assert len(model[0]._forward_hooks) == hooks_before
    # a mixed model on meta: each tensor keeps its own dtype (params 12 + 4 in float64,
    # 8 + 2 in float16)
    mixed = resnet_inspect.inspect(nn.Sequential(nn.Linear(3, 4).double()), (3,))
    assert mixed.memory.param_bytes == 16 * 8


def test_a_bug_in_the_users_model_keeps_its_cause() -> None:
    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("index 7 is out of bounds for my lookup table")

    with pytest.raises(resnet_inspect.ModelError, match="out of bounds for my lookup table"):
        resnet_inspect.inspect(Broken(), (3,), device="cpu")


class _FixedWindow(nn.Module):
    """A user's layer that states its window as class attributes, not in __init__."""

    kernel_size = (2, 2)
    stride = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.avg_pool2d(x, self.kernel_size, self.stride)


def test_a_kernel_given_as_a_class_attribute_is_shown() -> None:
    # The row's kernel and stride come from the layer's settings wherever it keeps them:
    # in its __dict__ (torch's layers) or on its class (this one); a layer with neither
    # has no kernel column.
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, groups=1), _FixedWindow(), nn.ReLU())
    rows = {r.name: r for r in resnet_inspect.inspect(model, (3, 32, 32)).layers}
    assert (rows["0"].kernel, rows["0"].stride, rows["0"].groups) == ("3x3", 2, 1)
    assert (rows["1"].kernel, rows["1"].stride) == ("2x2", 2)
    assert rows["1"].output_shape == [1, 8, 7, 7]  # (32 - 3) // 2 + 1 = 15, then // 2
    assert (rows["2"].kernel, rows["2"].stride, rows["2"].groups) == ("", 1, 1)


def test_a_float64_model_on_cpu_is_traced_on_meta_without_being_touched() -> None:
    # auto traces on meta: the model's real float64 tensors are swapped for meta stand-ins
    # and put back; byte counts use float64 (8 bytes a parameter)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4)).double()
    weight = model[0].weight
    report = resnet_inspect.inspect(model, (3, 8, 8))
    assert report.device == "meta" and report.dtype == "float64"
    assert report.totals.params == 3 * 4 * 9 + 2 * 4
    assert report.memory.param_bytes == 8 * report.totals.params
    assert model[0].weight is weight and weight.device.type == "cpu"


class _Mixer(nn.Module):
    """A leaf (no submodules) that runs a layer of the model it holds unregistered, so its
    call has two rows of its own, either side of that layer's."""

    def __init__(self, shared: nn.Linear) -> None:
        super().__init__()
        self.__dict__["shared"] = shared  # not a submodule: the model owns it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.shared(x * 2))


def test_every_row_of_a_leaf_has_its_input_shape() -> None:
    lin = nn.Linear(8, 8)
    model = nn.Sequential()
    model.add_module("lin", lin)
    model.add_module("mix", _Mixer(lin))
    model.forward = lambda x: model.mix(model.lin(x))  # type: ignore[method-assign]
    rows = [r for r in resnet_inspect.inspect(model, (8,)).layers if r.name == "mix"]
    assert len(rows) == 2  # x * 2, then tanh after the shared layer's own row
    assert [r.input_shape for r in rows] == [[1, 8], [1, 8]]


def test_torchvision_resnet18_and_the_preset_agree_on_memory() -> None:
    # issue 23: torchvision's resnet18 via --model gave 57.05 MiB forward/backward, the
    # preset 62.79 MiB, with the same params and MACs. The difference was the in-place
    # `out += identity`: 2 x (2 x 64x56x56 + 2 x 128x28x28 + 2 x 256x14x14 + 2 x 512x7x7)
    # x 4 bytes = 2 x 3,010,560 bytes = 5.74 MiB, left out of the estimate.
    from tests.reference_models import TorchvisionResNet18

    theirs = resnet_inspect.inspect(TorchvisionResNet18(), device="meta")
    ours = resnet_inspect.inspect("resnet18", device="meta")
    # torchvision's resnet18: 11,689,512 params, 1.814 GFLOPS (tests/published.py)
    assert theirs.totals.params == ours.totals.params == 11_689_512
    assert theirs.totals.macs == ours.totals.macs
    adds = 2 * 4 * (2 * 64 * 56 * 56 + 2 * 128 * 28 * 28 + 2 * 256 * 14 * 14 + 2 * 512 * 7 * 7)
    assert adds == 6_021_120
    assert theirs.memory.forward_backward_bytes == ours.memory.forward_backward_bytes
    assert round(ours.memory.forward_backward_bytes / 2**20, 2) == 62.79
    assert round((ours.memory.forward_backward_bytes - adds) / 2**20, 2) == 57.05  # the old
    assert [r.name for r in theirs.layers if r.name.endswith(".add")] == [
        f"layer{s}.{b}.add" for s in range(1, 5) for b in range(2)]


def test_an_in_place_chain_counts_its_activation_once() -> None:
    class Scaled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.fc(x)
            return y.mul_(2).add_(1)  # one activation, written twice in place

    report = resnet_inspect.inspect(Scaled(), (4,), batch=3)
    own = [r for r in report.layers if r.name == "Scaled"]
    # the root's own row: mul_ and add_ on fc's output of 3 x 4 floats = 48 bytes, once
    assert [r.output_bytes for r in own] == [48]
