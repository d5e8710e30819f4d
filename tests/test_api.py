"""The Python API as a script or a notebook uses it: what prints, what it takes (issue 23)."""

from __future__ import annotations

import re
from html import unescape

import pytest
import torch
from torch import nn

import resnet_inspect as ri
from resnet_inspect.errors import InspectError
from tests.cli_helpers import run_cli
from tests.published import TORCHVISION


class SmallCNN(nn.Module):
    """The module a newcomer writes first: one conv, a pool, one linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).mean((2, 3)))


def test_print_of_a_report_is_the_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    report = ri.inspect("resnet18", device="meta")
    text = str(report)
    # the same rows and totals the CLI prints at the same width, with no colour codes
    cli = run_cli(capsys, "summary", "resnet18", "--device", "meta")
    assert cli.code == 0
    assert "\x1b[" not in text
    assert text.splitlines()[1:] == cli.out.splitlines()[1:]  # the title names the command's device
    # torchvision's resnet18: 11,689,512 parameters (tests/published.py)
    assert f"Params       {TORCHVISION['resnet18'].params:,}" in text
    assert re.search(r"^ layer4\.1 +identity", text, re.M)


def test_repr_of_a_report_is_one_line() -> None:
    report = ri.inspect("resnet50", device="meta")
    # the dataclass repr was 83 KB (issue 23); torchvision's resnet50: 25,557,032 params
    assert repr(report) == (
        "<Report resnet50: input 1x3x224x224, 25,557,032 params, 4,089,184,256 MACs; "
        "print() it for the table>")
    assert len(str(report).splitlines()) < 60  # block level: 16 blocks, stem, fc, totals


def test_report_text_takes_a_level_and_a_width() -> None:
    report = ri.inspect("resnet18", device="meta")
    layer = report.text(level="layer", width=120)
    assert "layer1.0.conv1" in layer and "layer1.0.conv1" not in report.text()
    assert max(len(line) for line in report.text(width=80).splitlines()) <= 80
    with pytest.raises(InspectError, match="level 'blocks'"):
        report.text(level="blocks")


def test_print_of_a_comparison_is_the_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    text = str(ri.compare("resnet18", "resnet34"))
    cli = run_cli(capsys, "compare", "resnet18", "resnet34")
    assert cli.code == 0 and "\x1b[" not in text
    assert text == cli.out


def test_compare_takes_a_module_as_the_cli_takes_model() -> None:
    # issue 23: AttributeError: 'SmallCNN' object has no attribute 'strip'
    c = ri.compare("resnet50", SmallCNN())
    names = [side.name for side in c.result.networks]
    assert names == ["resnet50", "SmallCNN"]
    small = c.result.networks[1]
    # conv 3*8*9 + 8 = 224, fc 8*10 + 10 = 90: 314 parameters
    assert small.params == 224 + 90
    # conv 224x224 outputs x 8 channels x 27 = 10,838,016 MACs, fc 80
    assert small.macs == 224 * 224 * 8 * 27 + 80


def test_compare_takes_specs_reports_and_modules_together() -> None:
    spec = ri.resolve_spec("resnet18")
    report = ri.inspect("resnet34", device="meta")
    c = ri.compare(spec, report, SmallCNN())
    assert [side.name for side in c.result.networks] == ["resnet18", "resnet34", "SmallCNN"]
    # torchvision: resnet18 11,689,512, resnet34 21,797,672 parameters
    assert [side.params for side in c.result.networks[:2]] == [
        TORCHVISION["resnet18"].params, TORCHVISION["resnet34"].params]


def test_compare_refuses_what_it_cannot_compare() -> None:
    with pytest.raises(InspectError, match="cannot compare a int"):
        ri.compare("resnet18", 42)
    with pytest.raises(InspectError, match="unknown item 'resnet5O'"):
        ri.compare("resnet18", "resnet5O", SmallCNN())
    with pytest.raises(InspectError, match="at least two"):
        ri.compare(SmallCNN())


def test_notebook_comparison_is_monospace() -> None:
    html = ri.compare("resnet18", "resnet34")._repr_html_()
    # issue 23: a <pre> with no family was proportional under JupyterLab's CSS
    assert html.startswith("<pre style=\"font-family:")
    assert "monospace" in html.split(">", 1)[0] and "white-space:pre" in html
    lines = unescape(html.split(">", 1)[1].split("</pre>")[0]).splitlines()
    # the table's columns line up: every row of the stage table is as long as its rule
    rule = next(line for line in lines if line.strip().startswith("─"))
    rows = [line for line in lines if line.startswith(" conv")]
    assert rows and all(len(row.rstrip()) <= len(rule) for row in rows)


def test_usage_doc_names_the_schema_version_the_json_has() -> None:
    from pathlib import Path

    from resnet_inspect.report.model import SCHEMA_VERSION

    usage = (Path(__file__).parent.parent / "docs" / "usage.md").read_text()
    # issue 23: usage.md said schema_version 1 while the JSON said 2
    found = re.findall(r"^schema_version\s+(\d+)$", usage, re.M)
    data = ri.inspect("resnet18", device="meta").to_dict()
    assert found == [str(SCHEMA_VERSION)] == [str(data["schema_version"])]


def test_a_wide_resnets_name_says_where_its_depth_comes_from() -> None:
    # Zagoruyko & Komodakis: WRN-28-10 is depth 6 x 4 + 4 = 28, counting the two strided
    # 1x1 shortcut convs; as the ResNet paper counts, 1 + 2 x (4 + 4 + 4) + 1 = 26
    count = ri.inspect("wrn28_10", device="meta").layer_count
    assert count.total == 26
    assert count.text == ("26 layers = 1 conv + 2 x (4 + 4 + 4) block convs + 1 fc; the name's "
                          "28 also counts the 2 strided 1x1 shortcut convs, as Zagoruyko & "
                          "Komodakis do")
    # and a name without another depth says nothing more: ResNet-50 counts 50
    assert ri.inspect("resnet50", device="meta").layer_count.text.endswith("+ 1 fc")


def test_a_tiny_ratio_is_not_printed_as_zero() -> None:
    from resnet_inspect.report.format import times

    # 314 params (SmallCNN) beside resnet18's 11,689,512: 2.686e-05, printed 0.00x before
    assert times(314 / 11_689_512) == "0.000027x"
    assert times(1.7431) == "1.74x" and times(0.05) == "0.05x" and times(0.0) == "0.00x"
    text = str(ri.compare("resnet18", SmallCNN()))
    assert "0.00x" not in text
    assert "0.000027x" in text  # params, in the table and in the sentence below it
    side = ri.compare("resnet18", SmallCNN()).result.networks[1]
    assert side.params == 314


def test_the_data_behind_a_comparison_prints_one_line() -> None:
    # issue 23: ri.compare(...).result printed the whole dataclass (4.6 KB for two networks)
    assert repr(ri.compare("resnet18", "resnet34").result) == (
        "<NetworkComparison resnet18 vs resnet34: 6 stages; .to_dict() for all>")
    assert str(ri.compare("basic", "bottleneck").result) == (
        "<BlockComparison basic vs bottleneck: 256 -> 256 channels; .to_dict() for all>")
