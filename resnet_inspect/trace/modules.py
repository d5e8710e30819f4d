"""What the tracer knows of each module: the fixed fields of its rows, worked out once, and
one running call of it (where its own operators are charged)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from resnet_inspect.private import child_modules
from resnet_inspect.report.model import LayerRecord
from resnet_inspect.trace.resnet_view import shortcut_in, stage_of
from resnet_inspect.trace.tensors import Sizes, tensors_in


class Frame:
    """One running module call: where its own operators are charged."""

    __slots__ = ("args", "arith", "call", "called_first", "first_op", "info", "open", "reads",
                 "rows")

    def __init__(self, info: ModuleInfo, called_first: bool) -> None:
        self.info = info
        self.open: LayerRecord | None = None  # the row taking this module's own operators
        self.rows = 0  # rows this call made
        self.called_first = called_first
        # the dataflow graph (trace/dataflow.py): the nodes this call read, its arguments
        # (a leaf's), its ModuleCall (a module with children's), a leaf's first operator
        self.reads: tuple[list[int], list[list[int]], bool] | None = None
        self.args: tuple[Any, ...] = ()
        self.call = -1
        self.first_op = ""
        self.arith = False


class ModuleInfo:
    """What does not change between calls of one module, worked out once."""

    __slots__ = ("block", "builtin", "depth", "functional", "groups", "is_block", "kernel", "leaf",
                 "module", "name", "own", "row_name", "shortcut", "stage", "stride", "type_name")

    def __init__(self, name: str, m: nn.Module, sizes: Sizes, root_name: str) -> None:
        self.module = m
        self.name = name
        # a torch.compile'd submodule wraps its module as `_orig_mod`: rows keep the name
        # the user gave it (`body.0`, not `body._orig_mod.0`)
        self.row_name = name.replace("._orig_mod", "").removeprefix("_orig_mod.") or root_name
        self.type_name = type(m).__name__
        self.leaf = not child_modules(m)
        # a torch layer (nn.Conv2d, nn.LSTM) is one layer whatever operators it runs; a
        # module of the user's own is counted by the products its forward calls, and a
        # leaf of its own (functional code: F.conv2d on its own weights) by every tensor
        # its operators make, none of which has a row of its own
        self.builtin = type(m).__module__.startswith("torch.")
        self.functional = self.leaf and not self.builtin
        parts = name.split(".") if name else []
        self.stage = stage_of(parts[0]) if parts else self.row_name
        # torchvision's layout: a block is layerN.i, and its layers are layerN.i.<layer>
        in_block = len(parts) >= 2 and parts[1].isdigit()
        self.is_block = len(parts) == 2 and in_block and not self.leaf
        self.block = f"{parts[0]}.{parts[1]}" if in_block and (len(parts) >= 3
                                                               or self.is_block) else ""
        self.kernel, self.stride, self.groups = _kernel(m) if self.leaf else ("", 1, 1)
        self.own = sizes.own.get(id(m), (0, 0, 0))
        self.shortcut = shortcut_in(parts)
        self.depth = len(parts) - 1 if parts else 0


def first_tensor_shape(args: tuple[Any, ...]) -> list[int]:
    """The shape of the first tensor among `args`; [] when there is none."""
    if args and isinstance(args[0], torch.Tensor):  # the usual case, without a search
        return list(args[0].shape)
    x = next((a for a in args if isinstance(a, torch.Tensor)), None)
    return list(x.shape) if x is not None else []


def first_shape(x: Any) -> list[int]:
    """The shape of a tensor, or of the first tensor in a tuple, list, dict or dataclass
    of them (a ModelOutput); else []."""
    if isinstance(x, torch.Tensor):
        return list(x.shape)
    if isinstance(x, (tuple, list)) and x and isinstance(x[0], torch.Tensor):
        return list(x[0].shape)
    found = tensors_in(x)
    return list(found[0].shape) if found else []


def _kernel(m: nn.Module) -> tuple[str, int, int]:
    """A layer's kernel ("3x3"), stride and groups; ("", 1, 1) for one without a kernel."""
    k = _setting(m, "kernel_size")
    if k is None:
        return "", 1, 1
    ks = tuple(k) if isinstance(k, (tuple, list)) else (k, k)
    s = _setting(m, "stride") or 1
    stride = s[0] if isinstance(s, (tuple, list)) else s
    return "x".join(str(v) for v in ks), int(stride), int(_setting(m, "groups") or 1)


def _setting(m: nn.Module, name: str) -> Any:
    """A layer's setting where layers keep them, in the instance's __dict__ or on its
    class (a class attribute or property); None elsewhere. Not getattr: nn.Module's
    __getattr__ raises for every layer without the setting, most of them, and a trace
    asks every leaf."""
    value = m.__dict__.get(name)
    if value is None and hasattr(type(m), name):  # a class attribute or property
        value = getattr(m, name, None)
    return value
