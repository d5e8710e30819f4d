"""What one real CPU training step holds at its peak, measured in a fresh process.

The step is the one `--train` counts: a zero input, the forward in train mode, a backward
from a gradient of ones, then the optimizer's step, gradients set to None after it.

What makes the process's resident high-water mark (VmHWM) a fair measure of it:
- MALLOC_MMAP_THRESHOLD_ fixed at 64 KiB: every tensor above it is its own mmap, given
  back to the system when freed, so resident memory follows the live tensors (glibc
  otherwise raises its threshold after the first large free and keeps freed blocks);
- a first, unmeasured step: the optimizer's state, oneDNN's primitive caches, lazy
  imports and thread pools exist before the measurement, as in every later step of a
  training run; gradients are then set to None, as the counted step starts;
- the high-water mark reset (`5` written to /proc/self/clear_refs) just before the
  measured step, and the resident size then taken as its baseline: the model, the
  optimizer and its state, the interpreter; what the step adds above it is the input,
  activations, gradients and kernels' temporaries, the report's `input + live_peak`;
- one thread (torch.set_num_threads(1)): no per-thread scratch, the same run every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

_CODE = """
import gc, json, sys, torch
from tests.step_models import make
torch.set_num_threads(1)
job = json.loads(sys.argv[1])
model = make(job["model"], **job["size"]).train()
opt = torch.optim.Adam(model.parameters())

def status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

def step():
    x = torch.zeros(job["shape"])
    out = model(x)
    out.backward(torch.ones_like(out))
    opt.step()
    opt.zero_grad(set_to_none=True)

step()
gc.collect()
gc.disable()
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
base = status('VmRSS')
step()
print(json.dumps({"peak": status('VmHWM') - base}))
"""


def real_step_peak(model: str, shape: list[int], **size: Any) -> int:
    """Bytes one real step adds above its baseline at its peak (see the module docstring)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": root}
    job = json.dumps({"model": model, "shape": shape, "size": size})
    done = subprocess.run([sys.executable, "-c", _CODE, job], capture_output=True, text=True,
                          env=env, cwd=root, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return int(json.loads(done.stdout.strip().splitlines()[-1])["peak"])


def counted_step_peak(model: str, shape: list[int], **size: Any) -> tuple[int, int]:
    """The report's input + live_peak for the same step, traced on meta, and its saved
    activations. Traced on one thread, as the real step runs: torch picks a convolution's
    kernel (oneDNN or its own, whose backward needs no workspace) by the thread count."""
    import torch

    import resnet_inspect
    from tests.step_models import make

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tm = resnet_inspect.inspect(make(model, device="meta", **size), shape[1:],
                                    batch=shape[0], train=True).training_memory
    finally:
        torch.set_num_threads(threads)
    assert tm is not None
    return tm.input + tm.live_peak, tm.activations_saved
