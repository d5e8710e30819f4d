"""What one CPU convolution backward holds beyond its gradients, measured against the
workspace trace/training.py models for it (docs/training.md, "Inside convolution backward").

    python benchmarks/conv_workspace.py          # ResNet-18/50's kinds of convolution,
                                                 # then max-pool's and batch-norm's backward
    ONEDNN_VERBOSE=1 python benchmarks/conv_workspace.py   # and oneDNN's kernels, layouts

Each call runs in its own process, one thread, MALLOC_MMAP_THRESHOLD_=65536 (every
tensor above 64 KiB its own mmap, given back when freed: resident memory follows the live
tensors), after one unmeasured call (oneDNN's primitive cache); the high-water mark
(VmHWM) is reset just before `torch.ops.aten.convolution_backward`, and what the call adds
above the resident size then, less the gradients it returns, is its workspace. float32,
NCHW, one group.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What both run once `call()` is defined: one unmeasured call (oneDNN's primitive cache),
# the high-water mark reset, then what the measured call adds above the resident size,
# less the gradients it returns
_MEASURE = """
def status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

out = call(); del out
gc.collect(); gc.disable()
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
base = status('VmRSS')
out = call()
grads = sum(t.untyped_storage().nbytes() for t in out if t is not None)
print(json.dumps({"extra": status('VmHWM') - base - grads}))
"""

_CODE = """
import gc, json, sys, torch
torch.set_num_threads(1)
j = json.loads(sys.argv[1])
x = torch.randn(j["x"]); w = torch.randn(j["w"])
s, p = [j["s"]] * 2, [j["p"]] * 2
gy = torch.randn_like(torch.nn.functional.conv2d(x, w, None, s, p))
def call():
    return torch.ops.aten.convolution_backward(gy, x, w, [w.shape[0]], s, p, [1, 1], False,
                                               [0, 0], 1, j["mask"])
""" + _MEASURE

# max-pool's and batch-norm's backward, on the stem's 8 x 64 x 112 x 112 (measured beside
# the convolutions: nothing held beyond their gradients, so nothing modelled)
_OTHERS = """
import gc, json, sys, torch
torch.set_num_threads(1)
x = torch.randn(8, 64, 112, 112)
if sys.argv[1] == "max-pool 3x3/2":
    y, idx = torch.ops.aten.max_pool2d_with_indices(x, [3, 3], [2, 2], [1, 1])
    gy = torch.randn_like(y)
    def call():
        return (torch.ops.aten.max_pool2d_with_indices_backward(
            gy, x, [3, 3], [2, 2], [1, 1], [1, 1], False, idx),)
else:
    w, b, rm, rv = torch.ones(64), torch.zeros(64), torch.zeros(64), torch.ones(64)
    y, mean, invstd = torch.ops.aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)[:3]
    gy = torch.randn_like(y)
    def call():
        return torch.ops.aten.native_batch_norm_backward(gy, x, w, rm, rv, mean, invstd, True,
                                                         1e-5, [True, True, True])
""" + _MEASURE

# (what it is, input N x C x H x W, weight, stride, padding); each with the gradients a
# step asks of it: the input's and the weight's, the weight's only (the stem's input is
# the image), the input's only
SHAPES = [
    ("3x3/1, 64->64, 56x56", [8, 64, 56, 56], [64, 64, 3, 3], 1, 1),
    ("3x3/1, 128->64, 28x28", [8, 128, 28, 28], [64, 128, 3, 3], 1, 1),
    ("3x3/2, 64->128, 56x56", [8, 64, 56, 56], [128, 64, 3, 3], 2, 1),
    ("1x1/2, 64->128, 56x56", [8, 64, 56, 56], [128, 64, 1, 1], 2, 0),
    ("1x1/1, 64->256, 28x28, batch 16", [16, 64, 28, 28], [256, 64, 1, 1], 1, 0),
    ("1x1/1, 256->512, 14x14, batch 8 (torch's own)", [8, 256, 14, 14], [512, 256, 1, 1], 1, 0),
    ("7x7/2 stem, 3->64, 224x224", [8, 3, 224, 224], [64, 3, 7, 7], 2, 3),
]
MASKS = [("input+weight", [True, True, False]), ("weight", [False, True, False]),
         ("input", [True, False, False])]


def measured(code: str, job: str) -> int:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code, job], capture_output=True, text=True,
                          env=env, check=True)
    if os.environ.get("ONEDNN_VERBOSE"):
        print("\n".join(line for line in done.stdout.splitlines() if "exec" in line))
    return int(json.loads(done.stdout.strip().splitlines()[-1])["extra"])


def modelled(x: list[int], w: list[int], s: int, p: int, mask: list[bool]) -> int:
    import torch

    from resnet_inspect.trace.training import conv_backward_workspace

    torch.set_num_threads(1)
    xt, wt = torch.empty(x, device="meta"), torch.empty(w, device="meta")
    gy = torch.nn.functional.conv2d(xt, wt, None, s, p)
    return conv_backward_workspace((gy, xt, wt, None, [s, s], [p, p], [1, 1], False, [0, 0],
                                    1, mask))


def main() -> None:
    mib = 2**20
    print(f"{'convolution':<48} {'gradients':<13} {'measured':>9} {'modelled':>9}  MiB")
    for label, x, w, s, p in SHAPES:
        for name, mask in MASKS:
            if name == "input" and x[1] == 3:
                continue
            real = measured(_CODE, json.dumps({"x": x, "w": w, "s": s, "p": p, "mask": mask}))
            print(f"{label:<48} {name:<13} {real / mib:>9.2f} "
                  f"{modelled(x, w, s, p, mask) / mib:>9.2f}", flush=True)
    for label in ("max-pool 3x3/2", "batch-norm"):
        real = measured(_OTHERS, label)
        print(f"{label + ', 64 x 112x112':<48} {'input':<13} {real / mib:>9.2f} {0:>9.2f}")


if __name__ == "__main__":
    main()
