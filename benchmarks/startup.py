"""Whole-process start-up of the CLI against a bare `python -c "import torch"`.

Every command runs in a fresh process, interleaved round by round (a busy moment on a
shared machine hits all alike), after one warm-up round. Prints median, min and max
seconds and the median ratio to `import torch`.

    python benchmarks/startup.py            # 7 rounds
    python benchmarks/startup.py --rounds 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable


def commands(tmp: str) -> dict[str, list[str]]:
    cli = [PY, "-m", "resnet_inspect"]
    return {
        'python -c "import torch"': [PY, "-c", "import torch"],
        "summary --depth 152": [*cli, "summary", "--depth", "152"],
        "compare 18 34 50 101 152": [*cli, "compare", "18", "34", "50", "101", "152"],
        "diagram --depth 50 -o x.svg": [*cli, "diagram", "--depth", "50", "-o",
                                         os.path.join(tmp, "x.svg")],
        "list": [*cli, "list"],
        "--help": [*cli, "--help"],
    }


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(tmp)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for round_ in range(args.rounds + 1):
            for name, argv in cmds.items():
                t = run_once(argv)
                if round_:  # round 0 warms the file cache
                    times[name].append(t)
    base = statistics.median(times['python -c "import torch"'])
    print(f"{'command':<30} {'median':>8} {'min':>7} {'max':>7} {'vs torch':>9}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<30} {med:>7.3f}s {min(ts):>6.3f}s {max(ts):>6.3f}s {med / base:>8.2f}x")
    print(f"({args.rounds} interleaved rounds after one warm-up; {os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()
