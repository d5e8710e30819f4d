"""Speed of resnet-inspect against torchinfo and fvcore, printed as ratios in one run.

    python benchmarks/bench.py            # everything, a few minutes on 2 cores
    python benchmarks/bench.py --quick    # fewer repeats

Sections:
1. In-process analysis of ResNet-152 at 224x224 (same model object, same process, one
   warm-up call each, then the median of N): resnet_inspect.inspect(model) vs
   torchinfo.summary(model) vs fvcore FlopCountAnalysis(model, x).total().
2. End to end: `python -m resnet_inspect summary --depth 152` (what the console script
   runs) against a bare `python -c "import torch"`, interleaved, median of N each.
3. `resnet-inspect --help`.
4. Scale: time per residual block as depth grows, on meta at 3x4096x4096 batch 64 (each
   depth in a fresh process, with its peak resident memory).

Targets (issue 6, two CPU cores): inspect >= 3x faster than torchinfo and >= 10x faster
than fvcore; summary end to end <= 1.4x `import torch`; --help < 0.3 s; time per block
flat. Set PYTHONPATH to another checkout to measure it instead (e.g. an older commit).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PY = sys.executable


def median_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: imports and first-call caches are not what is compared
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(repeats: int) -> None:
    import warnings

    import torch
    import torchinfo

    import resnet_inspect
    from resnet_inspect.builder import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

    torch.set_grad_enabled(True)
    model = build_model(resnet_inspect.resolve_spec("resnet152"), device="cpu", init=False)
    x = torch.zeros(1, 3, 224, 224)

    def ours() -> None:
        resnet_inspect.inspect(model, (3, 224, 224))

    def ours_by_name() -> None:
        resnet_inspect.inspect("resnet152")

    def info() -> None:
        torchinfo.summary(model, input_data=x, verbose=0)

    def fv() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = FlopCountAnalysis(model, x)
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            analysis.total()

    t_ours = median_time(ours, repeats)
    t_name = median_time(ours_by_name, repeats)
    t_info = median_time(info, repeats)
    t_fv = median_time(fv, max(3, repeats // 2))
    device = resnet_inspect.inspect(model, (3, 224, 224)).device
    print("1. In-process analysis, ResNet-152 at 1x3x224x224 (median, after a warm-up)")
    print(f"   resnet_inspect.inspect(model)   {t_ours * 1e3:8.1f} ms  (traced on {device})")
    print(f"   resnet_inspect.inspect(name)    {t_name * 1e3:8.1f} ms  (build + trace)")
    print(f"   torchinfo.summary(model)        {t_info * 1e3:8.1f} ms  "
          f"= {t_info / t_ours:5.1f}x ours  (target >= 3x)")
    print(f"   fvcore FlopCountAnalysis.total  {t_fv * 1e3:8.1f} ms  "
          f"= {t_fv / t_ours:5.1f}x ours  (target >= 10x)")


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def end_to_end(repeats: int) -> None:
    bare = [PY, "-c", "import torch"]
    summary = [PY, "-m", "resnet_inspect", "summary", "--depth", "152"]
    helps = [PY, "-m", "resnet_inspect", "--help"]
    run(bare)
    run(summary)  # warm the file cache for both
    t_bare, t_sum, t_help = [], [], []
    for _ in range(repeats):  # interleaved, so a busy moment hits both alike
        t_bare.append(run(bare))
        t_sum.append(run(summary))
        t_help.append(run(helps))
    b, s, h = (statistics.median(t) for t in (t_bare, t_sum, t_help))
    print("2. End to end (fresh processes, interleaved, median of", repeats, "each)")
    print(f"   python -c 'import torch'                  {b:6.2f} s  (min {min(t_bare):.2f})")
    print(f"   resnet-inspect summary --depth 152        {s:6.2f} s  (min {min(t_sum):.2f})"
          f"  = {s / b:4.2f}x import torch; min/min {min(t_sum) / min(t_bare):4.2f}x"
          "  (target <= 1.4x)")
    print("3. resnet-inspect --help")
    print(f"   {h:6.2f} s (min {min(t_help):.2f})  (target < 0.3 s)")


SCALE_CHILD = """
import json, resource, sys, time
import resnet_inspect
from resnet_inspect.spec import ArchSpec, BlockKind, StageSpec, StemKind
n = int(sys.argv[1])
spec = ArchSpec(name=f"deep{n}", block=BlockKind.BASIC, stem=StemKind.CIFAR, stem_width=16,
                num_classes=10, input_shape=(3, 32, 32),
                stages=(StageSpec(n, 16, 1), StageSpec(n, 32, 2), StageSpec(n, 64, 2)))
resnet_inspect.inspect("resnet20", device="meta")  # first-call costs out of the way
start = time.perf_counter()
report = resnet_inspect.inspect(spec, input_shape=(3, 4096, 4096), batch=64, device="meta")
seconds = time.perf_counter() - start
print(json.dumps({"blocks": len(report.blocks), "layers": report.layer_count.total,
                  "seconds": seconds,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def scale(sizes: list[int]) -> None:
    print("4. Scale: basic-block stacks on meta at 64x3x4096x4096 (build + trace, fresh process)")
    print("   depth  blocks   seconds   ms/block   peak RSS")
    for n in sizes:
        out = subprocess.run([PY, "-c", SCALE_CHILD, str(n)], check=True, capture_output=True,
                             text=True).stdout
        row = json.loads(out)
        per_block = row["seconds"] / row["blocks"] * 1e3
        print(f"   {row['layers']:5d}  {row['blocks']:6d}  {row['seconds']:8.2f}  {per_block:9.2f}"
              f"  {row['rss_mib']:7.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"PYTHONPATH={os.environ.get('PYTHONPATH', '(installed)')}")
    in_process(repeats)
    end_to_end(repeats)
    scale([20, 50, 100, 200, 400] if not args.quick else [20, 100, 400])


if __name__ == "__main__":
    main()
