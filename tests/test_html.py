"""Report as HTML/Markdown (Jupyter), the shareable page, and the page in a real browser."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

import resnet_inspect as ri
from resnet_inspect.render.html import footer_rows, report_html
from resnet_inspect.report.model import Report
from tests.cli_helpers import run_cli


@pytest.fixture(scope="module")
def r50() -> Report:
    return ri.inspect("resnet50", device="meta")


class _Cells(HTMLParser):
    """Rows of <td> text and the data-* attributes of each <tr>."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[dict[str, str], list[str]]] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append(({k: v or "" for k, v in attrs}, []))
        elif tag == "td":
            self._in_td = True
            self.rows[-1][1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.rows[-1][1][-1] += data


def _rows(html: str, cls: str) -> list[tuple[dict[str, str], list[str]]]:
    p = _Cells()
    p.feed(html)
    return [r for r in p.rows if r[0].get("class") == cls]


def test_repr_html_stage_rows_and_total(r50: Report) -> None:
    html = r50._repr_html_()
    stages = _rows(html, "ri-stage")
    # torchvision resnet50: 25,557,032 params; conv2_x..conv5_x have 3, 4, 6, 3 blocks
    assert [c[0] for _, c in stages] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x",
                                         "fc"]
    assert [c[1] for _, c in stages] == ["", "3", "4", "6", "3", ""]
    assert sum(int(a["data-params"]) for a, _ in stages) == 25_557_032
    assert sum(int(a["data-macs"]) for a, _ in stages) == r50.totals.macs == 4_089_184_256
    total = _rows(html, "ri-total")[0][1]
    assert total[4] == "25,557,032" and total[5] == "4.09 G"
    # the stages collapse: one <details> per stage, holding its blocks
    assert html.count('<details class="ri-stage-details"') == 6
    # the stem (conv1), maxpool, 16 blocks, then avgpool and fc together as the fc stage
    assert len(_rows(html, "ri-block")) == 1 + 1 + 16 + 1


def test_repr_html_footer_is_the_terminals(r50: Report) -> None:
    html = r50._repr_html_()
    labels = [label for label, _ in footer_rows(r50)]
    assert labels[:4] == ["Layers", "Params", "Buffers", "MACs"]
    from html import escape

    for label, text in footer_rows(r50):
        assert f"<dt>{label}</dt><dd>{escape(text)}</dd>" in html
    assert "50 = 1 conv + 3 x (3 + 4 + 6 + 3) block convs + 1 fc" in html


def test_repr_markdown_table(r50: Report) -> None:
    md = r50._repr_markdown_()
    lines = md.splitlines()
    assert lines[2].startswith("| Block | Shortcut |")
    assert "| layer1.0 | projection | 1x64x56x56 | 1x256x56x56 | 75,008 |" in md
    assert "**25,557,032**" in md


def test_names_are_escaped() -> None:
    import torch.nn as nn

    class Weird(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.add_module("a<b>&c", nn.Conv2d(3, 4, 3))

        def forward(self, x):  # type: ignore[no-untyped-def]
            return getattr(self, "a<b>&c")(x)

    html = report_html(ri.inspect(Weird(), (3, 8, 8), device="cpu"))
    assert "a<b>" not in html and "a&lt;b&gt;&amp;c" in html


def test_diagram_object_displays_and_saves(tmp_path: Path) -> None:
    d = ri.diagram("resnet18")
    assert d._repr_svg_().startswith("<svg")
    assert "layer4.1" in d._repr_svg_()
    png = d.save(tmp_path / "r18.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (d.save(tmp_path / "r18.dot")).read_text() == d.source
    with pytest.raises(ri.InspectError, match="unknown suffix"):
        d.save(tmp_path / "r18.jpeg")


def test_compare_is_public_and_displays_as_a_table() -> None:
    c = ri.compare("resnet18", "resnet34")
    md = c._repr_markdown_()
    assert md.startswith("**resnet18 vs resnet34**")
    assert "11,689,512" in md and "21,797,672" in md  # torchvision's parameter counts
    assert "<pre" in c._repr_html_()
    from resnet_inspect.usecases import compare as module

    assert module.compare  # the module is still the module


def test_report_command_writes_one_self_contained_page(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    out = tmp_path / "r50.html"
    r = run_cli(capsys, "report", "resnet50", "-o", str(out), "--device", "meta")
    assert r.code == 0, r.err
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    # nothing is fetched: no script, stylesheet or image from elsewhere
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page
    assert page.count('class="ri-chart"') == 2
    # every row with more than one layer expands: 16 blocks, the stem (conv1, bn1, relu) and
    # the head (avgpool, fc)
    assert page.count('<details class="ri-block-details"') == 16 + 2
    assert "<svg" in page and "<title>" in page  # the diagram's tooltips


def test_report_format_html_is_the_default_page(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    # --format html picks the registry's one report row, which is also its default
    plain, named = tmp_path / "plain.html", tmp_path / "named.html"
    assert run_cli(capsys, "report", "resnet18", "-o", str(plain), "--device", "meta").code == 0
    r = run_cli(capsys, "report", "resnet18", "-o", str(named), "--device", "meta",
                "--format", "HTML")
    assert r.code == 0, r.err
    assert named.read_bytes() == plain.read_bytes()
    assert b"<svg" in plain.read_bytes()  # the diagram the renderer draws, inlined


@pytest.mark.parametrize("args,message", [
    (("report", "resnet50", "-o", "/nonexistent-dir/x.html"), "does not exist"),
    (("report", "resnet50", "-o", "x.pdf"), "HTML page"),
    (("report", "resnet50", "--format", "json"),
     "--format 'json': report writes html; e.g. --format html"),
])
def test_report_errors(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                       message: str) -> None:
    r = run_cli(capsys, *args)
    assert r.code == 2 and message in r.err and r.err.count("\n") == 1


def test_report_output_dash_is_stdout_and_a_folder_is_named(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # - is stdout, as for every other command's --output (it was refused: "name it -.html")
    r = run_cli(capsys, "report", "resnet18", "-o", "-", "--device", "meta")
    assert r.code == 0, r.err
    assert r.out.startswith("<!DOCTYPE html>") and "<svg" in r.out
    # a folder is said to be one, with the page's own name in it (was "name it DIR.html")
    r = run_cli(capsys, "report", "resnet18", "-o", str(tmp_path), "--device", "meta")
    assert r.code == 2 and r.err.count("\n") == 1
    assert f"--output {tmp_path} is a directory" in r.err
    assert f"e.g. {tmp_path / 'resnet18.html'}" in r.err
    assert list(tmp_path.iterdir()) == []


def _driver():  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("no headless browser: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium not installed: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(options=options, service=Service(driver))


def test_page_in_a_real_browser(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "r50.html"
    as_json = tmp_path / "r50.json"
    assert run_cli(capsys, "report", "resnet50", "-o", str(page), "--device", "meta").code == 0
    assert run_cli(capsys, "summary", "resnet50", "--json", "-o", str(as_json),
                   "--device", "meta").code == 0
    report = Report.from_json(as_json.read_text())
    browser = _driver()
    try:
        from selenium.webdriver.common.by import By

        browser.get(page.as_uri())
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        # the numbers in the page are the JSON report's
        from resnet_inspect.report.model import rollup

        stages = browser.find_elements(By.CSS_SELECTOR, "tr.ri-stage")
        expect = rollup(report, "stage")
        assert [int(s.get_attribute("data-params")) for s in stages] == [e.params for e in expect]
        assert [int(s.get_attribute("data-macs")) for s in stages] == [e.macs for e in expect]
        total = browser.find_element(By.CSS_SELECTOR, "tr.ri-total")
        assert total.find_elements(By.TAG_NAME, "td")[4].text == f"{report.totals.params:,}"
        assert browser.find_element(By.CSS_SELECTOR, ".ri-layer-count").text == \
            report.layer_count.text
        # a stage's blocks are hidden until the stage is clicked
        stage = browser.find_elements(By.CSS_SELECTOR, "details.ri-stage-details")[3]
        block = stage.find_elements(By.CSS_SELECTOR, "tr.ri-block")[0]
        assert not block.is_displayed()
        stage.find_element(By.TAG_NAME, "summary").click()
        assert block.is_displayed() and block.text.startswith("layer3.0 projection")
        inner = stage.find_elements(By.CSS_SELECTOR, "details.ri-block-details")[0]
        layer = inner.find_elements(By.CSS_SELECTOR, "tr.ri-layer")[0]
        assert not layer.is_displayed()
        inner.find_element(By.TAG_NAME, "summary").click()
        assert layer.is_displayed() and layer.text.startswith("layer3.0.conv1 1x1")
        browser.save_screenshot(str(tmp_path / "page.png"))
    finally:
        browser.quit()
    # a file for eyes, when asked: RESNET_INSPECT_SCREENSHOT=path pytest ...
    import os

    if os.environ.get("RESNET_INSPECT_SCREENSHOT"):
        shutil.copy(tmp_path / "page.png", os.environ["RESNET_INSPECT_SCREENSHOT"])
    assert json.loads(as_json.read_text())["totals"]["params"] == 25_557_032


@pytest.mark.parametrize("width", [390, 1280])  # a phone (iPhone 12-15), a laptop
def test_page_fits_a_phone_and_a_laptop(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        width: int) -> None:
    page = tmp_path / "r50.html"
    assert run_cli(capsys, "report", "resnet50", "-o", str(page), "--device", "meta").code == 0
    text = page.read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    browser = _driver()
    try:
        from selenium.webdriver.common.by import By

        browser.set_window_size(width, 1000)
        browser.get(page.as_uri())
        inner = browser.execute_script("return document.documentElement.clientWidth")
        assert width - 20 <= inner <= width  # the window is the size asked (less a scrollbar)
        # issue 23: at 390 px the page was 823 px wide; now nothing scrolls sideways
        assert browser.execute_script("return document.documentElement.scrollWidth") <= inner
        for selector in ("h1", ".ri-stages", ".ri-chart", ".ri-diagram", "dl.ri-footer"):
            for element in browser.find_elements(By.CSS_SELECTOR, selector):
                right = browser.execute_script(
                    "return arguments[0].getBoundingClientRect().right", element)
                assert right <= inner + 0.5 or selector == ".ri-stages", (selector, right)
        # a table wider than the window scrolls inside its own box, never the page
        box = browser.find_element(By.CSS_SELECTOR, ".ri-scroll")
        assert browser.execute_script(
            "return arguments[0].getBoundingClientRect().right", box) <= inner + 0.5
        # one page, one font: headings, text, tables and chart labels alike
        fonts = {browser.execute_script(
            "return getComputedStyle(arguments[0]).fontFamily", browser.find_element(
                By.CSS_SELECTOR, selector)) for selector in ("h1", "h2", "p", "td", "dt")}
        assert len(fonts) == 1 and next(iter(fonts)).endswith("sans-serif")
        browser.save_screenshot(str(tmp_path / f"page-{width}.png"))
    finally:
        browser.quit()
    assert (tmp_path / f"page-{width}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import os

    if os.environ.get("RESNET_INSPECT_SCREENSHOT"):  # a file for eyes: a path prefix
        shutil.copy(tmp_path / f"page-{width}.png",
                    f"{os.environ['RESNET_INSPECT_SCREENSHOT']}-{width}.png")
