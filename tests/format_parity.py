"""Old output flags on one checkout against `--format` on another, byte for byte.

    python tests/format_parity.py /work/main/.venv/bin/resnet-inspect .venv/bin/resnet-inspect

Each case runs the old spelling (`--json`, `--csv`, ...) with the first CLI and the
`--format` spelling with the second, at COLUMNS=100, and compares stdout, stderr and the
exit status. Not a pytest module: it needs a second install (tests/test_formats.py checks
the aliases within one). Timings (`"seconds"`) differ run to run and are masked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

CASES = [
    ("summary resnet18 --json", "summary resnet18 --format json"),
    ("summary resnet18 --csv", "summary resnet18 --format csv"),
    ("summary resnet18 --markdown --level layer",
     "summary resnet18 --format markdown --level layer"),
    ("summary resnet18 --latex --level stage", "summary resnet18 --format latex --level stage"),
    ("summary resnet18", "summary resnet18 --format table"),
    ("summary resnet18 --ops --level stage", "summary resnet18 --ops --level stage --format table"),
    ("summary resnet18 --train --json", "summary resnet18 --train --format json"),
    ("summary resnet18 --train --gpu t4 --json", "summary resnet18 --train --gpu t4 --format json"),
    ("compare basic bottleneck --json", "compare basic bottleneck --format json"),
    ("compare basic bottleneck --markdown", "compare basic bottleneck --format markdown"),
    ("compare basic bottleneck --latex", "compare basic bottleneck --format latex"),
    ("compare basic bottleneck", "compare basic bottleneck --format table"),
    ("compare 18 34 --json", "compare 18 34 --format json"),
    ("compare 18 34 --markdown", "compare 18 34 --format markdown"),
    ("compare 18 34", "compare 18 34 --format table"),
    ("compare 18 34 50 --latex", "compare 18 34 50 --format latex"),
    ("compare 18 34 --train --json", "compare 18 34 --train --format json"),
    ("compare 18 34 --train", "compare 18 34 --train --format table"),
    ("check resnet18 --tools torch --json", "check resnet18 --tools torch --format json"),
    ("check resnet18 --tools torch", "check resnet18 --tools torch --format table"),
    ("list resnet --json", "list resnet --format json"),
    ("list cifar --no-counts", "list cifar --no-counts --format table"),
    ("list", "list --format table"),
]
SECONDS = re.compile(r'"seconds": [0-9.e-]+')


def run(cli: str, args: str) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run([cli, *args.split()], capture_output=True, text=True, env=env)
    return done.returncode, SECONDS.sub('"seconds": _', done.stdout), done.stderr


def main(old_cli: str, new_cli: str) -> int:
    differ = 0
    for old, new in CASES:
        if run(old_cli, old) != run(new_cli, new):
            differ += 1
            print(f"DIFFERS: {old!r} vs {new!r}")
    print(f"{len(CASES) - differ} of {len(CASES)} identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
