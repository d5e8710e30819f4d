"""One forward pass with module hooks -> Report.

Works on any nn.Module; torchvision-style names (conv1, layer3.5.conv2, downsample, fc)
additionally get the paper's stage names and block records. The model is left as found:
hooks removed, train/eval mode and device restored.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from resnet_inspect.counting.categories import HEADLINE_CATEGORIES, Category, Headline
from resnet_inspect.counting.meta_ops import RULES as META_RULES
from resnet_inspect.counting.meta_ops import Autocast
from resnet_inspect.counting.ops import FORMULAS, NO_ARITHMETIC, counts_for, op_name
from resnet_inspect.errors import InspectError, ModelError
from resnet_inspect.report.model import (
    BlockRecord,
    LayerCount,
    LayerRecord,
    Memory,
    Report,
    Totals,
    TrainingMemory,
    conventions_for,
)

_STAGE = re.compile(r"layer(\d+)$")
_STEM = {"conv1", "bn1", "relu"}
_SHORTCUT_PARTS = {"downsample", "shortcut"}

DEVICES = ("auto", "cpu", "cuda", "meta")


def resolve_device(device: str | torch.device, measure: bool = False) -> torch.device:
    """Where to run. 'auto' is meta when nothing is measured (shapes and counts are the same
    on every device, and meta computes nothing), else CUDA when available, else CPU.
    Asking for CUDA without it is an error."""
    name = str(device).lower()
    if name == "auto":
        if not measure:
            return _META
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InspectError(
            "--device cuda: no CUDA GPU is visible to PyTorch here; "
            "use --device cpu (or meta for shapes and counts only)"
        )
    try:
        return torch.device(name)
    except RuntimeError:
        raise InspectError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}") from None


def paper_stage(name: str) -> str:
    """The ResNet paper's Table 1 row for a torchvision module path.

    The 3x3 max pool belongs to conv2_x (Table 1 lists it there); the stem conv, BN and ReLU
    are conv1; pooling and the classifier after the last stage are the fc row.
    """
    top = name.split(".", 1)[0]
    m = _STAGE.match(top)
    if m:
        return f"conv{int(m.group(1)) + 1}_x"
    if top in _STEM:
        return "conv1"
    if top == "maxpool":
        return "conv2_x"
    if top in {"avgpool", "fc", "final_bn", "final_relu", "flatten"}:
        return "fc"
    return top


def block_of(name: str) -> str:
    parts = name.split(".")
    if len(parts) >= 3 and parts[1].isdigit():
        return f"{parts[0]}.{parts[1]}"
    return ""


def _shape(x: Any) -> list[int]:
    if isinstance(x, torch.Tensor):
        return list(x.shape)
    if isinstance(x, (tuple, list)) and x and isinstance(x[0], torch.Tensor):
        return list(x[0].shape)
    return []


def _kernel(m: nn.Module) -> tuple[str, int, int]:
    k = getattr(m, "kernel_size", None)
    if k is None:
        return "", 1, 1
    ks = tuple(k) if isinstance(k, (tuple, list)) else (k, k)
    s = getattr(m, "stride", 1)
    stride = s[0] if isinstance(s, (tuple, list)) else (s or 1)
    return "x".join(str(v) for v in ks), int(stride), int(getattr(m, "groups", 1))


def _model_device(model: nn.Module) -> torch.device | None:
    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return None


def _enum_values(obj: Any) -> Any:
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {k: _enum_values(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_enum_values(v) for v in obj]
    return obj


def validate_input(input_shape: Sequence[int], batch: int) -> None:
    if batch < 1:
        raise InspectError(f"--batch {batch}: the batch size must be at least 1, e.g. --batch 8")
    if not input_shape or any(int(d) < 1 for d in input_shape):
        dims = "x".join(str(d) for d in input_shape)
        raise InspectError(
            f"--input {dims}: every dimension must be at least 1; use CxHxW, e.g. 3x224x224"
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
) -> Report:
    """Trace one forward pass of `model` on a zero input and return its Report.

    With `train`, one training step instead: the forward in train mode and the backward
    autograd runs, each operator counted and charged to its module, with the bytes
    autograd saves and a peak followed operator by operator (report.training); optimizer
    state per `optimizer` (sgd, momentum, adam, adamw); `amp` ("float16", "bfloat16") runs
    it under mixed precision as torch.autocast does (weights stay as they are).

    Every ATen operator the pass runs is counted from one registry (counting.py) and
    charged to the innermost module running it, so a row holds the work a module does in
    its own `forward` as well as its layers'. `device="auto"` traces on meta: counts do not
    depend on the device, and meta computes nothing, so ResNet-152 at any input size takes
    a few tens of milliseconds. Should a model not run on meta (an op without a meta
    kernel), auto falls back to CUDA or CPU; the report's `device` says where the trace
    ran. `dtype=None` keeps the model's own dtypes (the input takes the first floating
    parameter's); a dtype traces as if the model were cast to it. The model is left
    exactly as found: tensors, dtypes, device, train/eval flags and hooks.
    """
    validate_input(input_shape, batch)
    headline = Headline(headline)
    if amp is not None and not train:
        raise InspectError("--amp counts a mixed-precision training step; add --train")
    step = _Step(optimizer, amp) if train else None
    if step is not None and not any(p.requires_grad for p in model.parameters()):
        raise InspectError("--train: no parameter of this model requires a gradient, so there "
                           "is no training step to count; unfreeze some (requires_grad=True)")
    target = resolve_device(device)
    shape = [int(d) for d in input_shape]
    with paused_gc():
        if target.type == "meta":
            try:
                return _trace_meta(model, shape, batch, headline, dtype, name, step)
            except _MetaUnsupported as err:
                if str(device).lower() != "auto":
                    raise InspectError(
                        f"this model does not run on the meta device ({err}); "
                        "use --device cpu or cuda"
                    ) from None
                target = resolve_device(device, measure=True)
        return _trace_on(model, shape, batch, target, headline, dtype, name, step)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a model is built or traced.

    Both allocate thousands of small objects, which set off full collections over
    everything `import torch` created: 0.1 s of the first ResNet-152 build, more than the
    build itself. Nothing is leaked: reference counting frees as usual, and any cycles are
    collected once the collector is back on. Re-entrant; leaves it off if it was off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _MetaUnsupported(Exception):
    """A model that cannot run on meta tensors (no meta kernel, data-dependent code)."""


OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # buffers per parameter


@dataclass(frozen=True)
class _Step:
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
def _train_mode(model: nn.Module) -> Iterator[None]:
    """Train mode for a training step (batch-norm uses batch statistics, dropout drops),
    then each module's own flag back."""
    evaluating = [m for m in model.modules() if not m.training]
    model.train()
    try:
        yield
    finally:
        for m in evaluating:
            m.training = False


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the trace (BN uses its running statistics), then each module's own
    flag back: a model with some modules frozen in eval keeps them so."""
    training = [m for m in model.modules() if m.training]
    if training:
        model.eval()  # through train(False), for modules that override it
    try:
        yield
    finally:
        for m in training:
            m.training = True


def _trace_on(
    model: nn.Module,
    input_shape: list[int],
    batch: int,
    target: torch.device,
    headline: Headline,
    dtype: torch.dtype | None,
    name: str | None,
    step: _Step | None = None,
) -> Report:
    """Trace on a real device. A model that must move or be cast is traced as a copy, so
    the user's own tensors are never touched (a float64 model cast to float32 and back
    would lose precision; a mixed-precision one would come back all one dtype); so is a
    training step, which writes gradients and batch-norm statistics."""
    original = _model_device(model)
    if original is not None and original.type == "meta":
        raise InspectError(
            f"the model lives on the meta device and has no weights to run on {target}; "
            "use --device meta, or build it on a real device"
        )
    moved = original is not None and original != target
    cast = dtype is not None and any(
        t.is_floating_point() and t.dtype != dtype for t in (*model.parameters(), *model.buffers())
    )
    subject = model
    if moved or cast or step is not None:
        subject = copy.deepcopy(model).to(device=target, dtype=dtype)
    with _train_mode(subject) if step is not None else _eval_mode(subject):
        return _trace(subject, input_shape, batch, target, headline, dtype, name, step=step)


@contextmanager
def _meta_stand_ins(model: nn.Module, dtype: torch.dtype | None,
                    shared: bool = True) -> Iterator[None]:
    """Swap every parameter and buffer for an empty meta tensor (of `dtype`, or of its own
    dtype when None), and put the real ones back afterwards.

    This is what torch.func.functional_call does, without its generality (and its cost:
    a third of the trace): the model is not copied and no data is touched.
    """
    # Meta tensors hold no data, so one stand-in serves every tensor of the same shape
    # and kind (ResNet-152: ~930 tensors, ~60 distinct): the forward only reads shapes,
    # and eval mode updates no buffer. Sizes were taken from the real tensors already.
    made: dict[tuple[Any, ...], torch.Tensor] = {}
    swapped: list[tuple[dict[str, Any], str, Any]] = []

    def stand_in(t: torch.Tensor) -> torch.Tensor:
        param = isinstance(t, nn.Parameter)
        want = dtype if dtype is not None and t.is_floating_point() else t.dtype
        # a training step gives every parameter its own gradient: no sharing then
        key = (t.shape, want, param, t.requires_grad) if shared else (id(t),)
        new = made.get(key)
        if new is None:
            new = torch.empty(t.shape, device="meta", dtype=want)
            if param:
                new = nn.Parameter(new, requires_grad=t.requires_grad)
            made[key] = new
        return new

    try:
        for m in model.modules():
            tables: tuple[dict[str, Any], ...] = (m._parameters, m._buffers)
            for table in tables:
                for key, t in table.items():
                    if t is not None:
                        swapped.append((table, key, t))
                        table[key] = stand_in(t)
        yield
    finally:
        for table, key, t in reversed(swapped):
            table[key] = t


def _trace_meta(
    model: nn.Module,
    input_shape: list[int],
    batch: int,
    headline: Headline,
    dtype: torch.dtype | None,
    name: str | None,
    step: _Step | None = None,
) -> Report:
    """Trace on meta without copying the model or touching its data."""
    needs_swap = step is not None or any(
        t.device.type != "meta"
        or (dtype is not None and t.is_floating_point() and t.dtype != dtype)
        for t in (*model.parameters(), *model.buffers())
    )
    with _train_mode(model) if step is not None else _eval_mode(model):
        if not needs_swap:
            return _trace(model, input_shape, batch, _META, headline, dtype, name)
        # Sizes come from the real tensors (same numbers; byte counts use the traced dtype)
        sizes = _tensor_sizes(model, dtype)
        with _meta_stand_ins(model, dtype, shared=step is None):
            return _trace(model, input_shape, batch, _META, headline, dtype, name, sizes, step)


_META = torch.device("meta")

# Where a running trace reports its progress, (calls done, leaf modules): set by the CLI
# around a call (`with progress_to(update): inspect(...)`), so the library API is unchanged.
_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("progress", default=None)


@contextmanager
def progress_to(update: Callable[[int, int], None]) -> Iterator[None]:
    token = _PROGRESS.set(update)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


@dataclass
class _Sizes:
    """Parameter and buffer totals of a model, each tensor counted once (tied weights)."""

    params: int = 0
    trainable: int = 0
    buffers: int = 0
    running_stats: int = 0
    param_bytes: int = 0
    buffer_bytes: int = 0
    # id(module) -> (params, trainable, buffers) of the tensors it is the first owner of, so
    # that rows sum to the totals even when modules share a weight
    own: dict[int, tuple[int, int, int]] = field(default_factory=dict)


def _tensor_sizes(model: nn.Module, dtype: torch.dtype | None) -> _Sizes:
    """One walk over the modules: the model's totals and each module's own counts."""
    cast = torch.empty((), dtype=dtype).element_size() if dtype is not None else None
    sizes = _Sizes()
    seen: set[int] = set()
    for m in model.modules():
        p_own = t_own = b_own = 0
        for p in m._parameters.values():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            p_own += n
            t_own += n if p.requires_grad else 0
            sizes.param_bytes += n * (cast if cast and p.is_floating_point() else p.element_size())
        for key, b in m._buffers.items():
            if b is None or id(b) in seen:
                continue
            seen.add(id(b))
            n = b.numel()
            b_own += n
            sizes.buffer_bytes += n * (cast if cast and b.is_floating_point() else b.element_size())
            if isinstance(m, _BATCH_NORM) and key in ("running_mean", "running_var"):
                sizes.running_stats += n
        sizes.params += p_own
        sizes.trainable += t_own
        sizes.buffers += b_own
        if p_own or b_own:
            sizes.own[id(m)] = (p_own, t_own, b_own)
    return sizes


_BATCH_NORM = nn.modules.batchnorm._BatchNorm


def _input_dtype(model: nn.Module, dtype: torch.dtype | None) -> torch.dtype:
    if dtype is not None:
        return dtype
    for m in model.modules():
        for t in (*m._parameters.values(), *m._buffers.values()):
            if t is not None and t.is_floating_point():
                return t.dtype
    return torch.float32


class _Frame:
    """One running module call: where its own operators are charged."""

    __slots__ = ("called_first", "info", "open", "rows")

    def __init__(self, info: _ModuleInfo, called_first: bool) -> None:
        self.info = info
        self.open: LayerRecord | None = None  # the row taking this module's own operators
        self.rows = 0  # rows this call made
        self.called_first = called_first


class _ModuleInfo:
    """What does not change between calls of one module, worked out once."""

    __slots__ = ("block", "depth", "groups", "is_block", "kernel", "leaf", "module", "name", "own",
                 "row_name", "shortcut", "stage", "stride", "type_name")

    def __init__(self, name: str, m: nn.Module, sizes: _Sizes, root_name: str) -> None:
        self.module = m
        self.name = name
        self.row_name = name or root_name
        self.type_name = type(m).__name__
        self.leaf = not m._modules
        self.stage = paper_stage(name) if name else self.row_name
        self.is_block = bool(name) and block_of(name + ".x") == name and not self.leaf
        self.block = name if self.is_block else block_of(name)
        self.kernel, self.stride, self.groups = _kernel(m) if self.leaf else ("", 1, 1)
        self.own = sizes.own.get(id(m), (0, 0, 0))
        self.shortcut = bool(_SHORTCUT_PARTS & set(name.split(".")))
        self.depth = name.count(".") if name else 0


class _Counter(TorchDispatchMode):
    """Counts every ATen operator of a forward pass and charges it to the innermost
    running module. On meta, answers common operators from plain-Python shape rules
    (meta_ops.py) instead of torch's slow reference kernels."""

    def __init__(self, meta: bool, elem: int) -> None:
        super().__init__()
        self.meta = meta
        self.elem = elem
        self.stack: list[_Frame] = []
        self.records: list[LayerRecord] = []
        self.unsupported: dict[str, int] = {}
        self.operators: dict[str, list[Any]] = {}  # op -> [category, calls, macs, flops]
        self.kinds: dict[Any, int] = {}  # OpOverload -> 0 no arithmetic, 1 formula, 2 none
        # a training step: the backward's operators go to the row whose forward made
        # their autograd node; live storages are followed for the peak
        self.backward = False
        self.node_rows: dict[Any, LayerRecord] = {}
        self.fallback: Callable[[], LayerRecord] | None = None
        self.track_live = False
        self.live = 0
        self.live_peak = 0
        self.live_keys: set[int] = set()
        self.saved_keys: set[int] = set()
        self.saved_total = 0
        self.exclude: set[int] = set()  # storages of parameters, buffers and the input

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # TorchDispatchMode wraps __torch_dispatch__ in torch._disable_dynamo unless a mode
        # says no, and the wrapper imports torch._dynamo (and sympy) on its first call:
        # about a second of start-up. Nothing here is ever compiled, so there is nothing
        # to disable.
        return False

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = None
        if self.meta:
            rule = META_RULES.get(func)
            if rule is not None:
                out = rule(args, kwargs)
        if out is None:
            out = func(*args, **kwargs)
        if self.track_live:
            self._track(out, args)
        kind = self.kinds.get(func)
        if kind is None:
            packet = func.overloadpacket
            kind = 1 if packet in FORMULAS else 0 if packet in NO_ARITHMETIC else 2
            self.kinds[func] = kind
        if kind and self.backward:
            self._charge_backward(func, kind, args, kwargs, out)
        elif kind and self.stack:
            self._charge(func, kind, args, kwargs, out)
        return out

    def _track(self, out: Any, args: tuple[Any, ...]) -> None:
        """Add each new storage an operator allocates to the live total until it is freed."""
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if not isinstance(t, torch.Tensor) or any(t is a for a in args):
                continue  # an in-place result is its input's storage
            storage = t.untyped_storage()
            key = storage._cdata
            if key in self.live_keys:
                continue  # a view of a storage already counted
            n = storage.nbytes()
            self.live_keys.add(key)
            self.live += n
            self.live_peak = max(self.live_peak, self.live)
            weakref.finalize(t, self._free, key, n)

    def _free(self, key: int, n: int) -> None:
        if key in self.live_keys:
            self.live_keys.discard(key)
            self.live -= n

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        """autograd's saved-tensor hook: charge each storage saved for backward, once, to
        the row running (parameters and the input image are not activations)."""
        storage = t.untyped_storage()
        key = storage._cdata
        if key not in self.exclude and key not in self.saved_keys:
            self.saved_keys.add(key)
            n = storage.nbytes()
            self.saved_total += n
            if self.stack:
                frame = self.stack[-1]
                row = frame.open or self._open(frame, (t,))
                row.saved_bytes += n
            elif self.fallback is not None:
                self.fallback().saved_bytes += n
        return t

    def assign(self, tensors: Any, row: LayerRecord) -> None:
        """Charge to `row` every autograd node behind `tensors` not charged yet: the
        backward of the operators this row ran."""
        todo = [t.grad_fn for t in _tensors(tensors) if t.grad_fn is not None]
        while todo:
            node = todo.pop()
            if node is None or node in self.node_rows:
                continue
            self.node_rows[node] = row
            todo.extend(n for n, _ in node.next_functions if n is not None)

    def _charge_backward(self, func: Any, kind: int, args: tuple[Any, ...],
                         kwargs: dict[str, Any], out: Any) -> None:
        node = torch._C._current_autograd_node()
        row = self.node_rows.get(node)
        if row is None:
            assert self.fallback is not None
            row = self.fallback()
        name = op_name(func)
        if kind == 2:
            self.unsupported[name] = self.unsupported.get(name, 0) + 1
            row.backward_categories.setdefault(Category.UNSUPPORTED.value, [0, 0])
            return
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        out_shape = tuple(first.shape) if isinstance(first, torch.Tensor) else ()
        for c in counts_for(func, args, kwargs, out_shape) or ():
            cell = row.backward_categories.setdefault(c.category.value, [0, 0])
            cell[0] += c.macs
            cell[1] += c.flops
            row.backward_macs += c.macs
            row.backward_flops += c.flops

    def _charge(self, func: Any, kind: int, args: tuple[Any, ...], kwargs: dict[str, Any],
                out: Any) -> None:
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        out_shape = tuple(first.shape) if isinstance(first, torch.Tensor) else ()
        frame = self.stack[-1]
        row = frame.open or self._open(frame, args)
        name = op_name(func)
        if kind == 2:
            self.unsupported[name] = self.unsupported.get(name, 0) + 1
            row.categories.setdefault(Category.UNSUPPORTED.value, [0, 0])
            op = self.operators.setdefault(name, [Category.UNSUPPORTED.value, 0, 0, 0])
            op[1] += 1
        else:
            counts = counts_for(func, args, kwargs, out_shape) or ()
            for c in counts:
                cat = c.category.value
                cell = row.categories.get(cat)
                if cell is None:
                    row.categories[cat] = [c.macs, c.flops]
                else:
                    cell[0] += c.macs
                    cell[1] += c.flops
                row.macs += c.macs
                row.flops += c.flops
            found = self.operators.get(name)
            if found is None:
                cat = counts[0].category.value if counts else Category.OTHER.value
                found = self.operators[name] = [cat, 0, 0, 0]
            op = found
            op[1] += 1
            op[2] += sum(c.macs for c in counts)
            op[3] += sum(c.flops for c in counts)
        if not frame.info.leaf and out_shape:
            row.output_shape = list(out_shape)
            if isinstance(first, torch.Tensor) and not any(first is a for a in args):
                row.output_bytes += batch_numel(out_shape) * self.elem

    def _open(self, frame: _Frame, args: tuple[Any, ...]) -> LayerRecord:
        """A new row for the module's own operators, in execution order."""
        info = frame.info
        x = next((a for a in args if isinstance(a, torch.Tensor)), None)
        row = self.new_row(info, frame, list(x.shape) if x is not None else [])
        frame.open = row
        return row

    def new_row(self, info: _ModuleInfo, frame: _Frame | None, in_shape: list[int],
                called: bool = True) -> LayerRecord:
        first_row = frame is None or (frame.called_first and frame.rows == 0)
        params, trainable, buffers = info.own if first_row else (0, 0, 0)
        row = LayerRecord(
            name=info.row_name, type=info.type_name, stage=info.stage, block=info.block,
            category=Category.OTHER.value, input_shape=in_shape, output_shape=[],
            kernel=info.kernel, stride=info.stride, groups=info.groups, params=params,
            trainable_params=trainable, buffers=buffers, shortcut=info.shortcut,
            depth=info.depth, categories={}, called=called,
        )
        if frame is not None:
            frame.rows += 1
        self.records.append(row)
        return row


def _trace(
    model: nn.Module,
    input_shape: list[int],
    batch: int,
    device: torch.device,
    headline: Headline,
    dtype: torch.dtype | None,
    name: str | None,
    sizes: _Sizes | None = None,
    step: _Step | None = None,
) -> Report:
    x_dtype = _input_dtype(model, dtype)
    elem = torch.empty((), dtype=x_dtype).element_size()
    sizes = sizes or _tensor_sizes(model, dtype)
    counter = _Counter(device.type == "meta", elem)
    records = counter.records
    stack = counter.stack
    block_shapes: dict[str, tuple[list[int], list[int]]] = {}
    called: set[int] = set()  # modules that ran, and so have their parameters on a row
    handles = []
    shape_text = "x".join(map(str, input_shape))
    spec = getattr(model, "spec", None)
    report_name = name or (spec.name if spec is not None else type(model).__name__)
    infos: dict[int, _ModuleInfo] = {}
    progress = _PROGRESS.get()
    leaves = 0

    def pre_hook(m: nn.Module, args: tuple[Any, ...]) -> None:
        info = infos.get(id(m))
        if info is None:  # a module that is not part of the model (made in a forward)
            return
        if stack:
            if training and stack[-1].open is not None:
                counter.assign(args, stack[-1].open)
            stack[-1].open = None  # the parent's next own operator starts a new row
        first = id(m) not in called
        called.add(id(m))
        stack.append(_Frame(info, first))

    def post_hook(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
        info = infos.get(id(m))
        if info is None:
            return
        frame = stack.pop()
        if stack:
            stack[-1].open = None
        if training and frame.open is not None:
            counter.assign(out, frame.open)
        if info.leaf:
            out_shape = _shape(out)
            if out_shape and 0 in out_shape:
                raise InspectError(
                    f"the input {shape_text} is too small: the output of "
                    f"{info.name} ({info.type_name}) has size {out_shape}; "
                    "use a larger --input"
                )
            in_shapes = [list(a.shape) for a in args if isinstance(a, torch.Tensor)]
            row = frame.open or counter.new_row(info, frame, [])
            if training and frame.open is None:
                counter.assign(out, row)
            row.input_shape = in_shapes[0] if in_shapes else []
            row.output_shape = out_shape
            row.output_bytes = batch_numel(out_shape) * elem if out_shape else 0
            if progress is not None and len(records) % 64 == 0:
                progress(len(records), leaves)
        elif frame.called_first and frame.rows == 0 and any(info.own):
            # parameters a module holds itself (a class token, an attention's packed
            # projection) need a row even when it ran no operator of its own
            row = counter.new_row(info, frame, _shape(args[0]) if args else [])
            row.output_shape = _shape(out)
        if frame.called_first:
            _not_called_rows(m, info)
        if info.is_block:
            block_shapes[info.name] = (_shape(args[0]) if args else [], _shape(out))

    def _not_called_rows(m: nn.Module, info: _ModuleInfo) -> None:
        # Children this call never ran (an auxiliary head, a Linear whose weight the parent
        # applies with F.linear): their parameters stay in the total, shown on rows that
        # say so, right after the parent's own rows.
        for child in m.children():
            if id(child) in called:
                continue
            for sub in child.modules():
                if id(sub) not in called and any(infos[id(sub)].own):
                    called.add(id(sub))
                    counter.new_row(infos[id(sub)], None, [], called=False)

    block_modules: dict[str, nn.Module] = {}
    for mod_name, m in model.named_modules():
        info = _ModuleInfo(mod_name, m, sizes, report_name)
        infos[id(m)] = info
        if info.is_block:
            block_modules[mod_name] = m
        leaves += info.leaf
    # Two global hooks rather than two on each module: registering ~1,200 handles on
    # ResNet-152 cost more than the hooks themselves. Only modules of this model count.
    handles.append(nn.modules.module.register_module_forward_pre_hook(pre_hook))
    handles.append(nn.modules.module.register_module_forward_hook(post_hook))

    x = torch.zeros((batch, *input_shape), dtype=x_dtype, device=device)
    training = step is not None
    root: list[LayerRecord] = []

    def fallback() -> LayerRecord:
        # backward work no forward row made (a gradient accumulated for a shared weight)
        if not root:
            root.append(counter.new_row(infos[id(model)], None, []))
        return root[0]

    counter.fallback = fallback
    if training:
        counter.track_live = True
        counter.exclude = {t.untyped_storage()._cdata
                           for t in (*model.parameters(), *model.buffers(), x)}
    try:
        if not training:
            with torch.no_grad(), _same_kernels_everywhere(model), counter:
                model(x)
        else:
            autocast: Any = contextlib.nullcontext()
            if step is not None and step.amp is not None:
                autocast = Autocast(getattr(torch, step.amp))
            with torch.enable_grad(), _same_kernels_everywhere(model), counter, autocast, \
                    torch.autograd.graph.saved_tensors_hooks(counter.pack, lambda t: t):
                out = model(x)
            counter.assign(out, fallback())
            outs = [t for t in _tensors(out) if t.requires_grad]
            if not outs:
                raise InspectError("--train: the model's output does not depend on any "
                                   "parameter that requires a gradient; nothing to train")
            seeds = [torch.ones_like(t) for t in outs]  # d(loss)/d(output), made uncounted
            counter.backward = True
            with _same_kernels_everywhere(model), counter:
                torch.autograd.backward(outs, seeds)
            counter.backward = False
    except (RuntimeError, NotImplementedError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if device.type == "meta" and _no_meta_kernel(err):
            raise _MetaUnsupported(detail) from err
        if not isinstance(err, RuntimeError):
            raise
        raise _explain(err, model, [batch, *input_shape], detail) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError) as err:
        if isinstance(err, InspectError):
            raise
        # the user's forward raised: a runtime failure with its real cause, in one line
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        hint = ""
        if step is not None and step.amp and any(isinstance(m, nn.RNNBase)
                                                 for m in model.modules()):
            hint = "; --amp does not emulate autocast for recurrent layers yet: leave it out"
        raise ModelError(f"the model failed in {_failing_module(err, model)}: "
                         f"{type(err).__name__}: {detail}{hint}") from None
    finally:
        for h in handles:
            h.remove()

    if training and root and not root[0].categories and not root[0].backward_categories \
            and not root[0].saved_bytes and not root[0].params:
        records.remove(root[0])  # the fallback row was never needed
    for r in records:
        if r.categories:
            r.category = max(r.categories, key=lambda c: r.categories[c][1])
            if r.category != Category.UNSUPPORTED.value and r.categories[r.category][1] == 0:
                r.category = next(iter(r.categories))
    blocks = _block_records(block_modules, block_shapes)
    return Report(
        model=report_name,
        description=getattr(spec, "description", "") if spec is not None else "",
        input_shape=[batch, *input_shape],
        device=str(device),
        dtype=str(x_dtype).replace("torch.", ""),
        layers=records,
        blocks=blocks,
        totals=_totals(sizes, records, headline),
        memory=_memory(sizes, records, batch, input_shape, elem),
        layer_count=layer_count(records, blocks),
        conventions=conventions_for(headline.value),
        unsupported=[{"op": op, "calls": n} for op, n in sorted(counter.unsupported.items())],
        operators=[
            {"op": op, "category": v[0], "calls": v[1], "macs": v[2], "flops": v[3]}
            for op, v in counter.operators.items()
        ],
        spec=_enum_values(asdict(spec)) if spec is not None else None,
        training_memory=(_training_memory(model, sizes, counter, step, x, records)
                         if step else None),
    )


def _tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in a model's output (a tensor, or a tuple, list or dict of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _training_memory(model: nn.Module, sizes: _Sizes, counter: _Counter, step: _Step,
                     x: torch.Tensor, records: list[LayerRecord]) -> TrainingMemory:
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
        activations_saved=counter.saved_total,
        params=sizes.param_bytes,
        grads=grads,
        optimizer_state=state,
        optimizer=step.optimizer,
        amp=step.amp,
        input=input_bytes,
        peak=sizes.param_bytes + sizes.buffer_bytes + state + input_bytes + counter.live_peak,
        live_peak=counter.live_peak,
        torchinfo_estimate=input_bytes + 2 * outputs + sizes.param_bytes,
    )


def _unique(params: Iterator[nn.Parameter]) -> list[nn.Parameter]:
    seen: set[int] = set()
    out = []
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


@contextmanager
def _same_kernels_everywhere(model: nn.Module) -> Iterator[None]:
    """The same operators on meta, CPU and CUDA, so the counts are the same everywhere.

    Fused kernels are picked per device: scaled-dot-product attention runs as one fused
    operator on CPU and CUDA but as matmuls and a softmax on meta; nn.MultiheadAttention
    takes a one-operator fast path on CPU and CUDA only; an LSTM is one oneDNN or cuDNN
    operator on CPU and CUDA. During the trace all take their math path, which is what
    every device runs (the same arithmetic, in operators the registry knows); restored
    after. Convolutions are counted above the backends, so they are not affected; oneDNN
    and cuDNN are only turned off for a model with recurrent layers (they would slow a
    convolutional network's real forward pass for nothing).
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    mha = getattr(torch.backends, "mha", None)
    fast = mha.get_fastpath_enabled() if mha is not None else None
    recurrent = any(isinstance(m, nn.RNNBase) for m in model.modules())
    backends: tuple[Any, ...] = (torch.backends.mkldnn, torch.backends.cudnn) if recurrent \
        else ()
    enabled = [b.enabled for b in backends]
    if mha is not None:
        mha.set_fastpath_enabled(False)
    for b in backends:  # not b.flags(): it also resets TF32 and warns about it
        b.enabled = False
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        for b, was in zip(backends, enabled, strict=True):
            b.enabled = was
        if mha is not None and fast is not None:
            mha.set_fastpath_enabled(fast)


_SHAPE_WORDS = ("shape", "size", "mat1 and mat2", "channel", "expected input", "kernel size",
                "padding", "dimension", "must match", "Given groups", "too small")


def _explain(err: RuntimeError, model: nn.Module, shape: list[int], detail: str) -> Exception:
    """A one-line error that keeps the real cause: bad input (a shape the model cannot
    take) is the user's to fix (exit 2); anything else is the model failing (exit 1)."""
    where = _failing_module(err, model)
    dims = "x".join(map(str, shape))
    text = str(err).lower()
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


def _failing_module(err: BaseException, model: nn.Module) -> str:
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


def _no_meta_kernel(err: BaseException) -> bool:
    """Whether an error says the op cannot run on meta (rather than a shape mismatch)."""
    text = str(err).lower()
    return isinstance(err, NotImplementedError) or (
        "meta" in text
        and any(w in text for w in ("not implemented", "no kernel", "data-dependent",
                                    "item()", "does not support", "cannot access data"))
    )


def batch_numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _block_records(
    modules: dict[str, nn.Module], shapes: dict[str, tuple[list[int], list[int]]]
) -> list[BlockRecord]:
    out = []
    for name, m in modules.items():
        if name not in shapes:
            continue
        in_shape, out_shape = shapes[name]
        use = getattr(m, "shortcut_use", None)
        if use is None:  # a foreign torchvision-style block: downsample means projection
            use_value = "projection" if getattr(m, "downsample", None) is not None else "identity"
        else:
            use_value = use.value
        kind = getattr(m, "kind", None)
        out.append(
            BlockRecord(
                name=name,
                stage=paper_stage(name),
                kind=kind.value if isinstance(kind, Enum) else type(m).__name__,
                shortcut=use_value,
                in_channels=in_shape[1] if len(in_shape) > 1 else 0,
                out_channels=out_shape[1] if len(out_shape) > 1 else 0,
                stride=(
                    in_shape[2] // out_shape[2]
                    if len(in_shape) > 2 and len(out_shape) > 2 and out_shape[2]
                    else 1
                ),
                input_shape=in_shape,
                output_shape=out_shape,
            )
        )
    return out


def _totals(sizes: _Sizes, records: list[LayerRecord], headline: Headline) -> Totals:
    # Parameters come from every tensor once (_tensor_sizes deduplicates shared weights);
    # work from the rows, each operator counted once, in the row of the module running it.
    by_cat: dict[str, dict[str, int]] = {}
    for r in records:
        for cat, (macs, flops) in r.categories.items():
            c = by_cat.setdefault(cat, {"macs": 0, "flops": 0})
            c["macs"] += macs
            c["flops"] += flops
    cats = [c.value for c in HEADLINE_CATEGORIES[headline]]
    macs = sum(by_cat.get(c, {}).get("macs", 0) for c in cats)
    flops = sum(by_cat.get(c, {}).get("flops", 0) for c in cats)
    back: dict[str, dict[str, int]] = {}
    for r in records:
        for cat, (m, f) in r.backward_categories.items():
            c = back.setdefault(cat, {"macs": 0, "flops": 0})
            c["macs"] += m
            c["flops"] += f
    return Totals(
        backward_macs=sum(back.get(c, {}).get("macs", 0) for c in cats),
        backward_flops=sum(back.get(c, {}).get("flops", 0) for c in cats),
        backward_by_category=back,
        params=sizes.params,
        trainable_params=sizes.trainable,
        buffers=sizes.buffers,
        running_stats=sizes.running_stats,
        macs=macs,
        flops=flops,
        headline=headline.value,
        by_category=by_cat,
    )


def _memory(
    sizes: _Sizes, records: list[LayerRecord], batch: int, input_shape: list[int], elem: int
) -> Memory:
    input_bytes = batch * batch_numel(input_shape) * elem
    activations = sum(r.output_bytes for r in records)
    return Memory(
        input_bytes=input_bytes,
        activation_bytes=activations,
        forward_backward_bytes=2 * activations,
        param_bytes=sizes.param_bytes,
        buffer_bytes=sizes.buffer_bytes,
        total_bytes=input_bytes + 2 * activations + sizes.param_bytes + sizes.buffer_bytes,
    )


def layer_count(records: list[LayerRecord], blocks: list[BlockRecord]) -> LayerCount:
    """Weighted layers (conv and linear) on the main path; shortcut projections excluded.

    ResNet-101: 1 conv + 3 x (3 + 4 + 23 + 3) block convs + 1 fc = 101.
    """
    weighted = [
        r for r in records
        if r.category in (Category.CONV.value, Category.LINEAR.value) and not r.shortcut
    ]
    in_block = [r for r in weighted if r.block]
    first_block = next((i for i, r in enumerate(weighted) if r.block), len(weighted))
    stem = first_block
    head = len(weighted) - stem - len(in_block)
    per_block: dict[str, int] = {}
    for r in in_block:
        per_block[r.block] = per_block.get(r.block, 0) + 1
    stage_blocks: dict[str, list[int]] = {}
    for b in blocks:
        stage_blocks.setdefault(b.stage, []).append(per_block.get(b.name, 0))
    counts = [len(v) for v in stage_blocks.values()]
    convs = sorted({c for v in stage_blocks.values() for c in v})
    total = len(weighted)
    stem_text = f"{stem} conv" + ("s" if stem != 1 else "")
    head_text = f"{head} fc"
    if not blocks:  # VGG, AlexNet, LeNet-5: count convs and fc layers by category
        head = sum(r.category == Category.LINEAR.value for r in weighted)
        text = f"{total} layers = {total - head} conv + {head} fc"
    elif len(convs) == 1:
        inner = " + ".join(str(n) for n in counts)
        text = f"{total} layers = {stem_text} + {convs[0]} x ({inner}) block convs + {head_text}"
    else:
        parts = " + ".join(f"{sum(v)}" for v in stage_blocks.values())
        text = f"{total} layers = {stem_text} + ({parts}) block convs + {head_text}"
    return LayerCount(
        total=total,
        stem=stem,
        stage_blocks=counts,
        convs_per_block=[v[0] if v else 0 for v in stage_blocks.values()],
        head=head,
        text=text,
    )
