"""The floor under an operator-level counter on CPU: what intercepting costs before counting.

    python benchmarks/floor.py                # ResNet-50, batch 1, 2 threads, 21 rounds
    python benchmarks/floor.py --batch 8 --rounds 9

Each line is one way of running the same forward pass, interleaved round by round, as a
median and a ratio to the bare pass:
- bare: torch.no_grad() and the model;
- hooks: two global module hooks that do nothing (what attributing work to modules costs);
- mode: a TorchDispatchMode that only calls each operator (what seeing operators costs);
- mode + hooks: both, the floor of a counter built like ours;
- mode off in leaves: as mode + hooks, with the mode popped inside every leaf module, so
  that only the operators of containers pass through Python;
- resnet-inspect: `resnet_inspect.inspect(model, device="cpu")`, everything included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode, _pop_mode, _push_mode

import resnet_inspect


class _Calls(TorchDispatchMode):
    """Calls each operator and does nothing else."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        return func(*args, **(kwargs or {}))


def _ways(model: nn.Module, x: torch.Tensor) -> dict[str, Callable[[], object]]:
    popped: list[Any] = []

    def nothing(*_: Any) -> None:
        return None

    def pop_in_leaf(m: nn.Module, _: Any) -> None:
        if not m._modules:
            popped.append(_pop_mode())

    def push_after_leaf(m: nn.Module, *_: Any) -> None:
        if popped:
            _push_mode(popped.pop())

    def hooked(pre: Callable[..., None], post: Callable[..., None], mode: bool) -> object:
        handles = [nn.modules.module.register_module_forward_pre_hook(pre),
                   nn.modules.module.register_module_forward_hook(post)]
        try:
            with torch.no_grad(), _Calls() if mode else _nothing():
                return model(x)
        finally:
            for h in handles:
                h.remove()

    def bare() -> object:
        with torch.no_grad():
            return model(x)

    def mode() -> object:
        with torch.no_grad(), _Calls():
            return model(x)

    return {
        "bare": bare,
        "hooks": lambda: hooked(nothing, nothing, False),
        "mode": mode,
        "mode + hooks": lambda: hooked(nothing, nothing, True),
        "mode off in leaves": lambda: hooked(pop_in_leaf, push_after_leaf, True),
        "resnet-inspect": lambda: resnet_inspect.inspect(model, tuple(x.shape[1:]),
                                                         batch=x.shape[0], device="cpu"),
    }


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50", help="an ImageNet preset (224x224)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = resnet_inspect.build(args.model)
    x = torch.zeros(args.batch, 3, 224, 224)
    ways = _ways(model, x)
    for way in ways.values():  # warm-up
        way()
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - start)
    bare = statistics.median(times["bare"])
    print(f"{args.model}, batch {args.batch}, {args.threads} threads, {args.rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:20} {median * 1e3:8.2f} ms  {median / bare:5.3f}x  "
              f"{(median - bare) * 1e3:+6.2f} ms")


if __name__ == "__main__":
    main()
