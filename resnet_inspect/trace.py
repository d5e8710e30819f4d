"""One forward pass with module hooks -> Report.

Works on any nn.Module; torchvision-style names (conv1, layer3.5.conv2, downsample, fc)
additionally get the paper's stage names and block records. The model is left as found:
hooks removed, train/eval mode and device restored.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import asdict
from enum import Enum
from typing import Any

import torch
from torch import nn

from resnet_inspect.counting import HEADLINE_CATEGORIES, Category, Headline, count
from resnet_inspect.errors import InspectError
from resnet_inspect.report import BlockRecord, LayerCount, LayerRecord, Memory, Report, Totals

_STAGE = re.compile(r"layer(\d+)$")
_STEM = {"conv1", "bn1", "relu"}
_SHORTCUT_PARTS = {"downsample", "shortcut"}

DEVICES = ("auto", "cpu", "cuda", "meta")


def resolve_device(device: str | torch.device) -> torch.device:
    """'auto' is CUDA when available, else CPU; asking for CUDA without it is an error."""
    name = str(device).lower()
    if name == "auto":
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
    ks = tuple(k) if isinstance(k, Sequence) else (k, k)
    s = getattr(m, "stride", 1)
    stride = s[0] if isinstance(s, Sequence) else (s or 1)
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
    validate_input(input_shape, batch)
    target = resolve_device(device)
    headline = Headline(headline)
    was_training = model.training
    original = _model_device(model)
    if target.type == "meta" and original is not None and original.type != "meta":
        # Weights cannot come back from meta, so a real model is traced as a meta copy.
        work = copy.deepcopy(model).to("meta")
    else:
        work = model
        if original is not None and original != target:
            work.to(target)
    original_dtype = next((p.dtype for p in work.parameters()), torch.float32)
    if dtype != original_dtype:
        work.to(dtype)
    work.eval()
    try:
        return _trace(work, list(input_shape), batch, target, headline, dtype, name)
    finally:
        if work is model:
            if dtype != original_dtype:
                model.to(original_dtype)
            if original is not None and original != target:
                model.to(original)
        model.train(was_training)


def _trace(
    model: nn.Module,
    input_shape: list[int],
    batch: int,
    device: torch.device,
    headline: Headline,
    dtype: torch.dtype,
    name: str | None,
) -> Report:
    elem = torch.empty((), dtype=dtype).element_size()
    records: list[LayerRecord] = []
    block_shapes: dict[str, tuple[list[int], list[int]]] = {}
    counted: set[int] = set()  # modules whose parameters already appear on a row
    current: list[tuple[str, nn.Module]] = []
    handles = []

    def leaf_hook(mod_name: str, depth: int):  # type: ignore[no-untyped-def]
        def hook(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            in_shapes = [list(a.shape) for a in args if isinstance(a, torch.Tensor)]
            out_shape = _shape(out)
            if out_shape and 0 in out_shape:
                raise InspectError(
                    f"the input {'x'.join(map(str, input_shape))} is too small: the output of "
                    f"{mod_name} ({type(m).__name__}) has size {out_shape}; use a larger --input"
                )
            op = count(m, in_shapes, out_shape)
            first = id(m) not in counted
            counted.add(id(m))
            params = sum(p.numel() for p in m.parameters(recurse=False)) if first else 0
            trainable = (
                sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad) if first else 0
            )
            kernel, stride, groups = _kernel(m)
            records.append(
                LayerRecord(
                    name=mod_name,
                    type=type(m).__name__,
                    stage=paper_stage(mod_name),
                    block=block_of(mod_name),
                    category=op.category.value,
                    input_shape=in_shapes[0] if in_shapes else [],
                    output_shape=out_shape,
                    kernel=kernel,
                    stride=stride,
                    groups=groups,
                    params=params,
                    trainable_params=trainable,
                    buffers=sum(b.numel() for b in m.buffers(recurse=False)) if first else 0,
                    macs=op.macs,
                    flops=op.flops,
                    output_bytes=(
                        (batch_numel(out_shape)) * elem if out_shape else 0
                    ),
                    shortcut=bool(_SHORTCUT_PARTS & set(mod_name.split("."))),
                    depth=depth,
                )
            )

        return hook

    def pre_hook(mod_name: str):  # type: ignore[no-untyped-def]
        def hook(m: nn.Module, args: tuple[Any, ...]) -> None:
            current[:] = [(mod_name, m)]

        return hook

    def block_hook(mod_name: str):  # type: ignore[no-untyped-def]
        def hook(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            block_shapes[mod_name] = (_shape(args[0]) if args else [], _shape(out))

        return hook

    block_modules: dict[str, nn.Module] = {}
    for mod_name, m in model.named_modules():
        if not mod_name:
            continue
        if block_of(mod_name + ".x") == mod_name:
            block_modules[mod_name] = m
            handles.append(m.register_forward_hook(block_hook(mod_name)))
        if next(m.children(), None) is None:
            handles.append(m.register_forward_pre_hook(pre_hook(mod_name)))
            handles.append(m.register_forward_hook(leaf_hook(mod_name, mod_name.count("."))))

    x = torch.zeros((batch, *input_shape), dtype=dtype, device=device)
    try:
        with torch.no_grad():
            model(x)
    except RuntimeError as err:
        where = f"{current[0][0]} ({type(current[0][1]).__name__})" if current else "the model"
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
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
        totals=_totals(model, records, headline),
        memory=_memory(model, records, batch, input_shape, elem),
        layer_count=layer_count(records, blocks),
        unsupported=sorted({r.type for r in records if r.category == Category.UNSUPPORTED.value}),
        spec=_enum_values(asdict(spec)) if spec is not None else None,
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
                stride=(in_shape[2] // out_shape[2]) if len(in_shape) > 2 and len(out_shape) > 2 and out_shape[2] else 1,
                input_shape=in_shape,
                output_shape=out_shape,
            )
        )
    return out


def _totals(model: nn.Module, records: list[LayerRecord], headline: Headline) -> Totals:
    # Totals come from the root module: parameters() already deduplicates shared weights.
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for b in model.buffers())
    running = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and m.running_mean is not None
        and m.running_var is not None
    )
    by_cat: dict[str, dict[str, int]] = {}
    for r in records:
        c = by_cat.setdefault(r.category, {"macs": 0, "flops": 0})
        c["macs"] += r.macs
        c["flops"] += r.flops
    cats = [c.value for c in HEADLINE_CATEGORIES[headline]]
    macs = sum(by_cat.get(c, {}).get("macs", 0) for c in cats)
    flops = sum(by_cat.get(c, {}).get("flops", 0) for c in cats)
    return Totals(
        params=params,
        trainable_params=trainable,
        buffers=buffers,
        running_stats=running,
        macs=macs,
        flops=flops,
        headline=headline.value,
        by_category=by_cat,
    )


def _memory(
    model: nn.Module, records: list[LayerRecord], batch: int, input_shape: list[int], elem: int
) -> Memory:
    input_bytes = batch * batch_numel(input_shape) * elem
    activations = sum(r.output_bytes for r in records)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    buffer_bytes = sum(b.numel() * b.element_size() for b in model.buffers())
    return Memory(
        input_bytes=input_bytes,
        activation_bytes=activations,
        forward_backward_bytes=2 * activations,
        param_bytes=param_bytes,
        buffer_bytes=buffer_bytes,
        total_bytes=input_bytes + 2 * activations + param_bytes + buffer_bytes,
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
    if not blocks:
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
