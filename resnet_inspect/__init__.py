"""resnet-inspect: build residual networks, trace one forward pass, see every number.

Public API (torch is imported on first use, so `import resnet_inspect` stays light):

    build(name_or_spec, **overrides) -> nn.Module
    inspect(model_or_name, input_shape=(3, 224, 224), batch=1, device="auto") -> Report
    diagram(name_or_model_or_report, level=None) -> Diagram  (inline SVG; .save("x.png"))
    compare("resnet50", "resnet101", ...) -> Comparison          (displays as a table)

What the CLI says as a `note:` line after its output (a trace that left meta because a
shape depends on the input's values) is an `InspectWarning` here (docs/errors.md).

A Report displays in Jupyter as an HTML table whose stages expand (`_repr_html_`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError, InspectWarning, ModelError
from resnet_inspect.spec.arch import AnySpec, ArchSpec, ClassicSpec
from resnet_inspect.version import __version__

if TYPE_CHECKING:
    from torch import nn

    from resnet_inspect.render.notebook import Comparison, Diagram
    from resnet_inspect.report.model import Report
    from resnet_inspect.trace.run import inspect

__all__ = [
    "ArchSpec", "ClassicSpec", "InspectError", "InspectWarning", "ModelError", "__version__",
    "build", "compare", "diagram", "inspect", "resolve_spec",
]


def resolve_spec(name_or_spec: str | AnySpec, **overrides: Any) -> AnySpec:
    """A preset name ('resnet50', '50', 'vgg16') or a spec, with fields overridden by
    keyword. Residual presets give an ArchSpec; LeNet-5, AlexNet and VGG a ClassicSpec."""
    from resnet_inspect.spec.registry import resolve_spec as resolve

    return resolve(name_or_spec, **overrides)


def build(name_or_spec: str | AnySpec, *, device: str = "cpu", init: bool = True,
          **overrides: Any) -> nn.Module:
    """Build a network with torchvision's module names, initialised as torchvision does.

    >>> model = build("resnet50")            # 25,557,032 parameters
    >>> model = build("resnet50", num_classes=10)
    """
    from resnet_inspect.models.builder import build_model

    return build_model(resolve_spec(name_or_spec, **overrides), device=device, init=init)


def diagram(what: nn.Module | str | Report, level: str | None = None,
            **kwargs: Any) -> Diagram:
    """The network diagram of a name, module or Report: inline SVG in Jupyter,
    `.save("x.png")` (png, svg, pdf or dot by suffix). A preset is drawn by blocks, your
    own module from its dataflow graph as `diagram --model` draws it (every layer), unless
    `level` says otherwise. See resnet_inspect.render.notebook."""
    from resnet_inspect.render.notebook import diagram as make

    return make(what, level, **kwargs)


def compare(*items: str, **kwargs: Any) -> Comparison:
    """Compare networks ("resnet50", "resnet101") or blocks ("basic", "bottleneck"); the
    result displays as a table in a notebook, `.result` is the data behind it.
    See resnet_inspect.render.notebook.compare for the keyword arguments."""
    from resnet_inspect.render.notebook import compare as make

    return make(*items, **kwargs)


def __getattr__(name: str) -> Any:
    """`inspect` (resnet_inspect.trace.run.inspect), imported on first use so that
    `import resnet_inspect` and `--help` stay light."""
    if name == "inspect":
        from resnet_inspect.trace.run import inspect

        return inspect
    raise AttributeError(f"module 'resnet_inspect' has no attribute {name!r}")
