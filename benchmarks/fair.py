"""A fair race: resnet-inspect against every peer on the same model, input, device, threads.

    python benchmarks/fair.py                 # meta: ResNet-152, CPU: ResNet-50; ~3 min
    python benchmarks/fair.py --quick         # fewer repeats, no memory children
    python benchmarks/fair.py --model resnet50 --repeats 9

Rules (issue 13):
- one nn.Module, one input tensor, one device and one thread count (torch.set_num_threads)
  for every tool; each tool gets one warm-up call, then the tools run interleaved, round by
  round, so that a busy moment on a shared machine hits all alike; medians with min-max;
- meta against meta for every peer that runs on meta, CPU against CPU for all; on CPU the
  floor is a bare forward pass (torch.no_grad), and each tool's time is shown as a ratio to it;
- peak memory of each tool in its own child process, read from outside the child
  (/proc/<pid>/status VmHWM polled by this process), never this process's ru_maxrss.
A peer that fails on a device is listed with its error, not left out in silence.
Our side is the public API: resnet_inspect.inspect(model, input_shape, batch, device).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

Tool = Callable[[Any, Any], object]
MISSING: list[str] = []  # peers not installed: named in the output, never left out silently


def tools(device: str) -> dict[str, Tool]:
    """name -> f(model, x); each call does one complete analysis of the model at x."""
    import torch

    import resnet_inspect

    out: dict[str, Tool] = {}
    MISSING.clear()
    if device == "cpu":
        def forward(model: Any, x: Any) -> object:
            with torch.no_grad():
                return model(x)
        out["bare forward (floor)"] = forward

    def ours(model: Any, x: Any) -> object:
        return resnet_inspect.inspect(model, tuple(x.shape[1:]), batch=x.shape[0],
                                      device=device)
    out["resnet-inspect"] = ours

    with _peer("torchinfo"):
        import torchinfo

        def ti(model: Any, x: Any) -> object:
            return torchinfo.summary(model, input_data=x, device=device, verbose=0)
        out["torchinfo"] = ti

    def fcm(model: Any, x: Any) -> object:
        from torch.utils.flop_counter import FlopCounterMode

        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
        return counter.get_total_flops()
    out["FlopCounterMode"] = fcm

    with _peer("fvcore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

        def fv(model: Any, x: Any) -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = FlopCountAnalysis(model, x)
                a.unsupported_ops_warnings(False)
                a.uncalled_modules_warnings(False)
                return a.total()
        out["fvcore"] = fv

    with _peer("ptflops"):
        from ptflops import get_model_complexity_info

        def pt(model: Any, x: Any) -> object:
            with contextlib.redirect_stdout(io.StringIO()):
                return get_model_complexity_info(
                    model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False,
                    input_constructor=lambda _shape: {"x": x}, backend="pytorch")
        out["ptflops"] = pt

    with _peer("thop"):
        import thop

        def th(model: Any, x: Any) -> object:
            import copy

            # thop adds buffers to the model it profiles: give it a copy (not timed apart)
            with contextlib.redirect_stdout(io.StringIO()):
                return thop.profile(copy.deepcopy(model), inputs=(x,), verbose=False)
        out["thop"] = th

    with _peer("calflops"):
        from calflops import calculate_flops

        def cf(model: Any, x: Any) -> object:
            with contextlib.redirect_stdout(io.StringIO()):
                return calculate_flops(model, args=[x], print_results=False,
                                       print_detailed=False, output_as_string=False)
        out["calflops"] = cf

    with _peer("torchview"):
        from torchview import draw_graph

        def tv(model: Any, x: Any) -> object:
            return draw_graph(model, input_data=x, device=device, save_graph=False)
        out["torchview"] = tv
    return out


@contextlib.contextmanager
def _peer(name: str) -> Any:
    try:
        yield
    except ImportError:
        MISSING.append(name)


def setup(model_name: str, device: str, batch: int, threads: int) -> tuple[Any, Any]:
    import torch

    import resnet_inspect

    torch.set_num_threads(threads)
    spec = resnet_inspect.resolve_spec(model_name)
    model = resnet_inspect.build(spec, device=device, init=device != "meta").eval()
    x = torch.randn(batch, *spec.input_shape, device=device)
    return model, x


def race(model_name: str, device: str, batch: int, threads: int, repeats: int,
         only: str | None = None) -> dict[str, Any]:
    model, x = setup(model_name, device, batch, threads)
    runners = tools(device)
    if only is not None:
        runners = {only: runners[only]}
    times: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for name, fn in runners.items():  # warm-up; a tool that fails is named with its error
        try:
            fn(model, x)
            times[name] = []
        except Exception as err:  # a peer's failure is a result, shown
            errors[name] = " ".join(f"{type(err).__name__}: {err}".split())[:90]
    for _ in range(repeats):
        for name in times:
            start = time.perf_counter()
            runners[name](model, x)
            times[name].append(time.perf_counter() - start)
    return {"times": times, "errors": errors}


def child_peak_mib(args: argparse.Namespace, device: str, tool: str) -> float | None:
    """Run one tool once in a child; poll its VmHWM from here (peak resident set)."""
    cmd = [sys.executable, __file__, "--child", device, "--only", tool, "--model", args.model,
           "--batch", str(args.batch), "--threads", str(args.threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    status = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.02)
    return peak / 1024 if proc.returncode == 0 and peak else None


def table(device: str, result: dict[str, Any], memory: dict[str, float | None]) -> None:
    times = result["times"]
    ours = statistics.median(times["resnet-inspect"])
    floor = (statistics.median(times["bare forward (floor)"])
             if "bare forward (floor)" in times else None)
    print(f"\n{device}: median ms [min-max]; 'x ours' = tool time / resnet-inspect time")
    head = f"{'tool':<22}{'median ms':>10}{'min-max':>16}{'x ours':>8}"
    head += f"{'x floor':>9}" if floor else ""
    head += f"{'peak MiB':>10}" if memory else ""
    print(head)
    for name, ts in times.items():
        med = statistics.median(ts)
        row = f"{name:<22}{med * 1e3:>10.1f}{f'{min(ts) * 1e3:.0f}-{max(ts) * 1e3:.0f}':>16}"
        row += f"{med / ours:>7.2f}x"
        if floor:
            row += f"{med / floor:>8.2f}x"
        if memory:
            mib = memory.get(name)
            row += f"{mib:>10.0f}" if mib else f"{'-':>10}"
        print(row)
    for name, err in result["errors"].items():
        print(f"{name:<22}  fails on {device}: {err}")
    for name in MISSING:
        print(f"{name:<22}  not installed (pip install -e '.[bench]')")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet152", help="the network raced on meta")
    parser.add_argument("--cpu-model", default="resnet50",
                        help="the network raced on CPU (real forward passes: ResNet-152 "
                             "there takes the default run past 3 minutes on 2 cores)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--devices", default="meta,cpu")
    parser.add_argument("--quick", action="store_true", help="3 repeats, no memory children")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one tool, once (for the memory measurement)
        model, x = setup(args.model, args.child, args.batch, args.threads)
        tools(args.child)[args.only](model, x)
        return
    repeats = 3 if args.quick else args.repeats
    print(f"batch {args.batch} at each network's own input, {args.threads} threads, "
          f"{repeats} interleaved rounds after one warm-up each")
    for device in args.devices.split(","):
        model = args.cpu_model if device == "cpu" else args.model
        result = race(model, device, args.batch, args.threads, repeats)
        memory: dict[str, float | None] = {}
        if not args.quick and device == "cpu":
            args.model = model
            memory = {name: child_peak_mib(args, device, name) for name in result["times"]}
        table(f"{device}, {model}", result, memory)
        sys.stdout.flush()
    print("\n(no GPU here: CUDA against CUDA is not measured)" if not _cuda() else "")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    main()
