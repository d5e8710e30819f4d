"""The summary table (rich): one row per stage, block or layer, then the totals.

At 80 columns it keeps the columns a learner reads (name, output shape, params, MACs and
the shortcut or kernel); from 110 columns up it adds input shape, FLOPs and activation
memory. Rows sum to the printed totals (the golden tests check it).
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from resnet_inspect.render import format as fmt
from resnet_inspect.render.names import NameScheme, Namer
from resnet_inspect.report import Report, rollup

WIDE = 110

_SHORTCUT_MARK = {
    "identity": "identity",
    "projection": "projection",
    "zero-pad": "zero-pad",
    "none": "none",
}

_CATEGORY_TEXT = {
    "conv": "conv",
    "linear": "fc",
    "norm": "batch-norm",
    "activation": "activations",
    "pool": "pooling",
    "add": "residual adds",
}


def headline_label(report: Report) -> str:
    return {"conv": "conv+fc", "conv+norm": "conv+fc+bn", "all": "all ops"}[report.totals.headline]


def summary_table(report: Report, level: str = "block", names: NameScheme | str = "torchvision",
                  width: int = 80) -> Table:
    wide = width >= WIDE
    namer = Namer(report, names)
    rows = rollup(report, level)
    shortcuts = {b.name: b.shortcut for b in report.blocks}
    title = f"{report.model} · input {fmt.shape(report.input_shape)} · {report.device}"
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False,
                  pad_edge=False, box=None if width < 60 else _box())
    first = {"stage": "Stage", "block": "Block", "layer": "Layer"}[level]
    table.add_column(first, overflow="fold", no_wrap=False)
    if level == "layer":
        table.add_column("Kernel", no_wrap=True)
    elif level == "block":
        table.add_column("Shortcut", no_wrap=True)
    else:
        table.add_column("Blocks", justify="right", no_wrap=True)
    if wide:
        table.add_column("Input shape", no_wrap=True)
    table.add_column("Output shape", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column(f"MACs ({headline_label(report)})", justify="right", no_wrap=True)
    if wide:
        table.add_column("FLOPs", justify="right", no_wrap=True)
        table.add_column("Activations", justify="right", no_wrap=True)
    blocks_in_stage: dict[str, int] = {}
    for b in report.blocks:
        blocks_in_stage[b.stage] = blocks_in_stage.get(b.stage, 0) + 1
    for row in rows:
        if level == "layer":
            r = row.records[0]
            indent = "  " * max(0, r.depth - 1) if r.block else ""
            label = indent + namer(row.name)
            k = f"{r.kernel}/{r.stride}" if r.kernel and r.stride > 1 else r.kernel
            second = k or ""
            style = "dim" if r.shortcut else None
        elif level == "block":
            label = namer(row.name)
            second = _SHORTCUT_MARK.get(shortcuts.get(row.name, ""), "")
            style = None
        else:
            label = row.name
            n = blocks_in_stage.get(row.stage, 0)
            second = str(n) if n else ""
            style = None
        cells = [label, second]
        if wide:
            cells.append(fmt.shape(row.input_shape))
        cells += [fmt.shape(row.output_shape), fmt.count(row.params) if row.params else "-",
                  fmt.si(row.macs) if row.macs else "-"]
        if wide:
            cells += [fmt.si(row.flops) if row.flops else "-", fmt.mib(row.output_bytes)]
        table.add_row(*cells, style=style)
    t = report.totals
    total_cells = ["Total", ""]
    if wide:
        total_cells.append("")
    total_cells += ["", fmt.count(t.params), fmt.si(t.macs)]
    if wide:
        total_cells += [fmt.si(t.flops), fmt.mib(report.memory.activation_bytes)]
    table.add_section()
    table.add_row(*total_cells, style="bold")
    return table


def _box():  # type: ignore[no-untyped-def]
    from rich import box

    return box.SIMPLE_HEAD


def totals_text(report: Report) -> Text:
    t, m = report.totals, report.memory
    lines = [
        f"{report.layer_count.text}",
        f"Params: {fmt.count(t.params)} (trainable {fmt.count(t.trainable_params)}, "
        f"frozen {fmt.count(t.frozen_params)}); buffers {fmt.count(t.buffers)} "
        f"(BN running mean/var {fmt.count(t.running_stats)})",
        f"MACs ({headline_label(report)}): {fmt.si(t.macs)} ({fmt.count(t.macs)}); "
        f"FLOPs: {fmt.si(t.flops)}" + (" (2 x MACs)" if t.headline == "conv" else ""),
    ]
    outside = [
        f"{_CATEGORY_TEXT[c]} {fmt.si(v['macs'])} MACs" if v["macs"] else f"{_CATEGORY_TEXT[c]} {fmt.si(v['flops'])} FLOPs"
        for c, v in t.by_category.items()
        if c in _CATEGORY_TEXT and c not in _headline_cats(report) and (v["macs"] or v["flops"])
    ]
    if outside:
        lines.append("Not in the headline: " + ", ".join(outside))
    if report.unsupported:
        lines.append("Not counted (no formula): " + ", ".join(report.unsupported))
    lines.append(
        f"Memory ({report.dtype}, batch {report.input_shape[0]}): input {fmt.mib(m.input_bytes)}, "
        f"forward/backward {fmt.mib(m.forward_backward_bytes)}, params {fmt.mib(m.param_bytes)}, "
        f"buffers {fmt.mib(m.buffer_bytes)}; total {fmt.mib(m.total_bytes)}"
    )
    return Text("\n".join(lines))


def _headline_cats(report: Report) -> tuple[str, ...]:
    from resnet_inspect.counting import HEADLINE_CATEGORIES, Headline

    return tuple(c.value for c in HEADLINE_CATEGORIES[Headline(report.totals.headline)])


def render_summary(report: Report, console: Console, level: str = "block",
                   names: NameScheme | str = "torchvision") -> None:
    console.print(Group(summary_table(report, level, names, console.width), Text(""), totals_text(report)))


def make_console(width: int | None = None, stderr: bool = False, file_text: bool = False) -> Console:
    """One console factory: width from the terminal (or fixed, for tests); colour off when
    not a TTY or NO_COLOR is set (rich honours both)."""
    if file_text:  # plain text for a file: no colour codes
        return Console(width=width, color_system=None, force_terminal=False, highlight=False)
    return Console(width=width, stderr=stderr, highlight=False, soft_wrap=False)
