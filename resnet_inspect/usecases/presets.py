"""`list_presets`: the named architectures by family, with their figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError

if TYPE_CHECKING:
    from resnet_inspect.analysis.preset_figures import Figures
    from resnet_inspect.spec.registry import Preset


@dataclass(frozen=True)
class PresetList:
    """Presets grouped by family (in the registry's order) and, when counted, each one's
    params and MACs by name."""

    groups: dict[str, list[Preset]]
    figures: dict[str, Figures]
    counted: bool


def list_presets(match: str | None = None, counts: bool = True) -> PresetList:
    """The presets whose name, family or description contains `match` (any case)."""
    from resnet_inspect.spec.registry import families

    wanted = (match or "").strip().lower()
    groups: dict[str, list[Preset]] = {}
    for family, presets in families().items():
        kept = [p for p in presets if wanted in f"{p.name} {family} {p.summary}".lower()]
        if kept:
            groups[family] = kept
    if not groups:
        names = ", ".join(families())
        raise InspectError(
            f"no preset matches {match!r}; try a family ({names}) or run `resnet-inspect list`"
        )
    rows = {}
    if counts:
        from resnet_inspect.analysis.preset_figures import figures

        rows = {p.name: figures(p) for ps in groups.values() for p in ps}
    return PresetList(groups, rows, counts)
