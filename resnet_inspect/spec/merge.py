"""Settings -> spec: the merge every command uses.

A preset (`arch`, or `depth`) is the base and the other settings override it; without one,
`block` and `layers` make a custom network. Which settings override which ArchSpec field
comes from settings.py.
"""

from __future__ import annotations

from typing import Any

from resnet_inspect.errors import InspectError
from resnet_inspect.spec.arch import (
    ArchSpec,
    ClassicSpec,
    StageSpec,
    StemKind,
    default_widths,
    imagenet_stages,
)
from resnet_inspect.spec.registry import get_spec, spec_for_depth
from resnet_inspect.spec.settings import BY_NAME, SETTINGS, SPEC_FIELDS

# Settings a classic network (LeNet-5, AlexNet, VGG) takes.
_CLASSIC_SETTINGS = {s.name for s in SETTINGS if s.classic}
# Spec fields a custom network is given explicitly below; the others pass through as set.
_CUSTOM_DEFAULTS = ("block", "stem", "stem_width", "num_classes")


def _flag(name: str) -> str:
    return BY_NAME[name].flag if name in BY_NAME else "--" + name.replace("_", "-")


def _stem_input(stem: StemKind, channels: int) -> tuple[int, int, int]:
    return (channels, 32, 32) if stem is StemKind.CIFAR else (channels, 224, 224)


def spec_from_settings(settings: dict[str, Any], required: bool = True) -> Any:
    """The spec that flags and/or a config file describe (keys: ModelOptions field names,
    `layers`/`widths` as tuples). A preset (`arch`, or `depth`) is the base and the other
    settings override it; without one, `block` and `layers` make a custom network.

    Returns an ArchSpec, a ClassicSpec (arch = lenet5/alexnet/vgg...), or None when nothing
    is given and `required` is False.
    """
    s = {k: v for k, v in settings.items() if v is not None and v is not False}
    if "arch" in s and "depth" in s:
        raise InspectError(
            f"both a name ({s['arch']}) and --depth {s['depth']} were given; use one of them"
        )
    base = get_spec(s["arch"]) if "arch" in s else None
    if "depth" in s:
        base = spec_for_depth(s["depth"])
    if isinstance(base, ClassicSpec):
        return _classic(base, s)
    if base is None:
        return _custom(s, required)
    assert isinstance(base, ArchSpec)
    return _changed(base, s)


def _classic(base: ClassicSpec, s: dict[str, Any]) -> ClassicSpec:
    """LeNet-5, AlexNet, VGG: only the classifier and the input change."""
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


def _custom(s: dict[str, Any], required: bool) -> ArchSpec | None:
    """A network from --block and --layers (and --widths), no preset under it."""
    layers, widths = s.get("layers"), s.get("widths")
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
        **{k: s[k] for k in SPEC_FIELDS if k in s and k not in _CUSTOM_DEFAULTS},
    )
    return spec


def _changed(base: ArchSpec, s: dict[str, Any]) -> ArchSpec:
    """A preset with settings over it, its name starred and its description saying how."""
    layers, widths = s.get("layers"), s.get("widths")
    changes: dict[str, Any] = {k: s[k] for k in SPEC_FIELDS if k in s}
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
    if "stages" in changes or any(BY_NAME[k].structural for k in changes if k in BY_NAME):
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
