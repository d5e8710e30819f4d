"""The counter: a TorchDispatchMode that sees every ATen operator a trace runs and charges
its MACs and FLOPs to the row of the innermost running module (the backward's to the row
whose forward made them)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch

from resnet_inspect.counting.categories import Category
from resnet_inspect.counting.meta_ops import RULES as META_RULES
from resnet_inspect.counting.ops import FORMULAS, NO_ARITHMETIC, Formula, apply, op_name
from resnet_inspect.errors import ModelError
from resnet_inspect.private import (
    DispatchMode,
    current_autograd_node,
    is_mutable,
    storage_id,
    tensor_version,
)
from resnet_inspect.report.model import LayerRecord
from resnet_inspect.trace.dataflow import DataflowRecorder
from resnet_inspect.trace.modules import Frame, ModuleInfo, first_tensor_shape
from resnet_inspect.trace.tensors import batch_numel
from resnet_inspect.trace.training import StepMemory, output_tensors

# (0 no arithmetic, 1 a formula, 2 none; its report name; formula; a view; its short name;
# whether it writes an argument in place; whether its output's shape can depend on values)
_Op = tuple[int, str, Formula | None, bool, str, bool, bool]
# category values, read once: an enum's .value is a property, slow per operator
_UNSUPPORTED = Category.UNSUPPORTED.value
_OTHER = Category.OTHER.value
_CONV = Category.CONV.value
_PRODUCTS = frozenset({Category.LINEAR.value, Category.ATTENTION.value})


# the operators of a residual addition, as a forward writes it (`+`, `+=`, torch.add)
_ADDS = frozenset({"aten.add", "aten.add_"})
# operators whose output's shape depends on the input's values, not only its shape: on meta
# it is unknowable (`y[y > 0]` is aten.index with a boolean mask); traced on a real
# device, the shape is that of one made-up input, and the rows it reaches say so
DATA_DEPENDENT = frozenset({"aten.nonzero", "aten.masked_select", "aten._unique",
                            "aten._unique2", "aten.unique_dim", "aten.unique_consecutive",
                            "aten.index", "aten.argwhere"})

class Counter(DispatchMode):
    """Counts every ATen operator of a forward pass and charges it to the innermost
    running module. On meta, answers common operators from plain-Python shape rules
    (meta_ops.py) instead of torch's slow reference kernels."""

    def __init__(self, meta: bool, elem: int) -> None:
        super().__init__()
        self.meta = meta
        self.elem = elem
        self.stack: list[Frame] = []
        self.records: list[LayerRecord] = []
        self.unsupported: dict[str, int] = {}
        # (row, weak reference to the tensor) of the last own-operator output counted: a
        # weak reference, not id(), which a new tensor can take over once the last is freed
        self._last_out: tuple[Any, Any] = (None, None)
        self.operators: dict[str, list[Any]] = {}  # op -> [category, calls, macs, flops]
        self.ops: dict[Any, _Op] = {}  # OpOverload -> what the counter needs of it
        self.flow: DataflowRecorder | None = None  # the forward's dataflow graph
        # a training step: the backward's operators go to the row whose forward made
        # their autograd node; live storages are followed for the peak
        self.backward = False
        self.node_rows: dict[Any, LayerRecord] = {}
        self.fallback: Callable[[], LayerRecord] | None = None
        self.memory: StepMemory | None = None
        self.pending_saved = 0  # bytes saved for the next row to open (see pack)
        self.first_rows: dict[int, LayerRecord] = {}  # id(ModuleInfo) -> its first row
        self.last_row: LayerRecord | None = None
        self.frame_nodes: list[Any] = []  # the autograd node each recomputing call ran in
        self.failed_op: str | None = None  # the operator that raised, for the message
        # outputs whose shape came from the data (DATA_DEPENDENT), and what they reached:
        # id -> a weak reference (not a WeakSet: its lookup compares tensors with ==)
        self.tainted: dict[int, Any] = {}
        # the storages of the model's parameters: a product reading one applies a weight
        self.weights: set[int] = set()
        # id(row) -> [conv calls, weighted product calls] for the rows of the user's own
        # modules, whose layers are the products they call (resnet_view.layer_count)
        self.layer_calls: dict[int, list[int]] = {}

    def __torch_dispatch__(self, func: Any, _types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        op = self.ops.get(func)
        if op is None:
            packet = func.overloadpacket
            kind = 1 if packet in FORMULAS else 0 if packet in NO_ARITHMETIC else 2
            name = op_name(func)
            op = self.ops[func] = (kind, name, FORMULAS.get(packet), bool(func.is_view),
                                   name.removeprefix("aten."), is_mutable(func),
                                   name in DATA_DEPENDENT)
        reads = None
        if self.flow is not None and self.stack and not self.backward and not op[3]:
            frame = self.stack[-1]
            if not frame.info.leaf:  # an operator of a forward's own: a node, made below
                # (not inside a composite call such as sdpa: that call is one node)
                if not self.flow.inside:
                    reads = self.flow.reads((*args, *kwargs.values()) if kwargs else args)
            elif not frame.first_op or (op[0] and not frame.arith):
                # inside a leaf: only its first operator (with arithmetic, if it runs one)
                frame.first_op = op[4]
                frame.arith = op[0] != 0
        out = None
        if self.meta:
            rule = META_RULES.get(func)
            if rule is not None:
                out = rule(args, kwargs)
        if out is None:
            try:
                out = func(*args, **kwargs)
            except Exception:
                self.failed_op = self.failed_op or op[1]
                raise
        if (op[6] or self.tainted) and not self.backward:
            self._data_dependent(op, args, out)
        if self.memory is not None:
            self.memory.track(out, args, op[1])
        if self.stack and not self.backward and not op[3] and not op[5]:
            if self.stack[-1].info.functional:
                self._made(args, out, op[1])
            elif not op[0] and not self.stack[-1].info.leaf:
                self._copied(args, out, op[1])
        if op[0] and self.backward:
            self._charge_backward(op, args, kwargs, out)
        elif op[0] and self.stack:
            self._charge(op, args, kwargs, out)
        if reads is not None:
            assert self.flow is not None
            self.flow.operator(self.stack[-1], op[4], args, kwargs, reads, out, op[5],
                               data=bool(self.tainted) and self.is_tainted(
                                   out[0] if isinstance(out, (tuple, list)) and out else out))
        return out

    def _data_dependent(self, op: _Op, args: tuple[Any, ...], out: Any) -> None:
        """Mark an output whose shape came from the data, and the row it is the output
        of: a DATA_DEPENDENT operator (aten.index only with a boolean mask), or any
        operator reading such an output."""
        if not (op[6] and (op[1] != "aten.index" or _bool_mask(args))) and not any(
                self.is_tainted(a) for a in args):
            return
        outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(t, torch.Tensor)]
        self.tainted.update((id(t), weakref.ref(t)) for t in outs)
        if not self.stack or not outs or self.stack[-1].info.leaf:
            return  # a leaf's output shape is set when it returns (hooks.py)
        frame = self.stack[-1]
        row = frame.open or self._open(frame, args, op[1])
        row.output_shape = list(outs[0].shape)
        row.data_dependent = True

    def is_tainted(self, out: Any) -> bool:
        """Whether a module's output has a shape that came from the data."""
        held = self.tainted.get(id(out)) if self.tainted else None
        return held is not None and held() is out

    def pack(self, t: torch.Tensor) -> tuple[torch.Tensor, int]:
        """autograd's saved-tensor hook: charge each storage saved for backward, once, to
        the row running (parameters and the input image are not activations). A tensor a
        module saves with no operator of its own running (torch.utils.checkpoint keeping a
        segment's input) is charged to the next row, the segment's first. Returns the
        tensor and its version, for `unpack` to check as autograd itself would."""
        assert self.memory is not None  # registered for a training step only
        n = self.memory.save(t)
        if n is not None:
            if self.stack:
                frame = self.stack[-1]
                if frame.open is None and not frame.info.leaf:
                    self.pending_saved += n
                else:
                    row = frame.open or self._open(frame, (t,))
                    row.saved_bytes += n
            elif self.fallback is not None:
                self.fallback().saved_bytes += n
        return t, tensor_version(t)

    def unpack(self, packed: tuple[torch.Tensor, int]) -> torch.Tensor:
        """The saved tensor back for the backward, refused as autograd refuses it when an
        in-place operator changed it after it was saved (a saved-tensor hook switches off
        autograd's own version check, so it is made here)."""
        t, version = packed
        if tensor_version(t) != version:
            assert self.memory is not None
            changed = self.memory.modified.get(storage_id(t.untyped_storage()),
                                           "an operator")
            node = current_autograd_node()
            needs = node.name() if node is not None else "the backward"
            raise ModelError(
                f"one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: {changed} changed a tensor {needs} saved (version "
                f"{version}, now {tensor_version(t)}); PyTorch refuses this step too: use the "
                f"out-of-place form (e.g. torch.relu(x), inplace=False) there"
            )
        return t

    def assign(self, tensors: Any, row: LayerRecord) -> None:
        """Charge to `row` every autograd node behind `tensors` not charged yet: the
        backward of the operators this row ran."""
        todo = [t.grad_fn for t in output_tensors(tensors) if t.grad_fn is not None]
        while todo:
            node = todo.pop()
            if node is None or node in self.node_rows:
                continue
            self.node_rows[node] = row
            todo.extend(n for n, _ in node.next_functions if n is not None)

    def _backward_row(self) -> LayerRecord:
        """The row a backward operator belongs to: a module checkpoint recomputes is
        charged its forward's row; otherwise the row whose forward made the running
        autograd node; a node made in the backward (the graph of a reentrant checkpoint's
        recomputation) goes to the row last recomputed, else to the model's own row."""
        node = current_autograd_node()
        while self.frame_nodes and self.frame_nodes[-1] is not node:
            # a recomputation checkpoint stopped early, once it had what it needed: its
            # modules' calls never ended
            self.frame_nodes.pop()
            self.stack.pop()
        if self.stack:
            row = self.first_rows.get(id(self.stack[-1].info))
            if row is not None:
                self.last_row = row
                return row
        row = self.node_rows.get(node)
        if row is not None:
            return row
        if self.last_row is not None:
            return self.last_row
        assert self.fallback is not None
        return self.fallback()

    def _charge_backward(self, op: _Op, args: tuple[Any, ...], kwargs: dict[str, Any],
                         out: Any) -> None:
        row = self._backward_row()
        kind, name, fn = op[0], op[1], op[2]
        if kind == 2:
            self.unsupported[name] = self.unsupported.get(name, 0) + 1
            row.backward_categories.setdefault(_UNSUPPORTED, [0, 0])
            return
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        out_shape = tuple(first.shape) if isinstance(first, torch.Tensor) else ()
        for c in apply(fn, args, kwargs, out_shape) if fn is not None else ():
            cell = row.backward_categories.setdefault(c.category._value_, [0, 0])
            cell[0] += c.macs
            cell[1] += c.flops
            row.backward_macs += c.macs
            row.backward_flops += c.flops

    def _charge(self, op: _Op, args: tuple[Any, ...], kwargs: dict[str, Any],
                out: Any) -> None:
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        out_shape = tuple(first.shape) if isinstance(first, torch.Tensor) else ()
        frame = self.stack[-1]
        kind, name, fn = op[0], op[1], op[2]
        row = frame.open or self._open(frame, args, name)
        if kind == 2:
            self.unsupported[name] = self.unsupported.get(name, 0) + 1
            row.categories.setdefault(_UNSUPPORTED, [0, 0])
            tally = self.operators.setdefault(name, [_UNSUPPORTED, 0, 0, 0])
            tally[1] += 1
        else:
            counts = apply(fn, args, kwargs, out_shape) if fn is not None else ()
            macs = flops = 0
            for c in counts:
                cat = c.category._value_  # not .value: an enum property, slow per operator
                cell = row.categories.get(cat)
                if cell is None:
                    row.categories[cat] = [c.macs, c.flops]
                else:
                    cell[0] += c.macs
                    cell[1] += c.flops
                macs += c.macs
                flops += c.flops
            row.macs += macs
            row.flops += flops
            calls = self.layer_calls.get(id(row))
            if calls is not None and counts:
                cat = counts[0].category._value_
                if cat == _CONV:
                    calls[0] += 1
                elif cat in _PRODUCTS and self._applies_weight(args):
                    calls[1] += 1
            known = self.operators.get(name)
            if known is None:
                cat = counts[0].category._value_ if counts else _OTHER
                known = self.operators[name] = [cat, 0, 0, 0]
            known[1] += 1
            known[2] += macs
            known[3] += flops
        if not frame.info.leaf and out_shape:
            row.output_shape = list(out_shape)
            if self.tainted:
                row.data_dependent = self.is_tainted(first)
            # An activation, new or written in place (`out += identity`), as a leaf's
            # output is counted whether its ReLU is in place or not: torchvision's
            # resnet18 and the preset then estimate the same memory. An operator that
            # updates this row's own last output again is that activation, counted once.
            last_row, last = self._last_out
            if isinstance(first, torch.Tensor) and not (
                    last_row is row and last is not None and last() is first):
                row.output_bytes += batch_numel(out_shape) * self.elem
                self._last_out = (row, weakref.ref(first))  # holding it would keep it alive

    def _applies_weight(self, args: tuple[Any, ...]) -> bool:
        """Whether a product reads a parameter (or a view of one: `F.linear`'s
        transposed weight): a weighted layer, not a product of two activations."""
        return any(isinstance(a, torch.Tensor) and storage_id(a.untyped_storage())
                   in self.weights for a in args)

    def _made(self, args: tuple[Any, ...], out: Any, name: str) -> None:
        """Charge the result of every operator of a functional leaf that makes a tensor
        (not a view, not an in-place write) to its row's output bytes, as the layer it
        stands for would be charged its output: those intermediates have no rows. The
        result only: max pooling's indices, like a norm's saved statistics, are what the
        backward keeps, counted by --train, not by the module form's estimate either."""
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        if isinstance(first, torch.Tensor):
            frame = self.stack[-1]
            row = frame.open or self._open(frame, args, name)
            row.output_bytes += batch_numel(first.shape) * first.element_size()

    def _copied(self, args: tuple[Any, ...], out: Any, name: str) -> None:
        """Charge a copy a forward makes itself, between its children (a ViT's class-token
        `cat`, a pad, a `.contiguous()`), to the module's own row: it is new memory the
        forward holds, as a layer's output is, though it has no arithmetic to count. Only
        copies of tensors (not a new zeros or arange) into a storage none of them holds
        (`_unsafe_view` is a view in all but name), and a result the row updates in
        place after (`x += pos`) is that copy, counted once."""
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        if not isinstance(first, torch.Tensor):
            return
        read = [t for a in args
                for t in (a if isinstance(a, (list, tuple)) else (a,))
                if isinstance(t, torch.Tensor)]
        made = storage_id(first.untyped_storage())
        if not read or any(storage_id(t.untyped_storage()) == made for t in read):
            return
        frame = self.stack[-1]
        row = frame.open or self._open(frame, args, name)
        row.output_shape = list(first.shape)
        row.output_bytes += batch_numel(first.shape) * first.element_size()
        self._last_out = (row, weakref.ref(first))

    def _open(self, frame: Frame, args: tuple[Any, ...], op: str = "") -> LayerRecord:
        """A new row for the module's own operators, in execution order. One that opens
        with an addition is the residual add (`out += identity`): it is named
        `layer1.0.add`, as the preset's Add module's row reads, not taken for the whole
        block; the model's own rows keep its name."""
        info = frame.info
        row = self.new_row(info, frame, first_tensor_shape(args))
        if op in _ADDS and info.name and not info.leaf:
            row.name = f"{info.row_name}.add"
        frame.open = row
        if not info.builtin:
            self.layer_calls[id(row)] = [0, 0]
        return row

    def new_row(self, info: ModuleInfo, frame: Frame | None, in_shape: list[int],
                called: bool = True) -> LayerRecord:
        """A new row for a module; its own parameters go on the first row of its first call
        (a row outside any call, `frame` None, has them only if the module has no row yet:
        the backward's row for the model's own work must not count them twice)."""
        first_row = id(info) not in self.first_rows if frame is None \
            else frame.called_first and frame.rows == 0
        params, trainable, buffers = info.own if first_row else (0, 0, 0)
        row = LayerRecord(
            name=info.row_name, type=info.type_name, stage=info.stage, block=info.block,
            category=_OTHER, input_shape=in_shape, output_shape=[],
            kernel=info.kernel, stride=info.stride, groups=info.groups, params=params,
            trainable_params=trainable, buffers=buffers, shortcut=info.shortcut,
            depth=info.depth, categories={}, called=called,
        )
        if frame is not None:
            frame.rows += 1
        self.first_rows.setdefault(id(info), row)
        if self.pending_saved:
            row.saved_bytes += self.pending_saved
            self.pending_saved = 0
        self.records.append(row)
        return row


def _bool_mask(args: tuple[Any, ...]) -> bool:
    """Whether aten.index's indices hold a boolean mask (whose count of True is data)."""
    indices = args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else ()
    return any(isinstance(i, torch.Tensor) and i.dtype in (torch.bool, torch.uint8)
               for i in indices)
