"""What drawing composite calls as one node costs a trace: CompositeCalls (a
TorchFunctionMode, trace/dataflow.py) sees every torch function and tensor method a
forward calls. The same meta trace with it and without it (the mode replaced by a null
context), interleaved, CPU time of this process.

    python benchmarks/composite_cost.py 7     # 7 rounds of ResNet-152 and a small ViT
"""
import contextlib
import gc
import statistics
import sys
import time

gc.disable()  # as the CLI runs a command

sys.path.insert(0, ".")
import resnet_inspect.trace.tracer as tracer  # noqa: E402
from resnet_inspect.models.builder import build_model  # noqa: E402
from resnet_inspect.spec.registry import resolve_spec  # noqa: E402
from tests.dataflow_models import ViT  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
with_mode = tracer.composite_calls


def without_mode(flow, stack):  # type: ignore[no-untyped-def]
    return contextlib.nullcontext()


models = {"resnet152": (build_model(resolve_spec("resnet152"), device="meta", init=False),
                        (3, 224, 224)),
          "vit (12 blocks, sdpa)": (ViT(sdpa=True, depth=12).to("meta"), (3, 32, 32))}
times: dict[tuple[str, bool], list[float]] = {}
for name, (model, shape) in models.items():
    tracer.trace(model, input_shape=shape, device="meta")  # first-trace costs, not counted
    for _ in range(rounds):
        for on in (False, True):
            tracer.composite_calls = with_mode if on else without_mode
            t0 = time.process_time()
            tracer.trace(model, input_shape=shape, device="meta")
            times.setdefault((name, on), []).append((time.process_time() - t0) * 1e3)
            gc.collect()
for name in models:
    off, on = (statistics.median(times[name, m]) for m in (False, True))
    print(f"{name}: without {off:.1f} ms (min {min(times[name, False]):.1f}), with "
          f"{on:.1f} ms (min {min(times[name, True]):.1f}): x{on / off:.3f}, {rounds} rounds")
