"""`report`: one network traced for a page to share, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report


@dataclass(frozen=True)
class Page:
    """What `report`'s page shows: the traced report. Its diagram is drawn from the
    report by the page's renderer (render/formats.py), as drawing is render/'s work."""

    report: Report


def make_report(subject: Any, *, input_shape: tuple[int, ...], batch: int = 1,
                device: str = "auto", name: str | None = None,
                input_dtype: str | None = None) -> Page:
    """Trace `subject` (a spec or an nn.Module) once, with its dataflow graph (the diagram
    of a user's model is drawn from it)."""
    from resnet_inspect.trace.run import inspect

    return Page(inspect(subject, input_shape=input_shape, batch=batch, device=device,
                        name=name, input_dtype=input_dtype))
