"""The dataflow graph as a trace records it (the data is report/graph.py's).

Tensors are followed by storage and version: `made` maps (storage, version) to the node
that wrote it last. A view shares its base's storage and version counter, so reading a
view finds the base's writer and needs no node of its own; an in-place write
(`out += identity`, `relu_`) bumps the version, and the node that wrote it is what later
readers see. Inputs are looked up before an operator or a leaf runs (an in-place one
changes the version as it runs), outputs registered after.

A leaf module's call is one node, made by the hooks: nothing inside a leaf is looked at,
which keeps the cost per operator nil for the leaves presets are made of. Operators a
non-leaf module's `forward` runs itself (add, cat, matmul, softmax, a functional relu)
are nodes of their own, made by the counter; views are not.

A composite function (`F.scaled_dot_product_attention`) is one node, not the half-dozen
operators the dispatcher sees it run (scale, bmm, softmax, bmm ...): `CompositeCalls`, a
TorchFunctionMode active while the forward runs, sees the call itself, reads q, k and v,
and has the counter make no node of what runs inside (it still counts all of it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from resnet_inspect.private import storage_id, value_key
from resnet_inspect.report.graph import INPUT, Dataflow, ModuleCall
from resnet_inspect.report.model import LayerRecord
from resnet_inspect.trace.modules import Frame

_Key = tuple[int, int]
Reads = tuple[list[int], list[list[int]], bool]  # nodes read, their tensors' shapes, a miss


def _tensors(values: Any) -> list[torch.Tensor]:
    """The tensors among `values`, one level into lists and tuples (cat's list)."""
    found = []
    for v in values:
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            found.extend(t for t in v if isinstance(t, torch.Tensor))
    return found


_CONVS = (nn.modules.conv._ConvNd,)
_POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)
Window = tuple[list[int], list[int], list[int], "list[int] | str"]


def _ints(value: Any, n: int) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)] * n


def module_window(m: nn.Module) -> Window | None:
    """A conv's or pool's kernel, stride, dilation and padding, one int per spatial
    dimension; None for other modules."""
    if isinstance(m, _CONVS):  # torch keeps them as tuples, one entry a dimension
        padding = m.padding
        return (list(m.kernel_size), list(m.stride), list(m.dilation),
                padding if isinstance(padding, str) else list(padding))
    if not isinstance(m, _POOLS):
        return None
    kernel = m.kernel_size
    n = len(kernel) if isinstance(kernel, (tuple, list)) else (
        1 if "1d" in type(m).__name__ else 3 if "3d" in type(m).__name__ else 2)
    stride = m.stride if m.stride is not None else kernel  # a pool's stride defaults so
    return (_ints(kernel, n), _ints(stride, n), _ints(getattr(m, "dilation", 1), n),
            _ints(m.padding, n))


def _op_window(name: str, args: tuple[Any, ...]) -> Window | None:
    """The window of a convolution or pool run as an operator (F.conv2d, F.max_pool2d)."""
    try:
        if name in ("convolution", "_convolution"):
            n = len(args[1].shape) - 2
            return (list(args[1].shape[2:]), _ints(args[3], n), _ints(args[5], n),
                    _ints(args[4], n))
        if name.startswith(("max_pool", "avg_pool")) and not name.endswith("backward"):
            kernel = _ints(args[1], 2)
            n = len(kernel)
            stride = args[2] if len(args) > 2 and args[2] else kernel
            dilation = args[4] if name.startswith("max") and len(args) > 4 else 1
            return (kernel, _ints(stride, n), _ints(dilation, n),
                    _ints(args[3] if len(args) > 3 else 0, n))
    except (IndexError, TypeError, AttributeError):
        return None
    return None


# composite functions drawn as one node: the function -> its node's op (and category)
COMPOSITES: dict[Callable[..., Any], tuple[str, str]] = {
    F.scaled_dot_product_attention: ("scaled_dot_product_attention", "attention"),
}


class DataflowRecorder:
    """Builds the Dataflow of one forward pass while it runs, column by column."""

    def __init__(self) -> None:
        self.graph = Dataflow()
        self.inside = 0  # > 0 while a composite runs: its operators make no node
        # CompositeCalls while it is on, taken off the mode stack while a leaf runs (the
        # leaf is one node whatever it calls; a mode on the stack there cost ResNet-152's
        # meta trace +40%); per leaf call, whether it was taken off
        self.mode: CompositeCalls | None = None
        self.paused: list[bool] = []
        self.rows: list[LayerRecord | None] = []  # each node's row, made indices at the end
        self.made: dict[_Key, int] = {}
        self.param_names: dict[int, dict[int, str]] = {}  # id(module) -> storage -> name

    def start(self, inputs: list[torch.Tensor]) -> None:
        """Node 0: the model's input (every tensor the forward is given; the first's shape)."""
        self._new(INPUT, "", "", False, ([], [], False), list(inputs[0].shape), None, -1, None)
        for x in inputs:
            self.made[value_key(x)] = 0

    def reads(self, values: Any, shapes: bool = True) -> Reads:
        """The nodes that made the tensors among `values` (each as often as it is read),
        those tensors' shapes (with `shapes`), and whether a tensor no node made was
        among them."""
        if self.mode is None:
            return self._reads(values, shapes)
        with torch._C.DisableTorchFunction():  # our own look at storages: not the mode's
            return self._reads(values, shapes)

    def _reads(self, values: Any, shapes: bool) -> Reads:
        made = self.made
        found: list[int] = []
        sizes: list[list[int]] = []
        missed = False
        for t in _tensors(values):
            try:
                node = made.get(value_key(t))
            except (RuntimeError, NotImplementedError):  # no storage (sparse)
                node = None
            if node is None:
                missed = True
            else:
                found.append(node)
                if shapes:
                    sizes.append(list(t.shape))
        return found, sizes, missed

    def enter(self, frame: Frame, args: tuple[Any, ...], parent: Frame | None) -> None:
        """A module starts: note what it reads (before an in-place leaf changes it), and
        open a call for a module with children."""
        info = frame.info
        if info.leaf:
            if self.mode is not None:
                self._pause()
            # one tensor in (most leaves): its shape is the row's input shape, taken then
            frame.reads = self.reads(args, shapes=len(args) > 1)
            frame.args = args
        else:
            frame.reads = reads = self.reads(args, shapes=False)
            calls = self.graph.calls
            frame.call = len(calls)
            calls.append(ModuleCall(info.name, info.type_name, len(self.rows), -1, reads[0],
                                    parent=parent.call if parent is not None else -1))

    def leave(self, frame: Frame, out: Any, row: LayerRecord | None,
              parent: Frame | None) -> None:
        """A module ends: a leaf becomes a node; a call closes with what it returned."""
        info = frame.info
        outs = [out] if isinstance(out, torch.Tensor) else _tensors(
            out if isinstance(out, (tuple, list)) else (out,))
        if not info.leaf:
            call = self.graph.calls[frame.call]
            call.end = len(self.rows)
            call.outputs = self.reads(outs, shapes=False)[0]
            return
        reads = frame.reads
        assert reads is not None
        if len(reads[1]) != len(reads[0]):  # shapes not taken: one argument
            one = len(reads[0]) == 1 and row is not None and row.input_shape
            shapes = [row.input_shape] if one and row is not None else [
                list(t.shape) for t in _tensors(frame.args)][:len(reads[0])]
            reads = (reads[0], shapes, reads[2])
        # the row's output shape where it has one (the same list: a leaf's first output)
        shape = row.output_shape if row is not None and row.output_shape else (
            list(outs[0].shape) if outs else [])
        node = self._new(frame.first_op, info.name, info.type_name, True, reads, shape,
                         module_window(info.module) if info.kernel else None,
                         parent.call if parent is not None else -1, row)
        if row is not None and row.data_dependent:
            self.graph.data_dependent.append(node)
        made = self.made
        for t in outs:
            # nn.Identity (or Dropout in eval) hands its input back having run nothing:
            # the tensor's readers keep reading it from where it was made
            if not frame.first_op and any(t is a for a in frame.args):
                continue
            try:
                key = value_key(t)
            except (RuntimeError, NotImplementedError):  # no storage (sparse)
                continue
            made[key] = node
        if self.mode is not None and self.paused and self.paused.pop():
            torch._C._push_on_torch_function_stack(self.mode)  # the leaf is done

    def _pause(self) -> None:
        n = torch._C._len_torch_function_stack()
        top = n > 0 and torch._C._get_function_stack_at(n - 1) is self.mode
        if top:
            torch._C._pop_torch_function_stack()
        self.paused.append(top)

    def operator(self, frame: Frame, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                 reads: Reads, out: Any, in_place: bool, data: bool = False) -> None:
        """An operator a module's own forward ran (not a view): a node. One that writes in
        place (`add_`) has its tensor's version bumped by autograd's in-place layer only
        after this returns: the version it will have is registered too. `data`: its
        output's shape came from the input's values (the counter's taint)."""
        if self.mode is None:
            self._operator(frame, name, args, kwargs, reads, out, in_place, data)
        else:
            with torch._C.DisableTorchFunction():
                self._operator(frame, name, args, kwargs, reads, out, in_place, data)

    def _operator(self, frame: Frame, name: str, args: tuple[Any, ...],
                  kwargs: dict[str, Any], reads: Reads, out: Any, in_place: bool,
                  data: bool) -> None:
        outs = _tensors(out if isinstance(out, (tuple, list)) else (out,))
        node = self._new(name, frame.info.name, frame.info.type_name, False, reads,
                         list(outs[0].shape) if outs else [], _op_window(name, args),
                         frame.call, frame.open)
        if data:
            self.graph.data_dependent.append(node)
        if reads[2]:  # a tensor no node made: a parameter, read directly
            self.graph.params[node] = self._params(frame.info.module, args, kwargs)
        made = self.made
        for t in outs:
            try:
                key = value_key(t)
            except (RuntimeError, NotImplementedError):
                continue
            made[key] = node
            if in_place:
                made[key[0], key[1] + 1] = node

    def _params(self, m: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        names = self.param_names.get(id(m))
        if names is None:
            names = self.param_names[id(m)] = {}
            for name, p in m.named_parameters():
                names.setdefault(storage_id(p.untyped_storage()), name)
        found = []
        for t in _tensors((*args, *kwargs.values())):
            try:
                key = value_key(t)
            except (RuntimeError, NotImplementedError):
                continue
            if key not in self.made and key[0] in names:
                found.append(names[key[0]])
        return found

    def _new(self, op: str, module: str, type_name: str, leaf: bool, reads: Reads,
             shape: list[int], window: Window | None, call: int,
             row: LayerRecord | None) -> int:
        g = self.graph
        node = len(self.rows)
        g.op.append(op)
        g.module.append(module)
        g.type.append(type_name)
        g.leaf.append(leaf)
        g.inputs.append(reads[0])
        g.input_shapes.append(reads[1])
        g.shape.append(shape)
        g.call.append(call)
        if window is not None:
            g.window[node] = {"kernel": window[0], "stride": window[1],
                              "dilation": window[2], "padding": window[3]}
        self.rows.append(row)
        return node

    def finish(self, out: Any, records: list[LayerRecord],
               operators: dict[str, list[Any]]) -> Dataflow:
        """The graph, with each node's row index and category."""
        g = self.graph
        if isinstance(out, dict):  # a forward returning {"logits": ..., "features": ...}
            out = tuple(out.values())
        g.outputs = self.reads(out if isinstance(out, (tuple, list)) else (out,), False)[0]
        index = {id(r): i for i, r in enumerate(records)}
        g.row = [index.get(id(r), -1) if r is not None else -1 for r in self.rows]
        categories = []
        for i, (op, leaf, row) in enumerate(zip(g.op, g.leaf, self.rows, strict=True)):
            if leaf:
                categories.append(row.category if row is not None else "")
            elif i in g.composites:
                categories.append(g.composites[i])
            else:
                tally = operators.get("aten." + op)
                categories.append(tally[0] if tally is not None else "")
        g.category = categories
        return g


class CompositeCalls(TorchFunctionMode):
    """While a forward runs: each call of a COMPOSITES function by a module's own forward
    becomes one node reading the function's tensors (q, k, v, a mask) and writing its
    output; the operators it runs inside make none (`DataflowRecorder.inside`).

    Every torch function and tensor method a forward calls passes through here: the
    common case is one dict lookup (benchmarks/README.md, the cost on a meta trace)."""

    def __init__(self, flow: DataflowRecorder, frame: Callable[[], Any]) -> None:
        super().__init__()
        self.flow = flow
        self.frame = frame  # the innermost module running (a trace/modules.Frame), or None

    def __torch_function__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        composite = COMPOSITES.get(func)
        if composite is None:
            return func(*args, **kwargs)
        flow, frame = self.flow, self.frame()
        if frame is None or frame.info.leaf or flow.inside:
            return func(*args, **kwargs)  # inside a leaf (its one node) or a composite
        reads = flow.reads((*args, *kwargs.values()))
        flow.inside += 1
        try:
            out = func(*args, **kwargs)
        finally:
            flow.inside -= 1
        node = len(flow.rows)
        flow.operator(frame, composite[0], args, kwargs, reads, out, False)
        flow.graph.composites[node] = composite[1]
        return out


@contextlib.contextmanager
def composite_calls(flow: DataflowRecorder | None, stack: list[Any]) -> Iterator[None]:
    """CompositeCalls over the module stack, while a forward with a graph runs."""
    if flow is None:
        yield
        return
    mode = flow.mode = CompositeCalls(flow, lambda: stack[-1] if stack else None)
    with mode:
        try:
            yield
        finally:  # a leaf that raised left the mode off the stack: back on, to leave it
            if any(flow.paused):
                torch._C._push_on_torch_function_stack(mode)
            flow.paused.clear()
            flow.mode = None
