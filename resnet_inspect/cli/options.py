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
from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.errors import InspectError
from resnet_inspect.render.output import output_callback
from resnet_inspect.spec.arch import AnySpec, BlockKind, ShortcutKind, StemKind, StrideOn

MODEL_PANEL = "Architecture"
RUN_PANEL = "Input and device"


class Device(str, Enum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    META = "meta"


def parse_int_list(text: str | None, flag: str) -> tuple[int, ...] | None:
    """'3,4,6,3' -> (3, 4, 6, 3); every entry must be there ('3,,4' is a typo, not 3,4)."""
    if text is None:
        return None
    from resnet_inspect.spec.limits import MAX_STAGES, check_list

    example = "3,4,6,3" if flag == "--layers" else "64,128,256,512"
    parts = text.replace(" ", "").split(",")
    if parts == [""]:
        raise InspectError(f"{flag} is empty; give comma-separated integers, e.g. {flag} "
                           f"{example}")
    if len(parts) > MAX_STAGES:
        raise InspectError(f"{flag} has {len(parts):,} entries, above the limit of "
                           f"{MAX_STAGES} stages; e.g. {flag} {example}")
    if "" in parts:
        raise InspectError(f"{flag} {text!r} has an empty entry; give one integer per stage, "
                           f"e.g. {flag} {example}")
    try:
        values = tuple(int(v) for v in parts)
    except ValueError:
        raise InspectError(
            f"{flag} {text!r}: expected comma-separated integers, e.g. {flag} {example}"
        ) from None
    bad = [v for v in values if v <= 0]
    if bad:
        raise InspectError(f"{flag} {text}: counts must be positive, got {bad[0]}")
    from resnet_inspect.spec.limits import MAX_BLOCKS_PER_STAGE, MAX_CHANNELS

    check_list(values, flag, MAX_BLOCKS_PER_STAGE if flag == "--layers" else MAX_CHANNELS,
               example)
    return values


def parse_input(text: str, any_rank: bool = False, batch: int = 1) -> tuple[int, ...]:
    """'3x224x224' -> (3, 224, 224); also accepts '224' (3 channels, square). With
    `any_rank` (a user's model), any number of dimensions: '10x64' for a sequence.
    Every dimension and the element count are checked against limits.py."""
    from resnet_inspect.spec.limits import check_input

    if len(text) > 100:
        raise InspectError(f"--input {text[:20]!r}... is not a shape; use CxHxW, "
                           "e.g. --input 3x224x224")
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    try:
        # int() also takes '٣' and '1_000'; a shape is ASCII digits
        if not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
            raise ValueError
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise InspectError(
            f"--input {text!r} is not a shape; use CxHxW, e.g. --input 3x224x224"
        ) from None
    if any_rank:
        pass
    elif len(dims) == 1:
        dims = (3, dims[0], dims[0])
    if len(dims) != 3 and not any_rank:
        raise InspectError(
            f"--input {text!r} has {len(dims)} dimensions; use CxHxW, e.g. --input 3x224x224"
        )
    if any(d < 1 for d in dims):
        raise InspectError(
            f"--input {text}: every dimension must be at least 1; use CxHxW, e.g. 3x224x224"
        )
    check_input(dims, batch)
    return dims


@dataclass
class ModelOptions:
    depth: int | None = None
    block: BlockKind | None = None
    layers: str | None = None
    widths: str | None = None
    groups: int | None = None
    width_per_group: int | None = None
    stem: StemKind | None = None
    stem_width: int | None = None
    shortcut: ShortcutKind | None = None
    stride_on: StrideOn | None = None
    avg_down: bool = False
    num_classes: int | None = None
    plain: bool = False
    config: Path | None = None
    user_model: str | None = None

    def user_module(self) -> tuple[Any, str] | None:
        """The user's own network from --model, and its name; None without --model.
        Architecture flags describe our networks and cannot change theirs."""
        if self.user_model is None:
            return None
        given = [f"--{f.name.replace('_', '-')}" for f in fields(self)
                 if f.name != "user_model" and getattr(self, f.name) not in (None, False)]
        if given:
            raise InspectError(f"--model takes the network as it is; {given[0]} only applies "
                               "to resnet-inspect's own networks (leave it out)")
        from resnet_inspect.models.user import load_model

        return load_model(self.user_model)

    def overrides(self) -> dict[str, Any]:
        """Flags that change a spec, as ArchSpec field names (unset flags are absent)."""
        out: dict[str, Any] = {}
        for name in ("groups", "width_per_group", "stem", "stem_width", "shortcut", "stride_on",
                     "num_classes"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.avg_down:
            out["avg_down"] = True
        if self.plain:
            out["plain"] = True
        return out

    @property
    def custom(self) -> bool:
        """Whether the flags describe a network of their own (or a config file does)."""
        return (self.block is not None or self.layers is not None or self.widths is not None
                or self.config is not None)

    def settings(self) -> dict[str, Any]:
        """The config file's settings with the flags given on top (flags win)."""
        from resnet_inspect.spec.config import load_config
        from resnet_inspect.spec.limits import check_setting

        merged: dict[str, Any] = load_config(self.config) if self.config is not None else {}
        flags: dict[str, Any] = {
            "depth": self.depth,
            "block": self.block,
            "layers": parse_int_list(self.layers, "--layers"),
            "widths": parse_int_list(self.widths, "--widths"),
            **self.overrides(),
        }
        for name, value in flags.items():
            check_setting(name, value)
        if self.depth is not None:
            merged.pop("arch", None)  # --depth on the command line beats the file's arch
        merged.update({k: v for k, v in flags.items() if v is not None})
        return merged

    def spec(self, arch: str | None = None, required: bool = True) -> AnySpec | None:
        """The architecture these flags describe, starting from `arch` when given.

        Order of precedence: flags, then the --config file, then the preset (`arch`, or
        the file's `arch`/`depth`). LeNet-5, AlexNet and VGG give a ClassicSpec.
        """
        from resnet_inspect.spec.config import spec_from_settings

        if arch is not None and self.depth is not None:
            raise InspectError(
                f"both a name ({arch}) and --depth {self.depth} were given; use one of them"
            )
        settings = self.settings()
        if (self.config is not None and arch is None
                and not {"arch", "depth", "block", "layers"} & settings.keys()):
            raise InspectError(
                f"{self.config} names no network; add arch = \"resnet50\" (a preset) or "
                "block and layers, e.g. block = \"bottleneck\" and layers = [3, 4, 6, 3]"
            )
        if arch is not None:
            settings.pop("depth", None)  # a name on the command line beats the file's depth
            settings["arch"] = arch
        spec = spec_from_settings(settings, required=required)
        if spec is not None:
            from resnet_inspect.spec.limits import check_spec

            check_spec(spec)
        return spec


def _option(kind: Any, *decls: str, help: str, panel: str = MODEL_PANEL, **extra: Any) -> Any:
    """Annotated[kind, typer.Option(...)]; values shown as [default: ...] in the help are
    written into `help` where the default is not the option's own (None)."""
    if kind is not bool and "show_default" not in extra:
        extra["show_default"] = False
    members = typing.get_args(kind) or (kind,)
    if any(isinstance(m, type) and issubclass(m, Enum) for m in members):
        extra.setdefault("case_sensitive", False)
    # rich reads "[default: ...]" as a markup tag and drops it, unless escaped
    text = help.replace("[", "\\[")
    return Annotated[kind, typer.Option(*decls, help=text, rich_help_panel=panel, **extra)]


_MODEL_PARAMS: list[tuple[str, Any, Any]] = [
    ("depth", _option(int | None, "--depth", "-d", help="Depth of a standard ImageNet ResNet: "
                      "18, 34, 50, 101 or 152 (every preset: resnet-inspect list)."), None),
    ("block", _option(BlockKind | None, "--block",
                      help="Block type of a custom network (or to swap a preset's)."), None),
    ("layers", _option(str | None, "--layers", help="Blocks per stage, e.g. 3,4,6,3."), None),
    ("widths", _option(str | None, "--widths", help="Inner width per stage "
                       "[default: 64,128,256,512; 16,32,64 with --stem cifar]."), None),
    ("groups", _option(int | None, "--groups",
                       help="Groups of the bottleneck's 3x3 conv (ResNeXt: 32)."), None),
    ("width_per_group", _option(int | None, "--width-per-group",
                                help="Channels per group (ResNet: 64, ResNeXt 32x4d: 4)."), None),
    ("stem", _option(StemKind | None, "--stem", help="Stem: imagenet (7x7 + max pool), "
                     "cifar (3x3), deep (3 x 3x3)."), None),
    ("stem_width", _option(int | None, "--stem-width",
                           help="Channels out of the stem [default: 64; 16 for CIFAR]."), None),
    ("shortcut", _option(ShortcutKind | None, "--shortcut", help="Shortcut option of the paper: A "
                         "zero-pad, B projection when shapes change, C always."), None),
    ("stride_on", _option(StrideOn | None, "--stride-on", help="Bottleneck stride on the 1x1 "
                          "(paper, v1) or the 3x3 (torchvision, v1.5)."), None),
    ("avg_down", _option(bool, "--avg-down",
                         help="Average-pool before a strided projection (ResNet-D)."), False),
    ("num_classes", _option(int | None, "--num-classes",
                            help="Classifier outputs [default: 1000; 10 for CIFAR]."), None),
    ("plain", _option(bool, "--plain",
                      help="Remove every shortcut: the paper's plain baseline."), False),
    ("config", _option(Path | None, "--config", help="Architecture file (.toml, .yaml, .json) "
                       "whose keys are these flags' names; flags override it.",
                       dir_okay=False), None),
    ("user_model", _option(str | None, "--model", help="Your own network: FILE.py:CALLABLE or "
                           "MODULE:CALLABLE, a function or class returning an nn.Module (or an "
                           "nn.Module). This imports and runs your code.", panel="Your model"),
     None),
]

_RUN_PARAMS: list[tuple[str, Any, Any]] = [
    ("input", _option(str | None, "--input", "-i", panel=RUN_PANEL, help="Input CxHxW "
                      "[default: the network's own, 3x224x224 for ImageNet]."), None),
    ("batch", _option(int, "--batch", "-b", panel=RUN_PANEL, help="Batch size.",
                      show_default=True), 1),
    ("device", _option(Device, "--device", panel=RUN_PANEL, show_default=True,
                       help="auto = count on meta (same figures on every device, no memory), "
                       "time on CUDA when available, else CPU."), Device.AUTO),
]


# --output, shared by every command that writes a result
OutputPath = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout (written "
                 "whole or not at all; - is stdout; devices and FIFOs are written through).",
                 show_default=False, callback=output_callback),
]


@dataclass
class RunOptions:
    input: str | None = None
    batch: int = 1
    device: Device = Device.AUTO

    def input_shape(self, spec: AnySpec | None, any_rank: bool = False) -> tuple[int, ...]:
        if self.input is not None:
            return parse_input(self.input, any_rank, self.batch)
        shape = spec.input_shape if spec is not None else (3, 224, 224)
        from resnet_inspect.spec.limits import check_input

        check_input(shape, self.batch, what="the input")  # a config file's `input`
        return shape

    def validate(self) -> None:
        """Every run option in range, before any work starts."""
        from resnet_inspect.spec.limits import check_batch

        check_batch(self.batch)
        if self.input is not None:
            parse_input(self.input, any_rank=True, batch=self.batch)


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
