"""What a training step adds to a trace: its optimizer and precision, train (or eval) mode,
the storages it holds (saved for the backward, live at the peak) and its memory summary."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from resnet_inspect.errors import InspectError
from resnet_inspect.models.walk import modules
from resnet_inspect.report.model import LayerRecord, TrainingMemory
from resnet_inspect.trace.tensors import Sizes, tensors_in

OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # buffers per parameter


@dataclass(frozen=True)
class Step:
    """A training step: what the optimizer keeps (its state, per trainable parameter)."""

    optimizer: str = "adam"
    amp: str | None = None  # autocast's lower precision: "float16" or "bfloat16"

    def __post_init__(self) -> None:
        if self.amp not in (None, "float16", "bfloat16"):
            raise InspectError(f"--amp {self.amp}: use float16 or bfloat16")
        if self.optimizer not in OPTIMIZER_STATES:
            raise InspectError(
                f"--optimizer {self.optimizer}: not one this tool knows; use one of "
                f"{', '.join(OPTIMIZER_STATES)}"
            )


@contextmanager
def train_mode(model: nn.Module) -> Iterator[None]:
    """Train mode for a training step (batch-norm uses batch statistics, dropout drops),
    then each module's own flag back."""
    evaluating = [m for m in modules(model) if not m.training]
    model.train()
    try:
        yield
    finally:
        for m in evaluating:
            m.training = False


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the trace (BN uses its running statistics), then each module's own
    flag back: a model with some modules frozen in eval keeps them so."""
    training = [m for m in modules(model) if m.training]
    if training:
        model.eval()  # through train(False), for modules that override it
    try:
        yield
    finally:
        for m in training:
            m.training = True


def output_tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in a model's output (a tensor, or a tuple, list, dict or dataclass of
    them, as trace/tensors.py reads them)."""
    return tensors_in(value)


class StepMemory:
    """The storages a training step holds: each one an operator allocates, live until it
    is freed (for the peak), and each one autograd saves for the backward, counted once."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude  # storages of parameters, buffers and the input
        self.live = 0
        self.live_peak = 0
        self.live_keys: set[int] = set()
        self.saved_keys: set[int] = set()
        self.saved_total = 0

    def track(self, out: Any, args: tuple[Any, ...]) -> None:
        """Add each new storage an operator allocates to the live total until it is freed."""
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if not isinstance(t, torch.Tensor) or any(t is a for a in args):
                continue  # an in-place result is its input's storage
            storage = t.untyped_storage()
            key = storage._cdata
            if key in self.live_keys:
                continue  # a view of a storage already counted
            n = storage.nbytes()
            self.live_keys.add(key)
            self.live += n
            self.live_peak = max(self.live_peak, self.live)
            weakref.finalize(t, self._free, key, n)

    def _free(self, key: int, n: int) -> None:
        if key in self.live_keys:
            self.live_keys.discard(key)
            self.live -= n

    def save(self, t: torch.Tensor) -> int | None:
        """The bytes of `t`'s storage when autograd saves it for the first time, else None
        (saved already, or a parameter's or the input image's: not activations)."""
        storage = t.untyped_storage()
        key = storage._cdata
        if key in self.exclude or key in self.saved_keys:
            return None
        self.saved_keys.add(key)
        n = storage.nbytes()
        self.saved_total += n
        return n


def training_memory(model: nn.Module, sizes: Sizes, memory: StepMemory, step: Step,
                    x: torch.Tensor, records: list[LayerRecord]) -> TrainingMemory:
    """The step's memory: parameters, gradients (cleared here), optimizer state, the bytes
    saved for the backward and the peak."""
    seen: set[int] = set()
    grads = 0
    for p in model.parameters():
        if p.grad is not None and id(p) not in seen:
            seen.add(id(p))
            grads += p.grad.untyped_storage().nbytes()
            p.grad = None  # stand-ins or a copy: nothing of the user's
    trainable_bytes = sum(
        p.numel() * p.element_size() for p in _unique(model.parameters()) if p.requires_grad
    )
    state = OPTIMIZER_STATES[step.optimizer] * trainable_bytes
    input_bytes = x.untyped_storage().nbytes()
    outputs = sum(r.output_bytes for r in records)
    return TrainingMemory(
        activations_saved=memory.saved_total,
        params=sizes.param_bytes,
        grads=grads,
        optimizer_state=state,
        optimizer=step.optimizer,
        amp=step.amp,
        input=input_bytes,
        peak=sizes.param_bytes + sizes.buffer_bytes + state + input_bytes + memory.live_peak,
        live_peak=memory.live_peak,
        torchinfo_estimate=input_bytes + 2 * outputs + sizes.param_bytes,
    )


def _unique(params: Iterator[nn.Parameter]) -> list[nn.Parameter]:
    """Each parameter once (a tied weight appears under every module that holds it)."""
    seen: set[int] = set()
    out = []
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out
