"""Issue 26: what each speed device saves, each measured with and without, interleaved.

    python benchmarks/devices.py                 # 5 rounds, every device
    python benchmarks/devices.py --rounds 9 --only process

CPU seconds (user + system) throughout, which a busy machine moves less than wall time.
Whole processes (`process`): the console script as shipped against the same command with
one device taken out, one fresh process per variant per round, interleaved round by round:
- `os._exit` (cli.run): Python's own exit instead (`cli.main()`, which still freezes);
- `gc.freeze` before Python's exit (cli.main): neither it nor `os._exit`;
- the collector off for the command (cli.run's `gc.disable`): on, except while building
  and tracing (trace.device.paused_gc);
- function-level imports: torch imported before the CLI, as a module-level `import torch`
  in the package would (`--help`), or every module of the package imported first;
- the generated preset table (`list`): every preset traced instead (`ROWS` emptied).
In one process (`inproc`), the 10,000-block network of benchmarks/README.md, min of the
rounds, each variant after the other within a round:
- the walk caches (models.walk: `walks_kept`, `walked_once`): `inspect(spec)` without them;
- the hand-laid table (render.table.plain_table): `render_summary` through rich alone.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

PY = sys.executable
WIDE = ["--block", "basic", "--layers", ",".join(["1000"] * 10), "--widths", ",".join(["64"] * 10)]
RUN = "from resnet_inspect.cli import run; run()"
VARIANTS = {  # name -> python code that runs the CLI with sys.argv[1:]
    "as shipped": RUN,
    "no os._exit": "from resnet_inspect.cli import main; main()",
    "no os._exit, no gc.freeze": "import gc; gc.freeze = lambda: None\n"
                                 "from resnet_inspect.cli import main; main()",
    "collector on": "import gc, sys; off = gc.disable\n"  # off only inside paused_gc
                    "gc.disable = lambda: off() if 'paused_gc' == sys._getframe(1)"
                    ".f_code.co_name else None\n" + RUN,
}
COMMANDS = {
    "summary --depth 152": (["summary", "--depth", "152"],
                            [*VARIANTS, "every module imported first"]),
    "summary, 10,000 blocks": (["summary", *WIDE], list(VARIANTS)),
    "--help": (["--help"], ["as shipped", "torch imported first", "every module imported first"]),
    "list": (["list"], ["as shipped", "presets traced", "every module imported first"]),
}
EXTRA = {
    "torch imported first": "import torch\n" + RUN,
    # what the function-level imports save at most: every module of the package (and so
    # torch, rich, typer) imported before the command, as module-level imports would
    "every module imported first": "import importlib, pkgutil, resnet_inspect\n"
        "for m in pkgutil.walk_packages(resnet_inspect.__path__, 'resnet_inspect.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n" + RUN,
    "presets traced": "from resnet_inspect.analysis import preset_table\n"
                      "preset_table.ROWS.clear()\n" + RUN,
}


def process_rounds(rounds: int, warm_up: bool, only: list[str]) -> None:
    runs = [(cmd, v) for cmd, (_, variants) in COMMANDS.items() for v in variants
            if not only or v in only]
    times: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(0 if warm_up else 1, rounds + 1):  # round 0 warms, not counted
            for cmd, variant in runs:
                code = {**VARIANTS, **EXTRA}[variant]
                child = subprocess.Popen([PY, "-c", code, *COMMANDS[cmd][0]], cwd=tmp,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(child.pid, 0)
                child.returncode = os.waitstatus_to_exitcode(status)
                if child.returncode:
                    raise SystemExit(f"{cmd} [{variant}] exited {child.returncode}")
                if round_:  # the child's CPU time: steadier than wall time on a busy machine
                    times[(cmd, variant)].append(usage.ru_utime + usage.ru_stime)
    for cmd, (_, variants) in COMMANDS.items():
        if (cmd, variants[0]) not in times:
            continue
        base = statistics.median(times[(cmd, variants[0])])
        for v in variants:
            if (cmd, v) not in times:
                continue
            xs = times[(cmd, v)]
            med = statistics.median(xs)
            print(f"{cmd:24} {v:28} median {med:.3f} s  min {min(xs):.3f}  "
                  f"{med - base:+.3f} s vs shipped")


def inproc_rounds(rounds: int) -> None:
    from contextvars import ContextVar

    import resnet_inspect
    from resnet_inspect.models import walk
    from resnet_inspect.render import table
    from resnet_inspect.render.console import make_console
    from resnet_inspect.spec.arch import BlockKind
    from resnet_inspect.spec.merge import spec_from_settings

    gc.disable()
    spec = spec_from_settings({"block": BlockKind.BASIC, "layers": [1000] * 10,
                               "widths": [64] * 10})
    resnet_inspect.inspect(spec_from_settings({"block": BlockKind.BASIC, "layers": [1] * 4}))
    walked, kept, plain = walk._WALKED, walk._KEPT, table.plain_table
    never: ContextVar[None] = ContextVar("never", default=None)

    class Unset:  # a ContextVar whose value is never seen: the cache never answers
        def set(self, value: object) -> object:
            return never.set(None)

        def reset(self, token: object) -> None:
            never.reset(token)  # type: ignore[arg-type]

        def get(self) -> None:
            return None

    out: dict[str, list[float]] = {}

    def timed(name: str, fn: Any, *args: Any) -> Any:
        start = time.process_time()
        result = fn(*args)
        out.setdefault(name, []).append(time.process_time() - start)
        return result

    for _ in range(rounds):
        report = timed("inspect, walk caches on", resnet_inspect.inspect, spec)
        walk._WALKED, walk._KEPT = Unset(), Unset()  # type: ignore[assignment]
        timed("inspect, walk caches off", resnet_inspect.inspect, spec)
        walk._WALKED, walk._KEPT = walked, kept
        for name, fn in (("table, hand-laid", plain), ("table, rich only", lambda t, w: None)):
            table.plain_table = fn
            sink = make_console(width=80, file=io.StringIO())
            timed(name, table.render_summary, report, sink)
        table.plain_table = plain
        del report
        gc.collect()
    for name, xs in out.items():
        print(f"{name:28} min {min(xs):.3f} s  median {statistics.median(xs):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["process", "inproc"])
    parser.add_argument("--variant", action="append", default=[],
                        help="only these process variants (repeat; 'as shipped' is the base)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="count every round (the disk cache already warm)")
    args = parser.parse_args()
    if args.only != "inproc":
        process_rounds(args.rounds, not args.no_warm_up, args.variant)
    if args.only != "process":
        inproc_rounds(args.rounds)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
