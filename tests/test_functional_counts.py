"""A model written with functional calls is counted as it runs: its layer count is the
products it calls, its activation memory every tensor its operators make, not one row
with the model's output (docs/counting.md, "Layer count and memory of your own code")."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import resnet_inspect
from resnet_inspect.private import storage_id
from tests.cli_helpers import run_cli
from tests.reference_models import FunctionalCNN, SwinStyleAttention

# FunctionalCNN at 3x32x32, batch 1, float32 (4 B), each operator's result:
# conv1 8x32x32 = 8,192 floats = 32,768 B; its ReLU (not in place) another 32,768 B;
# max pool 2 -> 8x16x16 = 2,048 floats = 8,192 B (its int64 indices are not a result);
# conv2 16x16x16 = 4,096 floats = 16,384 B, its ReLU 16,384 B; mean and amax 16 floats,
# 64 B each; cat 32 floats = 128 B; [:, :16] a view, 0 B; F.linear's mm 10 floats = 40 B.
FUNCTIONAL_CNN_BYTES = 32_768 + 32_768 + 8_192 + 16_384 + 16_384 + 64 + 64 + 128 + 40


def test_functional_cnn_counts_its_calls_and_their_tensors() -> None:
    assert FUNCTIONAL_CNN_BYTES == 106_792
    report = resnet_inspect.inspect(FunctionalCNN(), (3, 32, 32))
    # two F.conv2d on its own weights and one F.linear: 3 weighted layers, not 1
    assert report.layer_count.text == "3 layers = 2 conv + 1 fc"
    assert report.layer_count.total == 3
    (row,) = report.layers
    assert row.output_bytes == FUNCTIONAL_CNN_BYTES
    assert report.memory.activation_bytes == FUNCTIONAL_CNN_BYTES
    # twice the activations for forward and backward: 213,584 B, not the 80 B of the
    # 40 B output it was
    assert report.memory.forward_backward_bytes == 213_584
    assert report.memory.total_bytes == 3 * 32 * 32 * 4 + 213_584 + 1_528 * 4


class _Allocations(TorchDispatchMode):
    """A real forward's new storages: each operator's result that is not a view and not
    a storage seen before (an in-place write), and everything else it allocated."""

    def __init__(self, known: set[int]) -> None:
        super().__init__()
        self.seen = set(known)
        self.kept: list[object] = []  # alive, else a freed storage's id is taken again
        self.results = self.other = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        self.kept.append(out)
        for k, t in enumerate(out if isinstance(out, (tuple, list)) else (out,)):
            if isinstance(t, torch.Tensor) and storage_id(t.untyped_storage()) not in self.seen:
                self.seen.add(storage_id(t.untyped_storage()))
                n = t.untyped_storage().nbytes()
                if k == 0 and not func.is_view:
                    self.results += n
                else:
                    self.other += n
        return out


def test_functional_cnn_estimate_is_what_a_real_forward_allocates() -> None:
    # on the CPU, every new storage FunctionalCNN's forward makes: the 106,792 B of
    # results the estimate counts, and max pooling's int64 indices, 8x16x16 x 8 B =
    # 16,384 B, which it does not
    model = FunctionalCNN()
    x = torch.randn(1, 3, 32, 32)
    known = {storage_id(p.untyped_storage()) for p in model.parameters()}
    known.add(storage_id(x.untyped_storage()))
    with torch.no_grad(), _Allocations(known) as real:
        model(x)
    assert real.results == FUNCTIONAL_CNN_BYTES
    assert real.other == 16_384
    report = resnet_inspect.inspect(FunctionalCNN(), (3, 32, 32), device="cpu")
    assert report.memory.activation_bytes == real.results


def test_functional_cnn_summary_footer(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "summary", "--model", "tests/reference_models.py:FunctionalCNN",
                     "--input", "3x32x32")
    assert result.code == 0, result.err
    assert "Layers       3 = 2 conv + 1 fc" in result.out
    # 213,584 B = 0.20 MiB; input 12,288 B, params 6,112 B: 231,984 B = 0.22 MiB
    assert "forward/backward 0.20 MiB" in result.out
    assert "total 0.22 MiB" in result.out


class _Functional(nn.Module):
    """Conv, ReLU, pool, conv, ReLU, written with F on weights of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.zeros(8, 3, 3, 3))
        self.w2 = nn.Parameter(torch.zeros(16, 8, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(F.conv2d(x, self.w1, padding=1)), 2)
        return F.relu(F.conv2d(x, self.w2, padding=1))


def _layered() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1, bias=False),
                         nn.ReLU())


def test_functional_and_layered_forms_agree() -> None:
    # the same network as layers: the same count and the same estimate, batch 2:
    # 2 x (32,768 + 32,768 + 8,192 + 16,384 + 16,384) = 212,992 B of outputs
    functional = resnet_inspect.inspect(_Functional(), (3, 32, 32), batch=2)
    layered = resnet_inspect.inspect(_layered(), (3, 32, 32), batch=2)
    assert functional.layer_count.text == layered.layer_count.text == "2 layers = 2 conv + 0 fc"
    assert functional.memory.activation_bytes == layered.memory.activation_bytes == 212_992


def test_products_of_activations_are_not_layers() -> None:
    # Swin's F.linear(x, self.qkv.weight) and F.linear(x, self.proj.weight) read
    # parameters: 2 fc; q @ k^T and attn @ v multiply activations: no layer
    report = resnet_inspect.inspect(SwinStyleAttention(32, 4, 4), (16, 32), batch=2)
    assert report.totals.by_category["attention"]["macs"] > 0
    assert report.layer_count.text == "2 layers = 0 conv + 2 fc"


class _LongAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x, x, x)[0]


def test_a_torch_attention_is_one_layer_whatever_its_largest_work() -> None:
    # 512 tokens of width 16: in-projection 512 x 16 x 48 = 393,216 MACs and
    # out-projection 131,072 (linear 524,288), scores and values 2 x 2 heads x 512 x 512
    # x 8 = 8,388,608 (attention): the row's largest category is attention, still 1 fc
    report = resnet_inspect.inspect(_LongAttention(), (512, 16))
    (row,) = [r for r in report.layers if r.called]
    assert row.category == "attention" and row.categories["linear"][0] == 524_288
    assert report.layer_count.text == "1 layer = 0 conv + 1 fc"


class _InPlace(nn.Module):
    """An in-place ReLU writes the conv's result again: no new tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(4, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(F.conv2d(x, self.w), inplace=True).flatten(1)


def test_in_place_writes_and_views_make_no_tensor() -> None:
    # conv 4x5x5 = 100 floats = 400 B; relu_ writes it again, flatten is a view
    report = resnet_inspect.inspect(_InPlace(), (3, 5, 5))
    assert report.memory.activation_bytes == 400


def test_presets_keep_their_count_and_estimate() -> None:
    # torch layers are one layer a row and their outputs, as before (the goldens hold
    # the rest): ResNet-18 62.79 MiB forward/backward, 65,843,008 B
    report = resnet_inspect.inspect("resnet18", device="meta")
    assert report.layer_count.text == "18 layers = 1 conv + 2 x (2 + 2 + 2 + 2) block convs + 1 fc"
    assert report.memory.forward_backward_bytes == 65_843_008


def test_one_weighted_layer_is_one_layer_not_one_layers() -> None:
    report = resnet_inspect.inspect(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), (3, 8, 8))
    assert report.layer_count.text == "1 layer = 1 conv + 0 fc"
    # the table's footer keeps the number alone, as for "50 = 1 conv + ..."
    assert "Layers       1 = 1 conv + 0 fc" in str(report)


def test_a_forwards_own_copies_are_memory_it_holds() -> None:
    # ViT (torchvision's layout) at 3x64x64, patch 16, dim 64, one encoder block: its own
    # forward concatenates the class token (1x17x64 floats = 4,352 B) between its children,
    # and nn.MultiheadAttention clones its packed q/k/v (3x17x1x64 = 13,056 B) and makes its
    # output contiguous (17x1x2x32 = 4,352 B): copies without arithmetic, new memory all
    # the same. The estimate is every result the real CPU forward allocates on the same
    # (math) attention path the trace takes; 87,096 B when the copies were missed.
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from tests.reference_models import ViT

    def vit() -> nn.Module:
        return ViT(image=64, patch=16, dim=64, depth=1, heads=2, mlp_dim=128, classes=10)

    model = vit().eval()
    x = torch.randn(1, 3, 64, 64)
    known = {storage_id(p.untyped_storage()) for p in model.parameters()}
    known.add(storage_id(x.untyped_storage()))
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), _Allocations(known) as real:
            model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)
    report = resnet_inspect.inspect(vit(), (3, 64, 64))
    assert real.results == 108_856
    assert report.memory.activation_bytes == real.results
    (own,) = [r for r in report.layers if r.name == "ViT"]
    # the cat and the position embedding's add, 2 x 4,352 B, on the model's own row
    assert own.output_bytes == 2 * 4_352
