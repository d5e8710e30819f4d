"""`--format`, shared by every command that writes a result, and its old spellings.

The choices of each command come from `render/formats.py`'s registry. `--json`, `--csv`,
`--markdown` and `--latex` stay as hidden aliases (scripts use them) and write the same
bytes as `--format json` and so on.
"""

from __future__ import annotations

from typing import Any

import typer

from resnet_inspect.errors import InspectError
from resnet_inspect.render.formats import Format, formats_of


def format_option(command: str, example: str) -> Any:
    """The `--format` option of `command`, its choices listed from the registry (the first
    is the default)."""
    choices = formats_of(command)
    return typer.Option(
        "--format", metavar="<format>", show_default=False,
        help=f"Output format: {_one_of(choices)} \\[default: {choices[0]}], "
             f"e.g. --format {example}.")


def alias(name: str) -> Any:
    """A hidden boolean flag `--{name}`, the same as `--format {name}`."""
    return typer.Option(f"--{name}", hidden=True, help=f"Same as --format {name}.")


def chosen_format(command: str, given: str | None, **aliases: bool) -> Format:
    """The one format asked for: `--format` or an alias, the command's default (table for
    most) when neither; two at once is refused (the old flags' message kept for two old
    flags)."""
    flags = [name for name, on in aliases.items() if on]
    if len(flags) > 1:
        names = [f"--{name}" for name in aliases]
        raise InspectError(f"choose one of {', '.join(names[:-1])} and {names[-1]}")
    choices = formats_of(command)
    if given is None:
        return Format(flags[0] if flags else choices[0])
    value = given.strip().lower()
    if value not in choices:
        raise InspectError(f"--format {given!r}: {command} writes {_one_of(choices)}; "
                           f"e.g. --format {choices[-1]}")
    if flags and flags[0] != value:
        raise InspectError(f"--format {value} and --{flags[0]} ask for two formats; "
                           f"keep one, e.g. --format {value}")
    return Format(value)


def _one_of(choices: list[str]) -> str:
    """'table, json or csv'; 'html' when it is the only one."""
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]
