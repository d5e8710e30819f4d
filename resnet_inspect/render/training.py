"""A training step side by side (`compare --train`): what the extra blocks cost."""

from __future__ import annotations

from collections.abc import Sequence

from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report


def training_lines(reports: Sequence[Report]) -> list[str]:
    """One line per network, then the difference of the last from the first."""
    if not reports or any(r.training_memory is None for r in reports):
        return []
    first = reports[0]
    tm0 = first.training_memory
    assert tm0 is not None
    lines = [f"Training step · batch {first.input_shape[0]} · {tm0.optimizer} "
             f"· {first.dtype}" + (f" weights, {tm0.amp} autocast" if tm0.amp else "")]
    width = max(len(r.model) for r in reports)
    for r in reports:
        tm = r.training_memory
        assert tm is not None
        step = r.totals.macs + r.totals.backward_macs
        lines.append(f"  {r.model:<{width}}  peak {fmt.mib(tm.peak):>12}  saved "
                     f"{fmt.mib(tm.activations_saved):>12}  fwd+bwd {fmt.si(step)} MACs")
    if len(reports) >= 2:
        last = reports[-1]
        tml = last.training_memory
        assert tml is not None
        more = (last.totals.macs + last.totals.backward_macs
                - first.totals.macs - first.totals.backward_macs)
        saved = tml.activations_saved - tm0.activations_saved
        lines.append(f"  {last.model} - {first.model}: peak {_signed_mib(tml.peak - tm0.peak)}, "
                     f"{fmt.si(more)} more MACs a step;")
        lines.append(f"  of the peak, saved activations {_signed_mib(saved)}")
    return lines


def _signed_mib(n: int) -> str:
    return ("+" if n >= 0 else "-") + fmt.mib(abs(n))
