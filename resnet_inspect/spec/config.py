"""Architecture config files: .toml, .yaml/.yml or .json whose keys are the flag names.

    # resnet50.toml: a file with only these two keys is ResNet-50
    block = "bottleneck"
    layers = [3, 4, 6, 3]

A file may start from a preset (`arch = "resnet50"`) and override it; flags given on the
command line override the file. Files are data: parsed with tomllib, yaml.safe_load's
loader and json, never executed. Every problem is one InspectError naming the file, the
key, and the line where the format reports one.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec.arch import BlockKind, ShortcutKind, StemKind, StrideOn
from resnet_inspect.spec.limits import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_STAGES, check_setting

FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


@dataclass(frozen=True)
class Key:
    """One accepted key: the ModelOptions field it sets and how its value is checked."""

    field: str
    kind: str  # what the value must be, for messages: "an integer", ...
    check: Callable[[Any], Any]  # raises ValueError/TypeError on a bad value


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
    if not isinstance(value, str) or not value.strip():
        raise TypeError
    return value.strip()


def _int_list(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):  # "3,4,6,3", as on the command line; "3,,4" is a typo
        parts = value.replace(" ", "").split(",")
        if len(parts) > MAX_STAGES or "" in parts:
            raise TypeError
        try:
            value = [int(v) for v in parts]
        except ValueError:
            raise TypeError from None
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_STAGES:
        raise TypeError
    return tuple(_int(v) for v in value)


def _input(value: Any) -> tuple[int, int, int]:
    """"3x32x32", [3, 32, 32] or 32 (3 channels, square), as --input takes it."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [3, value, value]
    elif isinstance(value, str):
        try:
            value = [int(v) for v in value.lower().replace("×", "x").split("x")]
        except ValueError:
            raise TypeError from None
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
        for member in cls:
            if member.value.lower() == value.strip().lower():
                return member
        raise ValueError

    return check


def _choices(cls: type[Enum]) -> str:
    return "one of " + ", ".join(f'"{m.value}"' for m in cls)


KEYS: dict[str, Key] = {
    "arch": Key("arch", "a preset name, e.g. \"resnet50\"", _str),
    "depth": Key("depth", "an ImageNet depth: 18, 34, 50, 101 or 152", _int),
    "block": Key("block", _choices(BlockKind), _enum(BlockKind)),
    "layers": Key("layers", f"a list of at most {MAX_STAGES} positive integers, e.g. "
                  "[3, 4, 6, 3]", _int_list),
    "widths": Key("widths", f"a list of at most {MAX_STAGES} positive integers, e.g. "
                  "[64, 128, 256, 512]", _int_list),
    "groups": Key("groups", "a positive integer", _int),
    "width-per-group": Key("width_per_group", "a positive integer", _int),
    "stem": Key("stem", _choices(StemKind), _enum(StemKind)),
    "stem-width": Key("stem_width", "a positive integer", _int),
    "shortcut": Key("shortcut", _choices(ShortcutKind), _enum(ShortcutKind)),
    "stride-on": Key("stride_on", _choices(StrideOn), _enum(StrideOn)),
    "avg-down": Key("avg_down", "true or false", _bool),
    "num-classes": Key("num_classes", "a positive integer", _int),
    "plain": Key("plain", "true or false", _bool),
    "input": Key("input", "a shape CxHxW, e.g. \"3x32x32\" or [3, 32, 32]", _input),
    "name": Key("name", "a non-empty string", _str),
    "description": Key("description", "a string", _str),
}


def _fail(path: Path, line: int | None, message: str) -> InspectError:
    where = f"{path}, line {line}" if line else str(path)
    return InspectError(f"{where}: {message}")


def _too_deep(path: Path) -> InspectError:
    return _fail(path, None, f"nested more than {MAX_CONFIG_DEPTH} levels deep; keys are "
                 "flat flag names, e.g. layers = [3, 4, 6, 3]")


def _parse(path: Path, text: str, fmt: str) -> tuple[Any, Callable[[str], int | None]]:
    """The file's data and a function giving the line of a top-level key (or None)."""
    if fmt == "toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except RecursionError:
            raise _too_deep(path) from None
        except tomllib.TOMLDecodeError as err:
            # the message ends "(at line 3, column 9)", which already names the line
            raise _fail(path, None, f"not valid TOML: {err}; fix the syntax") from None
        # `key = value`, or a `[key]` table header
        return data, _line_finder(text, r'^\s*(?:\[\s*)?["\']?{key}["\']?\s*[=\]]')
    if fmt == "json":
        try:
            data = json.loads(text)
        except RecursionError:
            raise _too_deep(path) from None
        except json.JSONDecodeError as err:
            raise _fail(path, err.lineno, f"not valid JSON: {err.msg}; fix the syntax") from None
        return data, _line_finder(text, r'"{key}"\s*:')
    import yaml

    try:
        _check_yaml_events(path, text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark is not None else None
        problem = err.problem or "syntax error"
        raise _fail(path, line, f"not valid YAML: {problem}; fix the syntax") from None
    except yaml.YAMLError as err:  # a ReaderError (a NUL byte ...) spans two lines
        text = " ".join(str(err).split())
        raise _fail(path, None, f"not valid YAML: {text}; fix the syntax") from None
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return data, lines.get


def _check_yaml_events(path: Path, text: str) -> None:
    """Refuse aliases and deep nesting while reading the event stream, before anything is
    built: nine nested aliases in 600 bytes expand to gigabytes (the "billion laughs"), and
    PyYAML composes nested nodes recursively. A flat config needs neither."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            raise _fail(path, line, f"YAML alias *{event.anchor} refused: a config is a few "
                        "flat keys, so anchors and aliases are not needed; write the values out")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                raise _fail(path, line, f"nested more than {MAX_CONFIG_DEPTH} levels deep; "
                            "keys are flat flag names, e.g. layers: [3, 4, 6, 3]")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed data, counted no further than limit + 1."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(v, limit - 1) for v in items), default=0)


def _line_finder(text: str, pattern: str) -> Callable[[str], int | None]:
    def find(key: str) -> int | None:
        regex = re.compile(pattern.format(key=re.escape(key)), re.MULTILINE)
        m = regex.search(text)
        return text.count("\n", 0, m.start()) + 1 if m else None

    return find


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a config file into checked values keyed by ModelOptions field name (plus
    `arch`, `input`, `name`, `description`). Raises InspectError for any problem."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InspectError(
            f"{path}: unknown config format {path.suffix or '(no extension)'!r}; "
            "use a .toml, .yaml, .yml or .json file"
        )
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise InspectError(
                f"config file {path} is {size:,} bytes, above the limit of "
                f"{MAX_CONFIG_BYTES:,}; a config holds a few flat keys"
            )
        with path.open("rb") as f:  # read no more than the limit, whatever stat said
            raw = f.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise InspectError(
                f"config file {path} is more than {MAX_CONFIG_BYTES:,} bytes, the limit; "
                "a config holds a few flat keys"
            )
        # utf-8-sig: a byte-order mark (Notepad writes one) is not part of the text;
        # TOML and JSON parsers would otherwise stop at it
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InspectError(
            f"cannot read config file {path}: it is not UTF-8 text; save it as UTF-8"
        ) from None
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise InspectError(f"cannot read config file {path}: {reason}; check the path") from None
    data, line_of = _parse(path, text, fmt)
    if data is None:
        data = {}  # an empty YAML file
    if not isinstance(data, dict):
        raise _fail(path, None, "expected a table of settings (key = value) at the top level")
    if _depth(data, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise _too_deep(path)
    out: dict[str, Any] = {}
    seen: dict[str, str] = {}  # normalised key -> the spelling used first
    for raw_key, value in data.items():
        key = str(raw_key).strip().lower().replace("_", "-")
        if key in seen:
            # num_classes and num-classes are one setting: which should win is not ours
            # to guess
            raise _fail(path, line_of(str(raw_key)),
                        f"{seen[key]!r} and {str(raw_key)!r} are the same setting; keep one")
        seen[key] = str(raw_key)
        entry = KEYS.get(key)
        if isinstance(value, dict):
            raise _fail(path, line_of(str(raw_key)),
                        f"{raw_key!r} is a table; keys are flat flag names, "
                        "e.g. layers = [3, 4, 6, 3]")
        if entry is None:
            known = ", ".join(KEYS)
            raise _fail(
                path, line_of(str(raw_key)),
                f"unknown key {raw_key!r}{did_you_mean(key, KEYS)}; the keys are the flag "
                f"names: {known}",
            )
        try:
            out[entry.field] = entry.check(value)
        except (TypeError, ValueError):
            got = json.dumps(value, default=str)
            if len(got) > 60:
                got = got[:57] + "..."
            raise _fail(
                path, line_of(str(raw_key)), f"{raw_key!r} must be {entry.kind}, got {got}",
            ) from None
        try:
            check_setting(entry.field, out[entry.field])
            if entry.field == "input":
                from resnet_inspect.spec.limits import check_input

                check_input(out["input"], what="input")
        except InspectError as err:
            raise _fail(path, line_of(str(raw_key)), str(err)) from None
    if "arch" in out and "depth" in out:
        raise _fail(path, line_of("depth"), "both 'arch' and 'depth' are set; keep one of them")
    return out


# --- settings -> spec ------------------------------------------------------------------------
# Settings that change an ArchSpec field of the same name when given.
_FIELD_SETTINGS = ("block", "groups", "width_per_group", "stem", "stem_width", "shortcut",
                   "stride_on", "avg_down", "num_classes", "plain")
_CLASSIC_SETTINGS = {"num_classes", "plain", "input", "name", "description", "arch"}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _stem_input(stem: StemKind, channels: int) -> tuple[int, int, int]:
    return (channels, 32, 32) if stem is StemKind.CIFAR else (channels, 224, 224)


def spec_from_settings(settings: dict[str, Any], required: bool = True) -> Any:
    """The spec that flags and/or a config file describe (keys: ModelOptions field names,
    `layers`/`widths` as tuples). A preset (`arch`, or `depth`) is the base and the other
    settings override it; without one, `block` and `layers` make a custom network.

    Returns an ArchSpec, a ClassicSpec (arch = lenet5/alexnet/vgg...), or None when nothing
    is given and `required` is False.
    """
    from resnet_inspect.spec.arch import (
        ArchSpec,
        ClassicSpec,
        StageSpec,
        default_widths,
        imagenet_stages,
    )
    from resnet_inspect.spec.registry import get_spec, spec_for_depth

    s = {k: v for k, v in settings.items() if v is not None and v is not False}
    if "arch" in s and "depth" in s:
        raise InspectError(
            f"both a name ({s['arch']}) and --depth {s['depth']} were given; use one of them"
        )
    base = get_spec(s["arch"]) if "arch" in s else None
    if "depth" in s:
        base = spec_for_depth(s["depth"])
    layers, widths = s.get("layers"), s.get("widths")

    if isinstance(base, ClassicSpec):
        extra = [k for k in s if k not in _CLASSIC_SETTINGS and k != "depth"]
        if extra:
            raise InspectError(
                f"{base.name} is not a residual network, so {_flag(extra[0])} does not apply; "
                "its settings are --num-classes and --input"
            )
        classic: dict[str, Any] = {
            k: s[k] for k in ("num_classes", "name", "description") if k in s
        }
        if "input" in s:
            classic["input_shape"] = s["input"]
        return base.with_changes(**classic) if classic else base

    if base is None:
        if not any(k in s for k in ("block", "layers", "widths")):
            if not required and not s:
                return None
            raise InspectError(
                "no architecture given; name one (resnet-inspect summary resnet50), "
                "give --depth 50, or describe one with --block bottleneck --layers 3,4,6,3"
            )
        if "block" not in s or layers is None:
            missing = "--block" if "block" not in s else "--layers"
            raise InspectError(
                f"a custom network needs {missing} too, e.g. --block bottleneck --layers 3,4,6,3"
            )
        stem = s.get("stem", StemKind.IMAGENET)
        cifar = stem is StemKind.CIFAR
        # A CIFAR stem implies the CIFAR setting (section 4.2): 16 channels, 10 classes.
        spec = ArchSpec(
            name=s.get("name", "custom"),
            block=s["block"],
            stages=imagenet_stages(layers, widths or default_widths(len(layers), stem)),
            stem=stem,
            stem_width=s.get("stem_width", 16 if cifar else 64),
            num_classes=s.get("num_classes", 10 if cifar else 1000),
            input_shape=s.get("input", _stem_input(stem, 3)),
            description=s.get(
                "description",
                f"custom {s['block'].value} network, layers {','.join(map(str, layers))}",
            ),
            **{k: s[k] for k in ("groups", "width_per_group", "shortcut", "stride_on",
                                 "avg_down", "plain") if k in s},
        )
        return spec

    assert isinstance(base, ArchSpec)
    changes: dict[str, Any] = {k: s[k] for k in _FIELD_SETTINGS if k in s}
    # drop settings equal to the base's, so names and descriptions mention real changes
    changes = {k: v for k, v in changes.items() if getattr(base, k) != v}
    if layers is not None or widths is not None:
        old = base.stages
        layers = layers or tuple(st.blocks for st in old)
        widths = widths or tuple(st.width for st in old)
        if len(layers) != len(widths):
            raise InspectError(
                f"--layers has {len(layers)} stages but the widths have {len(widths)}; "
                "give --widths with one width per stage"
            )
        strides = [st.stride for st in old] + [2] * max(0, len(layers) - len(old))
        stages = tuple(
            StageSpec(n, w, strides[i]) for i, (n, w) in enumerate(zip(layers, widths, strict=True))
        )
        if stages != old:
            changes["stages"] = stages
    if "input" in s:
        changes["input_shape"] = s["input"]
    elif "stem" in changes and (changes["stem"] is StemKind.CIFAR) != (base.stem is StemKind.CIFAR):
        # the CIFAR stem keeps the full resolution: its natural input is 32x32
        changes["input_shape"] = _stem_input(changes["stem"], base.input_shape[0])
    if not changes and "name" not in s and "description" not in s:
        return base
    shown = " ".join(
        _flag(k) if isinstance(v, bool) else f"{_flag(k)} {getattr(v, 'value', v)}"
        for k, v in changes.items() if k not in ("stages", "input_shape", "plain")
    )
    if "stages" in changes:
        shown = " ".join(filter(None, [
            shown, "--layers " + ",".join(str(st.blocks) for st in changes["stages"]),
            "--widths " + ",".join(str(st.width) for st in changes["stages"]),
        ]))
    name = base.name
    if any(k in changes for k in ("stages", "block", "groups", "width_per_group", "stem",
                                  "stem_width", "shortcut", "stride_on", "avg_down")):
        name += "*"  # a preset changed beyond its classifier: not the published network
    if changes.get("plain"):
        name += "-plain"
    description = base.description
    if shown:
        description = f"{description} with {shown}"
    if changes.get("plain"):
        description = f"{description}; plain: every shortcut removed"
    return base.with_changes(
        name=s.get("name", name), description=s.get("description", description), **changes
    )
