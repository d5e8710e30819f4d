"""The module hooks of a trace: two global forward hooks that keep the counter's stack of
running modules, give each leaf's row its shapes and note each residual block's shapes."""

from __future__ import annotations

from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle

from resnet_inspect.errors import InspectError
from resnet_inspect.models.walk import named_modules
from resnet_inspect.private import current_autograd_node
from resnet_inspect.trace.counter import Counter
from resnet_inspect.trace.device import reported_progress
from resnet_inspect.trace.modules import Frame, ModuleInfo, first_shape, first_tensor_shape
from resnet_inspect.trace.tensors import Sizes, batch_numel


class ModuleHooks:
    """Which of the model's modules are running, for the counter to charge, and the rows
    and block shapes their calls leave behind."""

    def __init__(self, model: nn.Module, counter: Counter, sizes: Sizes, report_name: str,
                 input_shape: list[int], elem: int, training: bool) -> None:
        self.counter = counter
        self.stack = counter.stack
        self.flow = counter.flow
        self.records = counter.records
        self.elem = elem
        self.training = training
        self.shape_text = "x".join(map(str, input_shape))
        self.progress = reported_progress()
        self.called: set[int] = set()  # modules that ran, and so have their parameters on a row
        self.block_shapes: dict[str, tuple[list[int], list[int]]] = {}
        self.block_modules: dict[str, nn.Module] = {}
        self.infos: dict[int, ModuleInfo] = {}
        self.leaves = 0
        for mod_name, m in named_modules(model):
            info = ModuleInfo(mod_name, m, sizes, report_name)
            self.infos[id(m)] = info
            if info.is_block:
                self.block_modules[mod_name] = m
            self.leaves += info.leaf

    def install(self) -> list[RemovableHandle]:
        """Register the hooks; the caller removes the handles when the trace ends."""
        # Two global hooks rather than two on each module: registering ~1,200 handles on
        # ResNet-152 cost more than the hooks themselves. Only modules of this model count.
        return [nn.modules.module.register_module_forward_pre_hook(self.pre_hook),
                nn.modules.module.register_module_forward_hook(self.post_hook)]

    def pre_hook(self, m: nn.Module, args: tuple[Any, ...]) -> None:
        """A module of the model starts: its call goes on the stack."""
        info = self.infos.get(id(m))
        if info is None:  # a module that is not part of the model (made in a forward)
            return
        stack = self.stack
        if self.counter.backward:
            # checkpoint recomputing this module in the backward: backward work of the
            # rows its forward made, never new rows
            stack.append(Frame(info, False))
            self.counter.frame_nodes.append(current_autograd_node())
            return
        if stack:
            if self.training and stack[-1].open is not None:
                self.counter.assign(args, stack[-1].open)
            stack[-1].open = None  # the parent's next own operator starts a new row
        first = id(m) not in self.called
        self.called.add(id(m))
        frame = Frame(info, first)
        if self.flow is not None:
            self.flow.enter(frame, args, stack[-1] if stack else None)
        stack.append(frame)

    def post_hook(self, m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
        """A module of the model ends: its call leaves the stack, and a leaf's row gets its
        shapes and output bytes."""
        info = self.infos.get(id(m))
        if info is None:
            return
        stack = self.stack
        frame = stack.pop()
        if self.counter.backward:
            del self.counter.frame_nodes[len(stack):]
            return
        if stack:
            stack[-1].open = None
        if self.training and frame.open is not None:
            self.counter.assign(out, frame.open)
        if info.leaf:
            out_shape = first_shape(out)
            # a size from the values (x[x > 0] of the zeros input is empty), not the input's
            data = self.counter.is_tainted(out)
            if out_shape and 0 in out_shape and not data:
                raise InspectError(
                    f"the input {self.shape_text} is too small: the output of "
                    f"{info.name} ({info.type_name}) has size {out_shape}; "
                    "use a larger --input"
                )
            row = frame.open or self.counter.new_row(info, frame, [])
            if self.training and frame.open is None:
                self.counter.assign(out, row)
            row.input_shape = first_tensor_shape(args)
            row.output_shape = out_shape
            row.data_dependent = data
            if not (info.functional and row.output_bytes):  # else the tensors it made
                row.output_bytes = batch_numel(out_shape) * self.elem if out_shape else 0
            if self.flow is not None:
                self.flow.leave(frame, out, row, stack[-1] if stack else None)
            if self.progress is not None and len(self.records) % 64 == 0:
                self.progress(len(self.records), self.leaves)
        elif self.flow is not None:
            self.flow.leave(frame, out, None, stack[-1] if stack else None)
        if not info.leaf and frame.called_first and frame.rows == 0 and any(info.own):
            # parameters a module holds itself (a class token, an attention's packed
            # projection) need a row even when it ran no operator of its own
            row = self.counter.new_row(info, frame, first_shape(args[0]) if args else [])
            row.output_shape = first_shape(out)
        if frame.called_first and not info.leaf:
            self._not_called_rows(m)
        if info.is_block:
            in_shape = first_shape(args[0]) if args else []
            self.block_shapes[info.name] = (in_shape, first_shape(out))

    def _not_called_rows(self, m: nn.Module) -> None:
        # Children this call never ran (an auxiliary head, a Linear whose weight the parent
        # applies with F.linear): their parameters stay in the total, shown on rows that
        # say so, right after the parent's own rows.
        for child in m.children():
            if id(child) in self.called:
                continue
            for sub in child.modules():
                if id(sub) not in self.called and any(self.infos[id(sub)].own):
                    self.called.add(id(sub))
                    self.counter.new_row(self.infos[id(sub)], None, [], called=False)
