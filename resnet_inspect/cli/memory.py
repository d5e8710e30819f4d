"""Before a run on a real device: does the predicted footprint fit in its free memory?

A meta trace costs no memory and gives every tensor's size, so the tool can refuse a run
that cannot fit (`--input 3x12000x12000 --device cpu`) in a moment, with a message that
suggests --device meta or a smaller batch, instead of an allocator error, a swapping
machine or the kernel's OOM killer minutes later.

The prediction is a lower bound, so the check never refuses a run that would fit:
- inference (the traced forward under no_grad): parameters + buffers + the input + the
  largest layer's output twice (a residual block holds its input while the branch makes
  its output); everything else is freed as the forward moves on;
- with autograd recording (--time measures one such pass): parameters + buffers + the
  input + every layer's output, which autograd keeps for backward.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import RunFailure
from resnet_inspect.report.format import mib

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report


@dataclass(frozen=True)
class Footprint:
    bytes: int
    what: str  # how it was predicted, for the message


def predict(report: Report, autograd: bool) -> Footprint:
    m = report.memory
    fixed = m.param_bytes + m.buffer_bytes + m.input_bytes
    if autograd:
        return Footprint(fixed + m.activation_bytes, "weights, input and every layer's output, "
                         "kept for backward")
    largest = max((r.output_bytes for r in report.layers), default=0)
    return Footprint(fixed + 2 * largest, "weights, input and the largest layer's output twice")


def cpu_available() -> int | None:
    """Bytes this process could still allocate: MemAvailable, or less under a cgroup limit
    (a container's memory.max). None where neither can be read."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    limit = _cgroup_room()
    if limit is not None:
        available = limit if available is None else min(available, limit)
    return available


def _cgroup_room() -> int | None:
    pairs = [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # v2
             ("/sys/fs/cgroup/memory/memory.limit_in_bytes",  # v1
              "/sys/fs/cgroup/memory/memory.usage_in_bytes")]
    for limit_file, usage_file in pairs:
        try:
            text = Path(limit_file).read_text().strip()
            if text == "max":
                return None
            limit = int(text)
            if limit >= 2**60:  # v1 writes "no limit" as a huge number
                return None
            return max(limit - int(Path(usage_file).read_text().strip()), 0)
        except (OSError, ValueError):
            continue
    return None


def device_available(device: Any) -> int | None:
    """Free bytes on a torch.device (CUDA: the driver's figure; CPU: cpu_available)."""
    if device.type == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "cpu":
        return cpu_available()
    return None  # meta (and anything else) allocates nothing we can check


def ensure_fits(spec: Any, input_shape: tuple[int, ...], batch: int, device: str,
                autograd: bool = False, headline: str = "conv") -> None:
    """Raise RunFailure when the run on `device` cannot fit in its free memory.

    Set RESNET_INSPECT_NO_MEMORY_CHECK=1 to skip the check (a machine that swaps on
    purpose, a figure the kernel gets wrong)."""
    if os.environ.get("RESNET_INSPECT_NO_MEMORY_CHECK"):
        return
    from resnet_inspect.trace.device import resolve_device
    from resnet_inspect.trace.run import inspect as inspect_model

    where = resolve_device(device, measure=True)
    if where.type == "meta":
        return
    free = device_available(where)
    if free is None:
        return
    report = inspect_model(spec, input_shape=input_shape, batch=batch, device="meta",
                           headline=headline)
    need = predict(report, autograd)
    if need.bytes <= free:
        return
    shape = "x".join(map(str, input_shape))
    raise RunFailure(
        f"not enough memory on {where}: {report.model} at --batch {batch} --input {shape} "
        f"needs at least {mib(need.bytes)} ({need.what}) but {mib(free)} is free; use "
        "--device meta for shapes and counts without memory, or a smaller --batch or --input"
    )
