"""What a traced model is called with: a made-up input of a shape and dtype, or the user's own.

Images take a float tensor of zeros (a count does not depend on pixel values). Token models
take integers: ids drawn below the smallest embedding's `num_embeddings`, so that every
lookup is in range on a real device; `bool` inputs (masks) are all True. An `example_input`
is used as given: a tensor, a tuple of positional arguments or a dict of keyword arguments
(as a Hugging Face model takes `input_ids=`, `attention_mask=`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from resnet_inspect.errors import InspectError

# --input-dtype's names, as a user writes them, and the dtype each means
INPUT_DTYPES: dict[str, torch.dtype] = {
    "int64": torch.int64, "long": torch.int64, "int32": torch.int32, "int": torch.int32,
    "bool": torch.bool, "float16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "float32": torch.float32, "float": torch.float32,
    "float64": torch.float64, "double": torch.float64,
}
# an integer input with no embedding to bound it: ids 0 and 1, valid for any lookup
_NO_EMBEDDING_HIGH = 2
_SEED = 0  # the drawn ids are the same on every run, so are the timings of what reads them


def input_dtype_named(value: torch.dtype | str | None) -> torch.dtype | None:
    """'int64', 'long', torch.int32 ... -> the dtype; a user error naming the choices."""
    if value is None or isinstance(value, torch.dtype):
        if isinstance(value, torch.dtype) and value not in INPUT_DTYPES.values():
            raise InspectError(f"input dtype {value}: use one of {', '.join(INPUT_DTYPES)}")
        return value
    dtype = INPUT_DTYPES.get(str(value).strip().lower().removeprefix("torch."))
    if dtype is None:
        raise InspectError(f"--input-dtype {value!r}: use one of {', '.join(INPUT_DTYPES)}, "
                           "e.g. --input-dtype int64 for token ids")
    return dtype


def token_limit(model: nn.Module) -> int:
    """The smallest `num_embeddings` of the model's embeddings: every id below it is valid
    for every table the input may index; 2 when there is no embedding."""
    sizes = [m.num_embeddings for m in model.modules()
             if isinstance(m, (nn.Embedding, nn.EmbeddingBag))]
    return min(sizes) if sizes else _NO_EMBEDDING_HIGH


@dataclass
class Call:
    """The arguments of one forward call, and what the report says about them."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def tensors(self) -> list[torch.Tensor]:
        return [v for v in (*self.args, *self.kwargs.values()) if isinstance(v, torch.Tensor)]

    @property
    def first(self) -> torch.Tensor:
        """The first tensor argument: its shape is the report's input shape."""
        return self.tensors()[0]

    def run(self, model: nn.Module) -> Any:
        return model(*self.args, **self.kwargs)


def made_input(model: nn.Module, shape: Sequence[int], dtype: torch.dtype,
               device: torch.device) -> torch.Tensor:
    """A tensor of `shape` (batch included) and `dtype` on `device`: zeros for floats, ids
    below the model's embedding sizes for integers, True for bool."""
    if dtype.is_floating_point:
        return torch.zeros(tuple(shape), dtype=dtype, device=device)
    if dtype == torch.bool:
        return torch.ones(tuple(shape), dtype=dtype, device=device)
    if device.type == "meta":  # values do not exist on meta, only shapes
        return torch.empty(tuple(shape), dtype=dtype, device=device)
    generator = torch.Generator().manual_seed(_SEED)
    ids = torch.randint(token_limit(model), tuple(shape), generator=generator, dtype=dtype)
    return ids.to(device)


def example_call(example: Any, device: torch.device) -> Call:
    """The user's example input as a call on `device` (meta: the same shapes and dtypes)."""
    def moved(v: Any) -> Any:
        return v.to(device) if isinstance(v, torch.Tensor) else v

    if isinstance(example, torch.Tensor):
        call = Call((moved(example),))
    elif isinstance(example, Mapping):
        call = Call((), {str(k): moved(v) for k, v in example.items()})
    elif isinstance(example, (tuple, list)):
        call = Call(tuple(moved(v) for v in example))
    else:
        raise InspectError(f"example_input is a {type(example).__name__}; give a tensor, a "
                           "tuple of arguments or a dict of keyword arguments")
    if not call.tensors():
        raise InspectError("example_input holds no tensor; give at least one")
    return call
