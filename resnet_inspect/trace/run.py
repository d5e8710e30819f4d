"""`inspect`: a name, spec or module -> Report (the facade's `resnet_inspect.inspect`).

Kept here, below the facade, so analysis modules can run a trace without importing the
package's `__init__` back."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from resnet_inspect.errors import InspectError
from resnet_inspect.models.builder import build_model
from resnet_inspect.models.walk import walks_kept
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import AnySpec, ArchSpec, ClassicSpec
from resnet_inspect.spec.registry import resolve_spec
from resnet_inspect.trace.device import paused_gc, resolve_device
from resnet_inspect.trace.tracer import trace


def inspect(
    model_or_name: nn.Module | str | AnySpec,
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "auto",
    headline: str = "conv",
    name: str | None = None,
    train: bool = False,
    optimizer: str = "adam",
    dtype: str | None = None,
    amp: str | None = None,
    input_dtype: str | torch.dtype | None = None,
    example_input: Any = None,
    **overrides: Any,
) -> Report:
    """Trace one forward pass and return the Report (rows, totals, memory, layer count).

    Any nn.Module works; a name or spec is built without weight initialisation (counts
    and shapes do not depend on weights). The input shape defaults to the spec's own
    (3x224x224 for ImageNet networks, 3x32x32 for CIFAR ones). `train=True` counts one
    training step (backward MACs, saved activations, gradients, `optimizer` state, the
    peak: `report.training_memory`); `dtype` ("bfloat16", ...) counts as if cast to it.
    `input_dtype` is the input's ("int64": token ids below the embedding's size), not the
    model's; `example_input` (a tensor, a tuple of arguments, a dict of keyword
    arguments) is used as given, and its first tensor's shape is the input shape.

    >>> inspect(my_gpt, input_shape=(128,), input_dtype="int64")   # a token model
    >>> inspect(hf_bert, example_input={"input_ids": ids, "attention_mask": mask})

    >>> inspect("resnet50", batch=32, train=True).training_memory.peak   # bytes
    """
    if isinstance(model_or_name, (str, ArchSpec, ClassicSpec)):
        spec = resolve_spec(model_or_name, **overrides)
        target = resolve_device(device)
        shape = tuple(input_shape) if input_shape is not None else spec.input_shape
        # the model is ours and unchanged between: the trace reuses the builder's walk
        with walks_kept():
            with paused_gc():  # halves the first build of a deep network
                model = build_model(spec, device=target, init=False)
            report = trace(model, shape, batch=batch, device=target, headline=headline,
                           name=name, train=train, optimizer=optimizer, dtype=_dtype(dtype),
                           amp=amp, input_dtype=input_dtype, example_input=example_input)
        return report
    shape = tuple(input_shape) if input_shape is not None else (3, 224, 224)
    return trace(model_or_name, shape, batch=batch, device=device, headline=headline, name=name,
                 train=train, optimizer=optimizer, dtype=_dtype(dtype), amp=amp,
                 input_dtype=input_dtype, example_input=example_input)


def _dtype(name: str | None) -> torch.dtype | None:
    if name is None:
        return None
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise InspectError(f"dtype {name!r}: use float32, bfloat16, float16 or float64")
    return value
