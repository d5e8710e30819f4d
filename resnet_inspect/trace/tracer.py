"""One forward pass with module hooks -> Report.

Works on any nn.Module; torchvision-style names (conv1, layer3.5.conv2, downsample, fc)
additionally get the paper's stage names and block records. The model is left as found:
hooks removed, train/eval mode and device restored.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import torch
from torch import nn

from resnet_inspect.counting.categories import Category, Headline
from resnet_inspect.counting.meta_ops import Autocast
from resnet_inspect.errors import InspectError, ModelError, RunFailure, first_line
from resnet_inspect.models.walk import walked_once
from resnet_inspect.private import preload_dynamo, storage_id
from resnet_inspect.process import note
from resnet_inspect.report.model import LayerRecord, Report, conventions_for
from resnet_inspect.spec.limits import check_traced
from resnet_inspect.trace.counter import DATA_DEPENDENT, Counter
from resnet_inspect.trace.dataflow import DataflowRecorder, composite_calls
from resnet_inspect.trace.device import (
    META,
    model_device,
    paused_gc,
    resolve_device,
    same_kernels_everywhere,
)
from resnet_inspect.trace.explain import explain, forward_failed, no_meta_kernel
from resnet_inspect.trace.hooks import ModuleHooks
from resnet_inspect.trace.inputs import Call, example_call, input_dtype_named, made_input
from resnet_inspect.trace.kernels import DeviceKernels
from resnet_inspect.trace.receptive_steps import fill_fields
from resnet_inspect.trace.resnet_view import block_records, layer_count, named_depth
from resnet_inspect.trace.tensors import Sizes, input_dtype, meta_stand_ins, tensor_sizes
from resnet_inspect.trace.totals import forward_memory, report_totals
from resnet_inspect.trace.training import (
    Step,
    StepMemory,
    eval_mode,
    optimizer_temporaries,
    output_tensors,
    train_mode,
    training_memory,
)


def trace(
    model: nn.Module,
    input_shape: Sequence[int] = (3, 224, 224),
    batch: int = 1,
    device: str | torch.device = "auto",
    headline: Headline | str = Headline.CONV,
    dtype: torch.dtype | None = None,
    name: str | None = None,
    train: bool = False,
    optimizer: str = "adam",
    amp: str | None = None,
    input_dtype: torch.dtype | str | None = None,
    example_input: Any = None,
    graph: bool = True,
) -> Report:
    """Trace one forward pass of `model` on a made-up input and return its Report.

    With `train`, one training step instead: the forward in train mode and the backward
    autograd runs, each operator counted and charged to its module, with the bytes
    autograd saves and a peak followed operator by operator (report.training); optimizer
    state per `optimizer` (sgd, momentum, adam, adamw); `amp` ("float16", "bfloat16") runs
    it under mixed precision as torch.autocast does (weights stay as they are).

    Every ATen operator the pass runs is counted from one registry (counting/registry.py) and
    charged to the innermost module running it, so a row holds the work a module does in
    its own `forward` as well as its layers'. `device="auto"` traces on meta: counts do not
    depend on the device, and meta computes nothing, so ResNet-152 at any input size takes
    a few tens of milliseconds. Should a model not run on meta (an op without a meta
    kernel), auto falls back to CUDA or CPU; the report's `device` says where the trace
    ran. `dtype=None` keeps the model's own dtypes (the input takes the first floating
    parameter's); a dtype traces as if the model were cast to it. The model is left
    exactly as found: tensors, dtypes, device, train/eval flags and hooks.

    The input (trace/inputs.py) has the model's float dtype unless `input_dtype` says
    otherwise: "int64" gives token ids below the smallest embedding's size. An
    `example_input` (a tensor, a tuple of arguments, a dict of keyword arguments) is
    used instead, on the trace's device; its first tensor's shape is the input shape.

    `graph` records the forward's dataflow graph (report.graph: what ran on what, for
    diagrams and shortcut kinds); False leaves it out, for measuring what it costs.
    """
    in_dtype = input_dtype_named(input_dtype)
    if example_input is not None:
        first = example_call(example_input, torch.device("meta")).first
        if first.dim() == 0:
            raise InspectError("example_input's first tensor is a scalar; give it a batch "
                               "dimension, e.g. ids of shape (1, 16)")
        batch, input_shape = first.shape[0], tuple(first.shape[1:])
        if not input_shape:
            input_shape, batch = (int(first.shape[0]),), 1
    check_traced(input_shape, batch)
    headline = Headline(headline)
    if amp is not None and not train:
        raise InspectError("--amp counts a mixed-precision training step; add --train")
    step = Step(optimizer, amp) if train else None
    if step is not None and not any(p.requires_grad for p in model.parameters()):
        raise InspectError("--train: no parameter of this model requires a gradient, so there "
                           "is no training step to count; unfreeze some (requires_grad=True)")
    target = resolve_device(device)
    job = _Job([int(d) for d in input_shape], batch, headline, dtype, name, step, in_dtype,
               example_input, graph)
    with paused_gc(), walked_once(model):
        if target.type == "meta":
            try:
                return _trace_meta(model, job)
            except _MetaUnsupported as err:
                if str(device).lower() != "auto":
                    raise InspectError(
                        f"--device meta: {err.why} (the output's size depends on the input's "
                        "values, which meta tensors do not have); use --device cpu or cuda"
                        if err.op in DATA_DEPENDENT else
                        f"this model does not run on the meta device ({err}); "
                        "use --device cpu or cuda"
                    ) from None
                target = resolve_device(device, measure=True)
                report = _trace_on(model, job, target)
                report.device_fallback = err.why
                note(f"traced on {report.device}: {err.why}")
                return report
        return _trace_on(model, job, target)


@dataclass(frozen=True)
class _Job:
    """What to trace: everything `trace` was asked besides the model and the device."""

    input_shape: list[int]
    batch: int
    headline: Headline
    dtype: torch.dtype | None
    name: str | None
    step: Step | None
    input_dtype: torch.dtype | None = None  # None: the model's float dtype
    example: Any = None  # the user's own input, used as given
    graph: bool = True  # record the dataflow graph


class _MetaUnsupported(Exception):
    """A model that cannot run on meta tensors (no meta kernel, data-dependent code)."""

    def __init__(self, detail: str, op: str | None) -> None:
        super().__init__(detail)
        self.op = op
        self.why = (f"{op} has a data-dependent shape on meta" if op in DATA_DEPENDENT
                    else f"{op or 'an operator'} does not run on meta")


def _enum_values(obj: Any) -> Any:
    """`obj` with every Enum replaced by its value, for a spec turned into plain data."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {k: _enum_values(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_enum_values(v) for v in obj]
    return obj


def _trace_on(model: nn.Module, job: _Job, target: torch.device) -> Report:
    """Trace on a real device. A model that must move or be cast is traced as a copy, so
    the user's own tensors are never touched (a float64 model cast to float32 and back
    would lose precision; a mixed-precision one would come back all one dtype); so is a
    training step, which writes gradients and batch-norm statistics."""
    original = model_device(model)
    if original is not None and original.type == "meta":
        raise InspectError(
            f"the model lives on the meta device and has no weights to run on {target}; "
            "use --device meta, or build it on a real device"
        )
    moved = original is not None and original != target
    dtype, step = job.dtype, job.step
    cast = dtype is not None and any(
        t.is_floating_point() and t.dtype != dtype for t in (*model.parameters(), *model.buffers())
    )
    subject = model
    if moved or cast or step is not None:
        subject = copy.deepcopy(model).to(device=target, dtype=dtype)
    with train_mode(subject) if step is not None else eval_mode(subject):
        return _trace(subject, job, target)


def _trace_meta(model: nn.Module, job: _Job) -> Report:
    """Trace on meta without copying the model or touching its data."""
    dtype, step = job.dtype, job.step
    # Sizes come from the real tensors (the same numbers; byte counts use the traced dtype)
    sizes = tensor_sizes(model, dtype)
    needs_swap = step is not None or not sizes.all_meta or (
        dtype is not None and bool(sizes.dtypes - {dtype}))
    with train_mode(model) if step is not None else eval_mode(model):
        if not needs_swap:
            return _trace(model, job, META, sizes)
        with meta_stand_ins(model, dtype, shared=step is None):
            return _trace(model, job, META, sizes)


def _trace(model: nn.Module, job: _Job, device: torch.device,
           sizes: Sizes | None = None) -> Report:
    input_shape, batch, dtype, step = job.input_shape, job.batch, job.dtype, job.step
    x_dtype = input_dtype(model, dtype)
    elem = torch.empty((), dtype=x_dtype).element_size()
    sizes = sizes or tensor_sizes(model, dtype)
    counter = Counter(device.type == "meta", elem)
    flow = counter.flow = DataflowRecorder() if job.graph else None
    records = counter.records
    spec = getattr(model, "spec", None)
    report_name = job.name or (spec.name if spec is not None else type(model).__name__)
    training = step is not None
    hooks = ModuleHooks(model, counter, sizes, report_name, input_shape, elem, training)
    handles = hooks.install()

    call = _call(model, job, x_dtype, device)
    x = call.first
    if flow is not None:
        flow.start(call.tensors())
    root: list[LayerRecord] = []

    def fallback() -> LayerRecord:
        # backward work no forward row made (a gradient accumulated for a shared weight)
        if not root:
            root.append(counter.new_row(hooks.infos[id(model)], None, []))
        return root[0]

    counter.fallback = fallback
    counter.weights = {storage_id(p.untyped_storage()) for p in model.parameters()}
    memory = _step_memory(model, call, counter, device) if training else None
    try:
        out = _forward(model, job, call, counter, device, fallback)
    finally:
        for h in handles:
            h.remove()

    _finish_rows(records, root[0] if training and root else None)
    graph = flow.finish(out, records, counter.operators) if flow is not None else None
    blocks = block_records(hooks.block_modules, hooks.block_shapes, graph, records)
    # the paper's "why 101 layers" where every block adds a shortcut, or the network was
    # built as a ResNet (plain-34 keeps the count of the ResNet it is the baseline of)
    resnet = spec is not None or all(b.shortcut != "none" for b in blocks)
    modules = {i.name: i.module for i in hooks.infos.values()}  # a path: the graph's
    modules.update((i.row_name, i.module) for i in hooks.infos.values())  # a row's name
    fill_fields(records, blocks, modules, 1 + len(input_shape), graph)
    return Report(
        model=report_name,
        description=getattr(spec, "description", "") if spec is not None else "",
        input_shape=[batch, *input_shape],
        device=str(device),
        dtype=str(x_dtype).replace("torch.", ""),
        layers=records,
        blocks=blocks,
        totals=report_totals(sizes, records, job.headline),
        memory=forward_memory(sizes, records, batch, input_shape, x.element_size()),
        layer_count=named_depth(report_name, layer_count(records, blocks, resnet,
                                                              counter.layer_calls), records),
        conventions=conventions_for(job.headline.value),
        unsupported=[{"op": op, "calls": n} for op, n in sorted(counter.unsupported.items())],
        operators=[
            {"op": op, "category": v[0], "calls": v[1], "macs": v[2], "flops": v[3]}
            for op, v in counter.operators.items()
        ],
        spec=_enum_values(asdict(spec)) if spec is not None else None,
        training_memory=(training_memory(model, sizes, memory, step, x, records)
                         if step is not None and memory is not None else None),
        graph=graph,
    )


def _step_memory(model: nn.Module, call: Call, counter: Counter,
                 device: torch.device) -> StepMemory:
    """The training step's memory account, knowing the tensors that live outside the step
    (parameters, buffers, the input), attached to `counter`."""
    if device.type == "meta":
        preload_dynamo()  # else the first step in a process counts its frames live
    memory = StepMemory({storage_id(t.untyped_storage())
                         for t in (*model.parameters(), *model.buffers(), *call.tensors())})
    counter.memory = memory
    return memory


def _forward(model: nn.Module, job: _Job, call: Call, counter: Counter, device: torch.device,
             fallback: Callable[[], LayerRecord]) -> Any:
    """Run the forward pass (or the training step) under `counter`, and its output; a
    failure becomes one line with its cause, or _MetaUnsupported where meta cannot run it."""
    step = job.step
    try:
        if step is None:
            with torch.no_grad(), same_kernels_everywhere(model), counter, \
                    composite_calls(counter.flow, counter.stack):
                return call.run(model)
        return _run_step(model, call, counter, step, fallback)
    except (RuntimeError, NotImplementedError) as err:
        if isinstance(err, (ModelError, RunFailure)):
            raise  # already one line with its cause (models/user.py, autograd's in-place
            # check, a private torch API that changed)
        detail = first_line(err, type(err).__name__)
        if device.type == "meta" and no_meta_kernel(err):
            raise _MetaUnsupported(detail, counter.failed_op) from err
        if not isinstance(err, RuntimeError):
            raise
        raise explain(err, model, [job.batch, *job.input_shape], detail,
                      call.first.dtype) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError) as err:
        if isinstance(err, InspectError):
            raise
        # the user's forward raised: a runtime failure with its real cause, in one line
        raise forward_failed(err, model, step.amp if step is not None else None) from None


def _finish_rows(records: list[LayerRecord], fallback: LayerRecord | None) -> None:
    """Drop a step's fallback row if it was never needed; give each row its category (its
    largest by FLOPs, else the first it has)."""
    if fallback is not None and not fallback.categories and not fallback.backward_categories \
            and not fallback.saved_bytes and not fallback.params:
        records.remove(fallback)
    for r in records:
        if r.categories:
            r.category = max(r.categories, key=lambda c: r.categories[c][1])
            if r.category != Category.UNSUPPORTED.value and r.categories[r.category][1] == 0:
                r.category = next(iter(r.categories))


def _call(model: nn.Module, job: _Job, float_dtype: torch.dtype, device: torch.device) -> Call:
    """The forward's arguments: the user's example moved to `device`, else one tensor of
    the job's shape, in `job.input_dtype` or the model's float dtype."""
    if job.example is not None:
        return example_call(job.example, device)
    shape = (job.batch, *job.input_shape)
    return Call((made_input(model, shape, job.input_dtype or float_dtype, device),))


def _run_step(model: nn.Module, call: Call, counter: Counter, step: Step,
              fallback: Callable[[], LayerRecord]) -> Any:
    """One training step under the counter: the forward, with autograd's saved tensors
    charged to their rows, then the backward from a gradient of ones."""
    autocast: Any = contextlib.nullcontext()
    if step.amp is not None:
        autocast = Autocast(getattr(torch, step.amp))
    kernels = DeviceKernels() if counter.meta else contextlib.nullcontext()
    with torch.enable_grad(), same_kernels_everywhere(model, step=True), counter, autocast, \
            kernels, torch.autograd.graph.saved_tensors_hooks(counter.pack, counter.unpack), \
            composite_calls(counter.flow, counter.stack):
        out = call.run(model)
    if counter.pending_saved:  # saved after the last row opened: the model's own
        fallback().saved_bytes += counter.pending_saved
        counter.pending_saved = 0
    counter.assign(out, fallback())
    outs = [t for t in output_tensors(out) if t.requires_grad]
    if not outs:
        raise InspectError("--train: the model's output does not depend on any "
                           "parameter that requires a gradient; nothing to train")
    with counter:  # d(loss)/d(output): no arithmetic, but memory while the backward runs
        seeds = [torch.ones_like(t) for t in outs]
    counter.backward = True
    kernels = DeviceKernels() if counter.meta else contextlib.nullcontext()
    with same_kernels_everywhere(model, step=True), counter, kernels:
        torch.autograd.backward(outs, seeds)  # checkpoint recomputes its forwards here
    counter.backward = False
    del seeds
    if counter.memory is not None:  # the optimizer's step, with the gradients and output
        counter.memory.add(optimizer_temporaries(model, step))
    return out
