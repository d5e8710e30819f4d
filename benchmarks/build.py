"""Building a model on meta (`build_model(spec, "meta")`, as `inspect` does): CPU seconds.

    python benchmarks/build.py                          # this tree, 5 rounds
    python benchmarks/build.py --trees /tmp/before .    # trees interleaved, round by round
    python benchmarks/build.py --with-init              # also: layers initialised on meta

Each round runs one fresh process per tree (PYTHONPATH=tree), with the collector off as
the CLI runs a command; in it each model is built once unmeasured, then timed (min of 3
for ResNet-50/152, one build of the 10,000-block network). `--with-init` adds a process
in which this tree's layers run their default `reset_parameters()` on meta: what skipping
it saves.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

MODELS = ("resnet50", "resnet152", "10,000 basic blocks")


def child(with_init: bool) -> None:
    import gc
    import time

    gc.disable()
    from resnet_inspect.models.builder import build_model
    from resnet_inspect.spec.arch import BlockKind
    from resnet_inspect.spec.merge import spec_from_settings
    from resnet_inspect.spec.registry import get_spec

    if with_init:
        import resnet_inspect.models.layers as layers

        layers._META = None  # type: ignore[assignment]  # no device is meta: never skip
    specs = [get_spec("resnet50"), get_spec("resnet152"),
             spec_from_settings({"block": BlockKind.BASIC, "layers": [1000] * 10,
                                 "widths": [64] * 10})]
    out = {}
    for name, spec in zip(MODELS, specs, strict=True):
        build_model(spec, "meta")
        times = []
        for _ in range(1 if name.startswith("10") else 3):
            t0 = time.process_time()
            build_model(spec, "meta")
            times.append(time.process_time() - t0)
        out[name] = min(times)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trees", nargs="*", default=["."])
    parser.add_argument("--with-init", action="store_true")
    parser.add_argument("--child", choices=["skip", "init"])
    args = parser.parse_args()
    if args.child:
        child(args.child == "init")
        return
    runs = [(tree, "skip") for tree in args.trees]
    if args.with_init:
        runs.append((args.trees[-1], "init"))
    got: dict[tuple[str, str], list[dict[str, float]]] = {run: [] for run in runs}
    for _ in range(args.rounds):
        for tree, mode in runs:
            env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
            line = subprocess.run([sys.executable, __file__, "--child", mode], env=env,
                                  capture_output=True, text=True, check=True).stdout
            got[(tree, mode)].append(json.loads(line))
    for (tree, mode), rows in got.items():
        cells = []
        for name in MODELS:
            xs = [r[name] for r in rows]
            cells.append(f"{name} {statistics.median(xs) * 1e3:.1f} ms "
                         f"(min {min(xs) * 1e3:.1f})")
        print(f"{tree} [{mode}]: " + "; ".join(cells))


if __name__ == "__main__":
    main()
