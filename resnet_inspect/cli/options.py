"""Options shared by every command, declared once.

`@model_options` appends the architecture flags (--depth, --block, --layers, ...) to a
command's signature and hands the command one `ModelOptions` object instead, so summary,
compare and diagram accept the same flags without repeating them. `@run_options` does the
same for --input, --batch and --device. Their values are parsed by spec/numbers.py.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from resnet_inspect.errors import InspectError
from resnet_inspect.render.output import output_callback
from resnet_inspect.spec.arch import AnySpec
from resnet_inspect.spec.limits import MAX_BATCH, check_batch, check_input
from resnet_inspect.spec.numbers import parse_input, parse_int, parse_int_list
from resnet_inspect.spec.settings import (
    BY_NAME,
    FLAGS,
    MODEL_PANEL,
    SPEC_FIELDS,
    Device,
    Setting,
    check_setting,
    check_spec,
)

RUN_PANEL = "Input and device"


def int_parser(flag: str, example: str, high: int | None = None) -> Callable[[Any], int]:
    """typer's `parser=` for an integer option: the one rule of spec/numbers.py (ASCII
    digits; '٣', '1_0' and '3 4' refused, naming the character) instead of int()'s."""

    def parse(value: Any) -> int:
        return parse_int(value, flag, example, high=high, check=False)

    parse.__name__ = "integer"
    return parse


class ModelOptions:
    """The architecture flags a command was given (spec/settings.py declares them: one
    attribute per flag, None or False when not given)."""

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - {s.name for s in FLAGS}
        if unknown:
            raise TypeError(f"ModelOptions has no setting {sorted(unknown)[0]!r}")
        self.__dict__["values"] = {s.name: values.get(s.name, s.default) for s in FLAGS}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.values:
            raise AttributeError(f"ModelOptions has no setting {name!r}")
        self.values[name] = value

    def given(self) -> dict[str, Any]:
        """The flags set on the command line, by setting name."""
        return {k: v for k, v in self.values.items() if v is not None and v is not False}

    def replace(self, **values: Any) -> ModelOptions:
        return ModelOptions(**{**self.values, **values})

    def user_module(self) -> tuple[Any, str] | None:
        """The user's own network from --model, and its name; None without --model.
        Architecture flags describe our networks and cannot change theirs."""
        if self.user_model is None:
            return None
        given = [BY_NAME[k].flag for k in self.given() if k != "user_model"]
        if given:
            raise InspectError(f"--model takes the network as it is; {given[0]} only applies "
                               "to resnet-inspect's own networks (leave it out)")
        from resnet_inspect.models.user import load_model

        return load_model(self.user_model)

    def overrides(self) -> dict[str, Any]:
        """Flags that change a spec, as ArchSpec field names (unset flags are absent)."""
        return {k: v for k, v in self.given().items() if k in SPEC_FIELDS and k != "block"}

    @property
    def custom(self) -> bool:
        """Whether the flags describe a network of their own (or a config file does)."""
        return (self.block is not None or self.layers is not None or self.widths is not None
                or self.config is not None)

    def settings(self) -> dict[str, Any]:
        """The config file's settings with the flags given on top (flags win)."""
        from resnet_inspect.spec.config import load_config

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
        from resnet_inspect.spec.merge import spec_from_settings

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


def _flag_param(s: Setting) -> tuple[str, Any, Any]:
    """(name, Annotated type with its typer.Option, default) of one setting's flag."""
    decls = (s.flag, s.short) if s.short else (s.flag,)
    extra: dict[str, Any] = {"dir_okay": False} if s.kind == Path | None else {}
    if s.kind == int | None:
        extra.update(parser=int_parser(s.flag, s.example or f"{s.flag} 50", s.limit),
                     metavar="INTEGER")
    return (s.name, _option(s.kind, *decls, help=s.help, panel=s.panel, **extra), s.default)


_MODEL_PARAMS: list[tuple[str, Any, Any]] = [_flag_param(s) for s in FLAGS]

_RUN_PARAMS: list[tuple[str, Any, Any]] = [
    ("input", _option(str | None, "--input", "-i", panel=RUN_PANEL, help="Input CxHxW "
                      "[default: the network's own, 3x224x224 for ImageNet]."), None),
    ("input_dtype", _option(str | None, "--input-dtype", panel=RUN_PANEL, metavar="DTYPE",
                            help="The input's "
                            "dtype: int64 (long) or int32 for token ids, drawn below the "
                            "smallest embedding's size; bool; float16, bfloat16, float32, "
                            "float64 [default: the model's float dtype]. Not --dtype, which "
                            "casts the model. E.g. --input 128 --input-dtype int64."), None),
    ("batch", _option(int, "--batch", "-b", panel=RUN_PANEL, help="Batch size.",
                      show_default=True, parser=int_parser("--batch", "--batch 8", MAX_BATCH),
                      metavar="INTEGER"), 1),
    ("device", _option(Device, "--device", panel=RUN_PANEL, show_default=True,
                       help="auto = count on meta (same figures on every device, no memory), "
                       "time on CUDA when available, else CPU."), Device.AUTO),
]


# The network's name, the first argument of every command that takes one network
ArchName = Annotated[
    str | None,
    typer.Argument(help="Preset name, e.g. resnet50 (or a depth: 50).", show_default=False),
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
    input_dtype: str | None = None
    batch: int = 1
    device: Device = Device.AUTO

    def input_shape(self, spec: AnySpec | None, any_rank: bool = False) -> tuple[int, ...]:
        if self.input is not None:
            dims = parse_input(self.input, any_rank, self.batch)
            own = spec.input_shape if spec is not None else None
            if own is not None and dims[0] != own[0]:  # the first conv is built for own[0]
                c, rest = own[0], "x".join(map(str, dims[1:]))
                raise InspectError(
                    f"{spec.name} takes {c} input channel{'s' if c != 1 else ''} (its input "  # type: ignore[union-attr]
                    f"is {'x'.join(map(str, own))}), not {dims[0]}; use --input {c}x{rest}")
            return dims
        shape = spec.input_shape if spec is not None else (3, 224, 224)

        check_input(shape, self.batch, what="the input")  # a config file's `input`
        return shape

    def validate(self) -> None:
        """Every run option in range, before any work starts."""
        check_batch(self.batch)
        if self.input_dtype is not None:
            from resnet_inspect.trace.inputs import input_dtype_named

            input_dtype_named(self.input_dtype)
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
    return _extend(fn, _MODEL_PARAMS, "model", ModelOptions)


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command --input, --batch and --device; it receives `run: RunOptions`."""
    return _extend(fn, _RUN_PARAMS, "run", RunOptions)
