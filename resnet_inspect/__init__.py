"""resnet-inspect: build residual networks, trace one forward pass, see every number.

Public API (torch is imported on first use, so `import resnet_inspect` stays light):

    build(name_or_spec, **overrides) -> nn.Module
    inspect(model_or_name, input_shape=(3, 224, 224), batch=1, device="auto") -> Report
    diagram(name_or_model_or_report, level="block") -> Diagram   (inline SVG; .save("x.png"))
    compare("resnet50", "resnet101", ...) -> Comparison          (displays as a table)

A Report displays in Jupyter as an HTML table whose stages expand (`_repr_html_`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError, ModelError
from resnet_inspect.spec import AnySpec, ArchSpec, ClassicSpec

if TYPE_CHECKING:
    from torch import nn

    from resnet_inspect.notebook import Diagram
    from resnet_inspect.report import Report

__all__ = [
    "ArchSpec", "ClassicSpec", "InspectError", "ModelError", "__version__", "build", "compare",
    "diagram", "inspect", "resolve_spec",
]
__version__ = "0.1.0"


def resolve_spec(name_or_spec: str | AnySpec, **overrides: Any) -> AnySpec:
    """A preset name ('resnet50', '50', 'vgg16') or a spec, with fields overridden by
    keyword. Residual presets give an ArchSpec; LeNet-5, AlexNet and VGG a ClassicSpec."""
    from resnet_inspect.presets import get_spec

    spec = get_spec(name_or_spec) if isinstance(name_or_spec, str) else name_or_spec
    return spec.with_changes(**overrides) if overrides else spec


def build(name_or_spec: str | AnySpec, *, device: str = "cpu", init: bool = True,
          **overrides: Any) -> nn.Module:
    """Build a network with torchvision's module names, initialised as torchvision does.

    >>> model = build("resnet50")            # 25,557,032 parameters
    >>> model = build("resnet50", num_classes=10)
    """
    from resnet_inspect.builder import build_model

    return build_model(resolve_spec(name_or_spec, **overrides), device=device, init=init)


def inspect(
    model_or_name: nn.Module | str | AnySpec,
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "auto",
    headline: str = "conv",
    name: str | None = None,
    train: bool = False,
    optimizer: str = "adam",
    dtype: str | None = None,
    amp: str | None = None,
    **overrides: Any,
) -> Report:
    """Trace one forward pass and return the Report (rows, totals, memory, layer count).

    Any nn.Module works; a name or spec is built without weight initialisation (counts
    and shapes do not depend on weights). The input shape defaults to the spec's own
    (3x224x224 for ImageNet networks, 3x32x32 for CIFAR ones). `train=True` counts one
    training step (backward MACs, saved activations, gradients, `optimizer` state, the
    peak: `report.training_memory`); `dtype` ("bfloat16", ...) counts as if cast to it.

    >>> inspect("resnet50", batch=32, train=True).training_memory.peak   # bytes
    """
    from resnet_inspect.builder import build_model
    from resnet_inspect.trace import paused_gc, resolve_device, trace

    if isinstance(model_or_name, (str, ArchSpec, ClassicSpec)):
        spec = resolve_spec(model_or_name, **overrides)
        target = resolve_device(device)
        with paused_gc():  # trace.paused_gc: halves the first build of a deep network
            model = build_model(spec, device=target, init=False)
        shape = tuple(input_shape) if input_shape is not None else spec.input_shape
        return trace(model, shape, batch=batch, device=target, headline=headline, name=name,
                     train=train, optimizer=optimizer, dtype=_dtype(dtype), amp=amp)
    shape = tuple(input_shape) if input_shape is not None else (3, 224, 224)
    return trace(model_or_name, shape, batch=batch, device=device, headline=headline, name=name,
                 train=train, optimizer=optimizer, dtype=_dtype(dtype), amp=amp)


def _dtype(name: str | None) -> Any:
    import torch

    if name is None:
        return None
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise InspectError(f"dtype {name!r}: use float32, bfloat16, float16 or float64")
    return value


def diagram(what: nn.Module | str | Report, level: str = "block", **kwargs: Any) -> Diagram:
    """The network diagram of a name, module or Report: inline SVG in Jupyter,
    `.save("x.png")` (png, svg, pdf or dot by suffix). See resnet_inspect.notebook."""
    from resnet_inspect.notebook import diagram as make

    return make(what, level, **kwargs)


def __getattr__(name: str) -> Any:
    """`resnet_inspect.compare`, imported on first use (it makes itself callable: see the end
    of compare.py), so `import resnet_inspect` and `--help` stay light."""
    if name == "compare":
        import importlib

        return importlib.import_module("resnet_inspect.compare")
    raise AttributeError(f"module 'resnet_inspect' has no attribute {name!r}")
