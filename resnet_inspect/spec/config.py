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
import os
import re
import select
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec import limits
from resnet_inspect.spec.limits import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, check_input
from resnet_inspect.spec.numbers import trouble
from resnet_inspect.spec.settings import CONFIG_KEYS, check_setting

FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


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
        except ValueError:  # an integer longer than Python reads (4,300 digits)
            raise _fail(path, None, _HUGE) from None
        _check_toml_numbers(path, text)
        # `key = value`, or a `[key]` table header
        return data, _line_finder(text, r'^\s*(?:\[\s*)?["\']?{key}["\']?\s*[=\]]')
    if fmt == "json":
        try:
            data = json.loads(text, object_pairs_hook=_no_repeats)
        except RecursionError:
            raise _too_deep(path) from None
        except json.JSONDecodeError as err:
            raise _fail(path, err.lineno, f"not valid JSON: {err.msg}; fix the syntax") from None
        except _Repeated as err:
            found = list(re.finditer(rf'"{re.escape(err.key)}"\s*:', text))
            line = text.count("\n", 0, found[1].start()) + 1 if len(found) > 1 else None
            raise _fail(path, line, f"{err.key!r} is set twice; keep one") from None
        except ValueError:  # an integer longer than Python reads (4,300 digits)
            raise _fail(path, None, _HUGE) from None
        return data, _line_finder(text, r'"{key}"\s*:')
    import yaml

    loader = _strict_yaml_loader()
    try:
        _check_yaml_events(path, text)
        node = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader)  # a SafeLoader, stricter on ints
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
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in lines:  # PyYAML keeps the last silently; which was meant is a guess
                raise _fail(path, line, f"{key!r} is set twice (lines {lines[key]} and "
                            f"{line}); keep one")
            lines[key] = line
    return data, lines.get


_HUGE = ("a number has more than 4,300 digits; no setting is anywhere near that large "
         "(docs/errors.md lists the limits)")


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object hook: a key given twice is refused (json keeps the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Repeated(key)
        out[key] = value
    return out


# A TOML number with '_' between digits (6_4 is 64 to TOML) or in hex, octal or binary:
# spec/numbers.py's rule is the digits 0-9 alone, as on the command line
_TOML_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'
                           r"'[^'\n]*'|#[^\n]*")
_TOML_ODD_NUMBER = re.compile(r"(?<![\w.])[+-]?(?:\d+(?:_\d+)+|0[xob][0-9a-fA-F_]+)")


def _check_toml_numbers(path: Path, text: str) -> None:
    bare = _TOML_STRINGS.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    m = _TOML_ODD_NUMBER.search(bare)
    if m:
        line = bare.count("\n", 0, m.start()) + 1
        raise _fail(path, line, f"{m.group(0)!r}: write numbers with the digits 0-9 alone "
                    "(no '_', no 0x/0o/0b), as on the command line")


def _strict_yaml_loader() -> type:
    """yaml.SafeLoader reading an integer only from the digits 0-9 (with a sign): YAML
    1.1 also reads 6_4 as 64, 1:4 as 64 (base 60), 010 as 8 and 0x40 as 64; those stay
    strings here, which no number setting takes, so they are refused with their text."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    int_tag = "tag:yaml.org,2002:int"
    Strict.yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != int_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Strict.add_implicit_resolver(int_tag, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))

    def construct_int(loader: Any, node: Any) -> int:
        text = str(loader.construct_scalar(node))
        if len(text) > 4000:
            raise yaml.constructor.ConstructorError(None, None, _HUGE, node.start_mark)
        return int(text)

    Strict.add_constructor(int_tag, construct_int)
    return Strict


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


def _read_fifo(path: Path) -> bytes:
    """A FIFO's bytes (`--config <(...)`, a named pipe), waiting at most CONFIG_WAIT_S for
    a writer: opening one for reading blocks until a writer comes, forever if none does."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # returns at once, writer or not
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + limits.CONFIG_WAIT_S
    try:
        while size <= MAX_CONFIG_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                raise InspectError(
                    f"config file {path} is a FIFO and nothing was written to it in "
                    f"{limits.CONFIG_WAIT_S:g} s; start its writer first, or give a file")
            ready, _, _ = select.select([fd], [], [], min(left, 0.05))
            if not ready:
                continue
            data = os.read(fd, 65536)
            if data:
                chunks.append(data)
                size += len(data)
            elif chunks:  # the writer is done
                break
            else:  # no writer yet: a FIFO with none reads as at its end
                time.sleep(0.05)
    finally:
        os.close(fd)
    return b"".join(chunks)


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
    text = _read_text(path)
    data, line_of = _parse(path, text, fmt)
    if data is None:
        data = {}  # an empty YAML file
    if not isinstance(data, dict):
        raise _fail(path, None, "expected a table of settings (key = value) at the top level")
    if _depth(data, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise _too_deep(path)
    out = _settings(path, data, line_of)
    if "arch" in out and "depth" in out:
        raise _fail(path, line_of("depth"), "both 'arch' and 'depth' are set; keep one of them")
    return out


def _read_text(path: Path) -> str:
    """The file's text, read no further than the size limit (a FIFO too)."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise InspectError(
                f"config file {path} is {size:,} bytes, above the limit of "
                f"{MAX_CONFIG_BYTES:,}; a config holds a few flat keys"
            )
        raw = _read_fifo(path) if stat.S_ISFIFO(path.stat().st_mode) else b""
        if not raw:
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
    return text


def _settings(path: Path, data: dict[Any, Any],
              line_of: Callable[[str], int | None]) -> dict[str, Any]:
    """Each key checked (one spelling, a known flag name, a flat value in range) and
    parsed, keyed by ModelOptions field name."""
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
        entry = CONFIG_KEYS.get(key)
        if isinstance(value, dict):
            raise _fail(path, line_of(str(raw_key)),
                        f"{raw_key!r} is a table; keys are flat flag names, "
                        "e.g. layers = [3, 4, 6, 3]")
        if entry is None:
            known = ", ".join(CONFIG_KEYS)
            raise _fail(
                path, line_of(str(raw_key)),
                f"unknown key {raw_key!r}{did_you_mean(key, CONFIG_KEYS)}; the keys are the flag "
                f"names: {known}",
            )
        try:
            out[entry.name] = entry.parse(value)  # type: ignore[misc]
        except (TypeError, ValueError):
            got = json.dumps(value, default=str, ensure_ascii=False)
            if len(got) > 60:
                got = got[:57] + "..."
            raise _fail(
                path, line_of(str(raw_key)),
                f"{raw_key!r} must be {entry.accepts}, got {got}{trouble(value, entry.accepts)}",
            ) from None
        try:
            check_setting(entry.name, out[entry.name])
            if entry.name == "input":
                check_input(out["input"], what="input")
        except InspectError as err:
            raise _fail(path, line_of(str(raw_key)), str(err)) from None
    return out
