"""Measure `--time` on a CUDA GPU: ResNet-50 and ResNet-152 at batch 1 and 64, printed as
the Markdown table that docs/timing.md records (with the GPU's name).

    python benchmarks/gpu_timing.py            # needs CUDA; exits 2 without it
"""

from __future__ import annotations

import sys


def main() -> None:
    import torch

    from resnet_inspect.analysis.timing import measure
    from resnet_inspect.report import format as fmt

    if not torch.cuda.is_available():
        print("gpu_timing.py: no CUDA GPU visible to PyTorch", file=sys.stderr)
        sys.exit(2)
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
          f"CUDA {torch.version.cuda}, float32, CUDA events, median of 20 after 5 warm-up\n")
    print("| network | batch | forward (bare) | hooks overhead | layers sum | GFLOP/s "
          "| peak inference | estimate (inference) | peak with autograd | estimate (train) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("resnet50", "resnet152"):
        for batch in (1, 64):
            _, t = measure(name, batch=batch, device="cuda", warmup=5, repeats=20)
            print(f"| {name} | {batch} | {t.bare_seconds * 1e3:.2f} ms | "
                  f"{t.hook_overhead_seconds * 1e3:+.2f} ms | {t.layer_seconds * 1e3:.2f} ms | "
                  f"{t.gflops_per_s:,.0f} | {fmt.mib(t.peak_inference_bytes or 0)} | "
                  f"{fmt.mib(t.estimate_inference_bytes)} | "
                  f"{fmt.mib(t.peak_training_bytes or 0)} | "
                  f"{fmt.mib(t.estimate_bytes)} |")
            slowest = sorted(t.layers, key=lambda layer: -layer.seconds)[:3]
            print("|  | slowest: " + ", ".join(
                f"{layer.name} {layer.seconds * 1e3:.3f} ms" for layer in slowest) + " |||||||||")


if __name__ == "__main__":
    main()
