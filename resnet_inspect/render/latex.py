"""LaTeX tables (booktabs) for notes and papers: the summary and the comparison.

`compare 18 34 50 101 152 --latex` is laid out as the ResNet paper's Table 1 (He et al.,
2016): layer name, output size, one column per network with each stage's block in brackets
and "x n", and the FLOPs row (our multiply-adds, the paper's "FLOPs"). The tables need
\\usepackage{booktabs} and {amsmath}; every name is escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resnet_inspect.render.columns import LATEX, Column, View
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, rollup

if TYPE_CHECKING:
    from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison, StageSide

PREAMBLE = "% needs \\usepackage{booktabs} and \\usepackage{amsmath}\n"

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape(text: str) -> str:
    """Text safe in a LaTeX paragraph or table cell (names such as layer1.0_conv, a&b)."""
    out = "".join(_SPECIAL.get(ch, ch) for ch in text)
    return out.replace("--", "-{}-").replace("--", "-{}-")  # '--stride-on', not an en dash


def _times(text: str) -> str:
    """'1x3x224x224' -> '1$\\times$3$\\times$224$\\times$224' (only between digits)."""
    import re

    return re.sub(r"(?<=\d)x(?=\d)", r"$\\times$", escape(text))


def _si(n: int) -> str:
    return escape(fmt.si(n)) if n else "--"


def _cell(column: Column, text: str) -> str:
    """A summary cell: shapes and kernels with times signs, the rest escaped."""
    return _times(text) if column.math else escape(text)


def summary_latex(report: Report, level: str = "block") -> str:
    """The summary table at `level` (stage, block or layer) as a booktabs table."""
    view = View(report, level, LATEX)
    align = "".join("r" if right else "l" for right in view.right())
    out = [PREAMBLE, "\\begin{table}[ht]", "\\centering", "\\small",
           f"\\begin{{tabular}}{{{align}}}", "\\toprule",
           " & ".join(escape(h) for h in view.headers()) + r" \\", "\\midrule"]
    for row in rollup(report, level):
        out.append(" & ".join(view.cells(row, _cell)) + r" \\")
    out += ["\\midrule", " & ".join(view.totals(_cell)) + r" \\",
            "\\bottomrule", "\\end{tabular}"]
    caption = (f"{report.model}, input {fmt.shape(report.input_shape)}: "
               f"{report.layer_count.text}. {report.conventions[0]}")
    out += [f"\\caption{{{_times(caption)}}}", "\\end{table}"]
    return "\n".join(out) + "\n"


def _stage_cell(side: StageSide | None) -> str:
    """A stage as the paper writes it: the stem conv, or the block in brackets, x n."""
    if side is None:
        return "--"
    if side.blocks == 0:
        return ", ".join(
            _times(f"{c.kernel}, {c.channels}") + (f", stride {c.stride}" if c.stride > 1 else "")
            for c in side.convs) or ", ".join(escape(e) for e in side.extras)
    lines = r" \\ ".join(
        _times(f"{c.kernel}, {c.channels}") + (f", g{c.groups}" if c.groups > 1 else "")
        for c in side.convs)  # the paper's brackets leave the stride to the caption
    return (r"$\left[\begin{array}{@{}c@{}}\text{" + lines.replace(r" \\ ", r"} \\ \text{")
            + r"}\end{array}\right]\times " + f"{side.blocks}$")


def _row(name: str, size: str, cells: list[str]) -> str:
    if len(set(cells)) == 1 and len(cells) > 1:
        body = f"\\multicolumn{{{len(cells)}}}{{c}}{{{cells[0]}}}"
    else:
        body = " & ".join(cells)
    return f"{name} & {size} & {body} " + r"\\"


def compare_latex(result: NetworkComparison | BlockComparison) -> str:
    """Networks: the paper's Table 1 layout. Blocks: one row per network of totals."""
    from resnet_inspect.analysis.compare_data import NetworkComparison

    if not isinstance(result, NetworkComparison):
        from resnet_inspect.errors import InspectError

        raise InspectError("--latex writes network comparisons; for blocks use --markdown "
                           "(e.g. compare basic bottleneck --markdown)")
    nets = result.networks
    if result.form == "totals":
        return _totals_latex(result)
    n = len(nets)
    out = [PREAMBLE, "\\begin{table}[ht]", "\\centering", "\\footnotesize",
           "\\setlength{\\tabcolsep}{4pt}",
           f"\\begin{{tabular}}{{ll{'c' * n}}}", "\\toprule",
           "layer name & output size & "
           + " & ".join(f"{net.layers}-layer" for net in nets) + r" \\",
           " & & " + " & ".join(f"\\scriptsize {escape(net.name)}" for net in nets) + r" \\"]
    for stage in result.stages:
        sides = [net.stage(stage) for net in nets]
        first = next(s for s in sides if s is not None)
        shape = first.output_shape
        size = _times("x".join(str(d) for d in shape[1:])) if len(shape) == 3 else (
            _times("x".join(["1", "1"])) if stage == "fc" else "")
        out.append("\\midrule")
        extras = [", ".join(_times(e.replace("/2", "stride 2")) for e in s.extras)
                  if s else "--" for s in sides]
        if stage == "fc":
            cells = [e + ", softmax" if e else "--" for e in extras]
            out.append(_row(escape(stage), size, cells))
            continue
        name = escape(stage)
        if any(extras):
            out.append(_row(name, size, extras))
            name, size = "", ""
        out.append(_row(name, size, [_stage_cell(s) for s in sides]))
    out.append("\\midrule")
    out.append("\\multicolumn{2}{l}{FLOPs} & " + " & ".join(
        f"${net.macs / 1e9:.1f}\\times10^9$" for net in nets) + r" \\")
    out.append("\\multicolumn{2}{l}{params} & " + " & ".join(
        f"${net.params / 1e6:.1f}\\times10^6$" for net in nets) + r" \\")
    out += ["\\bottomrule", "\\end{tabular}"]
    size_text = fmt.shape(nets[0].input_shape)
    caption = (f"Architectures as the ResNet paper's Table 1 lays them out, traced at input "
               f"{size_text}. FLOPs here are our multiply-adds of conv and fc layers, the "
               "quantity the paper calls FLOPs (the paper prints 1.8, 3.6, 3.8, 7.6 and "
               "11.3 for 18, 34, 50, 101 and 152 layers). The first block of conv3_x to "
               "conv5_x downsamples with stride 2. " + " ".join(result.notes))
    out += [f"\\caption{{{_times(caption)}}}", "\\end{table}"]
    return "\n".join(out) + "\n"


def _totals_latex(result: NetworkComparison) -> str:
    """Networks without the paper's stages (LeNet, AlexNet, VGG): whole networks only."""
    out = [PREAMBLE, "\\begin{table}[ht]", "\\centering", "\\small",
           "\\begin{tabular}{lrrrr}", "\\toprule",
           r"network & layers & params & MACs & FLOPs \\", "\\midrule"]
    for net in result.networks:
        out.append(" & ".join([escape(net.name), str(net.layers), escape(fmt.count(net.params)),
                               _si(net.macs), _si(net.flops)]) + r" \\")
    out += ["\\bottomrule", "\\end{tabular}"]
    caption = (f"Whole networks at input {fmt.shape(result.networks[0].input_shape)}. "
               + " ".join(result.notes))
    out += [f"\\caption{{{_times(caption)}}}", "\\end{table}"]
    return "\n".join(out) + "\n"
