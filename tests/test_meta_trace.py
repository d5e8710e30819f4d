"""The meta fast path: the shape rules (counting/meta_ops.py), run as the dispatch mode
`check` uses and inside the counter, agree with torch's own kernels, layer by layer."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

import resnet_inspect
from resnet_inspect.counting.meta_ops import MetaRules
from resnet_inspect.spec.arch import BlockKind, ShortcutKind, StemKind, StrideOn

CASES = [
    # (function, real-device args builder) with odd sizes, ceil mode, dilation, padding
    (F.conv2d, lambda: (torch.zeros(2, 6, 17, 23), torch.zeros(8, 3, 3, 5)),
     {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    (F.conv2d, lambda: (torch.zeros(1, 3, 15, 15), torch.zeros(4, 3, 7, 7)),
     {"stride": 2, "padding": 3}),
    (F.conv1d, lambda: (torch.zeros(1, 4, 31), torch.zeros(2, 4, 3)), {"stride": 2}),
    (F.max_pool2d, lambda: (torch.zeros(1, 2, 17, 18),), {"kernel_size": 3, "stride": 2,
                                                         "padding": 1, "ceil_mode": True}),
    (F.max_pool2d, lambda: (torch.zeros(1, 2, 8, 9),), {"kernel_size": 2, "ceil_mode": True}),
    (F.max_pool2d, lambda: (torch.zeros(1, 2, 11, 11),), {"kernel_size": 3, "stride": 2,
                                                         "dilation": 2}),
    (F.avg_pool2d, lambda: (torch.zeros(1, 2, 7, 9),), {"kernel_size": 2, "stride": 2,
                                                       "ceil_mode": True,
                                                       "count_include_pad": False}),
    (F.adaptive_avg_pool2d, lambda: (torch.zeros(2, 5, 7, 3),), {"output_size": (1, None)}),
    (torch.flatten, lambda: (torch.zeros(2, 3, 4, 5),), {"start_dim": 1}),
    (F.linear, lambda: (torch.zeros(3, 7), torch.zeros(5, 7)), {}),
    (F.pad, lambda: (torch.zeros(1, 4, 5, 5),), {"pad": (0, 0, 0, 0, 0, 4)}),
    (F.relu, lambda: (torch.zeros(2, 3),), {}),
    (torch.tanh, lambda: (torch.zeros(2, 3),), {}),
    (F.dropout, lambda: (torch.zeros(2, 3),), {"p": 0.5, "training": False}),
]


@pytest.mark.parametrize(("func", "make", "kwargs"), CASES)
def test_rule_matches_torch(func, make, kwargs) -> None:  # type: ignore[no-untyped-def]
    real = func(*make(), **kwargs)
    meta_args = tuple(a.to("meta") for a in make())
    with MetaRules():
        fast = func(*meta_args, **kwargs)
    assert fast.device.type == "meta"
    assert (fast.shape, fast.stride()) == (real.shape, real.stride())


def test_torchs_counter_still_sees_every_operator_the_rules_answer() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    x, w = torch.zeros(2, 3, 8, 8, device="meta"), torch.zeros(4, 3, 3, 3, device="meta")
    with MetaRules(), FlopCounterMode(display=False) as counter:
        F.relu(F.conv2d(x, w))
    # conv: out 2 x 4 x 6 x 6 = 288 positions x 27 MACs = 7,776 MACs = 15,552 FLOPs
    assert counter.get_total_flops() == 15_552


def test_uncovered_and_invalid_calls_fall_through_to_torch() -> None:
    x, w = torch.zeros(1, 3, 8, 8, device="meta"), torch.zeros(4, 5, 3, 3, device="meta")
    with MetaRules(), pytest.raises(RuntimeError):
        F.conv2d(x, w)  # 3 input channels, weight expects 5: torch's own error
    with MetaRules():
        same = F.conv2d(x, torch.zeros(4, 3, 3, 3, device="meta"), padding="same")
    assert same.shape == (1, 4, 8, 8)


SPECS = {
    "resnet18 option A": resnet_inspect.resolve_spec("resnet18", shortcut=ShortcutKind.A),
    "resnet50 v1, deep stem, avg-down": resnet_inspect.resolve_spec(
        "resnet50", stride_on=StrideOn.CONV1X1, stem=StemKind.DEEP, avg_down=True),
    "preact bottleneck, option C": resnet_inspect.resolve_spec(
        "resnet50", block=BlockKind.PREACT_BOTTLENECK, shortcut=ShortcutKind.C),
    "resnext cifar plain": resnet_inspect.resolve_spec(
        "resnet50", groups=4, width_per_group=8, stem=StemKind.CIFAR, plain=True),
}


@pytest.mark.parametrize("key", SPECS)
@pytest.mark.parametrize("size", [(3, 57, 61), (3, 33, 32)])
def test_meta_trace_equals_cpu_trace(key: str, size: tuple[int, int, int]) -> None:
    # The CPU trace runs torch's real kernels: the authority for every shape and count.
    spec = SPECS[key]
    meta = resnet_inspect.inspect(spec, input_shape=size, batch=2, device="meta")
    cpu = resnet_inspect.inspect(spec, input_shape=size, batch=2, device="cpu")
    assert meta.device == "meta" and cpu.device == "cpu"
    assert [(r.name, r.input_shape, r.output_shape, r.macs, r.flops, r.params)
            for r in meta.layers] == [
        (r.name, r.input_shape, r.output_shape, r.macs, r.flops, r.params) for r in cpu.layers]
    assert meta.totals == cpu.totals
    assert meta.memory == cpu.memory


def test_auto_traces_on_meta_and_leaves_a_real_model_untouched() -> None:
    model = resnet_inspect.build("resnet18")
    model.train()
    model.layer1.eval()  # a partly frozen model keeps its mixed flags
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = resnet_inspect.inspect(model, device="auto")
    assert report.device == "meta"
    # torchvision docs, resnet18: 11,689,512 params, 1.81 GFLOPS
    assert report.totals.params == 11_689_512
    assert round(report.totals.macs / 1e9, 2) == 1.81
    after = model.state_dict()
    assert all(after[k].device.type == "cpu" and torch.equal(after[k], v)
               for k, v in before.items())
    assert model.training and not model.layer1.training and model.layer2.training


def test_meta_trace_of_a_resnet_needs_no_torch_decompositions() -> None:
    # The first call of some meta decompositions imports torch._dynamo (about a second);
    # the fast path must not reach them for any standard ResNet. A fresh interpreter is
    # needed to see imports, so this runs in a subprocess.
    import subprocess

    code = ("import sys, resnet_inspect\n"
            "for name in ('resnet50', 'preact_resnet18', 'resnet20', 'resnet50d', 'lenet5',"
            " 'vgg11_bn'):\n"
            "    assert resnet_inspect.inspect(name).device == 'meta'\n"
            "print('torch._dynamo' in sys.modules, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


class _DataDependent(torch.nn.Module):
    """Control flow on a value: impossible on meta, fine on a real device."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return y * 2 if y.sum().item() >= 0 else y


def test_auto_falls_back_to_a_real_device_when_meta_cannot_run() -> None:
    # said as the CLI's note is, as a warning the caller can filter (docs/errors.md)
    with pytest.warns(resnet_inspect.InspectWarning, match="traced on cpu: "):
        report = resnet_inspect.inspect(_DataDependent(), input_shape=(3, 8, 8))
    assert report.device == "cpu" and report.device_fallback
    # 4 x 6 x 6 outputs x (3 x 3 x 3) MACs each = 144 x 27 = 3,888
    assert report.totals.macs == 3_888
    with pytest.raises(resnet_inspect.InspectError, match="does not run on the meta device"):
        resnet_inspect.inspect(_DataDependent(), input_shape=(3, 8, 8), device="meta")


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg11_bn", "resnet20"])
def test_meta_trace_equals_cpu_trace_for_other_families(name: str) -> None:
    meta = resnet_inspect.inspect(name, device="meta")
    cpu = resnet_inspect.inspect(name, device="cpu")
    assert [(r.name, r.output_shape, r.macs, r.flops) for r in meta.layers] == [
        (r.name, r.output_shape, r.macs, r.flops) for r in cpu.layers]
    assert meta.totals == cpu.totals
