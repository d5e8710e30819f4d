"""--latex: booktabs tables for notes; the Table 1 layout; pdflatex compiles them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from resnet_inspect.render.latex import escape
from tests.cli_helpers import run_cli

DOC = r"""\documentclass{article}
\usepackage{booktabs}
\usepackage{amsmath}
\usepackage{graphicx}
\usepackage[margin=1.5cm,landscape]{geometry}
\begin{document}
\input{table}
\end{document}
"""


def test_quotes_are_tex_quotes() -> None:
    # issue 23: 'FLOPs' came out as a closing quote at both ends
    assert escape("the paper's 'FLOPs' (\"multiply-adds\")") == (
        "the paper's `FLOPs' (``multiply-adds'')")


def test_escape_covers_every_special_character() -> None:
    assert escape("layer1.0_conv & 50% #1 $x {a} ~^\\") == (
        r"layer1.0\_conv \& 50\% \#1 \$x \{a\} \textasciitilde{}\textasciicircum{}"
        r"\textbackslash{}"
    )


def test_table1_layout_and_figures(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "compare", "18", "34", "50", "101", "152", "--latex")
    assert r.code == 0, r.err
    tex = r.out
    assert r"\toprule" in tex and r"\bottomrule" in tex
    assert "layer name & output size & 18-layer & 34-layer & 50-layer & 101-layer & 152-layer" \
        in tex
    # He et al. 2016, Table 1: conv4_x repeats 2, 6, 6, 23, 36 blocks; output 14x14
    conv4 = next(line for line in tex.splitlines() if line.startswith(r"conv4\_x"))
    assert conv4.startswith(r"conv4\_x & 14$\times$14")
    assert re.findall(r"\\times (\d+)\$", conv4) == ["2", "6", "6", "23", "36"]
    assert r"\text{1$\times$1, 256} \\ \text{3$\times$3, 256} \\ \text{1$\times$1, 1024}" in conv4
    # FLOPs row: our multiply-adds; torchvision's GFLOPS for these weights are 1.81, 3.66,
    # 4.09, 7.80, 11.51 (v1.5 strides the 3x3, see the caption);
    # the paper prints 1.8, 3.6, 3.8, 7.6, 11.3 (x 10^9)
    flops = next(line for line in tex.splitlines() if "{FLOPs}" in line)
    assert re.findall(r"\$([\d.]+)\\times10\^9\$", flops) == ["1.8", "3.7", "4.1", "7.8", "11.5"]
    caption = tex[tex.index("\\caption{"):]
    # one convention (issue 23: it said multiply-adds, then "FLOPs = 2 x MACs"), the
    # paper's own figures beside ours, and no command-line advice in a paper's caption
    assert "FLOPs count the multiply-adds of the convolutional and fully connected" in caption
    assert "MACs" not in caption and "2 x" not in caption and "stride-on" not in caption
    assert "The paper prints 1.8, 3.6, 3.8, 7.6 and 11.3$\\times10^9$ for resnet18," in caption
    assert "stride their 3$\\times$3 convolution" in caption
    assert "'" not in caption.replace("torchvision's", "").replace("paper's", "")


def test_table1_v1_reproduces_the_paper_flops(capsys: pytest.CaptureFixture[str]) -> None:
    # He et al. 2016, Table 1 FLOPs row for 50/101/152: 3.8, 7.6, 11.3 x 10^9
    r = run_cli(capsys, "compare", "50", "101", "152", "--stride-on", "1x1", "--latex")
    assert r.code == 0, r.err
    flops = next(line for line in r.out.splitlines() if "{FLOPs}" in line)
    assert re.findall(r"\$([\d.]+)\\times10\^9\$", flops) == ["3.9", "7.6", "11.3"]


def test_summary_latex_rows_and_total(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "resnet18", "--level", "stage", "--latex", "--device", "meta")
    assert r.code == 0, r.err
    assert r"conv2\_x & 1$\times$64$\times$56$\times$56 & 147,968" in r.out
    assert r"Total &  & 11,689,512" in r.out  # torchvision resnet18: 11,689,512 params


@pytest.mark.parametrize("args", [("summary", "resnet18", "--latex", "--json"),
                                  ("compare", "50", "101", "--latex", "--markdown")])
def test_latex_with_another_format_is_refused(capsys: pytest.CaptureFixture[str],
                                              args: tuple[str, ...]) -> None:
    r = run_cli(capsys, *args)
    assert r.code == 2
    assert r.err.count("\n") == 1 and "--latex" in r.err


def test_latex_blocks_comparison_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "compare", "basic", "bottleneck", "--latex")
    assert r.code == 2 and "--markdown" in r.err


def test_unwritable_output_leaves_no_file(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    target = tmp_path / "missing" / "t.tex"
    r = run_cli(capsys, "compare", "18", "34", "50", "--latex", "-o", str(target))
    assert r.code == 2 and "does not exist" in r.err
    assert not target.exists()


NO_PDFLATEX = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended)")


@NO_PDFLATEX
@pytest.mark.parametrize("args", [("compare", "18", "34", "50", "101", "152"),
                                  ("summary", "resnet50", "--device", "meta")])
def test_pdflatex_compiles(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                           args: tuple[str, ...]) -> None:
    r = run_cli(capsys, *args, "--latex", "-o", str(tmp_path / "table.tex"))
    assert r.code == 0, r.err
    (tmp_path / "doc.tex").write_text(DOC)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert "Overfull" not in done.stdout or args[0] == "summary"


def test_networks_without_paper_stages_are_compared_whole(
        capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "compare", "vgg16", "resnet34", "--latex")
    assert r.code == 0, r.err
    # torchvision: VGG-16 138,357,544 params, 15.47 GFLOPS; ResNet-34 21,797,672, 3.66
    assert r"vgg16 & 16 & 138,357,544 & 15.47 G & 30.94 G \\" in r.out
    assert r"resnet34 & 34 & 21,797,672 & 3.66 G" in r.out
    assert "layer name & output size" not in r.out


# A default `article` (one column of 345 pt, as `\\showthe\\linewidth` prints) and a
# two-column one: Table 1 of five networks was 104 pt too wide for the first (issue 23).
PLAIN = r"""\documentclass%s{article}
\usepackage{booktabs}
\usepackage{amsmath}
\usepackage{graphicx}
\begin{document}
\input{table}
\input{table}
\end{document}
"""


@NO_PDFLATEX
@pytest.mark.parametrize("options", ["", "[twocolumn]"])
def test_table1_fits_the_line_of_a_default_article(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path, options: str) -> None:
    r = run_cli(capsys, "compare", "18", "34", "50", "101", "152", "--latex", "-o",
                str(tmp_path / "table.tex"))
    assert r.code == 0, r.err
    # twice in one document: the measuring box is declared once
    (tmp_path / "doc.tex").write_text(PLAIN % options)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    # pdflatex reports a table wider than its line as "Overfull \hbox (104.18pt too wide)"
    assert "Overfull" not in done.stdout, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
