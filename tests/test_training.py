"""One training step, counted: backward operators, saved activations, optimizer state,
the peak, and the largest batch that fits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import resnet_inspect
from resnet_inspect.analysis.fit import GIB, largest_batch, parse_size
from resnet_inspect.models.builder import build_model
from resnet_inspect.report.model import Report, rollup
from resnet_inspect.spec.registry import get_spec
from tests.cli_helpers import run_cli
from tests.reference_models import EncoderBlock, FunctionalCNN, SdpaAttention


def torch_step_flops(model: nn.Module, shape: tuple[int, ...]) -> int:
    """FlopCounterMode over the same forward and backward, on meta."""
    model = model.to("meta").train()
    with FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(shape, device="meta"))
        out.backward(torch.ones_like(out))
    return int(counter.get_total_flops())


@pytest.mark.parametrize(
    ("make", "shape"),
    [(lambda: build_model(get_spec("resnet18"), device="meta", init=False), (2, 3, 64, 64)),
     (lambda: EncoderBlock(64, 4, 128), (2, 10, 64)), (lambda: SdpaAttention(32, 4), (2, 10, 32)),
     (FunctionalCNN, (2, 3, 8, 8))],
)
def test_forward_and_backward_products_equal_torchs_counter(make, shape) -> None:  # type: ignore[no-untyped-def]
    report = resnet_inspect.inspect(make(), shape[1:], batch=shape[0], train=True)
    t = report.totals
    # torch's counter on meta runs attention's math path; the step counts the CPU's fused
    # flash kernel, whose backward also recomputes Q K^T: batch x heads x L x S x E MACs
    # (SdpaAttention(32, 4) on 2 x 10: 2 x 4 x 10 x 10 x 8 = 6,400). EncoderBlock's
    # nn.MultiheadAttention (need_weights=False) calls it from inside
    # F.multi_head_attention_forward, where the step picks the fused kernel too: 64 dims
    # in 4 heads of 16 on 2 x 10, 2 x 4 x 10 x 10 x 16 = 12,800
    recompute = {"SdpaAttention": 6_400, "EncoderBlock": 12_800}.get(type(make()).__name__, 0)
    assert 2 * (t.macs + t.backward_macs) == torch_step_flops(make(), shape) + 2 * recompute
    assert t.backward_macs > t.macs  # every weight gradient, and the input gradients


def _conv_macs(report: Report, prefix: str) -> int:
    return sum(r.categories.get("conv", [0])[0] for r in report.layers
               if r.name.startswith(prefix))


def test_gradients_not_needed_are_not_counted() -> None:
    report = resnet_inspect.inspect("resnet18", batch=2, train=True)
    fwd_conv = report.totals.by_category["conv"]["macs"]
    back_conv = report.totals.backward_by_category["conv"]["macs"]
    # every conv gives a weight gradient and an input gradient (each its forward's MACs),
    # except conv1, whose input is the image: no gradient needed
    assert back_conv == 2 * fwd_conv - _conv_macs(report, "conv1")

    model = build_model(get_spec("resnet18"), device="meta", init=False)
    for p in model.layer1.parameters():
        p.requires_grad_(False)
    frozen = resnet_inspect.inspect(model, (3, 224, 224), batch=2, train=True)
    # a frozen stage: no weight gradients there (its input gradients are still needed
    # for conv1, which trains) -> backward conv MACs fall by layer1's forward conv MACs
    layer1 = _conv_macs(report, "layer1")
    assert frozen.totals.backward_by_category["conv"]["macs"] == back_conv - layer1
    assert frozen.training_memory is not None and report.training_memory is not None
    assert frozen.training_memory.grads < report.training_memory.grads


def test_rows_sum_to_the_training_totals() -> None:
    report = resnet_inspect.inspect("resnet50", batch=4, train=True)
    tm = report.training_memory
    assert tm is not None
    assert sum(r.saved_bytes for r in report.layers) == tm.activations_saved
    for level in ("stage", "block", "layer"):
        assert sum(r.backward_macs for r in rollup(report, level)) == report.totals.backward_macs
    for cat, total in report.totals.backward_by_category.items():
        assert sum(r.backward_categories.get(cat, [0, 0])[1] for r in report.layers) == \
            total["flops"]


def test_optimizer_state_and_gradients() -> None:
    params = 25_557_032 * 4  # ResNet-50 (torchvision's count), float32
    states = {}
    for opt in ("sgd", "momentum", "adam", "adamw"):
        tm = resnet_inspect.inspect("resnet50", train=True, optimizer=opt).training_memory
        assert tm is not None
        states[opt] = tm.optimizer_state
        assert tm.params == tm.grads == params
    assert states == {"sgd": 0, "momentum": params, "adam": 2 * params, "adamw": 2 * params}


def test_bfloat16_halves_the_saved_activations_but_not_indices_and_statistics() -> None:
    fp32 = resnet_inspect.inspect("resnet50", batch=8, train=True).training_memory
    bf16 = resnet_inspect.inspect("resnet50", batch=8, train=True,
                                  dtype="bfloat16").training_memory
    assert fp32 is not None and bf16 is not None
    # what does not shrink: the max pool's int64 indices, 8 x 64 x 56 x 56 x 8 bytes, and
    # batch-norm's saved mean and inverse std, kept in float32: 2 x 26,560 channels x 4
    indices, stats = 8 * 64 * 56 * 56 * 8, 2 * 26_560 * 4
    halvable = fp32.activations_saved - indices - stats
    assert bf16.activations_saved == halvable // 2 + indices + stats
    assert bf16.params * 2 == fp32.params


def _held_after_forward(batch: int) -> int:
    """What PyTorch really holds after a ResNet-50 forward with autograd on CPU, from the
    process's resident memory (large allocations returned to the OS at once, so the
    difference is the tensors alive)."""
    code = (
        "import gc, os, torch\n"
        "from resnet_inspect.models.builder import build_model\n"
        "from resnet_inspect.spec.registry import get_spec\n"
        "def rss():\n"
        "    with open('/proc/self/statm') as f:\n"
        "        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
        "torch.set_num_threads(1)\n"
        "m = build_model(get_spec('resnet50'), device='cpu', init=False).train()\n"
        f"x = torch.zeros({batch}, 3, 224, 224)\n"
        "out = m(torch.zeros(2, 3, 224, 224)); del out; gc.collect()\n"
        "before = rss(); out = m(x); print(rss() - before)\n"
    )
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("batch", [16, 32])
def test_saved_activations_agree_with_what_pytorch_holds(batch: int) -> None:
    tm = resnet_inspect.inspect("resnet50", batch=batch, train=True).training_memory
    assert tm is not None
    held = _held_after_forward(batch)
    # measured here: batch 16 1,304.1 MiB held vs 1,301.9 counted; batch 32 2,605.9 vs
    # 2,603.6 (the output and allocator pages make the small rest)
    assert abs(held - tm.activations_saved) <= 0.05 * tm.activations_saved


def test_the_peak_is_affine_in_the_batch_and_the_fit_is_exact() -> None:
    model = build_model(get_spec("resnet18"), device="meta", init=False)

    def count(b: int) -> Report:
        return resnet_inspect.inspect(model, (3, 64, 64), batch=b, train=True)

    peaks = {b: count(b).training_memory.peak for b in (2, 3, 4, 10)}  # type: ignore[union-attr]
    slope = peaks[3] - peaks[2]
    assert peaks[4] - peaks[3] == slope and peaks[10] - peaks[4] == 6 * slope
    fit = largest_batch(count, peaks[10], "test")
    assert fit.batch == 10 and fit.peak == peaks[10] and fit.next_peak > peaks[10]
    # which part dominates, from arithmetic outside the tool: Adam keeps two moments per
    # parameter, so with torchvision's 11,689,512 resnet18 parameters in float32 the
    # weights and the gradients are 46,758,048 B each and the optimizer state 93,516,096 B,
    # larger than the activations of ten 64x64 images (the stem's output alone is
    # 64 x 32 x 32 x 4 = 262,144 B a sample)
    assert fit.parts["weights"] == fit.parts["gradients"] == 11_689_512 * 4
    assert fit.parts["optimizer state"] == 2 * 11_689_512 * 4
    assert fit.dominant == "optimizer state"


def test_activations_dominate_a_large_batch() -> None:
    # in 2 GiB the batch grows past 93,516,096 / 262,144 = 357 samples (Adam's state over
    # the stem's output alone, as above), where the activations outweigh the optimizer
    # state whatever else they hold
    model = build_model(get_spec("resnet18"), device="meta", init=False)
    big = largest_batch(lambda b: resnet_inspect.inspect(model, (3, 64, 64), batch=b,
                                                         train=True), 2 * GIB, "test")
    assert big.batch > 357 and big.dominant == "activations"


def test_parse_size() -> None:
    assert parse_size("24GiB") == 24 * GIB
    assert parse_size("16 GB") == 16 * 10**9
    assert parse_size("512mib") == 512 * 2**20


def test_summary_train_json(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "resnet18", "--train", "--batch", "2", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["totals"]["backward_macs"] > data["totals"]["macs"]
    assert set(data["training_memory"]) >= {"activations_saved", "params", "grads",
                                            "optimizer_state", "peak"}


def test_summary_train_table_reads_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "resnet50", "--train", "--batch", "8", "--level", "stage",
                "--gpu", "t4")
    assert r.code == 0, r.err
    assert max(len(line) for line in r.out.splitlines()) <= 80
    assert "Backward" in r.out and "torchinfo" in r.out and "largest batch" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--train", "--fit", "0"], "--fit 0: the size must be more than 0"),
     (["--train", "--fit", "24XB"], "--fit '24XB': not a memory size"),
     (["--train", "--gpu", "k80"], "--gpu k80: not a card this tool knows"),
     (["--fit", "24GiB"], "--fit and --gpu size a training step; add --train"),
     (["--train", "--optimizer", "rmsprop"], "rmsprop"),
     (["--train", "--time"], "leave out --train")],
)
def test_training_bad_input(capsys: pytest.CaptureFixture[str], args: list[str],
                            message: str) -> None:
    r = run_cli(capsys, "summary", "resnet18", *args)
    assert r.code == 2
    assert message in r.err and len(r.err.strip().splitlines()) == 1


def test_train_on_a_model_with_nothing_to_train() -> None:
    model = nn.Linear(3, 4).requires_grad_(False)
    with pytest.raises(resnet_inspect.InspectError, match="no parameter of this model requires"):
        resnet_inspect.inspect(model, (3,), train=True)
    # and the model is untouched by a training step that did run
    trained = nn.Linear(3, 4)
    resnet_inspect.inspect(trained, (3,), train=True, device="cpu")
    assert trained.weight.grad is None and trained.training


def test_amp_saves_half_precision_inputs_and_weight_copies() -> None:
    conv = nn.Conv2d(3, 4, 3, bias=False)
    fp32 = resnet_inspect.inspect(conv, (3, 8, 8), batch=2, train=True).training_memory
    amp = resnet_inspect.inspect(conv, (3, 8, 8), batch=2, train=True,
                                 amp="float16").training_memory
    assert fp32 is not None and amp is not None
    # float32: the conv saves its input for the weight gradient... which is the image, not
    # an activation: nothing; under autocast it saves the float16 copies it ran on: the
    # input 2 x 3 x 8 x 8 x 2 bytes = 768 and the weight 4 x 3 x 3 x 3 x 2 = 216
    assert fp32.activations_saved == 0
    assert amp.activations_saved == 768 + 216
    assert amp.params == fp32.params == 4 * 27 * 4  # weights stay float32


def test_compare_train_sets_two_steps_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "compare", "50", "101", "--train", "--batch", "4", "--json")
    assert r.code == 0, r.err
    steps = json.loads(r.out)["training"]
    assert [s["model"] for s in steps] == ["resnet50", "resnet101"]
    # the 17 extra conv4_x blocks of ResNet-101 keep more activations for backward
    assert steps[1]["activations_saved"] > steps[0]["activations_saved"]
    r = run_cli(capsys, "compare", "50", "101", "--train", "--batch", "4")
    assert r.code == 0 and "resnet101 - resnet50: peak +" in r.out
    assert max(len(line) for line in r.out.splitlines()) <= 80


def test_check_train_agrees_with_torchs_counter(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "check", "resnet18", "--train", "--tools", "torch", "--json")
    assert r.code == 0, r.err
    step = json.loads(r.out)["training_step"]
    assert step["accounted"] and step["torch_flops"] == 2 * (step["forward_macs"]
                                                              + step["backward_macs"])


def test_csv_of_a_training_step_adds_backward_and_saved(
        capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "resnet18", "--train", "--csv", "--level", "stage")
    assert r.code == 0, r.err
    lines = r.out.strip().splitlines()
    header = lines[0].split(",")
    assert header[-2:] == ["backward_macs", "saved_bytes"]
    report = resnet_inspect.inspect("resnet18", train=True)
    tm = report.training_memory
    assert tm is not None
    rows = list(__import__("csv").reader(lines[1:]))
    assert sum(int(row[-1]) for row in rows) == tm.activations_saved
    assert sum(int(row[-2]) for row in rows) == report.totals.backward_macs


def test_a_steps_rows_count_the_models_own_parameters_once() -> None:
    # The small ViT of tests/reference_models.py: its own class token and position
    # embedding (64 + 17 x 64 = 1,152) sit on its own row; the backward's row for work no
    # forward row made counted them a second time (rows summed to 85,770, the total 84,618:
    # patchify conv 3 x 64 x 16 x 16 + 64 = 49,216; 1,152; the encoder block 33,472; final
    # norm 128; head 64 x 10 + 10 = 650)
    from tests.reference_models import ViT

    report = resnet_inspect.inspect(
        ViT(image=64, patch=16, dim=64, depth=1, heads=2, mlp_dim=128, classes=10),
        (3, 64, 64), train=True)
    assert report.totals.params == 49_216 + 1_152 + 33_472 + 128 + 650 == 84_618
    assert sum(r.params for r in report.layers) == report.totals.params
    assert [r.params for r in report.layers if r.name == "ViT"] == [1_152]
