"""One forward pass with module hooks -> Report.

Works on any nn.Module; torchvision-style names (conv1, layer3.5.conv2, downsample, fc)
additionally get the paper's stage names and block records. The model is left as found:
hooks removed, train/eval mode and device restored.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import torch
from torch import nn

from resnet_inspect.counting import HEADLINE_CATEGORIES, Category, Headline, OpCount, formula_for
from resnet_inspect.errors import InspectError
from resnet_inspect.meta_shapes import MetaShapes
from resnet_inspect.report import BlockRecord, LayerCount, LayerRecord, Memory, Report, Totals

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
    dtype: torch.dtype = torch.float32,
    name: str | None = None,
) -> Report:
    """Trace one forward pass of `model` on a zero input and return its Report.

    `device="auto"` traces on meta: shapes and counts do not depend on the device, and meta
    computes nothing, so ResNet-152 at any input size takes a few tens of milliseconds.
    Should a model not run on meta (an op without a meta kernel), auto falls back to CUDA or
    CPU. The report's `device` says where the trace actually ran. The model is left as
    found: its own tensors, device, dtype and train/eval flags.
    """
    validate_input(input_shape, batch)
    headline = Headline(headline)
    target = resolve_device(device)
    shape = [int(d) for d in input_shape]
    with paused_gc():
        if target.type == "meta":
            try:
                return _trace_meta(model, shape, batch, headline, dtype, name)
            except _MetaUnsupported as err:
                if str(device).lower() != "auto":
                    raise InspectError(
                        f"this model does not run on the meta device ({err}); "
                        "use --device cpu or cuda"
                    ) from None
                target = resolve_device(device, measure=True)
        return _trace_on(model, shape, batch, target, headline, dtype, name)


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
    dtype: torch.dtype,
    name: str | None,
) -> Report:
    """Trace on a real device: the model is moved (and cast) there and back afterwards."""
    original = _model_device(model)
    if original is not None and original.type == "meta":
        raise InspectError(
            f"the model lives on the meta device and has no weights to run on {target}; "
            "use --device meta, or build it on a real device"
        )
    original_dtype = next((p.dtype for p in model.parameters()), torch.float32)
    moved = original is not None and original != target
    cast = dtype != original_dtype
    if moved or cast:
        model.to(device=target, dtype=dtype)
    try:
        with _eval_mode(model):
            return _trace(model, input_shape, batch, target, headline, dtype, name)
    finally:
        if moved or cast:
            model.to(device=original or target, dtype=original_dtype)


@contextmanager
def _meta_stand_ins(model: nn.Module, dtype: torch.dtype) -> Iterator[None]:
    """Swap every parameter and buffer for an empty meta tensor of the traced dtype, and
    put the real ones back afterwards.

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
        want = dtype if t.is_floating_point() else t.dtype
        key = (t.shape, want, param, t.requires_grad)
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
    dtype: torch.dtype,
    name: str | None,
) -> Report:
    """Trace on meta without copying the model or touching its data."""
    needs_swap = any(
        t.device.type != "meta" or (t.is_floating_point() and t.dtype != dtype)
        for t in (*model.parameters(), *model.buffers())
    )
    with _eval_mode(model):
        if not needs_swap:
            return _trace(model, input_shape, batch, _META, headline, dtype, name)
        # Sizes come from the real tensors (same numbers, and the report's byte counts
        # use the traced dtype either way).
        sizes = _tensor_sizes(model, dtype)
        with _meta_stand_ins(model, dtype):
            return _trace(model, input_shape, batch, _META, headline, dtype, name, sizes)


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
    own: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # id(module) -> p, t, b


def _tensor_sizes(model: nn.Module, dtype: torch.dtype) -> _Sizes:
    """One walk over the modules: the model's totals and each module's own counts."""
    elem = torch.empty((), dtype=dtype).element_size()
    sizes = _Sizes()
    seen: set[int] = set()
    for m in model.modules():
        p_own = t_own = b_own = 0
        for p in m._parameters.values():
            if p is None:
                continue
            n = p.numel()
            p_own += n
            t_own += n if p.requires_grad else 0
            if id(p) not in seen:
                seen.add(id(p))
                sizes.params += n
                sizes.trainable += n if p.requires_grad else 0
                sizes.param_bytes += n * (elem if p.is_floating_point() else p.element_size())
        for name, b in m._buffers.items():
            if b is None:
                continue
            n = b.numel()
            b_own += n
            if id(b) not in seen:
                seen.add(id(b))
                sizes.buffers += n
                sizes.buffer_bytes += n * (elem if b.is_floating_point() else b.element_size())
                if isinstance(m, _BATCH_NORM) and name in ("running_mean", "running_var"):
                    sizes.running_stats += n
        sizes.own[id(m)] = (p_own, t_own, b_own)
    return sizes


_BATCH_NORM = nn.modules.batchnorm._BatchNorm


def _trace(
    model: nn.Module,
    input_shape: list[int],
    batch: int,
    device: torch.device,
    headline: Headline,
    dtype: torch.dtype,
    name: str | None,
    sizes: _Sizes | None = None,
) -> Report:
    elem = torch.empty((), dtype=dtype).element_size()
    sizes = sizes or _tensor_sizes(model, dtype)
    records: list[LayerRecord] = []
    block_shapes: dict[str, tuple[list[int], list[int]]] = {}
    counted: set[int] = set()  # modules whose parameters already appear on a row
    handles = []
    shape_text = "x".join(map(str, input_shape))

    def leaf_hook(mod_name: str, m: nn.Module) -> Callable[..., None]:
        # Everything that does not depend on the call is worked out once, here, not per call.
        type_name = type(m).__name__
        stage, block = paper_stage(mod_name), block_of(mod_name)
        kernel, stride, groups = _kernel(m)
        params, trainable, buffers = sizes.own.get(id(m), (0, 0, 0))
        shortcut = bool(_SHORTCUT_PARTS & set(mod_name.split(".")))
        depth = mod_name.count(".")
        fn = formula_for(m)

        def hook(mod: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            in_shapes = [list(a.shape) for a in args if isinstance(a, torch.Tensor)]
            out_shape = _shape(out)
            if out_shape and 0 in out_shape:
                raise InspectError(
                    f"the input {shape_text} is too small: the output of "
                    f"{mod_name} ({type_name}) has size {out_shape}; use a larger --input"
                )
            op = fn(mod, in_shapes, out_shape) if fn is not None else _UNSUPPORTED
            first = id(mod) not in counted
            counted.add(id(mod))
            if progress is not None and len(records) % 64 == 0:
                progress(len(records), leaves)
            records.append(
                LayerRecord(
                    name=mod_name,
                    type=type_name,
                    stage=stage,
                    block=block,
                    category=op.category.value,
                    input_shape=in_shapes[0] if in_shapes else [],
                    output_shape=out_shape,
                    kernel=kernel,
                    stride=stride,
                    groups=groups,
                    params=params if first else 0,
                    trainable_params=trainable if first else 0,
                    buffers=buffers if first else 0,
                    macs=op.macs,
                    flops=op.flops,
                    output_bytes=batch_numel(out_shape) * elem if out_shape else 0,
                    shortcut=shortcut,
                    depth=depth,
                )
            )

        return hook

    def block_hook(mod_name: str) -> Callable[..., None]:
        def hook(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            block_shapes[mod_name] = (_shape(args[0]) if args else [], _shape(out))

        return hook

    progress = _PROGRESS.get()
    leaves = 0
    block_modules: dict[str, nn.Module] = {}
    for mod_name, m in model.named_modules():
        if not mod_name:
            continue
        if block_of(mod_name + ".x") == mod_name and m._modules:  # a leaf is no block
            block_modules[mod_name] = m
            handles.append(m.register_forward_hook(block_hook(mod_name)))
        if not m._modules:
            leaves += 1
            handles.append(m.register_forward_hook(leaf_hook(mod_name, m)))

    x = torch.zeros((batch, *input_shape), dtype=dtype, device=device)
    try:
        with torch.no_grad():
            if device.type == "meta":
                with MetaShapes():
                    model(x)
            else:
                model(x)
    except (RuntimeError, NotImplementedError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if device.type == "meta" and _no_meta_kernel(err):
            raise _MetaUnsupported(detail) from err
        if not isinstance(err, RuntimeError):
            raise
        where = _failing_module(err, model)
        raise InspectError(
            f"the input {'x'.join(map(str, [batch, *input_shape]))} does not fit {where}: "
            f"{detail}; check --input (CxHxW, e.g. 3x224x224)"
        ) from None
    finally:
        for h in handles:
            h.remove()

    blocks = _block_records(block_modules, block_shapes)
    spec = getattr(model, "spec", None)
    report_name = name or (spec.name if spec is not None else type(model).__name__)
    return Report(
        model=report_name,
        description=getattr(spec, "description", "") if spec is not None else "",
        input_shape=[batch, *input_shape],
        device=str(device),
        dtype=str(dtype).replace("torch.", ""),
        layers=records,
        blocks=blocks,
        totals=_totals(sizes, records, headline),
        memory=_memory(sizes, records, batch, input_shape, elem),
        layer_count=layer_count(records, blocks),
        unsupported=sorted({r.type for r in records if r.category == Category.UNSUPPORTED.value}),
        spec=_enum_values(asdict(spec)) if spec is not None else None,
    )


_UNSUPPORTED = OpCount(Category.UNSUPPORTED)


def _failing_module(err: BaseException, model: nn.Module) -> str:
    """The innermost module whose forward was running when `err` was raised.

    Read from the traceback's frames (each forward's `self`), so that finding it costs
    nothing while the forward succeeds: no pre-hook on every module.
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
    # Totals come from every tensor once (_tensor_sizes deduplicates shared weights), not
    # from the rows, so a module called twice is not counted twice.
    by_cat: dict[str, dict[str, int]] = {}
    for r in records:
        c = by_cat.setdefault(r.category, {"macs": 0, "flops": 0})
        c["macs"] += r.macs
        c["flops"] += r.flops
    cats = [c.value for c in HEADLINE_CATEGORIES[headline]]
    macs = sum(by_cat.get(c, {}).get("macs", 0) for c in cats)
    flops = sum(by_cat.get(c, {}).get("flops", 0) for c in cats)
    return Totals(
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
