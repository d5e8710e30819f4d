"""A training step's memory as a real step holds it: every alias keeps a storage alive,
checkpointed models keep their structure, autograd's in-place check is kept, and the peak
counted on meta within 5% of a real CPU step's (tests/real_step.py says how it is measured).
"""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect.errors import ModelError
from resnet_inspect.report.model import rollup
from resnet_inspect.trace.training import Step, conv_backward_workspace, optimizer_temporaries
from tests.real_step import counted_step_peak, real_step_peak
from tests.step_models import make

MIB = 2**20
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


class KeepsAView(nn.Module):
    """The first tensor object of a storage dies while a view of it lives on."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(256, 256, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lin(x)  # 64 x 256 x 4 bytes = 64 KiB
        v = h[:, :128]  # a view: the same 64 KiB storage
        del h
        return self.lin(torch.cat([v, v], 1).sin())


def test_a_view_keeps_its_storage_alive() -> None:
    tm = resnet_inspect.inspect(KeepsAView(), (256,), batch=64, train=True).training_memory
    assert tm is not None
    # live together in the forward: h (64 KiB, held by its view), cat (64 KiB), sin (64
    # KiB), the output (64 KiB): 256 KiB; gradients (2 x 256 x 256 x 4 = 512 KiB, one
    # weight used twice: one .grad of 256 KiB) come later. The peak is never below the
    # bytes saved for the backward, all of which are alive at the forward's end.
    assert tm.live_peak >= tm.activations_saved
    assert tm.live_peak >= 4 * 64 * 1024


@pytest.mark.parametrize(("name", "size"), [
    ("checkpoint", {"depth": 18}), ("checkpoint", {"depth": 18, "reentrant": True}),
    ("checkpoint", {"depth": 18, "reentrant": True, "per_block": True}),
    ("resnet", {"depth": 18})])
def test_checkpointed_stages_are_listed_once_with_their_shortcuts(name, size) -> None:  # type: ignore[no-untyped-def]
    report = resnet_inspect.inspect(make(name, device="meta", **size), (3, 64, 64), batch=2,
                                    train=True)
    stages = [r.name for r in rollup(report, "stage")]
    # the paper's stages, each once, as for the plain ResNet-18 (conv1 then conv2_x..conv5_x)
    assert stages == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
    # ResNet-18: projection shortcuts where the shape changes (layer2.0, layer3.0,
    # layer4.0), identity in the other 5 of its 8 blocks
    kinds = [b.shortcut for b in report.blocks]
    assert kinds.count("projection") == 3 and kinds.count("identity") == 5
    tm = report.training_memory
    assert tm is not None and tm.live_peak >= tm.activations_saved


def test_checkpoint_recomputation_is_backward_work() -> None:
    plain = resnet_inspect.inspect(make("resnet", device="meta"), (3, 64, 64), batch=2,
                                   train=True)
    ckpt = resnet_inspect.inspect(make("checkpoint", device="meta"), (3, 64, 64), batch=2,
                                  train=True)
    fwd = {r.name: r for r in rollup(plain, "stage")}
    back = {r.name: r for r in rollup(ckpt, "stage")}
    # each checkpointed stage runs its forward once more in the backward: its backward
    # MACs are the plain step's plus its forward's; the stem and head are not checkpointed
    for stage in ("conv2_x", "conv3_x", "conv4_x", "conv5_x"):
        assert back[stage].backward_macs == fwd[stage].backward_macs + fwd[stage].macs
    assert back["conv1"].backward_macs == fwd["conv1"].backward_macs
    # and it keeps only each stage's input, charged to the stage's first layer: at batch 2
    # and 64x64, 2 x 64 x 16 x 16 x 4 = 131,072 bytes into layer1 and layer2, 2 x 128 x 8
    # x 8 x 4 = 65,536 into layer3, 2 x 256 x 4 x 4 x 4 = 32,768 into layer4
    saved = {r.name: r.saved_bytes for r in ckpt.layers if r.saved_bytes}
    assert {k: v for k, v in saved.items() if k.startswith("layer")} == {
        "layer1.0.conv1": 131_072, "layer2.0.conv1": 131_072, "layer3.0.conv1": 65_536,
        "layer4.0.conv1": 32_768}


class ChangedInPlace(nn.Module):
    """sigmoid saves its output for the backward; mul_ then changes it: PyTorch refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Conv2d(4, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(self.conv(x))
        y.mul_(2)
        return self.head(y)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_step_pytorch_refuses_fails_naming_the_operator(device: str) -> None:
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y = ChangedInPlace()(torch.zeros(1, 3, 8, 8))  # PyTorch itself, no hooks
        y.sum().backward()
    with pytest.raises(ModelError, match=r"aten\.mul_ changed a tensor SigmoidBackward0 saved"):
        resnet_inspect.inspect(ChangedInPlace(), (3, 8, 8), train=True, device=device)


def test_in_place_where_pytorch_allows_it_still_counts() -> None:
    # torchvision's ResNet runs ReLU(inplace=True) after batch-norm: allowed, as batch-norm
    # saved its input, not its output
    tm = resnet_inspect.inspect("resnet18", batch=2, train=True).training_memory
    assert tm is not None and tm.activations_saved > 0


def test_attention_keeps_what_the_fused_kernel_keeps() -> None:
    from tests.reference_models import SdpaAttention

    # batch 2, 64 tokens, dim 32, 4 heads of 8: torch's CPU picks its flash kernel for
    # float32 here (asked of torch itself on CPU tensors below), which saves q, k, v (views
    # of one qkv storage, 2 x 64 x 96 x 4 = 49,152 bytes), its output (2 x 4 x 64 x 8 x 4 =
    # 16,384) and the log-sum-exp of each row (2 x 4 x 64 x 4 = 2,048); not the 2 x 4 x 64
    # x 64 attention matrix of the math path (131,072 bytes, and its softmax as much again)
    q = torch.zeros(2, 4, 64, 8)
    assert torch._fused_sdp_choice(q, q, q) == torch.nn.attention.SDPBackend.FLASH_ATTENTION.value
    report = resnet_inspect.inspect(SdpaAttention(32, 4), (64, 32), batch=2, train=True)
    rows = {r.name: r.saved_bytes for r in report.layers}
    # the kernel lays its output out as batch x tokens x heads x dims, so transpose(1, 2)
    # and reshape are views of it: the proj Linear saves that same storage (counted once);
    # the qkv Linear's input is the model's input, not an activation
    assert rows == {"qkv": 0, "SdpaAttention": 49_152 + 16_384 + 2_048, "proj": 0}
    assert report.training_memory.activations_saved == 67_584  # type: ignore[union-attr]
    assert [o["op"] for o in report.operators if "attention" in o["op"]] == \
        ["aten._scaled_dot_product_flash_attention_for_cpu"]


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_an_lstm_keeps_what_onednn_keeps(device: str) -> None:
    # T=3 steps, batch 7, 16 features, hidden 32, 2 layers: E = 3 x 7 x 32 x 4 = 2,688
    # bytes a layer's output. oneDNN's mkldnn_rnn_layer keeps per layer its input (layer 0:
    # the model's input, not an activation), h0 and c0 (nn.LSTM's zeros, 2 x 7 x 32 x 4 =
    # 1,792 bytes each, saved once), its output (E), h and c (7 x 32 x 4 = 896 each) and
    # the workspace it writes (5 E = 13,440): 3,584 + 2,688 + 1,792 + 13,440 = 21,504 for
    # layer 0, 2,688 + 1,792 + 13,440 = 17,920 for layer 1 (its input is layer 0's output)
    model = make("lstm", device=device, features=16, hidden=32, layers=2)
    report = resnet_inspect.inspect(model, (7, 16), batch=3, train=True, device=device)
    assert report.training_memory.activations_saved == 21_504 + 17_920  # type: ignore[union-attr]
    # the unfused path's operators still run: 2 layers x 3 steps x (x W_ih^T + h W_hh^T)
    # = 4 x 32 x (16 + 32) + 4 x 32 x (32 + 32) MACs a sequence and step
    assert report.layers[0].macs == 3 * 7 * 4 * 32 * (16 + 32 + 32 + 32)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_an_lstm_without_biases_keeps_its_weights_once_more(device: str) -> None:
    # The same LSTM as above with bias=False: oneDNN's kernel then holds, per layer, one
    # more copy of its two weight matrices until the backward (measured: a real step adds
    # W per layer over the biased LSTM's, 2.0 MiB at 256 -> 256, 3.0 MiB at 512 -> 256,
    # 6.0 MiB over 3 layers of 256, the same at T=40 and 80). W = 4 x hidden x (input +
    # hidden) x 4 bytes: 4 x 32 x 48 x 4 = 24,576 for layer 0, 4 x 32 x 64 x 4 = 32,768
    # for layer 1, over the 21,504 + 17,920 the biased LSTM keeps
    model = make("lstm", device=device, features=16, hidden=32, layers=2, bias=False)
    report = resnet_inspect.inspect(model, (7, 16), batch=3, train=True, device=device)
    assert report.training_memory.activations_saved == \
        21_504 + 17_920 + 24_576 + 32_768  # type: ignore[union-attr]


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_batch_first_lstm_keeps_its_input_in_time_major_order(device: str) -> None:
    class BatchFirst(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lstm(x)[0]

    # batch 3, T=7, as test_an_lstm_keeps_what_onednn_keeps with batch and T swapped:
    # E = 7 x 3 x 32 x 4 = 2,688; h0 and c0 2 x 3 x 32 x 4 = 768 each, h and c 384 each,
    # the workspace 5 E = 13,440: 1,536 + 2,688 + 768 + 13,440 = 18,432 for layer 0,
    # 2,688 + 768 + 13,440 = 16,896 for layer 1; and the input, copied into time-major
    # order for oneDNN, 3 x 7 x 16 x 4 = 1,344 (measured: a real step adds one input's
    # size over the same LSTM without batch_first, whatever the layers: 0.72 MiB for one
    # layer and 0.71 for three at 0.625 MiB of input; 1.37 at 1.25 MiB of input)
    with torch.device(device):
        model = BatchFirst()
    report = resnet_inspect.inspect(model, (7, 16), batch=3, train=True, device=device)
    assert report.training_memory.activations_saved == \
        18_432 + 16_896 + 1_344  # type: ignore[union-attr]


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_packed_sequence_of_equal_lengths_keeps_what_onednn_keeps(device: str) -> None:
    # The LSTM of test_an_lstm_keeps_what_onednn_keeps on a packed sequence, every length
    # T=3: the CPU runs it as oneDNN's kernel on the data viewed 3 x 7 x 16 (measured: one
    # aten.mkldnn_rnn_layer a layer, as for the batch), so it keeps the same 21,504 +
    # 17,920 bytes; layer 0's input is now pack_padded_sequence's copy of the model's
    # input, an activation: 3 x 7 x 16 x 4 = 1,344 bytes more. The unfused path it was
    # counted on before kept 41,664
    model = make("lstm", device=device, features=16, hidden=32, layers=2, packed=True)
    report = resnet_inspect.inspect(model, (7, 16), batch=3, train=True, device=device)
    assert report.training_memory.activations_saved == \
        21_504 + 17_920 + 1_344  # type: ignore[union-attr]
    # the same operators as the batch's: 3 steps x 7 sequences x 4 x 32 x (16 + 32 + 32 + 32)
    assert report.layers[-1].macs == 3 * 7 * 4 * 32 * (16 + 32 + 32 + 32)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_an_lstm_with_projections_is_counted_on_meta_as_the_cpu_runs_it(
        bidirectional: bool) -> None:
    # oneDNN has no projections: the CPU runs torch's unfused path, computing each layer's
    # input gates for the whole sequence in one product, where meta computes them step
    # by step. Traced on CPU, torch's own C++ path runs (the reference); on meta the
    # step must keep and free the same tensors at the same moments
    counts = []
    for device in ("cpu", "meta"):
        model = make("lstm", device=device, features=16, hidden=32, layers=2, proj_size=8,
                     bidirectional=bidirectional)
        tm = resnet_inspect.inspect(model, (7, 16), batch=5, train=True,
                                    device=device).training_memory
        assert tm is not None
        counts.append((tm.activations_saved, tm.live_peak))
    assert counts[0] == counts[1]
    # the input gates of a layer: 5 x 7 x 4 x 32 x 4 bytes = 17,920, held through it
    assert counts[1][1] > 17_920


@pytest.mark.parametrize(("kind", "size"), [
    ("gru", {}), ("rnn", {}), ("rnn", {"nonlinearity": "relu", "bias": False}),
    ("gru", {"bidirectional": True, "batch_first": True})])
def test_a_gru_or_rnn_is_counted_on_meta_as_the_cpu_runs_it(kind: str, size: dict) -> None:  # type: ignore[type-arg]
    # No oneDNN GRU or RNN: the CPU runs torch's unfused path, computing each layer's
    # input gates for the whole sequence in one product (held through the layer), where
    # meta computes them step by step (op logs of both). Traced on CPU, torch's own C++
    # path runs (the reference); the step on meta must count the same, operators too
    reports = []
    for device in ("cpu", "meta"):
        torch.manual_seed(0)
        cls = nn.GRU if kind == "gru" else nn.RNN
        model = cls(16, 32, num_layers=2, device=device, **size)
        shape = (5, 7, 16) if size.get("batch_first") else (7, 5, 16)
        reports.append(resnet_inspect.inspect(model, shape[1:], batch=shape[0], train=True,
                                              device=device))
    cpu, meta = reports
    assert cpu.training_memory is not None and meta.training_memory is not None
    assert (meta.training_memory.activations_saved, meta.training_memory.live_peak) == \
        (cpu.training_memory.activations_saved, cpu.training_memory.live_peak)
    assert meta.layers == cpu.layers and meta.operators == cpu.operators
    if not size:  # a layer's input gates in one addmm and 7 steps' one each, 2 layers: 16
        # (step by step, 7 x 2 a layer: 28)
        calls = {o["op"]: o["calls"] for o in meta.operators}  # type: ignore[index]
        assert calls["aten.addmm"] == 16


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_bidirectional_lstm_keeps_more_a_direction(device: str) -> None:
    # One layer, 16 -> 32, both directions, T=3, batch 7: E = 3 x 7 x 32 x 4 = 2,688
    # bytes a direction's output, X = 3 x 7 x 16 x 4 = 1,344 the input's (the model's:
    # not an activation). Kept: h0 and c0 (2 x 7 x 32 x 4 = 1,792 each), the layer's
    # output (2 E = 5,376), h and c (1,792 each), and a direction: its workspace (5 E),
    # its own output (E) and max(X, E) (measured: a real step holds 2 max(X, E) more after
    # a bidirectional layer's forward than two directions' workspaces and outputs: 1.26
    # MiB at T=40, batch 16, 256 -> 256; 2.49 at 512 -> 256; 2.34 at 256 -> 512; 5.02 at
    # 1024 -> 256), 2 x (13,440 + 2,688 + 2,688) = 37,632
    model = make("lstm", device=device, features=16, hidden=32, layers=1, bidirectional=True)
    report = resnet_inspect.inspect(model, (7, 16), batch=3, train=True, device=device)
    assert report.training_memory.activations_saved == \
        2 * 1_792 + 5_376 + 2 * 1_792 + 37_632  # type: ignore[union-attr]


def test_the_lstm_workspace_modelled_fits_what_torchs_kernel_reserves() -> None:
    from resnet_inspect.trace.kernels import onednn_lstm_workspace

    # torch's CPU kernel reports the workspace it reserves (more than it writes): what is
    # modelled as written must fit in it, and be at least the gates of every step
    steps, batch, hidden = 5, 3, 16
    x = torch.zeros(steps, batch, 8)
    w_ih, w_hh, b = torch.zeros(4 * hidden, 8), torch.zeros(4 * hidden, hidden), \
        torch.zeros(4 * hidden)
    h = torch.zeros(batch, hidden)
    workspace = torch.ops.aten.mkldnn_rnn_layer(x, w_ih, w_hh, b, b, h, h, False, [], 2,
                                                hidden, 1, True, False, False, True)[3]
    modelled = onednn_lstm_workspace(steps, batch, hidden)
    assert 4 * steps * batch * 4 * hidden <= modelled <= workspace.numel() * \
        workspace.element_size()


@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_attention_runs_the_kernel_the_cpu_would(need_weights: bool) -> None:
    class Mha(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(32, 4, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.attn(x, x, x, need_weights=need_weights)[0]

    report = resnet_inspect.inspect(Mha(), (64, 32), batch=2, train=True)
    ops = [o["op"] for o in report.operators]
    # need_weights=False: F.multi_head_attention_forward calls SDPA, for which torch's CPU
    # picks its flash kernel at these shapes (test_attention_keeps_what_the_fused_kernel_
    # keeps); with the weights asked for, torch runs the math path itself (bmm, softmax)
    assert ("aten._scaled_dot_product_flash_attention_for_cpu" in ops) is not need_weights
    assert ("aten._softmax" in ops) is need_weights


@pytest.mark.parametrize("fails", [False, True])
def test_a_step_leaves_scaled_dot_product_attention_as_it_found_it(
        fails: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.nn.functional as F

    # the step points F.scaled_dot_product_attention at its mode while an
    # nn.MultiheadAttention runs; another library's wrapper of it installed before the
    # trace must be there after, whether the attention call succeeds or raises
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        return torch._C._nn.scaled_dot_product_attention(*args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", wrapper)

    class Mha(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(32, 4, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # a key padding mask of the wrong length fails inside the attention call
            mask = torch.zeros(x.shape[0], x.shape[1] + fails, dtype=torch.bool,
                               device=x.device)
            return self.attn(x, x, x, need_weights=False, key_padding_mask=mask)[0]

    if fails:
        with pytest.raises(ModelError):
            resnet_inspect.inspect(Mha(), (8, 32), batch=2, train=True)
    else:
        resnet_inspect.inspect(Mha(), (8, 32), batch=2, train=True)
    assert F.scaled_dot_product_attention is wrapper


def test_two_traces_ending_out_of_order_leave_attention_as_it_was() -> None:
    import threading

    import torch.nn.functional as F

    from resnet_inspect.trace.kernels import DeviceKernels, _nested_attention_seen

    # two threads' steps, each inside an nn.MultiheadAttention, the first to start ending
    # first: F.scaled_dot_product_attention is torch's own after both (a step that put
    # back what it found would put back the other thread's stand-in, for good)
    original = F.scaled_dot_product_attention
    first, second = _nested_attention_seen(DeviceKernels()), \
        _nested_attention_seen(DeviceKernels())
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    assert F.scaled_dot_product_attention is original
    # meanwhile, a thread that is not in a step calls the function it would have called,
    # not the step's mode (which counts for the thread that runs the step)
    class Recording(DeviceKernels):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            calls.append(threading.current_thread().name)
            return super().__torch_function__(func, types, args, kwargs)

    calls: list[str] = []
    with _nested_attention_seen(Recording()):
        q = torch.zeros(1, 1, 2, 4)
        other = threading.Thread(target=lambda: F.scaled_dot_product_attention(q, q, q),
                                 name="other")
        other.start()
        other.join()
        F.scaled_dot_product_attention(q, q, q)  # this thread's: the mode's
    assert calls == [threading.current_thread().name]


def test_a_call_that_looked_up_the_stand_in_before_the_step_left_still_runs() -> None:
    import torch.nn.functional as F

    from resnet_inspect.trace.kernels import DeviceKernels, _nested_attention_seen

    # another thread reads F.scaled_dot_product_attention (the stand-in) while a step is
    # inside an MHA, and calls it after the step has left: torch's function answers
    with _nested_attention_seen(DeviceKernels()):
        looked_up = F.scaled_dot_product_attention
    q = torch.ones(1, 1, 2, 4)
    assert torch.equal(looked_up(q, q, q), q)  # equal keys: the mean of equal values


def test_check_train_agrees_on_multihead_attentions_fused_kernel() -> None:
    from resnet_inspect.analysis.train_check import check_training
    from tests.step_models import MhaBlock

    # batch 2 x 64 tokens = 128, dim 32, 4 heads of 8. Forward MACs: in_proj 128 x 32 x
    # 96 = 393,216, out_proj 128 x 32 x 32 = 131,072, the MLP 2 x 128 x 32 x 128 =
    # 1,048,576, attention Q K^T and A V 2 x (2 x 4 x 64 x 64 x 8) = 524,288: 2,097,152.
    # Backward: every Linear's weight and input gradient, 2 x 1,572,864 = 3,145,728, and
    # the fused kernel's 2.5 x its forward (the scores recomputed), 1,310,720: 4,456,448.
    model = MhaBlock(32, 4)
    step = check_training(model, resnet_inspect.inspect(model, (64, 32), batch=2, train=True))
    assert (step.forward_macs, step.backward_macs) == (2_097_152, 4_456_448)
    assert step.torch_flops == step.ours_flops == 2 * (2_097_152 + 4_456_448)
    assert step.accounted


def test_a_changed_private_torch_api_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from resnet_inspect.errors import RunFailure
    from tests.reference_models import SdpaAttention

    monkeypatch.delattr(torch, "_fused_sdp_choice")
    with pytest.raises(RunFailure, match=r"torch\._fused_sdp_choice"):
        resnet_inspect.inspect(SdpaAttention(32, 4), (64, 32), batch=2, train=True)


def _temporaries_of_torchs_step(optimizer: type, foreach: bool) -> int:
    """The most bytes torch.optim's own step holds beyond its state and gradients, run on
    meta under a mode that follows every storage it allocates."""
    import weakref

    from torch.utils._python_dispatch import TorchDispatchMode

    params = [nn.Parameter(torch.empty(s, device="meta")) for s in ((64, 32), (300,), (8, 8))]
    for p in params:
        p.grad = torch.empty_like(p)
    opt = optimizer(params, foreach=foreach)
    opt.step()  # the state, made once
    live = [0, 0]  # now, most

    def free(n: int) -> None:
        live[0] -= n

    class Follow(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            mine = {a.untyped_storage()._cdata for a in args if isinstance(a, torch.Tensor)}
            for t in out if isinstance(out, (list, tuple)) else [out]:
                if isinstance(t, torch.Tensor) and t.untyped_storage()._cdata not in mine:
                    s = t.untyped_storage()
                    n = s.nbytes()
                    live[0] += n
                    live[1] = max(live)
                    weakref.finalize(s, free, n)
            return out

    with Follow():
        opt.step()
    return live[1]


@pytest.mark.parametrize("foreach", [False, True])
def test_optimizer_temporaries_as_torchs_own_step(foreach: bool) -> None:
    model = nn.ParameterList([nn.Parameter(torch.empty(s, device="meta"))
                              for s in ((64, 32), (300,), (8, 8))])
    adam = _temporaries_of_torchs_step(torch.optim.Adam, foreach)
    # one at a time: sqrt and quotient of the largest, 2 x 64 x 32 x 4 = 16,384 bytes;
    # foreach: one sqrt of every parameter, (2,048 + 300 + 64) x 4 = 9,648 bytes (torch's
    # foreach list ops on meta may add scalars of a few bytes: within 64)
    assert optimizer_temporaries(model, Step("adam"), foreach) == (9_648 if foreach else 16_384)
    assert abs(adam - optimizer_temporaries(model, Step("adam"), foreach)) <= 64
    sgd = _temporaries_of_torchs_step(torch.optim.SGD, foreach)
    assert optimizer_temporaries(model, Step("sgd"), foreach) == 0 and sgd <= 64


def _workspace(x: tuple[int, ...], w: tuple[int, ...], stride: int, padding: int,
               mask: list[bool], groups: int = 1) -> int:
    """conv_backward_workspace for a float32 convolution of these shapes, on one thread."""
    xt, wt = torch.empty(x, device="meta"), torch.empty(w, device="meta")
    gy = torch.nn.functional.conv2d(xt, wt, None, stride, padding, 1, groups)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return conv_backward_workspace((gy, xt, wt, None, [stride] * 2, [padding] * 2, [1, 1],
                                        False, [0, 0], groups, mask))
    finally:
        torch.set_num_threads(threads)


def test_convolution_backward_workspace_as_measured() -> None:
    both, weight, data = [True, True, False], [False, True, False], [True, False, False]
    x = (8, 64, 56, 56)  # 8 x 64 x 56 x 56 x 4 = 6,422,528 bytes; a 3x3/1 output as much
    # the weight gradient: the input and the output's gradient in oneDNN's blocked layout
    # (measured 12.09 MiB = 12.68 MB by benchmarks/conv_workspace.py; 2 x 6,422,528 =
    # 12,845,056); with the input gradient as well, the larger of the two
    assert _workspace(x, (64, 64, 3, 3), 1, 1, weight) == 12_845_056
    assert _workspace(x, (64, 64, 3, 3), 1, 1, both) == 12_845_056
    # the input gradient at stride 1: the output's gradient and the weight (64 x 64 x 9 x 4
    # = 147,456) reordered, next to the blocked result (measured 6.25 MiB = 6.55 MB)
    assert _workspace(x, (64, 64, 3, 3), 1, 1, data) == 6_422_528 + 147_456
    # strided: twice the input gradient (measured 12.32 MiB = 12.92 MB)
    assert _workspace(x, (128, 64, 3, 3), 2, 1, data) == 2 * 6_422_528
    # the stem: its 3-channel image read as it is, only the output's gradient reordered,
    # 8 x 64 x 112 x 112 x 4 = 25,690,112 (measured 24.41 MiB = 25.60 MB)
    assert _workspace((8, 3, 224, 224), (64, 3, 7, 7), 2, 3, weight) == 25_690_112
    # a 1x1/1 convolution at batch 8 on one thread runs torch's own kernel: no columns, no
    # reorders (measured 0.07 MiB); groups were not measured: not modelled
    assert _workspace((8, 256, 14, 14), (512, 256, 1, 1), 1, 0, both) == 0
    assert _workspace(x, (64, 32, 3, 3), 1, 1, both, groups=2) == 0


@pytest.mark.slow
def test_the_first_trace_in_a_process_counts_what_later_ones_do() -> None:
    import subprocess

    code = ("import resnet_inspect\n"
            "for _ in range(2):\n"
            "    print(resnet_inspect.inspect('resnet18', batch=3, train=True,"
            " optimizer='sgd').training_memory.peak)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    first, second = done.stdout.split()
    assert first == second


# The real steps: counted (input + live_peak, on meta) within 5% of what the step adds to
# a fresh process's resident high-water mark. Sizes keep each under a few seconds here.
REAL = [
    ("resnet", [2, 3, 96, 96], {"depth": 18}),
    ("resnet", [4, 3, 160, 160], {"depth": 18}),  # its peak in the backward, not at the step
    ("checkpoint", [2, 3, 96, 96], {"depth": 18}),
    ("checkpoint", [2, 3, 96, 96], {"depth": 18, "reentrant": True, "per_block": True}),
    # its peak is layer2.0's strided 1x1 shortcut's input gradient (oneDNN holds twice
    # its input) while the block is recomputed: 6.4% low when that was not counted
    ("checkpoint", [8, 3, 128, 128], {"depth": 50, "reentrant": True, "per_block": True}),
    ("lstm", [40, 16, 256], {"features": 256, "hidden": 256, "layers": 2}),
    # an input wider than hidden: 23.1 MiB real, 20.9 counted (-9%) before the backward's
    # scratch grew by 3 x (input - output) bytes
    ("lstm", [40, 16, 512], {"features": 512, "hidden": 256, "layers": 1}),
    # bias=False: 24.76 MiB real, 20.5 counted (-17%) when its weights' copy was not held
    ("lstm", [40, 16, 256], {"features": 256, "hidden": 256, "layers": 2, "bias": False}),
    # bidirectional: 41.7 MiB real, 34.9 counted (-16%) before each direction held
    # max(input, output) more after the forward and E more in its backward
    ("lstm", [40, 16, 256], {"features": 256, "hidden": 256, "layers": 2,
                             "bidirectional": True}),
    # proj_size: oneDNN has none, the CPU's unfused path computes each layer's input gates
    # in one product (held through the layer): 44.82 MiB counted, 53.0 real (-15%) when
    # meta computed them step by step. Batch 128: each step's tensors (128 x 128 x 4
    # bytes and up) above the 64 KiB mmap threshold, as for the GRU below
    ("lstm", [20, 128, 256], {"features": 256, "hidden": 256, "layers": 2,
                              "proj_size": 128}),
    # a packed sequence, every length 40: run as oneDNN's kernel, as the batch is; 21.38
    # MiB real, 16.40 counted (-23%) when it was counted on the unfused path
    ("lstm", [40, 16, 256], {"features": 256, "hidden": 256, "layers": 2, "packed": True}),
    # batch 64: each step's gates (64 x 768 x 4 bytes) above the 64 KiB mmap threshold, so
    # their memory is the process's own to measure (at batch 16 they come from heap chunks
    # the first step freed, which resident memory never shows again: real 6.6 MiB there)
    ("gru", [20, 64, 256], {"features": 256, "hidden": 256, "layers": 2}),
    # batch 128: 46.9 MiB counted, 50.19 real (-6.6%) when meta computed each step's input
    # gates on its own, where the CPU computes a layer's at once and holds them through it
    ("gru", [20, 128, 256], {"features": 256, "hidden": 256, "layers": 2}),
    ("vit", [8, 3, 128, 128], {"image": 128, "patch": 16, "dim": 192, "depth": 4,
                               "heads": 3}),
    ("mha-vit", [8, 3, 128, 128], {"image": 128, "patch": 16, "dim": 192, "depth": 4,
                                   "heads": 3}),
]


@pytest.mark.slow
@linux
@pytest.mark.parametrize(("name", "shape", "size"), REAL,
                         ids=["cnn", "cnn-backward-peak", "checkpoint",
                              "checkpoint-reentrant-blocks", "resnet50-reentrant-blocks", "lstm",
                              "lstm-wide-input", "lstm-no-bias", "lstm-bidirectional",
                              "lstm-proj", "lstm-packed", "gru", "gru-batch-128", "vit",
                              "mha-vit"])
def test_the_counted_peak_is_a_real_steps(name: str, shape: list[int], size: dict) -> None:  # type: ignore[type-arg]
    real = real_step_peak(name, shape, **size)
    counted, saved = counted_step_peak(name, shape, **size)
    assert counted >= saved
    # plain CNNs within 2%: convolution backward's workspace is modelled (issue 21 item 3)
    tolerance = 0.02 if name == "resnet" else 0.05
    assert abs(counted - real) <= tolerance * real, (counted / MIB, real / MIB)
