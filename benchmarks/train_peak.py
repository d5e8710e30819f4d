"""Issue 21's table: a training step's counted peak against a real CPU step's.

    python benchmarks/train_peak.py            # the issue's models and batches, ~5 min
    python benchmarks/train_peak.py --quick    # the small ones the tests run
    python benchmarks/train_peak.py --only lstm   # the rows of one model of step_models

Each real step runs in its own process (tests/real_step.py says what makes its resident
high-water mark a fair measure); the counted figure is the report's input + live_peak
for the same step traced on meta. One thread, float32, Adam.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.real_step import counted_step_peak, real_step_peak

MIB = 2**20

FULL = [
    ("ResNet-50, stages checkpointed (non-reentrant), batch 16", "checkpoint",
     [16, 3, 224, 224], {"depth": 50}),
    ("ResNet-50, stages checkpointed (reentrant), batch 16", "checkpoint",
     [16, 3, 224, 224], {"depth": 50, "reentrant": True}),
    ("ResNet-50, blocks checkpointed (reentrant), batch 16", "checkpoint",
     [16, 3, 224, 224], {"depth": 50, "reentrant": True, "per_block": True}),
    ("2-layer LSTM 1024, T=100, batch 64", "lstm", [100, 64, 1024],
     {"features": 1024, "hidden": 1024, "layers": 2}),
    ("bidirectional 2-layer LSTM 256, T=40, batch 16", "lstm", [40, 16, 256],
     {"features": 256, "hidden": 256, "layers": 2, "bidirectional": True}),
    ("bidirectional 2-layer LSTM 512, T=50, batch 32", "lstm", [50, 32, 512],
     {"features": 512, "hidden": 512, "layers": 2, "bidirectional": True}),
    ("2-layer LSTM 256, proj_size 128, T=20, batch 128", "lstm", [20, 128, 256],
     {"features": 256, "hidden": 256, "layers": 2, "proj_size": 128}),
    ("2-layer LSTM 256, packed (equal lengths), T=40, batch 16", "lstm", [40, 16, 256],
     {"features": 256, "hidden": 256, "layers": 2, "packed": True}),
    ("2-layer GRU 256, T=20, batch 128", "gru", [20, 128, 256],
     {"features": 256, "hidden": 256, "layers": 2}),
    ("small ViT (SDPA), 224/16, dim 384, depth 6, batch 16", "vit", [16, 3, 224, 224],
     {"image": 224, "patch": 16, "dim": 384, "depth": 6, "heads": 6}),
    ("small ViT (nn.MultiheadAttention), 224/16, dim 384, depth 6, batch 16", "mha-vit",
     [16, 3, 224, 224], {"image": 224, "patch": 16, "dim": 384, "depth": 6, "heads": 6}),
    ("ResNet-18, batch 8", "resnet", [8, 3, 224, 224], {"depth": 18}),
]

QUICK = [
    ("ResNet-18, stages checkpointed (non-reentrant), batch 2, 128px", "checkpoint",
     [2, 3, 128, 128], {"depth": 18}),
    ("ResNet-18, blocks checkpointed (reentrant), batch 2, 128px", "checkpoint",
     [2, 3, 128, 128], {"depth": 18, "reentrant": True, "per_block": True}),
    ("2-layer LSTM 256, T=50, batch 16", "lstm", [50, 16, 256],
     {"features": 256, "hidden": 256, "layers": 2}),
    ("ViT (SDPA) 128/16, dim 192, depth 4, batch 8", "vit", [8, 3, 128, 128],
     {"image": 128, "patch": 16, "dim": 192, "depth": 4, "heads": 3}),
    ("ResNet-18, batch 2, 128px", "resnet", [2, 3, 128, 128], {"depth": 18}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small models of the tests")
    parser.add_argument("--only", metavar="NAME",
                        help="only the rows of this model of tests/step_models.py (lstm, vit...)")
    args = parser.parse_args()
    rows = QUICK if args.quick else FULL
    width = max(len(row[0]) for row in rows)
    print(f"{'model':<{width}} {'real MiB':>9} {'counted':>9} {'diff':>7} {'saved':>9}")
    for label, name, shape, size in rows:
        if args.only is not None and name != args.only:
            continue
        real = real_step_peak(name, shape, **size)
        counted, saved = counted_step_peak(name, shape, **size)
        print(f"{label:<{width}} {real / MIB:>9.1f} {counted / MIB:>9.1f} "
              f"{100 * (counted - real) / real:>+6.1f}% {saved / MIB:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
