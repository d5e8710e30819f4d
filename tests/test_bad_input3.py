"""Bad input, round three (issue 25, what round two left open): a `--model` that warns, one
that is `torch.compile`d, one whose output's shape depends on its values (`y[y > 0]`), one
whose module names hold control characters. Each case runs the installed `resnet-inspect`
as a subprocess, as a user's shell would, and checks the exit code, every stderr line,
stdout, and that no file is left beside the output (docs/errors.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("resnet-inspect")  # the installed console script

MODELS = {
    "warn.py": '''\
import warnings
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        for i in range(5):
            warnings.warn(f"careful {i}\\nsecond line")
        return self.fc(x)


class Broken(Net):
    def forward(self, x):
        warnings.warn("about to fail")
        return self.fc(x[:, :3])


def make():
    warnings.warn("factory warns")
    return Net()
''',
    "comp.py": '''\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def make():
    return torch.compile(Net())


class Nested(nn.Module):  # a compiled part: its rows keep the names the user gave
    def __init__(self):
        super().__init__()
        self.body = torch.compile(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.body(x).mean((2, 3)))
''',
    "mask.py": '''\
import torch
from torch import nn


class Net(nn.Module):  # y[y > 0]: aten.index with a boolean mask
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        with torch.no_grad():  # every output positive: 96 rows x 2 = 192 values kept
            self.fc.weight.zero_()
            self.fc.bias.fill_(1.0)

    def forward(self, x):
        y = self.fc(x)
        return y[y > 0]


class Select(Net):
    def forward(self, x):
        y = self.fc(x)
        return torch.masked_select(y, y > 0)


class NonZero(Net):
    def forward(self, x):
        return torch.nonzero(self.fc(x) > 0)


class Unique(Net):
    def forward(self, x):
        return torch.unique(self.fc(x))


class Only(nn.Module):  # no layer: of the made-up input (zeros), x > 0 keeps nothing
    def forward(self, x):
        return x[x > 0]


class After(Net):  # a layer after the mask: its shape depends on the data too
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(1, 3)

    def forward(self, x):
        y = self.fc(x)
        return self.head(y[y > 0].unsqueeze(1))
''',
    "ansi.py": '''\
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.d = nn.ModuleDict({"evil\\x1b[31mred": nn.Linear(4, 4), "nl\\nx": nn.Linear(4, 2)})

    def forward(self, x):
        return self.d["nl\\nx"](self.d["evil\\x1b[31mred"](x))
''',
}


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    err: list[str]  # regular expressions, one per stderr line, in order
    out: Callable[[str], object] | None = None  # checks stdout (asserts inside)
    output: str | None = None  # the -o file's name: checked, and nothing else left beside it
    id: str = ""
    files: dict[str, str] = field(default_factory=dict)


def _json(check: Callable[[dict[str, object]], object]) -> Callable[[str], object]:
    def read(text: str) -> object:
        return check(json.loads(text))  # stdout is only the report
    return read


def _no_raw_control(text: str) -> None:
    assert "\x1b" not in text and "nl\nx" not in text
    # shown, escaped (Markdown doubles the backslash, which it then shows as one)
    assert re.search(r"\\+x1b\[31mred", text) and re.search(r"nl\\+nx", text)


def _rows(report: dict[str, object]) -> list[dict[str, object]]:
    layers = report["layers"]
    assert isinstance(layers, list)
    return layers


def _compiled(report: dict[str, object]) -> None:
    names = [r["name"] for r in _rows(report)]
    assert "conv" in names and "fc" in names
    assert not any("_orig_mod" in str(n) for n in names)


def _fallback(op: str, shape: list[int]) -> Callable[[dict[str, object]], None]:
    def check(report: dict[str, object]) -> None:
        assert report["device"] in ("cpu", "cuda")  # auto runs on CUDA where there is one
        assert report["device_fallback"] == f"{op} has a data-dependent shape on meta"
        root = _rows(report)[-1]
        assert root["data_dependent"] is True
        assert root["output_shape"] == shape  # never the input's [1, 96, 4] or y's [1, 96, 2]
        assert _rows(report)[0]["data_dependent"] is False  # fc: its shape is certain
    return check


def _after(report: dict[str, object]) -> None:
    rows = {r["name"]: r for r in _rows(report)}
    assert rows["head"]["data_dependent"] is True
    assert rows["head"]["output_shape"] == [192, 3]  # 96 x 2 kept, each to 3 outputs


MASK = ("summary", "--input", "96x4", "--level", "layer")
NOTE_INDEX = r"note: traced on (cpu|cuda): aten\.index has a data-dependent shape on meta"
WARNED = [r"note: your model warned: careful 0 \(warn\.py:12\)",
          r"note: your model warned: careful 1 \(warn\.py:12\)",
          r"note: your model warned: careful 2 \(warn\.py:12\)",
          r"note: and 2 more warnings from your model"]

RUNS = [
    # --- warnings from the user's model: at most 3 one-line notes, after the output -----
    Run(("summary", "--model", "{d}/warn.py:Net", "--input", "4", "--json"), 0, WARNED,
        out=_json(lambda r: r["model"] == "Net"), id="warn-json"),
    Run(("summary", "--model", "{d}/warn.py:make", "--input", "4", "--csv"), 0,
        [r"note: your model warned: factory warns \(warn\.py:23\)", *WARNED[:2],
         r"note: and 3 more warnings from your model"],
        out=lambda t: t.startswith("name,") and "careful" not in t, id="warn-csv-factory"),
    Run(("summary", "--model", "{d}/warn.py:Net", "--input", "4", "-o", "r.json", "--json"), 0,
        WARNED, out=lambda t: t == "", output="r.json", id="warn-output-file"),
    Run(("summary", "--model", "{d}/warn.py:Broken", "--input", "4"), 1,
        [r"resnet-inspect: error: .*"], out=lambda t: t == "", id="warn-then-fail-one-line"),
    # --- a torch.compile'd module: its original, named as it is -------------------------
    Run(("summary", "--model", "{d}/comp.py:make", "--input", "3x8x8", "--level", "layer",
         "--json"), 0, [r"note: --model .*comp\.py:make is a torch\.compile'd module: "
                        r"inspecting the original Net .*"],
        out=_json(_compiled), id="compiled"),
    Run(("summary", "--model", "{d}/comp.py:Nested", "--input", "3x8x8", "--level", "layer",
         "--json"), 0, [r"note: your model warned: Using `torch\.compile\(module\)` when there "
                        r"are global hooks .* \(comp\.py:26\)"],
        out=_json(lambda r: [x["name"] for x in _rows(r)] == ["body.0", "body.1", "Nested",
                                                               "fc"]), id="compiled-part"),
    # --- data-dependent shapes: cpu with a note on auto, refused on meta, marked ---------
    Run((*MASK, "--model", "{d}/mask.py:Net", "--json"), 0, [NOTE_INDEX],
        out=_json(_fallback("aten.index", [192])), id="mask-json"),
    Run((*MASK, "--model", "{d}/mask.py:Net"), 0, [NOTE_INDEX],
        out=lambda t: re.search(r"\n Net +~192 ", t) and " 1x96x2 " in t, id="mask-table"),
    Run((*MASK, "--model", "{d}/mask.py:Net", "--csv"), 0, [NOTE_INDEX],
        out=lambda t: ",~192," in t, id="mask-csv"),
    Run((*MASK, "--model", "{d}/mask.py:Select", "--json"), 0,
        [r"note: traced on (cpu|cuda): aten\.masked_select has a data-dependent shape on meta"],
        out=_json(_fallback("aten.masked_select", [192])), id="masked-select"),
    Run((*MASK, "--model", "{d}/mask.py:NonZero", "--json"), 0,
        [r"note: traced on (cpu|cuda): aten\.nonzero has a data-dependent shape on meta"],
        out=_json(_fallback("aten.nonzero", [192, 3])), id="nonzero"),
    Run((*MASK, "--model", "{d}/mask.py:Unique", "--json"), 0,
        [r"note: traced on (cpu|cuda): aten\._unique2 has a data-dependent shape on meta"],
        out=_json(_fallback("aten._unique2", [1])), id="unique"),
    Run((*MASK, "--model", "{d}/mask.py:After", "--json"), 0, [NOTE_INDEX],
        out=_json(_after), id="layer-after-mask"),
    Run((*MASK, "--model", "{d}/mask.py:Only"), 0, [NOTE_INDEX],
        out=lambda t: re.search(r"\n Only +~0 ", t), id="mask-empty-is-not-too-small"),
    # check runs the tools where the trace ran (they failed on meta: "not on the expected
    # device meta"); the fc's 3-d input is a difference of torch's counter's own (exit 1)
    Run(("check", "--model", "{d}/mask.py:Net", "--input", "96x4", "--tools", "torch"), 1,
        [r"resnet-inspect: check: some differences are not explained by the tools' rules .*"],
        out=lambda t: re.search("traced on (cpu|cuda)", t) and "FAILED" not in t,
        id="mask-check"),
    Run((*MASK, "--model", "{d}/mask.py:Net", "--device", "meta"), 2,
        [r"resnet-inspect: error: --device meta: aten\.index has a data-dependent shape on "
         r"meta .*; use --device cpu or cuda"], out=lambda t: t == "", id="mask-device-meta"),
    Run((*MASK, "--model", "{d}/mask.py:Net", "--device", "meta", "--json", "-o", "old.json"),
        2, [r"resnet-inspect: error: --device meta: .*; use --device cpu or cuda"],
        output="old.json",
        id="mask-device-meta-keeps-old-file"),
    # --- control characters in module names: shown escaped, never raw -------------------
    Run(("summary", "--model", "{d}/ansi.py:Net", "--input", "4", "--level", "layer"), 0, [],
        out=_no_raw_control, id="ansi-table"),
    Run(("summary", "--model", "{d}/ansi.py:Net", "--input", "4", "--level", "layer",
         "--markdown"), 0, [], out=_no_raw_control, id="ansi-markdown"),
    Run(("diagram", "--model", "{d}/ansi.py:Net", "--input", "4", "--level", "layer", "-f",
         "dot"), 0, [], out=_no_raw_control, id="ansi-dot"),
    Run(("report", "--model", "{d}/ansi.py:Net", "--input", "4", "-o", "a.html"), 0, [],
        output="a.html", id="ansi-html"),
]

OLD = b"an older output, to be left exactly as it was\n"


@pytest.mark.parametrize("case", RUNS, ids=lambda c: c.id)
def test_round_three(case: Run, tmp_path: Path) -> None:
    for name, text in MODELS.items():
        (tmp_path / name).write_text(text)
    if case.output is not None and case.code != 0:
        (tmp_path / case.output).write_bytes(OLD)
    before = set(os.listdir(tmp_path))
    args = [a.replace("{d}", str(tmp_path)) for a in case.args]
    r = subprocess.run([str(CLI), *args], capture_output=True, cwd=tmp_path, timeout=300,
                       env={**os.environ, "COLUMNS": "100"})
    err = r.stderr.decode().splitlines()
    assert r.returncode == case.code, r.stderr.decode()
    assert len(err) == len(case.err), err
    for line, pattern in zip(err, case.err, strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
    assert "\x1b" not in r.stderr.decode()
    out = r.stdout.decode()
    if case.out is not None:
        verdict = case.out(out)  # a check asserts inside (None) or answers
        assert verdict is None or verdict, out
    left = set(os.listdir(tmp_path)) - before - ({case.output} if case.output else set())
    assert not left, left  # no temporary file, no stray output
    if case.output is not None:
        written = (tmp_path / case.output).read_bytes()
        if case.code != 0:
            assert written == OLD
        elif case.output.endswith(".html"):
            page = written.decode()
            assert "\x1b" not in page and "\\x1b[31mred" in page
