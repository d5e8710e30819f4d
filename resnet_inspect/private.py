"""Every private API of torch and typer that resnet-inspect relies on, each behind a guard.

A name that starts with an underscore carries no promise: a release may rename, move or
drop it. Each one is reached from here only, and a guard turns its absence (or a changed
signature) into `PrivateAPIChanged`, a RunFailure (exit 1) whose one line names the API
and the installed release: a fault of this tool with that release, never reported as the
user's model failing (the tracer passes RunFailure through as it is).
`tests/test_private_apis.py` calls every wrapper against the installed torch, so an
upgrade that breaks one fails there first, by name.

Why each is private and not public:
  - `torch._C._current_autograd_node()`: which backward node is running, so backward work
    is charged to the layer whose forward made it; torch has no public form.
  - `UntypedStorage._cdata`: the identity of a storage (views share it), the key of the
    step's live-memory ledger; `data_ptr()` is 0 for every storage on meta.
  - `Tensor._version`: the in-place counter autograd checks; a saved-tensor hook switches
    autograd's own check off, so the counter repeats it.
  - `OpOverload._schema.is_mutable`: whether an operator writes an argument in place.
  - `Module._modules/_parameters/_buffers`: a module's own tables, read (and on meta
    swapped) in one pass; `named_children()` and friends build generators per module,
    and cannot swap a tensor without triggering `__setattr__`'s checks.
  - `torch._fused_sdp_choice` and `torch.utils._python_dispatch._disable_current_modes`:
    which attention kernel the CPU would pick, asked outside the counter.
  - `torch._C._select_conv_backend`: which kernel the CPU runs a convolution with (oneDNN
    or torch's own), for the workspace its backward allocates (trace/training.py).
  - `torch._dynamo`, imported before a training step on meta (see `preload_dynamo`).
  - `torch.utils._python_dispatch.TorchDispatchMode` and its `_should_skip_dynamo` hook.
  - `typer._click`: click's exceptions, vendored inside typer.

rich's `Column._cells` is no longer used: `Column.cells` is public.

No torch at import: the CLI imports this module before it knows whether a command needs
torch; the torch wrappers import it when first called (it is loaded by then).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import RunFailure, first_line

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.utils._python_dispatch import TorchDispatchMode

    class DispatchMode(TorchDispatchMode):
        """TorchDispatchMode without the torch._dynamo import (see `_dispatch_mode`)."""


class PrivateAPIChanged(RunFailure):
    """A private API this tool uses is missing or changed in the installed release."""


def _version(package: str) -> str:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # a source checkout without metadata: still name the package
        return "(version unknown)"


def changed(api: str, err: BaseException | None = None, package: str = "torch",
            fix: str = "") -> PrivateAPIChanged:
    """The one-line error for `api` missing or changed in the installed `package`."""
    detail = f" ({type(err).__name__}: {first_line(err)})" \
        if err is not None else ""
    fix = fix or f"use a {package} release resnet-inspect supports, or report it"
    return PrivateAPIChanged(
        f"{api}, a private {package} API resnet-inspect relies on, is missing or changed in "
        f"{package} {_version(package)}{detail}; this is resnet-inspect failing with this "
        f"release, not your model: {fix}")


# ------------------------------------------------------------------------- autograd


def current_autograd_node() -> Any:
    """The autograd node the backward is running now; None outside a backward."""
    import torch

    try:
        get = torch._C._current_autograd_node
    except AttributeError as err:
        raise changed("torch._C._current_autograd_node()", err) from None
    return get()


def tensor_version(t: torch.Tensor) -> int:
    """The tensor's in-place version counter (`Tensor._version`): +1 per in-place write."""
    try:
        return t._version
    except AttributeError as err:
        raise changed("Tensor._version", err) from None


# ------------------------------------------------------------------------- storages


def storage_id(storage: torch.UntypedStorage) -> int:
    """The identity of a storage (`UntypedStorage._cdata`): every view of a tensor
    gives the same; unlike `data_ptr()`, distinct for storages on meta. A freed
    storage's id can be taken by a later one (callers drop it when it is freed)."""
    try:
        return storage._cdata
    except AttributeError as err:
        raise changed("UntypedStorage._cdata", err) from None


def value_key(t: torch.Tensor) -> tuple[int, int]:
    """A value the dataflow graph follows: (its storage's identity, its version). An
    in-place write makes a new value in the same storage."""
    try:
        return t.untyped_storage()._cdata, t._version
    except AttributeError as err:
        raise changed("UntypedStorage._cdata / Tensor._version", err) from None


# ------------------------------------------------------------------------- operators


def is_mutable(op: Any) -> bool:
    """Whether an ATen operator (an OpOverload) writes one of its arguments in place,
    from its schema (`OpOverload._schema.is_mutable`)."""
    try:
        return bool(op._schema.is_mutable)
    except AttributeError as err:
        raise changed("OpOverload._schema.is_mutable", err) from None


# ------------------------------------------------------------------------- modules


def _table(m: nn.Module, name: str) -> dict[str, Any]:
    try:
        return vars(m)[name]  # not getattr: a missing table would reach Module.__getattr__
    except KeyError as err:
        raise changed(f"nn.Module.{name}", err) from None


def child_modules(m: nn.Module) -> dict[str, nn.Module | None]:
    """The module's own submodules by name (`Module._modules`, the live dict)."""
    return _table(m, "_modules")


def own_parameters(m: nn.Module) -> dict[str, nn.Parameter | None]:
    """The module's own parameters by name (`Module._parameters`, the live dict)."""
    return _table(m, "_parameters")


def own_buffers(m: nn.Module) -> dict[str, torch.Tensor | None]:
    """The module's own buffers by name (`Module._buffers`, the live dict)."""
    return _table(m, "_buffers")


# ------------------------------------------------------------------------- attention

_CPU_KERNEL_FIX = "trace with --device cpu, or use a torch release resnet-inspect supports"


def fused_sdp_choice(query: Any, key: Any, value: Any, attn_mask: Any, dropout_p: float,
                     is_causal: bool, *, scale: float | None, enable_gqa: bool) -> int:
    """The SDPBackend (an int) torch would run for scaled_dot_product_attention on these
    CPU tensors (`torch._fused_sdp_choice`). Ask inside `no_dispatch_modes()`, tensors
    made there too: asking is neither work nor memory of the model."""
    import torch

    choose = getattr(torch, "_fused_sdp_choice", None)
    if choose is None:
        raise changed("torch._fused_sdp_choice", fix=_CPU_KERNEL_FIX)
    try:
        return int(choose(query, key, value, attn_mask, dropout_p, is_causal, scale=scale,
                          enable_gqa=enable_gqa))
    except (TypeError, RuntimeError) as err:
        raise changed("torch._fused_sdp_choice", err, fix=_CPU_KERNEL_FIX) from None


def no_dispatch_modes() -> Any:
    """torch's context that sets the active dispatch modes (our counter) aside
    (`torch.utils._python_dispatch._disable_current_modes`)."""
    try:
        from torch.utils._python_dispatch import _disable_current_modes
    except ImportError as err:
        raise changed("torch.utils._python_dispatch._disable_current_modes", err,
                      fix=_CPU_KERNEL_FIX) from None
    return _disable_current_modes()


def conv_backend_is_onednn(x_shape: list[int], w_shape: list[int], stride: Any, padding: Any,
                           dilation: Any, groups: int) -> bool:
    """Whether torch runs a float32 convolution of these shapes on this CPU, with this
    process's thread count, through oneDNN (`torch._C._select_conv_backend`). Asked of
    CPU tensors of one element expanded to the shapes: no memory, not the model's work."""
    import torch

    select = getattr(torch._C, "_select_conv_backend", None)
    if select is None:
        raise changed("torch._C._select_conv_backend", fix=_CPU_KERNEL_FIX)
    with no_dispatch_modes():
        x = torch.zeros((1,) * len(x_shape)).expand(x_shape)
        w = torch.zeros((1,) * len(w_shape)).expand(w_shape)
        try:
            backend = select(x, w, None, list(stride), list(padding), list(dilation), False,
                             [0] * len(stride), groups, None)
        except (TypeError, RuntimeError) as err:
            raise changed("torch._C._select_conv_backend", err, fix=_CPU_KERNEL_FIX) from None
    return str(backend).rsplit(".", 1)[-1] == "Mkldnn"


# ------------------------------------------------------------------------- dynamo


def preload_dynamo() -> None:
    """Import torch._dynamo now. The backward of some operators on meta (ReLU's
    threshold_backward) is a Python decomposition that imports it on its first call,
    and that import's reference cycles keep the frames on the stack, with their tensors,
    until the collector runs: the first training step in a process would count them as
    live memory. Imported before the step, its cycles hold no tensor of ours."""
    try:
        importlib.import_module("torch._dynamo")
    except ImportError as err:
        raise changed("torch._dynamo", err) from None


def _dispatch_mode() -> type:
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError as err:
        raise changed("torch.utils._python_dispatch.TorchDispatchMode", err) from None
    if not hasattr(TorchDispatchMode, "_should_skip_dynamo"):
        # the hook is gone: overriding it would do nothing, and a mode then works as
        # torch's own do; only the start-up second below may come back
        return TorchDispatchMode

    class DispatchMode(TorchDispatchMode):
        """TorchDispatchMode without the torch._dynamo import: for every subclass whose
        `_should_skip_dynamo` says True, torch wraps `__torch_dispatch__` in
        torch._disable_dynamo, which imports torch._dynamo (and sympy) on its first call,
        about a second of start-up. Nothing here is ever compiled, so nothing to
        disable: the hook says False for this class and its subclasses."""

        @classmethod
        def _should_skip_dynamo(cls) -> bool:
            return False

    return DispatchMode


def __getattr__(name: str) -> Any:
    """`DispatchMode`, made on first use (so that importing this module needs no torch)."""
    if name == "DispatchMode":
        made = globals()["DispatchMode"] = _dispatch_mode()
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------- typer


def click_exceptions() -> ModuleType:
    """Click's exception module: vendored inside typer (`typer._click`) since 0.2x, the
    click package before."""
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        pass
    try:  # typer built on the click package
        return importlib.import_module("click.exceptions")
    except ImportError as err:
        raise changed("typer._click.exceptions", err, package="typer") from None
