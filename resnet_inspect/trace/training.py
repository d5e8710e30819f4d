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
from resnet_inspect.private import conv_backend_is_onednn, storage_id
from resnet_inspect.report.model import LayerRecord, TrainingMemory
from resnet_inspect.spec.settings import Optimizer
from resnet_inspect.trace.tensors import Sizes, tensors_in

OPTIMIZER_STATES = {o.value: o.states for o in Optimizer}  # buffers per parameter


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
    """The storages a training step holds: each one an operator allocates, live until its
    last alias is gone (for the peak), and each one autograd saves for the backward,
    counted once.

    Followed per storage, not per tensor: a storage lives while any tensor holds it (a view,
    a `.detach()`, a tensor autograd saved, checkpoint's recomputed ones), so a finalizer
    sits on the storage itself, which torch keeps as one Python object for its lifetime."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude  # storages of parameters, buffers and the input
        self.live = 0
        self.live_peak = 0
        self.live_keys: dict[int, int] = {}  # storage -> bytes
        self.saved_keys: set[int] = set()
        self.saved_total = 0
        self.modified: dict[int, str] = {}  # storage -> the in-place operator last on it

    def track(self, out: Any, args: tuple[Any, ...], name: str = "") -> None:
        """Add each new storage an operator allocates to the live total until it is freed;
        note which operator changed a storage in place (for autograd's version check)."""
        inputs: set[int] | None = None
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key = storage_id(storage)
            if any(t is a for a in args):  # an in-place result is its input's storage
                self.modified[key] = name
                continue
            if key in self.live_keys or key in self.exclude:
                continue  # a view of a storage already followed, or of a parameter
            if inputs is None:
                inputs = _storage_keys(args)
            if key in inputs:
                continue  # a view of a tensor the model holds (a constant, a mask)
            n = storage.nbytes()
            self.live_keys[key] = n
            self.live += n
            self.live_peak = max(self.live_peak, self.live)
            weakref.finalize(storage, self._free, key)
        if name == "aten.convolution_backward":
            self.add(conv_backward_workspace(args))

    def _free(self, key: int) -> None:
        n = self.live_keys.pop(key, None)
        if n is not None:
            self.live -= n
        self.modified.pop(key, None)
        self.saved_keys.discard(key)  # a later storage at this address is another one

    def add(self, n: int) -> None:
        """Bytes held for a moment besides the storages followed (a kernel's workspace,
        the optimizer's temporaries): the peak, if they raise it."""
        self.live_peak = max(self.live_peak, self.live + n)

    def save(self, t: torch.Tensor) -> int | None:
        """The bytes of `t`'s storage when autograd saves it for the first time, else None
        (saved already, or a parameter's or the input image's: not activations)."""
        storage = t.untyped_storage()
        key = storage_id(storage)
        if key in self.exclude or key in self.saved_keys:
            return None
        self.saved_keys.add(key)
        n = storage.nbytes()
        self.saved_total += n
        return n


def _storage_keys(args: tuple[Any, ...]) -> set[int]:
    """The storages of an operator's tensor arguments (and of tensors in a list argument)."""
    keys = set()
    for a in args:
        if isinstance(a, torch.Tensor):
            keys.add(storage_id(a.untyped_storage()))
        elif isinstance(a, (list, tuple)):
            keys.update(storage_id(t.untyped_storage()) for t in a if isinstance(t, torch.Tensor))
    return keys


def conv_backward_workspace(args: tuple[Any, ...]) -> int:
    """Bytes a CPU convolution backward holds for a moment beyond its gradients, as oneDNN
    runs a float32 NCHW 2-d convolution of one group (measured: docs/training.md, "Inside
    convolution backward"; benchmarks/conv_workspace.py):

    - the weight gradient reorders the input and the output's gradient into oneDNN's
      blocked layout: one copy of each (an input of 3 channels is read as it is);
    - the input gradient reorders the output's gradient and the weight, writes its result
      in the blocked layout and copies it out: max(grad_output + weight, grad_input) with
      stride 1; twice grad_input when strided (oneDNN's strided kernel copies once more);
    - the two run one after the other: the larger of them.

    Nothing when torch runs its own kernel (a 1x1 convolution at small batch on one
    thread: no columns), nor for what was not measured: other dtypes, channels-last
    tensors, groups, 1-d and 3-d convolutions, transposed ones, or a GPU (cuDNN)."""
    if len(args) < 11:  # called with keywords: not as autograd calls it
        return 0
    grad_out, x, weight = args[0], args[1], args[2]
    stride, padding, dilation, transposed, _, groups, mask = args[4:11]
    if transposed or groups != 1 or x.dim() != 4 or x.dtype != torch.float32 \
            or x.device.type not in ("cpu", "meta") or not x.is_contiguous() \
            or not conv_backend_is_onednn(list(x.shape), list(weight.shape), stride, padding,
                                          dilation, groups):
        return 0
    gy, gx, w = (t.numel() * t.element_size() for t in (grad_out, x, weight))
    data = weights = 0
    if mask[0]:
        data = 2 * gx if any(s > 1 for s in stride) else max(gy + w, gx)
    if mask[1] or mask[2]:
        weights = gy + (gx if x.shape[1] > 3 else 0)
    return max(data, weights)


def optimizer_temporaries(model: nn.Module, step: Step, foreach: bool = False) -> int:
    """Bytes torch.optim's step allocates for a moment beyond its state (which it updates
    in place), from torch/optim/adam.py and sgd.py at their defaults (no weight decay):

    - Adam, AdamW, one parameter at a time (the default on CPU): `denom =
      (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)` holds the square root and
      the quotient together: twice the largest parameter;
    - Adam, AdamW, `foreach` (the default on CUDA): `_foreach_sqrt` of every second moment
      at once, then divided and added to in place: every trainable parameter once;
    - SGD, with or without momentum: everything in place, nothing.
    """
    if OPTIMIZER_STATES[step.optimizer] < 2:
        return 0
    sizes = [p.numel() * p.element_size() for p in _unique(model.parameters())
             if p.requires_grad]
    if not sizes:
        return 0
    return sum(sizes) if foreach else 2 * max(sizes)


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
