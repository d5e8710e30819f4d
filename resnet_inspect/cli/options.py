"""Options shared by every command, declared once.

`@model_options` appends the architecture flags (--depth, --block, --layers, ...) to a
command's signature and hands the command one `ModelOptions` object instead, so summary,
compare and diagram accept the same flags without repeating them. `@run_options` does the
same for --input, --batch and --device. Input parsing lives here too (`parse_input`).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum
from typing import Annotated, Any

import typer

from resnet_inspect.errors import InspectError
from resnet_inspect.spec import ArchSpec, BlockKind, ShortcutKind, StemKind, StrideOn

MODEL_PANEL = "Architecture"
RUN_PANEL = "Input and device"


class Device(str, Enum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    META = "meta"


def parse_int_list(text: str | None, flag: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v != "")
    except ValueError:
        raise InspectError(
            f"{flag} {text!r}: expected comma-separated integers, e.g. {flag} 3,4,6,3"
        ) from None
    if not values:
        raise InspectError(f"{flag} is empty; give comma-separated integers, e.g. {flag} 3,4,6,3")
    bad = [v for v in values if v <= 0]
    if bad:
        raise InspectError(f"{flag} {text}: counts must be positive, got {bad[0]}")
    return values


def parse_input(text: str) -> tuple[int, int, int]:
    """'3x224x224' -> (3, 224, 224); also accepts '224' (3 channels, square)."""
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise InspectError(
            f"--input {text!r} is not a shape; use CxHxW, e.g. --input 3x224x224"
        ) from None
    if len(dims) == 1:
        dims = (3, dims[0], dims[0])
    if len(dims) != 3:
        raise InspectError(
            f"--input {text!r} has {len(dims)} dimensions; use CxHxW, e.g. --input 3x224x224"
        )
    if any(d < 1 for d in dims):
        raise InspectError(
            f"--input {text}: every dimension must be at least 1; use CxHxW, e.g. 3x224x224"
        )
    return dims  # type: ignore[return-value]


@dataclass
class ModelOptions:
    depth: int | None = None
    block: BlockKind | None = None
    layers: str | None = None
    widths: str | None = None
    groups: int | None = None
    width_per_group: int | None = None
    stem: StemKind | None = None
    shortcut: ShortcutKind | None = None
    stride_on: StrideOn | None = None
    num_classes: int | None = None
    plain: bool = False

    def overrides(self) -> dict[str, Any]:
        """Flags that change a spec, as ArchSpec field names (unset flags are absent)."""
        out: dict[str, Any] = {}
        for name in ("groups", "width_per_group", "stem", "shortcut", "stride_on", "num_classes"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.plain:
            out["plain"] = True
        return out

    @property
    def custom(self) -> bool:
        return self.block is not None or self.layers is not None or self.widths is not None

    def spec(self, arch: str | None = None, required: bool = True) -> ArchSpec | None:
        """The architecture these flags describe, starting from `arch` when given."""
        from resnet_inspect.presets import get_spec, spec_for_depth
        from resnet_inspect.spec import StageSpec, imagenet_stages

        if arch is not None and self.depth is not None:
            raise InspectError(
                f"both a name ({arch}) and --depth {self.depth} were given; use one of them"
            )
        if arch is not None:
            base: ArchSpec | None = get_spec(arch)
        elif self.depth is not None:
            base = spec_for_depth(self.depth)
        else:
            base = None
        layers = parse_int_list(self.layers, "--layers")
        widths = parse_int_list(self.widths, "--widths")
        if base is None:
            if not self.custom:
                if not required:
                    return None
                raise InspectError(
                    "no architecture given; name one (resnet-inspect summary resnet50), "
                    "give --depth 50, or describe one with --block bottleneck --layers 3,4,6,3"
                )
            if self.block is None or layers is None:
                missing = "--block" if self.block is None else "--layers"
                raise InspectError(
                    f"a custom network needs {missing} too, e.g. --block bottleneck --layers 3,4,6,3"
                )
            default_widths = tuple(64 * 2**i for i in range(len(layers)))
            stages = imagenet_stages(layers, widths or default_widths)
            changes = self.overrides()
            return ArchSpec(
                name="custom",
                block=self.block,
                stages=stages,
                description=f"custom {self.block.value} network, layers {','.join(map(str, layers))}",
                **changes,
            )
        changes = self.overrides()
        if self.block is not None:
            changes["block"] = self.block
        if layers is not None or widths is not None:
            old = base.stages
            layers = layers or tuple(s.blocks for s in old)
            widths = widths or tuple(s.width for s in old)
            if len(layers) != len(widths):
                raise InspectError(
                    f"--layers has {len(layers)} stages but the widths have {len(widths)}; "
                    "give --widths with one width per stage"
                )
            strides = [s.stride for s in old] + [2] * max(0, len(layers) - len(old))
            changes["stages"] = tuple(
                StageSpec(n, w, strides[i]) for i, (n, w) in enumerate(zip(layers, widths))
            )
        if not changes:
            return base
        shown = " ".join(
            f"--{k.replace('_', '-')} {getattr(v, 'value', v)}" for k, v in changes.items()
            if k != "stages"
        )
        name = base.name + ("*" if "stages" in changes or "block" in changes else "")
        return base.with_changes(
            name=name,
            description=f"{base.description} with {shown}".strip() if shown else base.description,
            **changes,
        )


_MODEL_PARAMS: list[tuple[str, Any, Any]] = [
    ("depth", Annotated[int | None, typer.Option("--depth", "-d", help="Depth of a standard ImageNet ResNet: 18, 34, 50, 101 or 152.", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("block", Annotated[BlockKind | None, typer.Option("--block", help="Block type of a custom network (or to swap a preset's).", rich_help_panel=MODEL_PANEL, show_default=False, case_sensitive=False)], None),
    ("layers", Annotated[str | None, typer.Option("--layers", help="Blocks per stage, e.g. 3,4,6,3.", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("widths", Annotated[str | None, typer.Option("--widths", help="Inner width per stage [default: 64,128,256,512].", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("groups", Annotated[int | None, typer.Option("--groups", help="Groups of the bottleneck's 3x3 conv (ResNeXt: 32).", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("width_per_group", Annotated[int | None, typer.Option("--width-per-group", help="Channels per group (ResNet: 64, ResNeXt 32x4d: 4).", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("stem", Annotated[StemKind | None, typer.Option("--stem", help="Stem: imagenet (7x7 + max pool), cifar (3x3), deep (3 x 3x3).", rich_help_panel=MODEL_PANEL, show_default=False, case_sensitive=False)], None),
    ("shortcut", Annotated[ShortcutKind | None, typer.Option("--shortcut", help="Shortcut option of the paper: A zero-pad, B projection when shapes change, C always.", rich_help_panel=MODEL_PANEL, show_default=False, case_sensitive=False)], None),
    ("stride_on", Annotated[StrideOn | None, typer.Option("--stride-on", help="Bottleneck stride on the 1x1 (paper, v1) or the 3x3 (torchvision, v1.5).", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("num_classes", Annotated[int | None, typer.Option("--num-classes", help="Classifier outputs [default: 1000].", rich_help_panel=MODEL_PANEL, show_default=False)], None),
    ("plain", Annotated[bool, typer.Option("--plain", help="Remove every shortcut: the paper's plain baseline.", rich_help_panel=MODEL_PANEL)], False),
]

_RUN_PARAMS: list[tuple[str, Any, Any]] = [
    ("input", Annotated[str | None, typer.Option("--input", "-i", help="Input CxHxW [default: the network's own, 3x224x224 for ImageNet].", rich_help_panel=RUN_PANEL, show_default=False)], None),
    ("batch", Annotated[int, typer.Option("--batch", "-b", help="Batch size.", rich_help_panel=RUN_PANEL)], 1),
    ("device", Annotated[Device, typer.Option("--device", help="auto = CUDA when available, else CPU; meta = shapes and counts only, no memory.", rich_help_panel=RUN_PANEL, case_sensitive=False)], Device.AUTO),
]


@dataclass
class RunOptions:
    input: str | None = None
    batch: int = 1
    device: Device = Device.AUTO

    def input_shape(self, spec: ArchSpec | None) -> tuple[int, int, int]:
        if self.input is not None:
            return parse_input(self.input)
        return spec.input_shape if spec is not None else (3, 224, 224)

    def validate(self) -> None:
        if self.batch < 1:
            raise InspectError(f"--batch {self.batch}: the batch size must be at least 1, e.g. --batch 8")
        if self.input is not None:
            parse_input(self.input)


def _extend(
    fn: Callable[..., Any], params: list[tuple[str, Any, Any]], key: str, factory: type
) -> Callable[..., Any]:
    names = [p[0] for p in params]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {n: kwargs.pop(n) for n in names if n in kwargs}
        kwargs[key] = factory(**values)
        return fn(*args, **kwargs)

    # Resolve the command's own annotations in its module (they may be strings), so typer
    # can read the combined signature from here.
    hints = typing.get_type_hints(fn, include_extras=True)
    sig = inspect.signature(fn)
    kept = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
        if p.name != key
    ]
    added = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
        for n, a, d in params
    ]
    wrapper.__signature__ = sig.replace(parameters=kept + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{k: v for k, v in hints.items() if k != key},
        **{n: a for n, a, _ in params},
    }
    del wrapper.__wrapped__  # typer must read the new signature, not the original's
    return wrapper


def model_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the architecture flags; it receives `model: ModelOptions`."""
    assert {f.name for f in fields(ModelOptions)} == {p[0] for p in _MODEL_PARAMS}
    return _extend(fn, _MODEL_PARAMS, "model", ModelOptions)


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command --input, --batch and --device; it receives `run: RunOptions`."""
    return _extend(fn, _RUN_PARAMS, "run", RunOptions)
