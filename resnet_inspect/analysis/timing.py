"""Measured on the device (`--time`): per-layer forward time, achieved GFLOP/s, peak memory
beside the estimate, and what the timing hooks themselves cost.

How it measures:
- On a GPU, each leaf module is bracketed by CUDA events recorded on the current stream
  (a pre-hook and a forward hook), so a layer's time is the GPU's own, not the launch
  time; the whole forward is bracketed the same way. After `warmup` untimed passes,
  `repeats` timed passes are run and each figure is the median over them.
- On a CPU, the same hooks read `time.perf_counter()`; the work is synchronous there.
- The bare forward (no hooks) is timed the same number of times; the difference is the
  hook overhead, reported, never hidden in the layer figures.
- Passes come in rounds of `repeats` (bare and hooked alternating) until both medians have
  settled (timing_stats.py: a standard error within 2%), or 8 rounds, or 30 s; an overhead
  is given only when it stands above twice its standard error, never negative.
- GFLOP/s of a layer = its FLOPs (the report's per-layer FLOPs: 2 per MAC of conv and fc,
  the counted FLOPs of batch-norm, activations, pooling and adds) / its median time. The
  network's figure uses the headline FLOPs (2 x conv+fc MACs) over the bare forward.
- Peak memory (CUDA only) is `torch.cuda.max_memory_allocated()` over a forward, from a
  reset, once under no_grad (inference) and once with autograd recording (what training
  keeps for backward), beside the report's estimate.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from resnet_inspect.analysis import timing_stats as stats
from resnet_inspect.counting.categories import PRODUCTS, Headline
from resnet_inspect.errors import InspectError
from resnet_inspect.private import child_modules
from resnet_inspect.report.model import Report

Progress = Callable[[int, int], None]  # (done, total) passes


@dataclass
class LayerTime:
    name: str
    type: str
    category: str
    seconds: float  # median over the timed passes
    flops: int
    gflops_per_s: float | None  # None for layers that do no counted arithmetic


@dataclass
class Timing:
    model: str
    device: str  # "cuda:0", "cpu"
    device_name: str  # the GPU's name, or the CPU's
    input_shape: list[int]
    dtype: str
    method: str  # "CUDA events" or "wall clock"
    warmup: int
    repeats: int
    layers: list[LayerTime]
    forward_seconds: float  # with the timing hooks, median
    bare_seconds: float  # without hooks, median
    headline_flops: int
    settled: bool = True  # both medians known to within timing_stats.TARGET
    noise_seconds: float = 0.0  # what a difference of the two medians must exceed
    peak_inference_bytes: int | None = None  # CUDA only
    peak_training_bytes: int | None = None  # CUDA only: forward with autograd recording
    estimate_bytes: int = 0  # the report's total estimate
    estimate_inference_bytes: int = 0  # params + buffers + input + largest activation pair
    # each timed pass: (forward with hooks, sum of its layers), both in seconds
    passes: list[tuple[float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def layer_seconds(self) -> float:
        return sum(layer.seconds for layer in self.layers)

    @property
    def hook_overhead_seconds(self) -> float | None:
        """Hooked minus bare median, when settled and above the noise; else None."""
        if not self.settled:
            return None
        diff = self.forward_seconds - self.bare_seconds
        return diff if diff > 0 and diff > self.noise_seconds else None

    @property
    def gflops_per_s(self) -> float:
        return self.headline_flops / self.bare_seconds / 1e9 if self.bare_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(layer_seconds=self.layer_seconds,
                    hook_overhead_seconds=self.hook_overhead_seconds,
                    gflops_per_s=self.gflops_per_s)
        return data


def time_forward(
    model: Any,
    report: Report,
    device: str = "auto",
    warmup: int | None = None,
    repeats: int | None = None,
    progress: Progress | None = None,
    input_dtype: str | None = None,
    max_rounds: int = stats.MAX_ROUNDS,  # 1: exactly `repeats` passes, settled or not
) -> Timing:
    """Time `model`'s forward on a real device, layer by layer; `report` is its trace.

    The model is moved to the device for the measurement and moved back afterwards.
    """
    import torch

    from resnet_inspect.trace.device import paused_gc, resolve_device
    from resnet_inspect.trace.inputs import input_dtype_named, made_input
    from resnet_inspect.trace.training import eval_mode

    target = resolve_device(device, measure=True)
    warmup, repeats = stats.passes(target.type, warmup, repeats)
    if target.type == "meta":
        raise InspectError(
            "--time measures on a real device, and meta computes nothing; "
            "use --device auto, cpu or cuda"
        )
    params = list(model.parameters())
    # the input takes the weights' dtype: a half-precision model is timed in half
    dtype = params[0].dtype if params else getattr(torch, report.dtype)
    original = params[0].device if params else target
    if original.type == "meta":
        raise InspectError("--time needs a model with real weights, not one built on meta")
    model.to(target)
    cuda = target.type == "cuda"
    # the trace's input: zeros of that dtype, or token ids in the model's range
    x = made_input(model, report.input_shape, input_dtype_named(input_dtype) or dtype, target)
    total = warmup + 2 * repeats
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    try:
        with eval_mode(model), torch.no_grad(), paused_gc():
            clock = _CudaClock(torch) if cuda else _WallClock()
            for _ in range(warmup):
                model(x)
                tick()
            if cuda:
                torch.cuda.synchronize(target)
            # Bare and hooked passes alternate, so that a busy moment on the machine (or a
            # GPU clock change) falls on both alike rather than on one set.
            bare: list[float] = []
            per_call: list[list[tuple[str, float]]] = []
            forward: list[float] = []
            began = time.perf_counter()
            for round_ in range(1, max(1, max_rounds) + 1):
                for _ in range(repeats):
                    start = clock.mark()
                    model(x)
                    bare.append(clock.since(start))
                    tick()
                    calls, seconds = _hooked_pass(model, x, clock)
                    per_call.append(calls)
                    forward.append(seconds)
                    tick()
                if (stats.settled(bare, forward) or round_ >= max_rounds
                        or time.perf_counter() - began > stats.BUDGET_SECONDS):
                    break
                total += 2 * repeats  # another round: the progress bar grows
        with eval_mode(model):
            peaks = _peaks(torch, model, x, target) if cuda else (None, None)
    finally:
        model.to(original)

    return _timing(torch, report, target, warmup, bare, per_call, forward, peaks)


def _timing(torch: Any, report: Report, target: Any, warmup: int, bare: list[float],
            per_call: list[list[tuple[str, float]]], forward: list[float],
            peaks: tuple[int | None, int | None]) -> Timing:
    """The measured passes as a Timing: medians, per-layer times, the estimate beside."""
    cuda = target.type == "cuda"
    layers = _layer_times(report, per_call)
    flops_headline = report.totals.flops if report.totals.headline == Headline.CONV else sum(
        report.totals.by_category.get(c, {}).get("flops", 0)
        for c in PRODUCTS
    )
    notes = []
    if len(layers) != len(report.layers):
        notes.append(f"timed {len(layers)} layer calls but the trace has {len(report.layers)}")
    return Timing(
        model=report.model,
        device=str(target),
        device_name=_device_name(torch, target),
        input_shape=report.input_shape,
        dtype=report.dtype,
        method="CUDA events" if cuda else "wall clock",
        warmup=warmup,
        repeats=len(bare),
        layers=layers,
        forward_seconds=statistics.median(forward),
        bare_seconds=statistics.median(bare),
        headline_flops=flops_headline,
        settled=stats.settled(bare, forward),
        noise_seconds=stats.noise(bare, forward) if len(bare) > 1 else 0.0,
        peak_inference_bytes=peaks[0],
        peak_training_bytes=peaks[1],
        estimate_bytes=report.memory.total_bytes,
        estimate_inference_bytes=_inference_estimate(report),
        passes=[(f, sum(s for _, s in calls)) for f, calls in zip(forward, per_call, strict=True)],
        notes=notes,
    )


def measure(
    model_or_name: Any,
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "auto",
    warmup: int | None = None,
    repeats: int | None = None,
    progress: Progress | None = None,
    headline: str = "conv",
    input_dtype: str | None = None,
) -> tuple[Report, Timing]:
    """Trace (on meta, for the counts) and time (on the real device) one network."""
    import torch

    from resnet_inspect.models.builder import build_model
    from resnet_inspect.spec.registry import resolve_spec
    from resnet_inspect.trace.device import resolve_device
    from resnet_inspect.trace.run import inspect as inspect_model

    target = resolve_device(device, measure=True)
    if isinstance(model_or_name, torch.nn.Module):
        model = model_or_name
        shape = tuple(input_shape) if input_shape is not None else (3, 224, 224)
    else:
        spec = resolve_spec(model_or_name)
        shape = tuple(input_shape) if input_shape is not None else spec.input_shape
        if target.type == "meta":
            raise InspectError("--time measures on a real device; use --device auto, cpu or cuda")
        # zero weights (BN at identity) time the same as trained ones and build faster
        model = build_model(spec, device=target, init=False)
    report = inspect_model(model, shape, batch=batch, device="meta", headline=headline,
                           input_dtype=input_dtype)
    timing = time_forward(model, report, str(target), warmup, repeats, progress, input_dtype)
    report.memory.measured_peak_bytes = timing.peak_inference_bytes
    return report, timing


class _WallClock:
    def mark(self) -> float:
        return time.perf_counter()

    def since(self, start: float) -> float:
        return time.perf_counter() - start

    def event(self) -> float:
        return time.perf_counter()

    def elapsed(self, start: Any, end: Any) -> float:
        return float(end - start)

    def settle(self) -> None:
        pass


class _CudaClock:
    """CUDA events on the current stream: times are the GPU's, read after a sync."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch

    def event(self) -> Any:
        e = self.torch.cuda.Event(enable_timing=True)
        e.record()
        return e

    def elapsed(self, start: Any, end: Any) -> float:
        return float(start.elapsed_time(end)) / 1000.0  # ms -> s

    def settle(self) -> None:
        self.torch.cuda.synchronize()

    def mark(self) -> Any:
        return self.event()

    def since(self, start: Any) -> float:
        end = self.event()
        end.synchronize()
        return self.elapsed(start, end)


def _hooked_pass(model: Any, x: Any, clock: Any) -> tuple[list[tuple[str, float]], float]:
    """One forward with a pre-hook and a forward hook on every leaf module: each call's
    time, and the whole forward's. The hooks are removed before anything else runs."""
    calls: list[tuple[str, Any, Any]] = []
    open_: dict[int, list[Any]] = {}
    handles = []

    def pre(name: str) -> Callable[..., None]:
        def hook(m: Any, args: Any) -> None:
            open_.setdefault(id(m), []).append(clock.event())

        return hook

    def post(name: str) -> Callable[..., None]:
        def hook(m: Any, args: Any, out: Any) -> None:
            calls.append((name, open_[id(m)].pop(), clock.event()))

        return hook

    for name, m in model.named_modules():
        if name and not child_modules(m):
            handles.append(m.register_forward_pre_hook(pre(name)))
            handles.append(m.register_forward_hook(post(name)))
    try:
        start = clock.mark()
        model(x)
        seconds = clock.since(start)
    finally:
        for h in handles:
            h.remove()
    clock.settle()
    return [(name, clock.elapsed(a, b)) for name, a, b in calls], seconds


def _layer_times(report: Report, passes: list[list[tuple[str, float]]]) -> list[LayerTime]:
    """Median time of each call, matched to the report's rows by name and occurrence."""
    by_key: dict[tuple[str, int], list[float]] = {}
    for calls in passes:
        seen: dict[str, int] = {}
        for name, seconds in calls:
            n = seen.get(name, 0)
            seen[name] = n + 1
            by_key.setdefault((name, n), []).append(seconds)
    out = []
    seen_report: dict[str, int] = {}
    for r in report.layers:
        n = seen_report.get(r.name, 0)
        seen_report[r.name] = n + 1
        samples = by_key.get((r.name, n))
        if not samples:
            continue
        seconds = statistics.median(samples)
        rate = r.flops / seconds / 1e9 if r.flops and seconds > 0 else None
        out.append(LayerTime(r.name, r.type, r.category, seconds, r.flops, rate))
    return out


def _peaks(torch: Any, model: Any, x: Any, device: Any) -> tuple[int, int]:
    """Peak bytes allocated over one forward: inference (no_grad), then with autograd."""
    results = []
    for grad in (False, True):
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        with torch.set_grad_enabled(grad):
            out = model(x)
            torch.cuda.synchronize(device)
            results.append(int(torch.cuda.max_memory_allocated(device)))
        del out
    return results[0], results[1]


def _inference_estimate(report: Report) -> int:
    """What an inference forward needs at least: weights, buffers, the input, and the
    largest layer input + output alive together."""
    m = report.memory
    elem = m.input_bytes // max(1, _numel(report.input_shape))
    pair = max(((_numel(r.input_shape) + _numel(r.output_shape)) * elem for r in report.layers),
               default=0)
    return m.param_bytes + m.buffer_bytes + m.input_bytes + pair


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _device_name(torch: Any, device: Any) -> str:
    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name} ({torch.get_num_threads()} threads)"
