"""LaTeX tables (booktabs) for notes and papers: the summary and the comparison.

`compare 18 34 50 101 152 --latex` is laid out as the ResNet paper's Table 1 (He et al.,
2016): layer name, output size, one column per network with each stage's block in brackets
and "x n", and the FLOPs row (our multiply-adds, the paper's "FLOPs"). The tables need
\\usepackage{booktabs} and {amsmath}; every name is escaped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError
from resnet_inspect.render.columns import LATEX, Column, View
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import Report, rollup

if TYPE_CHECKING:
    from resnet_inspect.analysis.compare_data import (
        BlockComparison,
        NetworkComparison,
        NetworkSide,
        StageSide,
    )

PREAMBLE = "% needs \\usepackage{booktabs} and \\usepackage{amsmath}\n"
# Table 1 is wider than one column: it is a table* (the page's width in a two-column paper,
# the column's in a one-column one) and shrinks to \linewidth only when wider (graphicx).
TABLE1_PREAMBLE = ("% needs \\usepackage{booktabs}, \\usepackage{amsmath} and "
                   "\\usepackage{graphicx}\n")
# The paper's Table 1 FLOPs row (He et al. 2016), x 10^9, by depth; our own networks
# print theirs beside these in the caption, never in place of them.
PAPER_GFLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape(text: str) -> str:
    """Text safe in a LaTeX paragraph or table cell (names such as layer1.0_conv, a&b);
    quotes as TeX writes them (`FLOPs', ``FLOPs''), not a closing quote at both ends."""
    out = "".join(_SPECIAL.get(ch, ch) for ch in text)
    out = out.replace("--", "-{}-").replace("--", "-{}-")  # '--stride-on', not an en dash
    out = re.sub(r'(^|(?<=[\s(\[{]))"', "``", out)  # an opening double quote
    out = out.replace('"', "''")
    return re.sub(r"(^|(?<=[\s(\[{]))'", "`", out)  # an opening single quote


def _times(text: str) -> str:
    """'1x3x224x224' -> '1$\\times$3$\\times$224$\\times$224' (only between digits)."""
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
        raise InspectError("--latex writes network comparisons; for blocks use --markdown "
                           "(e.g. compare basic bottleneck --markdown)")
    nets = result.networks
    if result.form == "totals":
        return _totals_latex(result)
    n = len(nets)
    out = [TABLE1_PREAMBLE, "\\begin{table*}[tp]", "\\centering", "\\footnotesize",
           "\\setlength{\\tabcolsep}{3pt}",
           # measured first, scaled down to the line only when wider (five networks are
           # 104 pt wider than a default article's 345 pt column)
           "\\ifdefined\\RItableone\\else\\newsavebox{\\RItableone}\\fi",
           "\\sbox{\\RItableone}{%",
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
    out += ["\\bottomrule", "\\end{tabular}}",
            "\\ifdim\\wd\\RItableone>\\linewidth",
            "\\resizebox{\\linewidth}{!}{\\usebox{\\RItableone}}",
            "\\else\\usebox{\\RItableone}\\fi"]
    out += [f"\\caption{{{_table1_caption(nets)}}}", "\\end{table*}"]
    return "\n".join(out) + "\n"


def _table1_caption(nets: list[NetworkSide]) -> str:
    """The caption in the paper's words and its one convention (FLOPs are multiply-adds),
    with the paper's own figures for the networks that are the paper's."""
    text = (f"Architectures laid out as in Table 1 of He et al.\\ (2016), traced at input "
            f"{_times(fmt.shape(nets[0].input_shape))}. Building blocks are shown in "
            "brackets, with the numbers of blocks stacked; the first block of conv3\\_x, "
            "conv4\\_x and conv5\\_x downsamples with a stride of 2. FLOPs count the "
            "multiply-adds of the convolutional and fully connected layers, as the paper "
            "does.")
    paper = [(n, PAPER_GFLOPS[d]) for n in nets if (d := _paper_depth(n)) is not None]
    if paper:
        text += (" The paper prints " + _listed([f"{g}" for _, g in paper])
                 + "$\\times10^9$ for "
                 + _listed([escape(n.name) for n, _ in paper]) + ".")
    v15 = [n for n in nets if n.paper_depth is not None and n.stride_on == "3x3"]
    if v15:
        # torchvision's resnet.py: its Bottleneck strides the 3x3 ("ResNet V1.5"), where
        # the paper strides the first 1x1 and computes less at the next resolution
        text += (" Bottleneck blocks here stride their 3$\\times$3 convolution, as "
                 "torchvision's do; the paper's blocks stride the first 1$\\times$1, which costs "
                 "less: hence the difference for " + _listed([escape(n.name) for n in v15])
                 + ".")
    return text


def _paper_depth(net: NetworkSide) -> int | None:
    """The depth of a network that is the paper's own (18 and 34 by name; 50, 101 and 152
    as compare_networks finds them, whichever conv strides)."""
    if net.paper_depth is not None:
        return net.paper_depth
    for depth in (18, 34):
        if net.name == f"resnet{depth}" and net.input_shape == [1, 3, 224, 224]:
            return depth
    return None


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
