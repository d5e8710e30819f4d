"""A Report as HTML (Jupyter's `_repr_html_`, the shareable page) and as Markdown.

The columns are the terminal table's wide columns; the footer is the terminal footer's
own rows (taken from `render/table.totals_text`), so the two cannot drift apart. Stages
collapse with <details>, which needs no JavaScript (Jupyter strips scripts from untrusted
output, and GitHub's notebook view shows none).
"""

from __future__ import annotations

from html import escape

from resnet_inspect.render import format as fmt
from resnet_inspect.report import Report, Rollup, rollup

COLUMNS = ("Input shape", "Output shape", "Params", "MACs", "FLOPs", "Activations")

STYLE = """
.ri-report{font-family:system-ui,sans-serif;font-size:13px;max-width:1100px}
.ri-report table{border-collapse:collapse;margin:4px 0}
.ri-report th,.ri-report td{padding:2px 10px;text-align:right;white-space:nowrap}
.ri-report th:first-child,.ri-report td:first-child,
.ri-report th:nth-child(2),.ri-report td:nth-child(2){text-align:left}
.ri-report thead th{border-bottom:1px solid #888}
.ri-report tr.ri-total td{border-top:1px solid #888;font-weight:bold}
.ri-report tr.ri-shortcut td{color:#777}
.ri-report details{margin:2px 0 2px 12px}
.ri-report summary{cursor:pointer}
.ri-report dl.ri-footer{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
.ri-report dl.ri-footer dt{font-weight:bold}
.ri-report dl.ri-footer dd{margin:0}
"""


def footer_rows(report: Report) -> list[tuple[str, str]]:
    """The terminal footer's rows (label, text), read from the same rich grid."""
    from resnet_inspect.render.table import totals_text

    grid = totals_text(report)
    labels = [str(c) for c in grid.columns[0].cells]
    texts = [str(c) for c in grid.columns[1].cells]
    return list(zip(labels, texts, strict=True))


def _title(report: Report) -> str:
    return f"{report.model} · input {fmt.shape(report.input_shape)} · traced on {report.device}"


def _macs_header(report: Report) -> str:
    from resnet_inspect.render.table import headline_label

    return f"MACs ({headline_label(report)})"


def _cells(row: Rollup) -> list[str]:
    return [
        fmt.shape(row.input_shape),
        fmt.shape(row.output_shape),
        fmt.count(row.params) if row.params else "-",
        fmt.si(row.macs) if row.macs else "-",
        fmt.si(row.flops) if row.flops else "-",
        fmt.mib(row.output_bytes),
    ]


def _tr(cells: list[str], cls: str = "", data: dict[str, int] | None = None) -> str:
    attrs = f' class="{cls}"' if cls else ""
    for k, v in (data or {}).items():
        attrs += f' data-{k}="{v}"'
    return "<tr" + attrs + ">" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _thead(first: str, second: str, report: Report) -> str:
    heads = [first, second, *COLUMNS]
    heads[5] = _macs_header(report)
    return "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr></thead>"


def _numbers(row: Rollup) -> dict[str, int]:
    return {"params": row.params, "macs": row.macs, "flops": row.flops}


def _layer_table(report: Report, rows: list[Rollup]) -> str:
    out = ["<table>", _thead("Layer", "Kernel", report), "<tbody>"]
    for row in rows:
        r = row.records[0]
        k = f"{r.kernel}/{r.stride}" if r.kernel and r.stride > 1 else r.kernel
        name = row.name + (" (shortcut)" if r.shortcut else "")
        out.append(_tr([name, k, *_cells(row)], "ri-shortcut" if r.shortcut else "ri-layer",
                       _numbers(row)))
    out.append("</tbody></table>")
    return "".join(out)


def report_html(report: Report, *, layers: bool = False, style: bool = True) -> str:
    """The summary as an HTML fragment: a stage table whose stages expand (<details>) into
    their blocks, and, with `layers`, each block into its layers; then the footer."""
    stages = rollup(report, "stage")
    blocks = rollup(report, "block")
    layer_rows = rollup(report, "layer") if layers else []
    shortcuts = {b.name: b.shortcut for b in report.blocks}
    n_blocks: dict[str, int] = {}
    for b in report.blocks:
        n_blocks[b.stage] = n_blocks.get(b.stage, 0) + 1
    out = ['<div class="ri-report">']
    if style:
        out.append(f"<style>{STYLE}</style>")
    out.append(f"<p><b>{escape(_title(report))}</b></p>")
    # The overview: one row per stage, then the total.
    out.append('<table class="ri-stages">' + _thead("Stage", "Blocks", report) + "<tbody>")
    for s in stages:
        n = n_blocks.get(s.stage, 0)
        out.append(_tr([s.name, str(n) if n else "", *_cells(s)], "ri-stage", _numbers(s)))
    t = report.totals
    out.append(_tr(["Total", "", "", "", fmt.count(t.params), fmt.si(t.macs), fmt.si(t.flops),
                    fmt.mib(report.memory.activation_bytes)], "ri-total",
                   {"params": t.params, "macs": t.macs, "flops": t.flops}))
    out.append("</tbody></table>")
    # Each stage expands into its blocks (and, on the page, each block into its layers).
    for s in stages:
        members = [b for b in blocks if b.stage == s.stage]
        label = (f"{s.name}: {len(members)} row{'s' if len(members) != 1 else ''}, "
                 f"params {fmt.count(s.params)}, MACs {fmt.si(s.macs)}")
        out.append(f'<details class="ri-stage-details" data-stage="{escape(s.stage)}">'
                   f"<summary>{escape(label)}</summary>")
        out.append("<table>" + _thead("Block", "Shortcut", report) + "<tbody>")
        for b in members:
            out.append(_tr([b.name, shortcuts.get(b.name, ""), *_cells(b)], "ri-block",
                           _numbers(b)))
        out.append("</tbody></table>")
        if layers:
            for b in members:
                inner = [r for r in layer_rows if (r.records[0].block or r.records[0].stage)
                         == b.name or r.name == b.name]
                if len(inner) <= 1:
                    continue
                out.append(f'<details class="ri-block-details"><summary>{escape(b.name)} '
                           f"layers</summary>{_layer_table(report, inner)}</details>")
        out.append("</details>")
    out.append('<dl class="ri-footer">')
    for label, text in footer_rows(report):
        out.append(f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>")
    out.append("</dl></div>")
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def report_markdown(report: Report) -> str:
    """The block table as a Markdown table, then the footer as a list."""
    from resnet_inspect.render.table import headline_label

    shortcuts = {b.name: b.shortcut for b in report.blocks}
    heads = ["Block", "Shortcut", *COLUMNS]
    heads[5] = f"MACs ({headline_label(report)})"
    lines = [f"**{_md_escape(_title(report))}**", "",
             "| " + " | ".join(heads) + " |",
             "|" + "|".join(["---", "---"] + ["---:"] * len(COLUMNS)) + "|"]
    for b in rollup(report, "block"):
        cells = [b.name, shortcuts.get(b.name, ""), *_cells(b)]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    t = report.totals
    lines.append("| **Total** | | | | " + f"**{fmt.count(t.params)}** | **{fmt.si(t.macs)}** | "
                 f"**{fmt.si(t.flops)}** | **{fmt.mib(report.memory.activation_bytes)}** |")
    lines.append("")
    lines += [f"- **{label}**: {_md_escape(text)}" for label, text in footer_rows(report)]
    return "\n".join(lines) + "\n"
