"""Deep custom networks: the tracer's and the table's time per block, separately.

    python benchmarks/deep.py 40 400 4000     # basic blocks, 4 equal stages, meta, 80 columns

Each depth runs in this one process in turn (run one depth per call for clean peak RSS).
A 4-block network is traced first and not counted: the first trace of a process pays
one-time costs (lazy imports, torch's first meta kernels, ~0.6 s) that are not per block.
"""
import gc
import io
import resource
import sys
import time

gc.disable()  # as the CLI runs a command

import resnet_inspect  # noqa: E402
from resnet_inspect.render.console import make_console  # noqa: E402
from resnet_inspect.render.table import render_summary  # noqa: E402
from resnet_inspect.spec.arch import BlockKind  # noqa: E402
from resnet_inspect.spec.merge import spec_from_settings  # noqa: E402

resnet_inspect.inspect(spec_from_settings({"block": BlockKind.BASIC, "layers": [1] * 4}))
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
for n in map(int, sys.argv[1:] or ["400"]):
    spec = spec_from_settings({"block": BlockKind.BASIC, "layers": [n // 4] * 4})
    t0 = time.perf_counter()
    r = resnet_inspect.inspect(spec)
    t1 = time.perf_counter()
    render_summary(r, make_console(width=80, file=io.StringIO()))
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"blocks {n}: inspect {t1 - t0:.2f}s ({(t1 - t0) / n * 1e3:.3f} ms/block) "
          f"table {t2 - t1:.2f}s ({(t2 - t1) / n * 1e3:.3f} ms/block) peak RSS {rss:.0f} MiB "
          f"(+{(rss - base_rss) / n * 1024:.0f} KiB/block over the warm process)")
