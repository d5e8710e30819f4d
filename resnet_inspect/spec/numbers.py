"""Numbers as a user types them: one parser for every option and config value (no torch).

The rule, everywhere (`--batch`, `--layers`, `--input`, `--channels`, `--fit`, a config
file's strings): a whole number is the ASCII digits 0-9, with an optional sign and
nothing inside. Python's int() is kinder and that is the trouble: it reads '٣' (Arabic)
and '３' (fullwidth) as 3 and '6_4' as 64, and stripping spaces read '3 4' as 34. Each of
those is refused with a message naming the character, so a number is never silently
something else. Entries of a list are separated by commas; spaces around an entry are
allowed, spaces inside one are not.

Each kind of input has its one parser here, whichever front end reads it: a shape
(`read_shape`; `parse_input` adds --input's rank and limits), a list of integers
(`read_list`; `parse_list` adds the limits of --layers and --widths), a size
(`parse_channels`, `parse_spatial`: a block's --channels and --spatial), a single integer
(`parse_int`: --batch, --depth ...), a name from a fixed set (`member_named`: a block
kind, a config file's stem or shortcut). A config file's strings ("3x32x32", "3,4,6,3")
are read by the same `read_shape` and `read_list` (spec/settings.py). Their ranges are
spec/limits.py's, the one validator.
"""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import Any, TypeVar

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.limits import (
    MAX_BLOCKS_PER_STAGE,
    MAX_CHANNELS,
    MAX_STAGES,
    check_input,
    check_list,
    check_range,
    too_small,
)

E = TypeVar("E", bound=Enum)
DIGITS = frozenset("0123456789")
# No limit is near 10**30: longer numbers are refused before int() reads them (Python
# itself refuses to read more than 4,300 digits, with an error that is not ours).
MAX_DIGITS = 30


def describe(ch: str) -> str:
    """'٣' -> "'٣' (ARABIC-INDIC DIGIT THREE)": a character named so any terminal shows it."""
    if ch == " ":
        return "a space"
    name = unicodedata.name(ch, "")
    if not ch.isprintable() or not name:
        return f"U+{ord(ch):04X}" + (f" ({name})" if name else " (a control character)")
    return f"{ch!r} ({name})"


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut short and with control characters escaped."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"...({len(text):,} chars)"


def not_a_digit(text: str) -> str | None:
    """The first character of `text` that keeps it from being a whole number in ASCII
    digits (a sign is allowed in front), described; None when there is none."""
    body = text[1:] if text[:1] in "+-" else text
    for ch in body:
        if ch not in DIGITS:
            return describe(ch)
    return None


def trouble(value: Any, accepts: str = "integer") -> str:
    """Why a config value that should hold numbers (`accepts` says integers or a shape)
    does not, when a string in it looks like one but breaks the rule: "; '６' (FULLWIDTH
    DIGIT SIX) is not one of the digits 0-9", "; '3 4' has a space inside an entry"; ''
    when nothing like that is found."""
    if "integer" not in accepts and "shape" not in accepts:
        return ""
    strings = [value] if isinstance(value, str) else \
        [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []
    for text in strings:
        for entry in text.replace("×", "x").lower().replace("x", ",").split(","):
            entry = entry.strip()
            if any(ch.isspace() for ch in entry) and any(ch.isdigit() for ch in entry):
                return f"; {shown(entry)} has a space inside an entry (separate with commas)"
            if entry and any(ch.isdigit() for ch in entry):
                bad = not_a_digit(entry)
                if bad is not None:
                    return f"; {bad} is not one of the digits 0-9"
    return ""


def parse_int(text: Any, what: str, example: str, high: int | None = None,
              check: bool = True) -> int:
    """`text` as an integer by the module's rule; InspectError naming the problem and
    `example` (a whole valid flag, e.g. '--batch 8'). With `high`, anything outside
    1..high is refused too (unless not `check`); text too long to be any limit is refused
    without reading it."""
    if isinstance(text, int) and not isinstance(text, bool):  # a default, or from a file
        value = text
    else:
        raw = str(text)
        body = raw.strip()
        bad = not_a_digit(body) if body else None
        if not body or body in "+-":
            raise InspectError(f"{what} {shown(raw)} is not a number; e.g. {example}")
        if bad is not None:
            raise InspectError(f"{what} {shown(raw)} is not a whole number: {bad} is not one of "
                               f"the digits 0-9; e.g. {example}")
        digits = body.lstrip("+-").lstrip("0")
        if len(digits) > MAX_DIGITS:
            if body.startswith("-"):
                raise InspectError(f"{what} must be a positive integer, got {shown(body, 12)}; "
                                   f"e.g. {example}")
            limit = f"the limit of {high:,}" if high is not None else "any limit"
            raise InspectError(f"{what} {body[:10]}...({len(digits):,} digits) is above "
                               f"{limit}; e.g. {example}")
        value = int(body)
    if high is not None and check:
        check_range(value, 1, high, what, example)
    return value


def split_list(text: str, flag: str, example: str) -> list[str]:
    """'3, 4,6' -> ['3', '4', '6']: commas separate; '3,,4', '3 4' and '' are refused."""
    parts = [p.strip() for p in text.split(",")]
    if parts == [""]:
        raise InspectError(f"{flag} is empty; give comma-separated integers, e.g. {flag} "
                           f"{example}")
    if "" in parts:
        raise InspectError(f"{flag} {shown(text)} has an empty entry; give one integer per "
                           f"stage, e.g. {flag} {example}")
    for p in parts:
        if any(ch.isspace() for ch in p):
            raise InspectError(f"{flag} {shown(text)}: {shown(p)} has a space inside; "
                               f"separate entries with commas, e.g. {flag} {example}")
    return parts


def read_list(text: str, flag: str, example: str, high: int | None = None,
              most: int = MAX_STAGES) -> tuple[int, ...]:
    """'3,4,6,3' -> (3, 4, 6, 3) by the rule for a list of integers: at most `most`
    entries, each a whole number (sign allowed); neither sign nor range is checked here
    (`parse_list` does, a config file's values do in spec/settings.py)."""
    parts = split_list(text, flag, example)
    if len(parts) > most:
        raise InspectError(f"{flag} has {len(parts):,} entries, above the limit of {most} "
                           f"stages; e.g. {flag} {example}")
    values = []
    for p in parts:
        bad = not_a_digit(p)
        if bad is not None:
            raise InspectError(f"{flag} {shown(text)}: expected comma-separated integers; "
                               f"{bad} is not one of the digits 0-9; e.g. {flag} {example}")
        values.append(parse_int(p, f"{flag} entry", f"{flag} {example}", high=high,
                                check=False))
    return tuple(values)


def parse_list(text: str, flag: str, example: str, high: int, most: int) -> tuple[int, ...]:
    """'3,4,6,3' -> (3, 4, 6, 3): at most `most` entries, each a positive integer <= high."""
    values = read_list(text, flag, example, high, most)
    bad_value = next((v for v in values if v <= 0), None)
    if bad_value is not None:
        raise InspectError(f"{flag} {text}: counts must be positive, got {bad_value}")
    check_list(values, flag, high, example)
    return values


def parse_dims(text: str, what: str, fix: str, seps: str = "x",
               noun: str = "a shape") -> tuple[int, ...]:
    """'3x224x224' -> (3, 224, 224) (also '×'); each dimension by `parse_int`'s rule.
    A message says `text` is not `noun`, why, and `fix`; the limits are the caller's."""
    norm = text.lower().replace("×", "x")
    for sep in seps[1:]:
        norm = norm.replace(sep, seps[0])
    parts = [p.strip() for p in norm.split(seps[0])]
    for p in parts:
        bad = "nothing" if not p else not_a_digit(p) if p[:1] not in "+-" else describe(p[0])
        if bad is not None:
            why = "an entry is empty" if bad == "nothing" else \
                f"{bad} is not one of the digits 0-9"
            raise InspectError(f"{what} {shown(text)} is not {noun}: {why}; {fix}")
        if len(p.lstrip("0")) > MAX_DIGITS:
            raise InspectError(f"{what} {shown(text)} is not {noun}: an entry has "
                               f"{len(p):,} digits; {fix}")
    return tuple(int(p) for p in parts)


def parse_int_list(text: str | None, flag: str) -> tuple[int, ...] | None:
    """'3,4,6,3' -> (3, 4, 6, 3); every entry must be there ('3,,4' is a typo, not 3,4),
    in ASCII digits ('3 4' is not 34, '6_4' not 64)."""
    if text is None:
        return None
    example = "3,4,6,3" if flag == "--layers" else "64,128,256,512"
    high = MAX_BLOCKS_PER_STAGE if flag == "--layers" else MAX_CHANNELS
    return parse_list(text, flag, example, high, MAX_STAGES)


def read_shape(text: str) -> tuple[int, ...]:
    """'3x224x224' (also '3,224,224', '3×224×224') -> (3, 224, 224) by the rule for a
    shape: dimensions in ASCII digits, no sign; neither rank nor range is checked here."""
    return parse_dims(text, "--input", "use CxHxW, e.g. --input 3x224x224", seps="x,")


def parse_input(text: str, any_rank: bool = False, batch: int = 1) -> tuple[int, ...]:
    """'3x224x224' -> (3, 224, 224); also accepts '224' (3 channels, square). With
    `any_rank` (a user's model), any number of dimensions: '10x64' for a sequence.
    Every dimension and the element count are checked against limits.py."""
    if len(text) > 100:
        raise InspectError(f"--input {text[:20]!r}... is not a shape; use CxHxW, "
                           "e.g. --input 3x224x224")
    dims = read_shape(text)
    if len(dims) == 1 and not any_rank:
        dims = (3, dims[0], dims[0])
    if len(dims) != 3 and not any_rank:
        raise InspectError(
            f"--input {text!r} has {len(dims)} dimensions; use CxHxW, e.g. --input 3x224x224"
        )
    if any(d < 1 for d in dims):
        raise too_small(text)
    check_input(dims, batch)
    return dims


def _pair(text: str, raw: object, what: str, fix: str, seps: str,
          noun: str) -> tuple[int, int]:
    """One or two positive sizes ('256' or '64,128'); one given stands for both. `raw` is
    the value as given, for the message."""
    values = parse_dims(text, what, fix, seps=seps, noun=noun)
    if len(values) not in (1, 2) or any(v < 1 for v in values):
        raise InspectError(f"{what} {raw!r}: {fix}")
    return (values[0], values[-1])


def parse_channels(text: str | None) -> tuple[int, int] | None:
    """'256' -> (256, 256); '64,128' (or '64->128') -> (64, 128): input and output channels."""
    if text is None:
        return None
    return _pair(text.replace("->", ","), text, "--channels",
                 "give one positive count (256) or input,output (64,128)", ",",
                 "a channel count")


def parse_spatial(text: str | int | None) -> tuple[int, int] | None:
    """'56' -> (56, 56); '28x40' -> (28, 40)."""
    if text is None:
        return None
    return _pair(str(text), text, "--spatial", "give a positive size, e.g. 56 or 56x56", "x",
                 "a size")


def member_named(cls: type[E], text: str, dashes: bool = False) -> E | None:
    """The member of `cls` whose value `text` names, ignoring case and the spaces around it
    ('Bottleneck'); with `dashes`, '_' reads as '-' ('preact_basic'). None when none does."""
    key = text.strip().lower()
    if dashes:
        key = key.replace("_", "-")
    return next((m for m in cls if str(m.value).lower() == key), None)
