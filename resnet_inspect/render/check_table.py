"""The cross-check as rich tables: one line per tool, then each tool's figure split by
layer type, beside our headline and the rule that explains the difference.

Fits 80 columns: the rule column folds when it must; numbers never wrap.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from resnet_inspect.analysis.check_report import LABEL, CheckReport, ToolCheck, explain
from resnet_inspect.render.console import TABLE_BOX, print_block
from resnet_inspect.report import format as fmt

_NAMES = {"torch": "torch counter"}  # torch.utils.flop_counter.FlopCounterMode


def _short_version(version: str) -> str:
    """'0.1.5.post20221221' -> '0.1.5', '2.13.0+cpu' -> '2.13.0': fits the column."""
    parts = []
    for part in version.split("+")[0].split(".")[:3]:
        if not part.isdigit():
            break
        parts.append(part)
    return ".".join(parts)


def _title(tool: ToolCheck) -> str:
    name = _NAMES.get(tool.tool, tool.tool)
    version = _short_version(tool.version)
    return f"{name} {version}" if version else name


def overview_table(check: CheckReport) -> Table:
    table = Table(
        title=f"Cross-check · {check.model} · input {fmt.shape(check.input_shape)} · "
              f"ours traced on {check.device}",
        title_justify="left", header_style="bold", pad_edge=False, box=TABLE_BOX,
    )
    table.add_column("Tool", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column("Figure", justify="right", no_wrap=True)
    table.add_column("Unit", no_wrap=True)
    table.add_column("vs ours", justify="right", no_wrap=True)
    table.add_row("resnet-inspect", fmt.count(check.params), fmt.count(check.macs),
                  "MACs", "")
    for tool in check.tools:
        if tool.failed:
            table.add_row(_title(tool), "-", "-", "FAILED", "", style="bold red")
            continue
        if tool.skipped:
            table.add_row(_title(tool), "-", "-", "not run", "", style="dim")
            continue
        params = fmt.count(tool.params) if tool.params is not None else "-"
        if tool.figure is None:
            figure, unit = "-", tool.unit
            delta = f"{tool.params - check.params:+,}" if tool.params is not None else ""
        else:
            figure, unit = fmt.count(tool.figure), tool.unit
            extra = tool.extra(check.macs) or 0
            delta = f"{tool.scale} x ours" if tool.scale != 1 and not extra else f"{extra:+,}"
            if tool.scale != 1 and extra:
                delta = f"{tool.scale} x ours {extra:+,}"
        table.add_row(_title(tool), params, figure, unit, delta)
    return table


def tool_table(check: CheckReport, tool: ToolCheck) -> Table:
    ours = "ours" if tool.scale == 1 else f"{tool.scale} x ours"
    verdict = "all accounted for" if tool.accounted else "NOT fully accounted for"
    table = Table(
        title=f"{_title(tool)}: {tool.figure:,} {tool.unit}, {verdict}",
        title_justify="left", header_style="bold", pad_edge=False, box=TABLE_BOX,
    )
    table.add_column("Layer type", no_wrap=True)
    table.add_column(tool.tool, justify="right", no_wrap=True)
    table.add_column(f"- {ours}", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)  # ✓ when the rule predicts the tool's figure exactly
    table.add_column("Rule", overflow="fold")
    for term in tool.terms:
        mark = "✓" if term.difference == 0 else "✗"
        rule = term.rule if term.difference == 0 else (
            f"{term.rule}; the rule predicts {term.expected:,} ({term.difference:+,})"
        )
        table.add_row(LABEL.get(term.category, term.category), fmt.count(term.tool),
                      f"{term.extra:+,}" if term.extra else "0", mark, rule,
                      style=None if term.difference == 0 else "bold red")
    table.add_section()
    extra = tool.extra(check.macs) or 0
    table.add_row("total", fmt.count(tool.figure or 0), f"{extra:+,}" if extra else "0",
                  "✓" if tool.accounted else "✗", "", style="bold")
    return table


def notes(tool: ToolCheck) -> list[str]:
    lines = []
    if tool.not_counted:
        lines.append("  not counted: " + ", ".join(LABEL.get(c, c) for c in tool.not_counted))
    if tool.unsupported:
        ops = ", ".join(f"{op} x{n}" for op, n in sorted(tool.unsupported.items()))
        lines.append(f"  reported unsupported by {tool.tool}: {ops}")
    if tool.ignored:
        lines.append(f"  skipped by {tool.tool} without a warning: " + ", ".join(tool.ignored))
    if tool.params is not None and tool.params != tool.expected_params:
        lines.append(f"  params {tool.params:,} but the rule predicts "
                     f"{tool.expected_params:,} ({tool.params_rule})")
    return lines


def render_check(check: CheckReport, console: Console) -> None:
    parts: list[RenderableType] = [overview_table(check)]
    for tool in check.tools:
        if tool.failed:
            parts.append(Text(f"{_title(tool)}: FAILED: {tool.skipped}; nothing of its count "
                              "is checked", style="bold red"))
            parts.append(Text(""))
            continue
        if tool.skipped:
            parts.append(Text(f"{_title(tool)}: not run: {tool.skipped}", style="dim"))
            parts.append(Text(""))
            continue
        if tool.figure is None:
            parts.append(Text(explain(tool, check.macs)))
            parts.append(Text(""))
            continue
        parts.append(tool_table(check, tool))
        extra = notes(tool)
        if extra:
            parts.append(Text("\n".join(extra)))
            parts.append(Text(""))
    if check.unsupported:
        parts.append(Text("resnet-inspect has no formula for: "
                          + ", ".join(f"{u['op']} x{u['calls']}" for u in check.unsupported)
                          + " (counted as zero by us, shown as 'no formula' above)"))
    summary = [explain(t, check.macs) for t in check.tools if not t.skipped or t.failed]
    parts.append(Text("In one line each:\n" + "\n".join(f"  {s}" for s in summary)))
    if not check.ran:
        parts.append(Text("No tool ran, so nothing was cross-checked.", style="bold red"))
    print_block(console, Group(*parts))


