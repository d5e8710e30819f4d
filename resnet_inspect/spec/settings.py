"""Every architecture setting, declared once.

A `Setting` is one thing a user can set about a network: `--groups 32` on the command line,
`groups = 32` in a config file, `groups=32` to `build()`. From this one table come the
command-line flags and their help (cli/options.py), the config file's keys and how each
value is checked (config.py), the ranges (`check_setting`), and which ArchSpec field a
setting overrides (merge.py). Adding a setting is one entry here, plus the ArchSpec field
when it is one, plus whatever the builder does with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import BlockKind, ShortcutKind, StemKind, StrideOn, inner_width
from resnet_inspect.spec.limits import (
    MAX_BLOCKS_PER_STAGE,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_STAGES,
    check_list,
    check_range,
)
from resnet_inspect.spec.numbers import member_named, read_list, read_shape

MODEL_PANEL = "Architecture"


# --- value checks of a config file's values (raise TypeError/ValueError when wrong) ---------
def _int(value: Any) -> int:
    # bool is an int subclass in Python; `groups = true` is a mistake, not 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    if value <= 0:
        raise ValueError
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _str(value: Any) -> str:
    # a name is shown in tables and titles and names the report's file: a newline or an
    # ANSI escape in it would reach the terminal or the file name
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise TypeError
    return value.strip()


def _syntax(read: Callable[[str], tuple[int, ...]], text: str) -> tuple[int, ...]:
    """`text` read by spec/numbers.py's parser for its kind of input, the command line's
    rule ('3,,4', '3 4', '6_4' and '３' are refused, not read as something else); its
    message becomes config.py's, which names the key, the file's line and what it takes."""
    try:
        return read(text)
    except InspectError:
        raise TypeError from None


def _int_list(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):  # "3,4,6,3", as on the command line
        value = _syntax(lambda text: read_list(text, "--layers", "3,4,6,3"), value)
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_STAGES:
        raise TypeError
    return tuple(_int(v) for v in value)


def _input(value: Any) -> tuple[int, int, int]:
    """"3x32x32", [3, 32, 32] or 32 (3 channels, square), as --input takes it."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [3, value, value]
    elif isinstance(value, str):
        value = _syntax(read_shape, value)
        if len(value) == 1:
            value = [3, value[0], value[0]]
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise TypeError
    c, h, w = (_int(v) for v in value)
    return (c, h, w)


def _enum(cls: type[Enum]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError
        member = member_named(cls, value)
        if member is None:
            raise ValueError
        return member

    return check


def _choices(cls: type[Enum]) -> str:
    return "one of " + ", ".join(f'"{m.value}"' for m in cls)


_POSITIVE = "a positive integer"
_SWITCH = "true or false"


@dataclass(frozen=True)
class Setting:
    """One architecture setting and everything each front end needs to know about it."""

    name: str  # Python name: ModelOptions attribute, settings key, ArchSpec field
    kind: Any  # its type on the command line (typer reads it); None: not a flag
    help: str = ""  # --help text ("[default: ...]" where the default is not the flag's)
    accepts: str = ""  # what a config file's value must be, for messages
    parse: Callable[[Any], Any] | None = None  # a config value -> the setting; None: no key
    spec_field: bool = False  # overrides the ArchSpec field of the same name
    structural: bool = False  # changes the network's structure (a changed preset gets a '*')
    classic: bool = False  # also applies to LeNet-5, AlexNet and VGG
    limit: int | None = None  # highest value (the lowest is 1)
    example: str = ""  # a valid value, for messages
    option: str = ""  # the flag when it is not --name-with-dashes
    short: str | None = None
    default: Any = None
    panel: str = MODEL_PANEL

    @property
    def flag(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        """Its key in a config file: the flag's name."""
        return self.name.replace("_", "-")


def _enum_setting(name: str, cls: type[Enum], help: str, structural: bool = True) -> Setting:
    return Setting(name, cls | None, help, _choices(cls), _enum(cls), spec_field=True,
                   structural=structural)


class Device(str, Enum):
    """Where a trace runs (--device); trace/device.py resolves 'auto'."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    META = "meta"


class Optimizer(str, Enum):
    """The optimizer whose state a training step counts (--optimizer)."""

    SGD = "sgd"
    MOMENTUM = "momentum"
    ADAM = "adam"
    ADAMW = "adamw"

    @property
    def states(self) -> int:
        """Buffers it keeps per parameter: plain SGD none, momentum 1, Adam and AdamW 2."""
        return {"sgd": 0, "momentum": 1}.get(self.value, 2)


def _int_setting(name: str, help: str, limit: int, example: str, **more: Any) -> Setting:
    return Setting(name, int | None, help, _POSITIVE, _int, spec_field=True, limit=limit,
                   example=example, **more)


# In the order of --help; config keys in the same order (config-only ones where they fit).
SETTINGS: tuple[Setting, ...] = (
    Setting("arch", None, accepts='a preset name, e.g. "resnet50"', parse=_str, classic=True),
    Setting("depth", int | None, "Depth of a standard ImageNet ResNet: 18, 34, 50, 101 or 152 "
            "(every preset: resnet-inspect list).", "an ImageNet depth: 18, 34, 50, 101 or 152",
            _int, short="-d"),
    _enum_setting("block", BlockKind, "Block type of a custom network (or to swap a preset's)."),
    Setting("layers", str | None, "Blocks per stage, e.g. 3,4,6,3.",
            f"a list of at most {MAX_STAGES} positive integers, e.g. [3, 4, 6, 3]", _int_list,
            limit=MAX_BLOCKS_PER_STAGE, example="3,4,6,3"),
    Setting("widths", str | None, "Inner width per stage "
            "[default: 64,128,256,512; 16,32,64 with --stem cifar].",
            f"a list of at most {MAX_STAGES} positive integers, e.g. [64, 128, 256, 512]",
            _int_list, limit=MAX_CHANNELS, example="64,128,256,512"),
    _int_setting("groups", "Groups of the bottleneck's 3x3 conv (ResNeXt: 32).", MAX_CHANNELS,
                 "--groups 32", structural=True),
    _int_setting("width_per_group", "Channels per group (ResNet: 64, ResNeXt 32x4d: 4).",
                 MAX_CHANNELS, "--width-per-group 4", structural=True),
    _enum_setting("stem", StemKind, "Stem: imagenet (7x7 + max pool), cifar (3x3), "
                  "deep (3 x 3x3)."),
    _int_setting("stem_width", "Channels out of the stem [default: 64; 16 for CIFAR].",
                 MAX_CHANNELS, "--stem-width 64", structural=True),
    _enum_setting("shortcut", ShortcutKind, "Shortcut option of the paper: A zero-pad, "
                  "B projection when shapes change, C always."),
    _enum_setting("stride_on", StrideOn, "Bottleneck stride on the 1x1 (paper, v1) or the "
                  "3x3 (torchvision, v1.5)."),
    Setting("avg_down", bool, "Average-pool before a strided projection (ResNet-D).", _SWITCH,
            _bool, spec_field=True, structural=True, default=False),
    _int_setting("num_classes", "Classifier outputs [default: 1000; 10 for CIFAR].",
                 MAX_CLASSES, "--num-classes 1000", classic=True),
    Setting("plain", bool, "Remove every shortcut: the paper's plain baseline.", _SWITCH, _bool,
            spec_field=True, classic=True, default=False),
    Setting("input", None, accepts='a shape CxHxW, e.g. "3x32x32" or [3, 32, 32]',
            parse=_input, classic=True),
    Setting("name", None, accepts="a non-empty string without control characters",
            parse=_str, classic=True),
    Setting("description", None, accepts="a string without control characters", parse=_str,
            classic=True),
    Setting("config", Path | None, "Architecture file (.toml, .yaml, .json) whose keys are "
            "these flags' names; flags override it."),
    Setting("user_model", str | None, "Your own network: FILE.py:CALLABLE or MODULE:CALLABLE, "
            "a function or class returning an nn.Module (or an nn.Module). This imports and "
            "runs your code.", option="--model", panel="Your model"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
FLAGS: tuple[Setting, ...] = tuple(s for s in SETTINGS if s.kind is not None)
CONFIG_KEYS: dict[str, Setting] = {s.key: s for s in SETTINGS if s.parse is not None}
SPEC_FIELDS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.spec_field)


def check_setting(name: str, value: Any) -> None:
    """A setting's value (flag or config file) against its range."""
    setting = BY_NAME.get(name)
    if setting is None or setting.limit is None or value is None:
        return
    if isinstance(value, tuple):  # --layers, --widths
        check_list(value, setting.flag, setting.limit, setting.example)
    else:
        check_range(value, 1, setting.limit, setting.flag, setting.example)


def check_spec(spec: Any) -> None:
    """A built spec's derived sizes: the default widths double per stage, so a network
    with many stages can exceed MAX_CHANNELS without any flag saying so."""
    for s in SETTINGS:
        if s.spec_field and s.limit is not None and hasattr(spec, s.name):
            check_setting(s.name, getattr(spec, s.name))
    stages = getattr(spec, "stages", None)
    if not stages:
        return
    if len(stages) > MAX_STAGES:
        raise InspectError(f"{len(stages)} stages is above the limit of {MAX_STAGES}; "
                           "give fewer --layers")
    for i, st in enumerate(stages, start=1):
        check_range(st.blocks, 1, MAX_BLOCKS_PER_STAGE, f"stage {i}'s block count",
                    "--layers 3,4,6,3")
        channels = max(st.width * spec.block.expansion, inner_width(spec, st))
        if channels > MAX_CHANNELS:
            raise InspectError(
                f"stage {i} would have {channels:,} channels, above the limit of "
                f"{MAX_CHANNELS:,}; give --widths with one width per stage, e.g. "
                "--widths 64,128,256,512"
            )
