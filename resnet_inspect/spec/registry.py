"""Named architectures -> spec: the preset registry.

Each preset is a function returning a spec (an ArchSpec for residual networks, a
ClassicSpec for LeNet-5/AlexNet/VGG), filed under the family `resnet-inspect list` groups
it by. The presets themselves live in `resnet_inspect/zoo/`, one file per family; the
registry finds them there (every module of the package, in the order each declares), so a
new variant is one new file and no edit here. Families may also register a name pattern,
so any valid member works without being listed: `wrn{depth}_{k}` and
`resnext{depth}_{C}x{d}d`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec.arch import AnySpec, ArchSpec

# The family `--depth N` means: the ResNet paper's ImageNet networks (zoo/resnet.py).
DEPTH_FAMILY = "ResNet (ImageNet)"


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    make: Callable[[], AnySpec]
    summary: str = ""


_PRESETS: dict[str, Preset] = {}
_PATTERNS: list[tuple[re.Pattern[str], Callable[..., AnySpec]]] = []
_LOADED = False


def register(
    name: str, family: str, summary: str = ""
) -> Callable[[Callable[[], AnySpec]], Callable[[], AnySpec]]:
    """Decorator (or call) that files a preset; a name registered twice is a bug."""
    def wrap(make: Callable[[], AnySpec]) -> Callable[[], AnySpec]:
        if name in _PRESETS:
            raise RuntimeError(f"preset {name!r} registered twice")
        _PRESETS[name] = Preset(name, family, make, summary)
        return make

    return wrap


def register_pattern(pattern: str, make: Callable[..., AnySpec]) -> None:
    """Names matching `pattern` (lower case, whole name) build `make(*int(groups))`."""
    _PATTERNS.append((re.compile(pattern + "$"), make))


def _load_zoo() -> None:
    """Import every module of resnet_inspect.zoo once, ordered by its `ORDER`."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import resnet_inspect.zoo as zoo

    modules = [importlib.import_module(f"{zoo.__name__}.{info.name}")
               for info in pkgutil.iter_modules(zoo.__path__)]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 1000), m.__name__)):
        module.register_all()


def all_presets() -> dict[str, Preset]:
    """Every registered preset by name, in registration order."""
    _load_zoo()
    return _PRESETS


def _normalise(name: str) -> list[str]:
    """Keys to try for a user's spelling: 'ResNet-50' and '50' mean resnet50."""
    key = name.strip().lower()
    if key.isdigit():
        key = f"resnet{key}"
    return list(dict.fromkeys([key, key.replace("-", ""), key.replace("-", "_")]))


_LOOKALIKE = str.maketrans({"o": "0", "l": "1", "i": "1"})
_PLAIN = re.compile(r"plain[-_]?(\d+)$|(.+?)[-_]plain$")


def _suggest(key: str) -> str:
    """' (did you mean resnet50?)': a letter O typed for a zero is the likeliest slip,
    so names that match once look-alike characters are equated win over mere closeness."""
    presets = all_presets()
    alike = {name.translate(_LOOKALIKE): name for name in presets}
    exact = alike.get(key.translate(_LOOKALIKE))
    if exact is not None:
        return f" (did you mean {exact}?)"
    return did_you_mean(key, presets)


def get_spec(name: str) -> AnySpec:
    """The spec of a preset name; 'resnet50', '50' and 'ResNet-50' all work, as does any
    valid `wrn{depth}_{k}` or `resnext{depth}_{C}x{d}d`. 'plain34' (the paper's name) or
    any name with '-plain' is that network with every shortcut removed."""
    presets = all_presets()
    keys = _normalise(name)
    for key in keys:
        if key in presets:
            return presets[key].make()
    for key in keys:
        base = _PLAIN.match(key)
        if base:  # the paper's plain baselines: plain34, resnet34-plain, wrn16_8_plain
            depth = base.group(1)
            if depth is not None and f"resnet{depth}" not in presets:
                raise InspectError(
                    f"unknown architecture {name!r}; plain networks take a ResNet depth "
                    "(plain18, plain34, plain56 ...) or a name ending in -plain (wrn16_8-plain)"
                )
            spec = get_spec(f"resnet{depth}" if depth else base.group(2))
            return spec.with_changes(plain=True, name=f"{spec.name}-plain")
    for key in keys:
        for pattern, make in _PATTERNS:
            m = pattern.match(key)
            if m:
                return make(*(int(g) for g in m.groups()))
    raise InspectError(
        f"unknown architecture {name!r}{_suggest(keys[0])}; "
        "run `resnet-inspect list` for the names, or describe your own with --block/--layers"
    )


def resolve_spec(name_or_spec: str | AnySpec, **overrides: Any) -> AnySpec:
    """A preset name ('resnet50', '50', 'vgg16') or a spec, with fields overridden by
    keyword. Residual presets give an ArchSpec; LeNet-5, AlexNet and VGG a ClassicSpec."""
    spec = get_spec(name_or_spec) if isinstance(name_or_spec, str) else name_or_spec
    return spec.with_changes(**overrides) if overrides else spec


def depths() -> list[int]:
    """The depths `--depth` takes: the ImageNet ResNets of the paper's Table 1."""
    return [int(p.name[len("resnet"):]) for p in all_presets().values()
            if p.family == DEPTH_FAMILY and p.name[len("resnet"):].isdigit()]


def spec_for_depth(depth: int) -> ArchSpec:
    if depth not in depths():
        valid = ", ".join(str(d) for d in depths())
        other = all_presets().get(f"resnet{depth}")
        if other is not None:  # a CIFAR depth: --depth means the ImageNet family
            raise InspectError(
                f"--depth {depth} is not an ImageNet ResNet depth ({valid}); "
                f"for the {other.family} network name it: resnet{depth}"
            )
        raise InspectError(
            f"--depth {depth} is not a ResNet depth; use one of {valid}, "
            "or build your own with --block and --layers (e.g. --block basic --layers 2,3,4,2)"
        )
    spec = get_spec(f"resnet{depth}")
    assert isinstance(spec, ArchSpec)
    return spec


def families() -> dict[str, list[Preset]]:
    """Presets grouped by family, in registration order (what `list` prints)."""
    out: dict[str, list[Preset]] = {}
    for preset in all_presets().values():
        out.setdefault(preset.family, []).append(preset)
    return out
