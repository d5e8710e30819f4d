"""The cross-check's result as plain data: each tool's figure split by layer type beside
what its rule predicts, and the one line that explains it. `check.py` fills it in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from resnet_inspect.counting.categories import LABEL as CATEGORY_LABEL

UNATTRIBUTED = "unattributed"
LABEL = {**CATEGORY_LABEL, UNATTRIBUTED: "unattributed"}


@dataclass
class Term:
    """One layer type of one tool: its figure beside what its rule predicts from ours."""

    category: str
    tool: int
    expected: int  # what the tool's rule predicts from our per-layer counts
    rule: str
    ours: int = 0  # our headline (conv + fc MACs) in this layer type, in the tool's unit

    @property
    def difference(self) -> int:
        """The tool against its own rule: zero when the rule explains the figure."""
        return self.tool - self.expected

    @property
    def extra(self) -> int:
        """The tool against our headline: what its convention adds (or leaves out)."""
        return self.tool - self.ours


@dataclass
class ToolCheck:
    """One tool's run: its figure split into terms by layer type, beside its rule's
    prediction, and what it left out, skipped or could not run."""

    tool: str
    version: str
    device: str
    unit: str  # what the tool's figure counts, in its own words
    scale: int  # tool units per MAC of ours: 2 for FLOPs, 1 for MAC-like figures
    params: int | None
    expected_params: int | None
    params_rule: str
    figure: int | None
    terms: list[Term] = field(default_factory=list)
    not_counted: list[str] = field(default_factory=list)  # our layer types it leaves out
    unsupported: dict[str, int] = field(default_factory=dict)  # the tool's own list: op -> calls
    ignored: list[str] = field(default_factory=list)  # ops it skips by design, silently
    skipped: str = ""  # why it did not run
    failed: bool = False  # it crashed: `skipped` holds the error, and nothing is checked
    seconds: float = 0.0

    @property
    def expected(self) -> int:
        return sum(t.expected for t in self.terms)

    def extra(self, ours_macs: int) -> int | None:
        return None if self.figure is None else self.figure - self.scale * ours_macs

    @property
    def accounted(self) -> bool:
        """Every unit of the tool's figure and parameter count is explained."""
        if self.skipped:
            return False
        figure_ok = self.figure is None or (
            self.figure == self.expected and all(t.difference == 0 for t in self.terms)
        )
        params_ok = self.params is None or self.params == self.expected_params
        return figure_ok and params_ok


@dataclass
class CheckReport:
    model: str
    input_shape: list[int]
    device: str  # where resnet-inspect traced
    params: int
    running_stats: int
    macs: int  # conv + fc, our headline
    by_category: dict[str, dict[str, int]]
    tools: list[ToolCheck]
    unsupported: list[dict[str, Any]]  # operators resnet-inspect has no formula for: op, calls

    def tool(self, name: str) -> ToolCheck:
        return next(t for t in self.tools if t.tool == name)

    @property
    def ran(self) -> list[ToolCheck]:
        """The tools that counted something (paddle.summary's rule is ours, not a tool run)."""
        return [t for t in self.tools if not t.skipped and t.version != "rule"]

    @property
    def failed(self) -> list[ToolCheck]:
        return [t for t in self.tools if t.failed]

    @property
    def accounted(self) -> bool:
        """Every tool that ran is explained to the unit, none crashed, and at least one ran:
        a check in which every tool crashed has explained nothing."""
        if self.failed or not self.ran:
            return False
        return all(t.accounted for t in self.tools if not t.skipped)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for tool, out in zip(self.tools, data["tools"], strict=True):
            out["accounted"] = tool.accounted
            out["expected"] = tool.expected
        data["accounted"] = self.accounted
        return data


def explain(tool: ToolCheck, ours_macs: int) -> str:
    """One line: the tool's figure as our headline plus what its convention adds."""
    if tool.failed:
        return f"{tool.tool}: FAILED ({tool.skipped})"
    if tool.skipped:
        return f"{tool.tool}: not run ({tool.skipped})"
    if tool.figure is None:
        return f"{tool.tool} params {tool.params:,} = {tool.params_rule}"
    ours = f"{tool.scale} x ours" if tool.scale != 1 else "ours"
    text = f"{tool.tool} {tool.figure:,} = {ours}"
    for t in tool.terms:
        if t.extra:
            sign = "+" if t.extra > 0 else "-"
            text += f" {sign} {LABEL.get(t.category, t.category)} {abs(t.extra):,}"
    return text + ("" if tool.accounted else " (NOT fully accounted for)")

