"""A Report as HTML (Jupyter's `_repr_html_`, the shareable page) and as Markdown.

The columns are the terminal table's wide columns (declared in `render/columns.py`); the
footer is the terminal footer's own rows (taken from `render/table.totals_text`), so the
two cannot drift apart. Stages collapse with <details>, which needs no JavaScript (Jupyter
strips scripts from untrusted output, and GitHub's notebook view shows none).
"""

from __future__ import annotations

import html as _html

from resnet_inspect.render.columns import NOTEBOOK, View
from resnet_inspect.render.export import markdown_table
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, Rollup, rollup

FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
STYLE = f"""
.ri-report{{font-family:{FONT};font-size:13px;max-width:1100px}}
.ri-report .ri-scroll{{overflow-x:auto;max-width:100%}}
.ri-report table{{border-collapse:collapse;margin:4px 0}}
.ri-report th,.ri-report td{{padding:2px 10px;text-align:right;white-space:nowrap}}
.ri-report th:first-child,.ri-report td:first-child,
.ri-report th:nth-child(2),.ri-report td:nth-child(2){{text-align:left}}
.ri-report thead th{{border-bottom:1px solid #888}}
.ri-report tr.ri-total td{{border-top:1px solid #888;font-weight:bold}}
.ri-report tr.ri-shortcut td{{color:#777}}
.ri-report details{{margin:2px 0 2px 12px}}
.ri-report summary{{cursor:pointer}}
.ri-report dl.ri-footer{{display:grid;grid-template-columns:max-content minmax(0,1fr);
  gap:2px 12px}}
.ri-report dl.ri-footer dt{{font-weight:bold}}
.ri-report dl.ri-footer dd{{margin:0;overflow-wrap:anywhere}}
"""
# The page around the fragment: one font for headings, text and tables; nothing wider than
# the window (a table or the diagram scrolls inside its own box, a chart scales down), so
# a phone shows it without sideways scrolling.
PAGE_STYLE = f"""
*,*::before,*::after{{box-sizing:border-box}}
body{{font-family:{FONT};font-size:14px;line-height:1.45;color:#222;margin:0 auto;
  padding:16px;max-width:1132px}}
h1{{font-size:20px;line-height:1.25;overflow-wrap:anywhere}}
h2{{font-size:16px;margin-top:24px}}
p,li{{overflow-wrap:anywhere}}
ul{{padding-left:20px}}
.ri-charts{{display:flex;flex-wrap:wrap;gap:8px 32px}}
.ri-chart{{display:block;max-width:100%;height:auto}}
.ri-diagram{{overflow-x:auto;max-width:100%}}
.ri-note{{color:#666}}
@media (max-width:600px){{body{{padding:10px}} .ri-report{{font-size:12px}}
  .ri-report th,.ri-report td{{padding:2px 5px}} .ri-report details{{margin-left:6px}}}}
"""


def footer_rows(report: Report) -> list[tuple[str, str]]:
    """The terminal footer's rows (label, text), read from the same rich grid."""
    from resnet_inspect.render.table import totals_text

    grid = totals_text(report)
    labels = [str(c) for c in grid.columns[0].cells]
    texts = [str(c) for c in grid.columns[1].cells]
    return list(zip(labels, texts, strict=True))


def escape(text: str) -> str:
    """Text for the page: HTML-escaped, control characters shown (format.visible)."""
    return _html.escape(fmt.visible(text))


def _title(report: Report) -> str:
    return (f"{fmt.visible(report.model)} · input {fmt.shape(report.input_shape)} · "
            f"traced on {report.device}")


def _tr(cells: list[str], cls: str = "", data: dict[str, int] | None = None) -> str:
    attrs = f' class="{cls}"' if cls else ""
    for k, v in (data or {}).items():
        attrs += f' data-{k}="{v}"'
    return "<tr" + attrs + ">" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _thead(view: View) -> str:
    heads = view.headers()
    return "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr></thead>"


def _numbers(row: Rollup) -> dict[str, int]:
    return {"params": row.params, "macs": row.macs, "flops": row.flops}


def _layer_table(view: View, rows: list[Rollup]) -> str:
    out = ['<div class="ri-scroll"><table>', _thead(view), "<tbody>"]
    for row in rows:
        shortcut = row.records[0].shortcut
        out.append(_tr(view.cells(row), "ri-shortcut" if shortcut else "ri-layer",
                       _numbers(row)))
    out.append("</tbody></table></div>")
    return "".join(out)


def report_html(report: Report, *, layers: bool = False, style: bool = True) -> str:
    """The summary as an HTML fragment: a stage table whose stages expand (<details>) into
    their blocks, and, with `layers`, each block into its layers; then the footer."""
    stages = rollup(report, "stage")
    blocks = rollup(report, "block")
    layer_rows = rollup(report, "layer") if layers else []
    stage_view, block_view = View(report, "stage", NOTEBOOK), View(report, "block", NOTEBOOK)
    layer_view = View(report, "layer", NOTEBOOK)
    n_blocks = stage_view.blocks_in_stage
    out = ['<div class="ri-report">']
    if style:
        out.append(f"<style>{STYLE}</style>")
    out.append(f"<p><b>{escape(_title(report))}</b></p>")
    # The overview: one row per stage, then the total.
    out.append('<div class="ri-scroll"><table class="ri-stages">' + _thead(stage_view)
               + "<tbody>")
    for s in stages:
        out.append(_tr(stage_view.cells(s), "ri-stage", _numbers(s)))
    t = report.totals
    out.append(_tr(stage_view.totals(), "ri-total",
                   {"params": t.params, "macs": t.macs, "flops": t.flops}))
    out.append("</tbody></table></div>")
    # Each stage expands into its blocks (and, on the page, each block into its layers).
    for s in stages:
        members = [b for b in blocks if b.stage == s.stage]
        n = n_blocks.get(s.stage, 0)
        label = (f"{s.name}: " + (f"{n} block{'s' if n != 1 else ''}, " if n else "")
                 + f"params {fmt.count(s.params)}, MACs {fmt.si(s.macs)}")
        out.append(f'<details class="ri-stage-details" data-stage="{escape(s.stage)}">'
                   f"<summary>{escape(label)}</summary>")
        out.append('<div class="ri-scroll"><table>' + _thead(block_view) + "<tbody>")
        for b in members:
            out.append(_tr(block_view.cells(b), "ri-block", _numbers(b)))
        out.append("</tbody></table></div>")
        if layers:
            for b in members:
                inner = [r for r in layer_rows if (r.records[0].block or r.records[0].stage)
                         == b.name or r.name == b.name]
                if len(inner) <= 1:
                    continue
                out.append(f'<details class="ri-block-details"><summary>{escape(b.name)} '
                           f"layers</summary>{_layer_table(layer_view, inner)}</details>")
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
    lines = [f"**{_md_escape(_title(report))}**", "",
             *markdown_table(View(report, "block", NOTEBOOK), rollup(report, "block"),
                             _md_escape), ""]
    lines += [f"- **{label}**: {_md_escape(text)}" for label, text in footer_rows(report)]
    return "\n".join(lines) + "\n"


def bar_chart(report: Report) -> str:
    """Parameters and MACs per stage as two inline SVG bar charts (no script, no CDN)."""
    stages = rollup(report, "stage")
    parts = []
    for key, title, text in (("params", "Parameters per stage", fmt.count),
                             ("macs", "MACs per stage", fmt.si)):
        values = [getattr(s, key) for s in stages]
        top = max(values) or 1
        row_h, label_w, bar_w = 20, 70, 300
        height = row_h * len(stages) + 24
        # a viewBox, so that the chart scales down to a narrow window instead of overflowing
        width = label_w + bar_w + 110
        svg = [f'<svg class="ri-chart" data-kind="{key}" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="{FONT}" '
               f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}">',
               f'<text x="0" y="14" font-weight="bold" font-size="13">{title}</text>']
        for i, (s, v) in enumerate(zip(stages, values, strict=True)):
            y = 24 + i * row_h
            w = round(bar_w * v / top, 1)
            share = f" ({100 * v / sum(values):.1f}%)" if sum(values) else ""
            svg.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(s.name)}</text>')
            svg.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" '
                       f'fill="#4e79a7"><title>{escape(s.name)}: {text(v)}{share}</title></rect>')
            svg.append(f'<text x="{label_w + w + 4}" y="{y + 14}" font-size="11">'
                       f"{escape(text(v) if v else '-')}</text>")
        svg.append("</svg>")
        parts.append("".join(svg))
    return "\n".join(parts)


def report_page(report: Report, diagram_svg: str) -> str:
    """One self-contained page: title, layer count, stage table that expands into blocks and
    layers, the charts, the diagram (inline SVG with its tooltips) and the conventions."""
    start = diagram_svg.find("<svg")
    svg = diagram_svg[start:] if start >= 0 else diagram_svg
    lc = report.layer_count
    title = escape(_title(report))
    body = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.model)} · resnet-inspect</title>",
        f"<style>{STYLE}{PAGE_STYLE}</style>",
        "</head><body>",
        f"<h1>{title}</h1>",
    ]
    if report.description:
        body.append(f"<p>{escape(report.description)}</p>")
    body += [
        "<h2>Why this many layers</h2>",
        f'<p class="ri-layer-count" data-total="{lc.total}">{escape(lc.text)}</p>',
        "<h2>Stages (click a stage to see its blocks, a block to see its layers)</h2>",
        report_html(report, layers=True, style=False),
        "<h2>Where the parameters and the compute are</h2>",
        f'<div class="ri-charts">{bar_chart(report)}</div>',
        "<h2>Diagram (hover a node for its details)</h2>",
        f'<div class="ri-diagram">{svg}</div>',
        "<h2>How things are counted</h2>",
        "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in report.conventions) + "</ul>",
        '<p class="ri-note">Made by resnet-inspect from one traced forward pass.</p>',
        "</body></html>",
    ]
    return "\n".join(body) + "\n"
