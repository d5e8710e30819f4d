"""`draw`: what a diagram shows, decided once: one block, one network (alone or beside
others) or a user's model, traced, with how to draw it.

A `BlockRequest` is the paper's Figure 5; a user's module (or a Report of one) is drawn
from its dataflow graph, as its forward runs; a preset, a spec or a Report of one is the
paper's Figure 3, alone or with one or two networks beside it. `resnet-inspect diagram`
and `resnet_inspect.diagram` both call it, then hand the Drawing to
`render.diagram.diagram_of` for its DOT (a use-case imports no renderer: the package's
import order), and write or display that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import ArchSpec

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report
    from resnet_inspect.spec.arch import BlockKind

# the input shape of each network drawn: one shape for all, or one worked out per spec
# (the CLI's --input checked against the network's own), or None: the network's own
InputShape = tuple[int, ...] | Callable[[Any], tuple[int, ...]] | None


@dataclass(frozen=True)
class BlockRequest:
    """One residual block alone, as `block_report` traces it (the paper's Figure 5 by
    default: 64 channels for a basic block, 256 for a bottleneck, at 56x56)."""

    kind: BlockKind
    channels: tuple[int, int] | int | None = None
    width: int | None = None
    stride: int = 1
    spatial: tuple[int, int] | int = 56
    stride_on_3x3: bool = True


# What is drawn: the paper's Figure 5 (one block), a user's network as its forward runs
# (its dataflow graph), or the paper's Figure 3 (one network, or two or three side by side).
KINDS = ("block", "dataflow", "network")


@dataclass(frozen=True)
class Drawing:
    """A diagram request decided: the reports drawn (their `model` names the networks),
    which picture (`kind`, one of KINDS) and how: `level` (None for a block), `expand`,
    `direction` (None: top to bottom, or with `fit` the layout whose text prints largest),
    `style` and `fit` (a network figure too small for one page goes on several)."""

    reports: tuple[Report, ...]
    kind: str
    level: str | None = None
    expand: bool = False
    direction: str | None = None
    style: str = "default"
    fit: str | None = None

    @property
    def names(self) -> list[str]:
        return [report.model for report in self.reports]


def draw(subject: Any, *, beside: str | None = None, beside_plain: bool = False,
         level: str | None = None, expand: bool = False, direction: str | None = None,
         style: str = "default", fit: str | None = None, input_shape: InputShape = None,
         batch: int = 1, device: str = "auto", input_dtype: str | None = None,
         name: str | None = None, example_input: Any = None, **overrides: Any) -> Drawing:
    """Trace `subject` and decide its picture: a BlockRequest, an nn.Module, a preset
    name (`overrides` change its spec's fields) or spec, or a Report (traced already).
    `beside` ('plain-34,resnet34') and `beside_plain` add columns after a preset (the
    paper's Figure 3); `level` defaults to layer for a user's model, block otherwise.
    `example_input` is what a module is called with, as `inspect` takes it."""
    look: dict[str, Any] = {"direction": direction, "fit": fit, "style": style}
    if isinstance(subject, BlockRequest):
        return Drawing((_block(subject, device),), "block", **look)
    if isinstance(subject, str):  # a preset's name: its spec, with fields overridden
        from resnet_inspect.spec.registry import resolve_spec

        subject = resolve_spec(subject, **overrides)
    elif overrides:  # a module, spec or Report is drawn as it is: nothing to change
        raise InspectError(f"{', '.join(overrides)}: not a setting of a module, spec or "
                           "Report, which is drawn as it is; a preset's settings go with its "
                           "name (e.g. 'resnet18', layers=(2, 2, 2, 2))")
    if (_is_module(subject) or _is_report(subject)) and (beside is not None or beside_plain):
        raise InspectError("--beside and --beside-plain draw resnet-inspect's networks; "
                           "draw --model on its own (a Report too)")
    traced = _tracer(input_shape, batch, device, input_dtype, example_input)
    if _is_module(subject):  # the user's own network, drawn from its trace
        subject = traced(subject, name)
    if _from_dataflow(subject):  # drawn from its dataflow graph: the edges its forward has
        return Drawing((subject,), "dataflow", level or "layer", expand, **look)
    reports = _networks(subject, beside, beside_plain, traced)
    return Drawing(tuple(reports), "network", level or "block", expand, **look)


def _block(request: BlockRequest, device: str) -> Report:
    from resnet_inspect.analysis.block_report import block_report

    return block_report(request.kind, channels=request.channels, width=request.width,
                        stride=request.stride, spatial=request.spatial, device=device,
                        stride_on_3x3=request.stride_on_3x3)


def _tracer(input_shape: InputShape, batch: int, device: str, input_dtype: str | None,
            example_input: Any = None) -> Callable[[Any, str | None], Report]:
    """How each network is traced: its input shape worked out for it when asked to."""
    from resnet_inspect.trace.run import inspect

    def traced(subject: Any, name: str | None = None) -> Report:
        shape = input_shape(None if _is_module(subject) else subject) if callable(
            input_shape) else input_shape
        return inspect(subject, input_shape=shape, batch=batch, device=device,
                       input_dtype=input_dtype, name=name,
                       example_input=example_input if _is_module(subject) else None)

    return traced


def _is_module(subject: Any) -> bool:
    from torch import nn

    return isinstance(subject, nn.Module)


def _is_report(subject: Any) -> bool:
    from resnet_inspect.report.model import Report

    return isinstance(subject, Report)


def _from_dataflow(subject: Any) -> bool:
    """A report of a user's network (no spec, a dataflow graph) is drawn as its forward
    runs; a preset's by its stages and blocks."""
    return isinstance(subject, Report) and subject.spec is None and subject.graph is not None


def _networks(subject: Any, beside: str | None, beside_plain: bool,
              traced: Callable[[Any, str | None], Report]) -> list[Report]:
    """The columns of a network figure: the plain network first with `beside_plain`, then
    `subject`, then the networks `beside` names."""
    if isinstance(subject, Report):
        return [subject]
    if beside_plain and not isinstance(subject, ArchSpec):
        raise InspectError(
            f"--beside-plain needs a residual network; {subject.name} has no shortcuts to "
            "remove (try resnet34)"
        )
    if beside is not None and beside_plain:
        raise InspectError("--beside and --beside-plain both add columns; give one")
    reports = ([traced(subject.with_changes(plain=True), None), traced(subject, None)]
               if beside_plain else [traced(subject, None)])
    return reports + [traced(s, None) for s in beside_specs(beside)]


def beside_specs(text: str | None) -> list[Any]:
    """'plain-34,resnet34' -> specs; 'plain-N' is resnet N without shortcuts (the paper's
    plain baseline). One or two, so the figure has at most three columns."""
    if text is None:
        return []

    from resnet_inspect.spec.registry import resolve_spec

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not 1 <= len(names) <= 2:
        raise InspectError(
            f"--beside {text!r}: give one or two networks, e.g. --beside plain-34,resnet34"
        )
    specs = []
    for name in names:
        m = re.fullmatch(r"plain-?(\d+)", name.lower())
        specs.append(resolve_spec(f"resnet{m.group(1)}").with_changes(plain=True) if m
                     else resolve_spec(name))
    return specs
