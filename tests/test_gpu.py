"""The CUDA paths: tracing on the GPU and `--time` with CUDA events and measured peak
memory. Skipped cleanly where PyTorch sees no CUDA device."""

from __future__ import annotations

import pytest
import torch

import resnet_inspect
from resnet_inspect.analysis.timing import measure
from tests.published import PARAMS

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_cuda_trace_counts_equal_meta() -> None:
    meta = resnet_inspect.inspect("resnet50", device="meta")
    cuda = resnet_inspect.inspect("resnet50", device="cuda")
    assert cuda.device.startswith("cuda")
    assert cuda.totals == meta.totals
    assert [r.output_shape for r in cuda.layers] == [r.output_shape for r in meta.layers]
    # torchvision docs: resnet50 4.09 GFLOPS (GMACs), 25,557,032 params
    assert (cuda.totals.params, round(cuda.totals.macs / 1e9, 2)) == (PARAMS["resnet50"], 4.09)


@pytest.mark.parametrize("batch", [1, 8])
def test_cuda_timing_with_events_and_peak_memory(batch: int) -> None:
    report, timing = measure("resnet50", batch=batch, device="cuda", warmup=2, repeats=3)
    assert timing.method == "CUDA events"
    assert timing.device_name  # the GPU's name, for the docs
    assert all(layer.seconds > 0 for layer in timing.layers)
    assert [layer.name for layer in timing.layers] == [r.name for r in report.layers]
    # GPU time of the layers fits inside the GPU time of the forward that ran them
    forward, layers = min(timing.passes)
    assert 0 < layers <= forward * 1.05
    m = report.memory
    assert timing.peak_inference_bytes is not None and timing.peak_training_bytes is not None
    assert timing.peak_inference_bytes >= m.param_bytes + m.input_bytes
    assert timing.peak_training_bytes >= timing.peak_inference_bytes
    assert m.measured_peak_bytes == timing.peak_inference_bytes


def test_cuda_timing_leaves_a_cpu_model_on_the_cpu() -> None:
    model = resnet_inspect.build("resnet18")
    measure(model, input_shape=(3, 64, 64), device="cuda", warmup=1, repeats=1)
    assert model.conv1.weight.device.type == "cpu"


@pytest.mark.parametrize("batch", [16, 64])
def test_cuda_training_step_peak_agrees_with_the_allocator(batch: int) -> None:
    # One real step on the GPU (forward, backward, Adam) against our count on meta. The
    # allocator rounds each block up (512 B) and cuDNN takes workspaces, so allow 10%.
    from resnet_inspect.models.builder import build_model
    from resnet_inspect.spec.registry import get_spec

    counted = resnet_inspect.inspect("resnet50", batch=batch, train=True,
                                     optimizer="adam").training_memory
    assert counted is not None
    model = build_model(get_spec("resnet50"), device="cuda").train()
    opt = torch.optim.Adam(model.parameters())
    x = torch.zeros(batch, 3, 224, 224, device="cuda")
    for _ in range(2):  # the second step holds the optimizer state from the first
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        out = model(x)
        out.backward(torch.ones_like(out))
        opt.step()
        opt.zero_grad(set_to_none=True)
        del out
    peak = torch.cuda.max_memory_allocated()
    assert abs(peak - counted.peak) <= 0.10 * counted.peak, (peak, counted.peak)
