"""The summary table (rich): one row per stage, block or layer, then the totals.

At 80 columns it keeps the columns a learner reads (name, output shape, params, MACs and
the shortcut or kernel); from 110 columns up it adds input shape, FLOPs and activation
memory. Rows sum to the printed totals (the golden tests check it). The columns are
declared in `render/columns.py`.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console, Group
from rich.table import Table

from resnet_inspect.counting.categories import Category, Headline, headline_values
from resnet_inspect.counting.categories import label as category_label
from resnet_inspect.render.columns import RF_WIDE, TERMINAL, WIDE, View, headline_label
from resnet_inspect.render.console import TABLE_BOX, print_block
from resnet_inspect.render.names import NameScheme
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, counted_on_data, rollup


def summary_table(
    report: Report, level: str = "block", names: NameScheme | str = "torchvision", width: int = 80,
    rf: bool = False,
) -> Table:
    """The table at `width`: the wide columns from WIDE, the receptive field at stage level,
    with `rf`, or from RF_WIDE. Where a table would still be wider than `width` (long names,
    VGG's stage table at 120), the receptive field it was not asked for goes first, then
    the wide columns, so rich never has to break a name over two lines."""
    needed = rf or level == "stage"
    tries = [(width >= WIDE, needed or width >= RF_WIDE), (width >= WIDE, needed),
             (False, needed)]
    for wide, with_rf in dict.fromkeys(tries):  # in order, each once
        table = _table(report, level, names, width, wide, with_rf)
        if _natural_width(table) <= width:
            break
    return table


def _table(report: Report, level: str, names: NameScheme | str, width: int, wide: bool,
           rf: bool) -> Table:
    view = View(report, level, TERMINAL, wide=wide, names=names, rf=rf)
    title = (f"{fmt.visible(report.model)} · input {fmt.shape(report.input_shape)} · "
             f"traced on {report.device}")
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        show_lines=False,
        pad_edge=False,
        box=None if width < 60 else TABLE_BOX,
    )
    for column, header, right in zip(view.columns, view.headers(), view.right(), strict=True):
        if column.fold:
            table.add_column(header, overflow="fold", no_wrap=False)
        else:
            table.add_column(header, justify="right" if right else "left", no_wrap=True)
    for row in rollup(report, level):
        style = "dim" if level == "layer" and row.records[0].shortcut else None
        table.add_row(*view.cells(row), style=style)
    table.add_section()
    table.add_row(*view.totals(), style="bold")
    return table


def _natural_width(table: Table) -> int:
    """The columns' widest cells and headers, with the box's edges, dividers and padding
    (as plain_table lays them out)."""
    widths = [max([cell_len(str(c)) for c in column.cells]
                  + [cell_len(h) for h in str(column.header).split("\n")])
              for column in table.columns]
    n = len(widths)
    return sum(widths) + 2 + (n - 1) + 2 * n - 2


def totals_text(report: Report) -> Table:
    """The footer: a two-column grid, so long values wrap under their own column."""
    t, m = report.totals, report.memory
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    lc = report.layer_count
    grid.add_row(
        "Layers",
        lc.text.split(" = ", 1)[0].split(" ")[0] + " = " + lc.text.split(" = ", 1)[-1]
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
    flops_note = " = 2 x MACs" if t.headline == Headline.CONV else ""
    on_data = "~" if counted_on_data(report.layers, t.headline) else ""
    grid.add_row(
        "MACs",
        f"{on_data}{fmt.si(t.macs)} {headline_label(report)} ({on_data}{fmt.count(t.macs)}); "
        f"FLOPs {on_data}{fmt.si(t.flops)}{flops_note}",
    )
    outside_macs = []
    outside_flops = []
    for c, v in t.by_category.items():
        if c in (Category.OTHER, Category.UNSUPPORTED) or c in _headline_cats(report):
            continue
        label = _label(report, c)
        if v["macs"]:
            outside_macs.append(f"{label} {fmt.si(v['macs'])} MACs")
        elif v["flops"]:
            outside_flops.append(f"{label} {fmt.si(v['flops'])}")
    other = "; ".join(
        outside_macs + ([", ".join(outside_flops) + " FLOPs"] if outside_flops else [])
    )
    if other:
        grid.add_row("Not counted", other)
    if report.unsupported:
        # never a silent zero: what ran without a formula, by name and call count
        ops = ", ".join(f"{u['op']} x{u['calls']}" for u in report.unsupported)
        grid.add_row("No formula", f"{ops} (not in the counts)")
    not_called = [r for r in report.layers if not r.called]
    if not_called:
        names = ", ".join(fmt.visible(r.name) for r in not_called[:4]) + (
            ", ..." if len(not_called) > 4 else "")
        grid.add_row(
            "Not called",
            f"{len(not_called)} module{'s' if len(not_called) != 1 else ''} never called as a "
            f"module ({names}): parameters counted, work charged to whoever used them",
        )
    projections = [b.name for b in report.blocks if b.shortcut == "projection"]
    if report.blocks:
        kinds: dict[str, int] = {}
        for b in report.blocks:
            kinds[b.shortcut] = kinds.get(b.shortcut, 0) + 1
        text = ", ".join(f"{n} {k}" for k, n in kinds.items())
        if projections and len(projections) <= 6:
            text += f" (projections: {', '.join(projections)})"
        grid.add_row("Shortcuts", text)
    if report.training_memory is not None:
        _training_rows(report, grid)
        return grid
    grid.add_row(
        "Memory",
        f"{report.dtype}, batch {report.input_shape[0]}: input {fmt.mib(m.input_bytes)}, "
        f"forward/backward {fmt.mib(m.forward_backward_bytes)}, "
        f"params {fmt.mib(m.param_bytes)}, buffers {fmt.mib(m.buffer_bytes)}; "
        f"total {fmt.mib(m.total_bytes)}",
    )
    return grid


def _training_rows(report: Report, grid: Table) -> None:
    """One training step: the backward's work, and memory counted from autograd."""
    t, tm = report.totals, report.training_memory
    assert tm is not None
    ratio = f", {t.backward_macs / t.macs:.2f}x the forward" if t.macs else ""
    grid.add_row("Backward", f"{fmt.si(t.backward_macs)} {headline_label(report)} MACs "
                             f"({fmt.count(t.backward_macs)}){ratio}; a step "
                             f"{fmt.si(t.macs + t.backward_macs)} MACs")
    grid.add_row(
        "Training",
        f"{report.dtype}{f' weights, {tm.amp} autocast' if tm.amp else ''}, batch "
        f"{report.input_shape[0]}, {tm.optimizer}: activations saved "
        f"{fmt.mib(tm.activations_saved)}, params {fmt.mib(tm.params)}, grads "
        f"{fmt.mib(tm.grads)}, optimizer state {fmt.mib(tm.optimizer_state)}, input "
        f"{fmt.mib(tm.input)}; peak {fmt.mib(tm.peak)}",
    )
    times = tm.torchinfo_estimate / tm.peak
    grid.add_row("torchinfo", f"its estimate (input + 2 x every output + params): "
                              f"{fmt.mib(tm.torchinfo_estimate)}, {times:.1f}x our counted peak")


def fit_text(fit: Any, report: Report) -> Table:
    """The answer to "will it fit?", laid out as the footer is."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if fit.batch == 0:
        grid.add_row("Fit".ljust(11), f"not even batch 1 fits {fit.label}: its step needs "
                            f"{fmt.mib(fit.next_peak)}")
        return grid
    share = fit.parts[fit.dominant] / fit.peak
    grid.add_row("Fit".ljust(11), f"largest batch {fit.batch} in {fit.label}: peak "
                                  f"{fmt.mib(fit.peak)} "
                        f"(batch {fit.batch + 1}: {fmt.mib(fit.next_peak)}); {fit.dominant} "
                        f"dominate ({share:.0%}); each sample adds {fmt.mib(fit.per_sample)}, "
                        f"{fmt.mib(fit.fixed)} does not grow with the batch")
    return grid


def _label(report: Report, category: str) -> str:
    """The category's word; 'norm' rather than 'batch-norm' where other norms ran."""
    batch_norm = category != Category.NORM or not any(
        Category.NORM in r.categories and not r.type.startswith("BatchNorm")
        for r in report.layers
    )
    return category_label(category, batch_norm)


def _headline_cats(report: Report) -> tuple[str, ...]:
    return headline_values(report.totals.headline)


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
        if not all(isinstance(c, str) for c in column.cells):
            return None
        cells.append([str(c) for c in column.cells])
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
    report: Report, console: Console, level: str = "block", names: NameScheme | str = "torchvision",
    rf: bool = False,
) -> None:
    """The summary table and its footer; `rf` shows the receptive field at every level."""
    table = summary_table(report, level, names, console.width, rf)
    text = None if console.is_terminal else plain_table(table, console.width)
    if text is None:
        print_block(console, Group(table, totals_text(report)))
        return
    console.file.write(text)
    print_block(console, totals_text(report))

