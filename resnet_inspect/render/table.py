"""The summary table (rich): one row per stage, block or layer, then the totals.

At 80 columns it keeps the columns a learner reads (name, output shape, params, MACs and
the shortcut or kernel); from 110 columns up it adds input shape, FLOPs and activation
memory. Rows sum to the printed totals (the golden tests check it).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, Group
from rich.table import Table

from resnet_inspect.render import format as fmt
from resnet_inspect.render.console import TABLE_BOX, print_block
from resnet_inspect.render.names import Namer, NameScheme
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
    "elementwise": "elementwise",
}


def headline_label(report: Report) -> str:
    return {"conv": "conv+fc", "conv+norm": "conv+fc+bn", "all": "all ops"}[report.totals.headline]


def summary_table(
    report: Report, level: str = "block", names: NameScheme | str = "torchvision", width: int = 80
) -> Table:
    wide = width >= WIDE
    namer = Namer(report, names)
    rows = rollup(report, level)
    shortcuts = {b.name: b.shortcut for b in report.blocks}
    title = f"{report.model} · input {fmt.shape(report.input_shape)} · traced on {report.device}"
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        show_lines=False,
        pad_edge=False,
        box=None if width < 60 else TABLE_BOX,
    )
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
    # The convention sits in the header itself; on two lines when the terminal is narrow.
    sep = " " if wide else "\n"
    table.add_column(f"MACs{sep}({headline_label(report)})", justify="right", no_wrap=True)
    if wide:
        table.add_column("FLOPs", justify="right", no_wrap=True)
        table.add_column("Activations", justify="right", no_wrap=True)
    blocks_in_stage: dict[str, int] = {}
    for b in report.blocks:
        blocks_in_stage[b.stage] = blocks_in_stage.get(b.stage, 0) + 1
    for row in rows:
        if level == "layer":
            r = row.records[0]
            indent = " " * max(0, r.depth - 1) if r.block else ""
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
        cells += [
            fmt.shape(row.output_shape),
            fmt.count(row.params) if row.params else "-",
            fmt.si(row.macs) if row.macs else "-",
        ]
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



def totals_text(report: Report) -> Table:
    """The footer: a two-column grid, so long values wrap under their own column."""
    t, m = report.totals, report.memory
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    lc = report.layer_count
    grid.add_row(
        "Layers",
        lc.text.split(" = ", 1)[0].replace(" layers", "") + " = " + lc.text.split(" = ", 1)[-1]
        if " = " in lc.text
        else lc.text,
    )
    grid.add_row(
        "Params",
        f"{fmt.count(t.params)} (trainable {fmt.count(t.trainable_params)}, "
        f"frozen {fmt.count(t.frozen_params)})",
    )
    grid.add_row(
        "Buffers", f"{fmt.count(t.buffers)} (BN running mean/var {fmt.count(t.running_stats)})"
    )
    flops_note = " = 2 x MACs" if t.headline == "conv" else ""
    grid.add_row(
        "MACs",
        f"{fmt.si(t.macs)} {headline_label(report)} ({fmt.count(t.macs)}); "
        f"FLOPs {fmt.si(t.flops)}{flops_note}",
    )
    outside_macs = []
    outside_flops = []
    for c, v in t.by_category.items():
        if c not in _CATEGORY_TEXT or c in _headline_cats(report):
            continue
        if v["macs"]:
            outside_macs.append(f"{_CATEGORY_TEXT[c]} {fmt.si(v['macs'])} MACs")
        elif v["flops"]:
            outside_flops.append(f"{_CATEGORY_TEXT[c]} {fmt.si(v['flops'])}")
    other = "; ".join(
        outside_macs + ([", ".join(outside_flops) + " FLOPs"] if outside_flops else [])
    )
    if other:
        grid.add_row("Not counted", other)
    if report.unsupported:
        grid.add_row("No formula", ", ".join(report.unsupported))
    projections = [b.name for b in report.blocks if b.shortcut == "projection"]
    if report.blocks:
        kinds: dict[str, int] = {}
        for b in report.blocks:
            kinds[b.shortcut] = kinds.get(b.shortcut, 0) + 1
        text = ", ".join(f"{n} {k}" for k, n in kinds.items())
        if projections and len(projections) <= 6:
            text += f" (projections: {', '.join(projections)})"
        grid.add_row("Shortcuts", text)
    grid.add_row(
        "Memory",
        f"{report.dtype}, batch {report.input_shape[0]}: input {fmt.mib(m.input_bytes)}, "
        f"forward/backward {fmt.mib(m.forward_backward_bytes)}, "
        f"params {fmt.mib(m.param_bytes)}, buffers {fmt.mib(m.buffer_bytes)}; "
        f"total {fmt.mib(m.total_bytes)}",
    )
    return grid


def _headline_cats(report: Report) -> tuple[str, ...]:
    from resnet_inspect.categories import HEADLINE_CATEGORIES, Headline

    return tuple(c.value for c in HEADLINE_CATEGORIES[Headline(report.totals.headline)])


def plain_table(table: Table, width: int) -> str | None:
    """The text rich draws for `table` without colour, built directly: None where rich
    would do more than lay out one line per cell (wrapping, another box, a title wider
    than the table), so the caller falls back to rich.

    Off a terminal the output is plain text anyway, and rich lays out each of 10,000 rows
    cell by cell (~40% of a deep network's summary). Same lines as `print_block` writes
    (trailing spaces stripped); tests/test_scale.py compares the two on every level.
    """
    if (table.box is not TABLE_BOX or table.pad_edge or tuple(table.padding) != (0, 1, 0, 1)
            or not table.show_header or table.show_lines or table.show_footer
            or table.caption or not table.show_edge or table.expand):
        return None
    columns = table.columns
    n = len(columns)
    cells: list[list[str]] = []
    for column in columns:
        if not all(isinstance(c, str) for c in column._cells):
            return None
        cells.append([str(c) for c in column._cells])
    headers = [str(col.header).split("\n") for col in columns]
    if not all(isinstance(col.header, str) for col in columns):
        return None
    widths = []
    for texts, head in zip(cells, headers, strict=True):
        w = max((cell_len(c) for c in texts), default=0)
        widths.append(max(w, *(cell_len(h) for h in head)))
    for column, w in zip(columns, widths, strict=True):
        if (column.width is not None or column.max_width is not None
                or (column.min_width is not None and column.min_width > w)):
            return None
    # edges 2, dividers n-1, padding 2 per column less the outer two
    total = sum(widths) + 2 + (n - 1) + 2 * n - 2
    if total > width or any("\n" in c for texts in cells for c in texts):
        return None
    title = table.title
    if title is not None and (not isinstance(title, str) or cell_len(title) > total
                              or table.title_justify != "left"):
        return None

    def line(values: list[str]) -> str:
        parts = []
        for i, (v, w, col) in enumerate(zip(values, widths, columns, strict=True)):
            pad = " " * (w - cell_len(v))
            text = pad + v if col.justify == "right" else v + pad
            left = "" if i == 0 else " "
            right = "" if i == n - 1 else " "
            parts.append(left + text + right)
        return (" " + " ".join(parts)).rstrip()

    out = []
    if title is not None:
        out.append(title.rstrip())
    out.append("")  # the box's top: blank
    depth = max(len(h) for h in headers)
    for k in range(depth):  # header cells sit at the bottom, as rich aligns them
        out.append(line([h[k - (depth - len(h))] if k >= depth - len(h) else ""
                         for h in headers]))
    out.append(" " + "\u2500" * (total - 2))
    for r, row in enumerate(table.rows):
        out.append(line([texts[r] for texts in cells]))
        if row.end_section and r < len(table.rows) - 1:
            out.append("")
    out.append("")  # the box's bottom: blank
    return "\n".join(out) + "\n"


def render_summary(
    report: Report, console: Console, level: str = "block", names: NameScheme | str = "torchvision"
) -> None:
    table = summary_table(report, level, names, console.width)
    text = None if console.is_terminal else plain_table(table, console.width)
    if text is None:
        print_block(console, Group(table, totals_text(report)))
        return
    console.file.write(text)
    print_block(console, totals_text(report))

