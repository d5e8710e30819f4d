"""What each function-level import saves: the figure per imported module.

The package imports most of its modules inside the functions that use them, so that
`resnet-inspect --help` (and `list`, and a command's bad-input error) does not pay for
torch, rich's tables or the tracer. This finds every such import (outside `if
TYPE_CHECKING:`), groups them by the module they import, and measures, for each, what
importing that module costs a process that has already imported what `resnet-inspect
--help` imports: the price every invocation would pay were the import at the top of its
module. CPU seconds of a fresh process (user + system), median of interleaved rounds.

    python benchmarks/lazy_imports.py              # 3 rounds, a table
    python benchmarks/lazy_imports.py --rounds 5 --markdown

A module that costs nothing on top of `--help` (it is already loaded, or tiny) gains
nothing from being imported late: the import is a device without a saving.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "resnet_inspect"

# what `resnet-inspect --help` imports before it prints: the package, and every command's
# module, which registers the command (python -X importtime -m resnet_inspect --help)
HELP = ("import resnet_inspect.cli as cli\n"
        "cli._register_commands(['--help'])")

_PROBE = """
import resource, sys
{help}
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = cpu()
{target}
print(cpu() - start)
"""


def _target(node: ast.Import | ast.ImportFrom, here: str) -> list[str]:
    """The module(s) an import statement loads (a `from pkg import sub` loads pkg.sub)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = here.split(".")[: -node.level]
        base = ".".join([*parts, base] if base else parts)
    found = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        try:
            is_module = importlib.util.find_spec(sub) is not None
        except (ImportError, ValueError):
            is_module = False
        found.append(sub if is_module else base)
    return found


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def function_level_imports() -> dict[str, list[str]]:
    """{imported module: ["file.py:function", ...]} for every import inside a function."""
    sites: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        here = ".".join(rel.with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            todo = list(fn.body)
            while todo:
                node = todo.pop()
                if _type_checking(node) or isinstance(
                        node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue  # nested functions are walked on their own
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for target in _target(node, here):
                        sites[target].append(f"{rel.relative_to('resnet_inspect')}:{fn.name}")
                todo.extend(ast.iter_child_nodes(node))
    return dict(sites)


def cost(target: str) -> float | None:
    """CPU seconds to import `target` after --help's imports; None where it is not
    installed (tomli: only on Python < 3.11)."""
    code = _PROBE.format(help=HELP, target=f"import {target}")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="a markdown table")
    args = parser.parse_args()
    sites = function_level_imports()
    times: dict[str, list[float]] = {t: [] for t in sites}
    for _ in range(args.rounds):  # interleaved: a busy moment hits every module alike
        for target in sites:
            took = cost(target)
            if took is not None:
                times[target].append(took)
    rows = sorted(((statistics.median(ts), t) for t, ts in times.items() if ts),
                  reverse=True)
    total = sum(len(s) for s in sites.values())
    print(f"{total} function-level imports of {len(sites)} modules "
          f"({args.rounds} rounds, CPU seconds on top of --help's imports)")
    if args.markdown:
        print("| module | sites | cost on top of --help |\n|---|---:|---:|")
    for median, target in rows:
        if args.markdown:
            print(f"| `{target}` | {len(sites[target])} | {median * 1000:.0f} ms |")
        else:
            print(f"{median * 1000:8.1f} ms  {len(sites[target]):3d}  {target}")


if __name__ == "__main__":
    main()
