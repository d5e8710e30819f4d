"""`check`: our counts beside torchinfo's, fvcore's and torch's counter's, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resnet_inspect.usecases.progress import Progress, silent

if TYPE_CHECKING:
    from resnet_inspect.analysis.check_report import CheckReport
    from resnet_inspect.analysis.train_check import TrainCheck


@dataclass(frozen=True)
class Checked:
    """The cross-check, and (with `train`) the training step's against torch's counter."""

    report: CheckReport
    step: TrainCheck | None = None


def check(subject: Any, *, tools: tuple[str, ...], input_shape: tuple[int, ...],
          batch: int = 1, device: str = "auto", input_dtype: str | None = None,
          train: bool = False, progress: Progress = silent) -> Checked:
    """Count `subject` (a spec or a module) with each tool and explain every difference;
    with `train`, also one training step against torch's counter."""
    from resnet_inspect.analysis.check import check as run_check

    with progress(f"Counting with {', '.join(tools)}") as update:
        result = run_check(subject, input_shape=input_shape, batch=batch, device=device,
                           tools=tools, progress=update, input_dtype=input_dtype)
    if not train:
        return Checked(result)
    from resnet_inspect.analysis.train_check import check_training
    from resnet_inspect.trace.run import inspect

    step_report = inspect(subject, input_shape=input_shape, batch=batch, train=True,
                          input_dtype=input_dtype)
    return Checked(result, check_training(subject, step_report))
