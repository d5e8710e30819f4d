"""Issue 25's two leftovers: a diagram marks a shape that came from the data (`y[y > 0]`)
with the table's `~`, and the library says what the CLI's `note:` lines say, as an
InspectWarning (docs/errors.md), while the CLI says each note once and no warning."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect import InspectWarning

CLI = Path(sys.executable).with_name("resnet-inspect")
NOTE = "traced on cpu: aten.index has a data-dependent shape on meta"

MASK = '''\
import torch
from torch import nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 2)
        with torch.no_grad():  # every output positive: 96 x 2 = 192 values kept
            self.lin.weight.zero_()
            self.lin.bias.fill_(1.0)

    def forward(self, x):
        y = self.lin(x)
        return y[y > 0]


class After(M):  # a layer after the mask: the edges into and out of it carry its shape
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(1, 3)

    def forward(self, x):
        y = self.lin(x)
        return self.head(y[y > 0].unsqueeze(1))
'''


class M(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)
        with torch.no_grad():
            self.lin.weight.zero_()
            self.lin.bias.fill_(1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin(x)
        return y[y > 0]


class Certain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x).relu()


class After(M):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(1, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin(x)
        return self.head(y[y > 0].unsqueeze(1))


def _check_dot(dot: str) -> None:
    """The mask's output, ~192, on the output node and the mask's tooltip; the certain
    shapes (the input's, lin's, gt's) never marked."""
    assert re.search(r'output \[label=<output<BR/><FONT [^>]*>~192</FONT>', dot), dot
    assert re.search(r'tooltip="index in forward \(M\): ~192"', dot), dot
    assert re.search(r'tooltip="lin: 96×2 ', dot) and 'label=" 96×4"' in dot, dot
    assert re.search(r'tooltip="gt in forward \(M\): 96×2"', dot), dot
    assert dot.count("~") == 2, dot


def _check_after_dot(dot: str) -> None:
    """Past the mask, edges and tooltips are marked too, written whole (192 is the data's
    first size, not a batch to leave out); the edges before it are not."""
    assert re.search(r'index -> head \[label=" ~192×1"\]', dot), dot
    assert re.search(r'tooltip="head: ~192×3 · 6 params"', dot), dot
    assert re.search(r'input -> lin \[label=" 96×4"\]', dot), dot
    assert re.search(r'lin -> gt \[label=" 96×2"\]', dot), dot


def test_library_warns_once_with_the_cli_text() -> None:
    with pytest.warns(InspectWarning) as caught:
        report = resnet_inspect.inspect(M(), input_shape=(96, 4), device="auto")
    assert report.device_fallback == "aten.index has a data-dependent shape on meta"
    ours = [w for w in caught if issubclass(w.category, InspectWarning)]
    assert [str(w.message) for w in ours] == [NOTE]
    assert Path(ours[0].filename) == Path(__file__)  # the caller's line, not ours
    assert issubclass(InspectWarning, UserWarning)


def test_library_warning_can_be_filtered() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", InspectWarning)
        report = resnet_inspect.inspect(M(), input_shape=(96, 4))
    assert report.device_fallback


def test_certain_model_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = resnet_inspect.inspect(Certain(), input_shape=(96, 4))
    assert report.device_fallback == ""
    dot = resnet_inspect.diagram(report).source
    assert "~" not in dot


def test_library_diagram_marks_data_dependent_shapes() -> None:
    with pytest.warns(InspectWarning, match="data-dependent"):
        dot = resnet_inspect.diagram(M(), input_shape=(96, 4)).source
    _check_dot(dot)
    with pytest.warns(InspectWarning, match="data-dependent"):
        _check_after_dot(resnet_inspect.diagram(After(), input_shape=(96, 4)).source)


@pytest.mark.parametrize(("name", "check"), [("M", _check_dot), ("After", _check_after_dot)])
def test_cli_diagram_marks_and_notes_once(tmp_path: Path, name: str,
                                          check: Callable[[str], None]) -> None:
    (tmp_path / "mask.py").write_text(MASK)
    out = subprocess.run(
        [str(CLI), "diagram", "--model", f"{tmp_path}/mask.py:{name}", "--input", "96x4",
         "--level", "layer", "-f", "dot"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    check(out.stdout)
    # one note line, said once, no Python warning beside it
    assert re.fullmatch(r"note: traced on (cpu|cuda): aten\.index has a data-dependent "
                        r"shape on meta\n", out.stderr), out.stderr
