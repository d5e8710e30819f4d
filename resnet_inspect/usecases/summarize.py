"""`summarize`: one network traced (or timed, or its training step sized) as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resnet_inspect.usecases.progress import Progress, silent

if TYPE_CHECKING:
    from resnet_inspect.analysis.fit import Fit
    from resnet_inspect.analysis.timing import Timing
    from resnet_inspect.report.model import Report


@dataclass(frozen=True)
class Summary:
    """What `summary` shows: the report, and the measured times or the largest batch when
    they were asked for."""

    report: Report
    timing: Timing | None = None
    fit: Fit | None = None


def summarize(subject: Any, *, input_shape: tuple[int, ...], batch: int = 1,
              device: str = "auto", headline: str = "conv", name: str | None = None,
              train: bool = False, optimizer: str = "adam", dtype: str | None = None,
              amp: str | None = None, input_dtype: str | None = None, time_it: bool = False,
              fit: str | None = None, gpu: str | None = None,
              progress: Progress = silent) -> Summary:
    """Trace `subject` (a spec or an nn.Module) once; with `time_it`, measure each layer;
    with `fit` (a size such as 24GiB) or `gpu` (a card's name), solve the largest batch
    whose training step fits."""
    from resnet_inspect.trace.device import progress_to
    from resnet_inspect.trace.run import inspect

    timing = None
    if time_it:
        from resnet_inspect.analysis.timing import measure

        with progress("Timing forward passes") as update:
            report, timing = measure(subject, input_shape=input_shape, batch=batch,
                                     device=device, progress=update, headline=headline,
                                     input_dtype=input_dtype)
    else:
        # a bar (terminal only) when a deep network takes more than a moment
        with progress("Tracing") as update, progress_to(update):
            report = inspect(subject, input_shape=input_shape, batch=batch, device=device,
                             headline=headline, name=name, train=train, optimizer=optimizer,
                             dtype=dtype, amp=amp, input_dtype=input_dtype)
    if fit is None and gpu is None:
        return Summary(report, timing)
    from resnet_inspect.analysis.fit import GIB, gpu_bytes, largest_batch, parse_size

    if gpu is not None:
        label, capacity = gpu_bytes(gpu)
    else:
        capacity = parse_size(fit or "")
        label = f"{capacity / GIB:.2f} GiB"
    with progress("Solving the largest batch") as update, progress_to(update):
        fitted = largest_batch(
            lambda b: inspect(subject, input_shape=input_shape, batch=b, device=device,
                              headline=headline, train=True, optimizer=optimizer,
                              dtype=dtype, amp=amp, input_dtype=input_dtype),
            capacity, label)
    return Summary(report, timing, fitted)
