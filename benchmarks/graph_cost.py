"""What recording the dataflow graph costs a trace: the same deep network traced with and
without it, interleaved, CPU time of this process (steadier than the wall clock on a
shared machine).

    python benchmarks/graph_cost.py 2000 5     # 2,000 basic blocks on meta, 5 rounds
"""
import gc
import statistics
import sys
import time

gc.disable()  # as the CLI runs a command

from resnet_inspect.models.builder import build_model  # noqa: E402
from resnet_inspect.spec.arch import BlockKind  # noqa: E402
from resnet_inspect.spec.merge import spec_from_settings  # noqa: E402
from resnet_inspect.trace.tracer import trace  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
spec = spec_from_settings({"block": BlockKind.BASIC, "layers": [n // 4] * 4})
model = build_model(spec, device="meta", init=False)
trace(model, device="meta")  # first-trace costs, not counted
times: dict[bool, list[float]] = {False: [], True: []}
for _ in range(rounds):
    for graph in (False, True):
        t0 = time.process_time()
        trace(model, device="meta", graph=graph)
        times[graph].append((time.process_time() - t0) / n * 1e3)
        gc.collect()
for graph in (False, True):
    print(f"graph {'on ' if graph else 'off'}: {statistics.median(times[graph]):.3f} ms/block "
          f"(min {min(times[graph]):.3f}, {rounds} rounds of {n} blocks)")
on, off = statistics.median(times[True]), statistics.median(times[False])
print(f"the graph costs {on - off:+.3f} ms/block ({(on / off - 1) * 100:+.1f}%)")
