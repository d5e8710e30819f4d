"""Where a trace runs and what holds around it: the device it runs on, the same kernels on
every device, the garbage collector paused, and where its progress is reported."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch
from torch import nn

from resnet_inspect.errors import InspectError
from resnet_inspect.models.walk import modules
from resnet_inspect.spec.settings import Device
from resnet_inspect.trace.kernels import OneDnnLstm

DEVICES = tuple(d.value for d in Device)
META = torch.device("meta")


def resolve_device(device: str | torch.device, measure: bool = False) -> torch.device:
    """Where to run. 'auto' is meta when nothing is measured (shapes and counts are the same
    on every device, and meta computes nothing), else CUDA when available, else CPU.
    Asking for CUDA without it is an error."""
    name = str(device).lower()
    if name == "auto":
        if not measure:
            return META
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InspectError(
            "--device cuda: no CUDA GPU is visible to PyTorch here; "
            "use --device cpu (or meta for shapes and counts only)"
        )
    try:
        return torch.device(name)
    except RuntimeError:
        raise InspectError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}") from None


def model_device(model: nn.Module) -> torch.device | None:
    """The device of the model's first parameter or buffer (None when it holds neither)."""
    walked = modules(model)  # not model.parameters(): that gathers every tensor first
    for kind in ("_parameters", "_buffers"):
        for m in walked:
            for t in getattr(m, kind).values():
                if t is not None:
                    return t.device
    return None


@contextmanager
def same_kernels_everywhere(model: nn.Module, step: bool = False) -> Iterator[None]:
    """The same operators on meta, CPU and CUDA, so the counts are the same everywhere.

    Fused kernels are picked per device: scaled-dot-product attention runs as one fused
    operator on CPU and CUDA but as matmuls and a softmax on meta; nn.MultiheadAttention
    takes a one-operator fast path on CPU and CUDA only; an LSTM is one oneDNN or cuDNN
    operator on CPU and CUDA. During the trace all take their math path, which is what
    every device runs (the same arithmetic, in operators the registry knows); restored
    after. Convolutions are counted above the backends, so they are not affected; oneDNN
    and cuDNN are only turned off for a model with recurrent layers (they would slow a
    convolutional network's real forward pass for nothing).

    A training `step` leaves attention to torch (trace/kernels.py picks on meta what the
    CPU would run): its fused kernels keep far less for the backward than the math path.
    Its LSTMs still take the math path, but hold what oneDNN's kernel holds where the CPU
    would run it (oneDNN on, as it was before the trace): trace/kernels.py, OneDnnLstm.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    mha = getattr(torch.backends, "mha", None)
    fast = mha.get_fastpath_enabled() if mha is not None else None
    recurrent = any(isinstance(m, nn.RNNBase) for m in modules(model))
    backends: tuple[Any, ...] = (torch.backends.mkldnn, torch.backends.cudnn) if recurrent \
        else ()
    enabled = [b.enabled for b in backends]
    onednn = step and recurrent and torch.backends.mkldnn.is_available() and enabled[0]
    if mha is not None:
        mha.set_fastpath_enabled(False)
    for b in backends:  # not b.flags(): it also resets TF32 and warns about it
        b.enabled = False
    try:
        with contextlib.nullcontext() if step else sdpa_kernel(SDPBackend.MATH), \
                OneDnnLstm() if onednn else contextlib.nullcontext():
            yield
    finally:
        for b, was in zip(backends, enabled, strict=True):
            b.enabled = was
        if mha is not None and fast is not None:
            mha.set_fastpath_enabled(fast)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a model is built or traced.

    Both allocate thousands of small objects, which set off full collections over
    everything `import torch` created: 0.1 s of the first ResNet-152 build, more than the
    build itself. Nothing is leaked: reference counting frees as usual, and any cycles are
    collected once the collector is back on. Re-entrant; leaves it off if it was off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Where a running trace reports its progress, (calls done, leaf modules): set by the CLI
# around a call (`with progress_to(update): inspect(...)`), so the library API is unchanged.
_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("progress", default=None)


@contextmanager
def progress_to(update: Callable[[int, int], None]) -> Iterator[None]:
    token = _PROGRESS.set(update)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def reported_progress() -> Callable[[int, int], None] | None:
    """Where the running trace reports its progress: the `progress_to` around it, if any."""
    return _PROGRESS.get()
