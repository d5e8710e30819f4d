"""Why a trace failed, in one line that keeps the real cause: an input the model cannot take
is the user's to fix (InspectError), anything else is the model failing (ModelError)."""

from __future__ import annotations

import torch
from torch import nn

from resnet_inspect.errors import InspectError, ModelError, first_line

_SHAPE_WORDS = ("shape", "size", "mat1 and mat2", "channel", "expected input", "kernel size",
                "padding", "dimension", "must match", "Given groups", "too small")


def explain(err: RuntimeError, model: nn.Module, shape: list[int], detail: str,
            input_dtype: torch.dtype | None = None) -> Exception:
    """A one-line error that keeps the real cause: bad input (a shape or a dtype the model
    cannot take) is the user's to fix (exit 2); anything else is the model failing (exit 1)."""
    where = failing_module(err, model)
    dims = "x".join(map(str, shape))
    text = str(err).lower()
    if input_dtype is not None and input_dtype.is_floating_point and _wants_ids(err, model):
        name = str(input_dtype).removeprefix("torch.")
        return InspectError(
            f"{where} takes token ids (integers), not a {name} input; add --input-dtype "
            f"int64 (input_dtype='int64' in Python): ids drawn below the embedding's size"
        )
    if isinstance(err, torch.OutOfMemoryError) or "out of memory" in text or (
        "alloc" in text and "bytes" in text
    ):
        return ModelError(
            f"out of memory running {where} on input {dims}: {detail}; "
            "use a smaller --batch or --input, or --device meta for counts without memory"
        )
    if any(w.lower() in text for w in _SHAPE_WORDS):
        return InspectError(
            f"the input {dims} does not fit {where}: {detail}; "
            "check --input (CxHxW, e.g. 3x224x224)"
        )
    return ModelError(f"the model failed in {where}: {type(err).__name__}: {detail}")


def _wants_ids(err: RuntimeError, model: nn.Module) -> bool:
    """Whether a float input reached a lookup: an embedding raising, or torch's words for it
    ("argument #1 'indices'", "expected scalar type Long")."""
    text = str(err)
    if "'indices'" in text or "scalar type Long" in text or "scalar types: Long" in text:
        return True
    names = dict(model.named_modules())
    where = failing_module(err, model).split(" (")[0]
    return isinstance(names.get(where), (nn.Embedding, nn.EmbeddingBag))


def forward_failed(err: Exception, model: nn.Module, amp: str | None) -> ModelError:
    """The user's forward raised (a ValueError, TypeError, ...): a runtime failure with its
    real cause, in one line."""
    hint = ""
    if amp and any(isinstance(m, nn.RNNBase) for m in model.modules()):
        hint = "; --amp does not emulate autocast for recurrent layers yet: leave it out"
    return ModelError(f"the model failed in {failing_module(err, model)}: "
                      f"{type(err).__name__}: {first_line(err, type(err).__name__)}{hint}")


def failing_module(err: BaseException, model: nn.Module) -> str:
    """The innermost module whose forward was running when `err` was raised.

    Read from the traceback's frames (each forward's `self`), so that finding it costs
    nothing while the forward succeeds.
    """
    names = {id(m): name for name, m in model.named_modules()}
    where = "the model"
    tb = err.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, nn.Module) and names.get(id(owner)):
            where = f"{names[id(owner)]} ({type(owner).__name__})"
        tb = tb.tb_next
    return where


def no_meta_kernel(err: BaseException) -> bool:
    """Whether an error says the op cannot run on meta (rather than a shape mismatch)."""
    text = str(err).lower()
    return isinstance(err, NotImplementedError) or (
        "meta" in text
        and any(w in text for w in ("not implemented", "no kernel", "data-dependent",
                                    "item()", "does not support", "cannot access data"))
    )
