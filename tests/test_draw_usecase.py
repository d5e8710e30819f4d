"""The `draw` use-case (usecases/draw.py): what a diagram shows, decided once, as plain
data; and the CLI and the library drawing the same DOT for the same request."""

from __future__ import annotations

import re
from typing import Any

import pytest

import resnet_inspect as ri
from resnet_inspect.cli.diagram import DiagramFormat
from resnet_inspect.counting.categories import Category
from resnet_inspect.errors import InspectError
from resnet_inspect.render.diagram import diagram_of, shortcut_edges
from resnet_inspect.render.diagram_formats import RENDERERS, SUFFIXES
from resnet_inspect.spec.arch import BlockKind
from resnet_inspect.spec.registry import resolve_spec
from resnet_inspect.usecases.draw import BlockRequest, Drawing, draw
from tests.cli_helpers import main_in_fresh_python, run_cli
from tests.reference_models import TorchvisionStyleNet

REFS = "tests/reference_models.py"


def _convs(drawing: Drawing) -> list[tuple[str, int, int]]:
    return [(r.kernel, r.input_shape[1], r.output_shape[1]) for r in drawing.reports[0].layers
            if r.category == Category.CONV]


def test_block_request_is_the_papers_figure_5_bottleneck() -> None:
    drawing = draw(BlockRequest(BlockKind.BOTTLENECK), device="meta", style="paper")
    assert drawing.kind == "block"
    assert len(drawing.reports) == 1
    assert drawing.level is None and drawing.style == "paper"
    # ResNet paper, Figure 5 (right): 1x1, 64 / 3x3, 64 / 1x1, 256 on a 256-d input
    assert _convs(drawing) == [("1x1", 256, 64), ("3x3", 64, 64), ("1x1", 64, 256)]
    dot = diagram_of(drawing).source
    labels = re.findall(r'POINT-SIZE="\d+">(\dx\d, \d+)</FONT>', dot)
    assert labels == ["1x1, 64", "3x3, 64", "1x1, 256"]
    # one block, identity shortcut: one solid shortcut edge, input -> add
    assert shortcut_edges(dot) == {"solid": 1, "dashed": 0, "dotted": 0}
    assert len([line for line in dot.splitlines() if "id=shortcut_" in line]) == 1


def test_block_request_options_reach_the_block() -> None:
    drawing = draw(BlockRequest(BlockKind.BASIC, channels=(64, 128), stride=2), device="meta")
    # a basic block 64 -> 128 at stride 2: 3x3 64->128 (stride 2), 3x3 128->128, and a
    # 1x1 64->128 projection on the shortcut
    assert _convs(drawing) == [("3x3", 64, 128), ("3x3", 128, 128), ("1x1", 64, 128)]
    assert shortcut_edges(diagram_of(drawing).source)["dashed"] == 1


def test_a_preset_is_a_network_at_block_level() -> None:
    drawing = draw("resnet18", device="meta")
    assert (drawing.kind, drawing.level, drawing.names) == ("network", "block", ["resnet18"])
    # torchvision's resnet18: 11,689,512 parameters
    assert drawing.reports[0].totals.params == 11_689_512


def test_a_module_is_drawn_from_its_dataflow_at_layer_level() -> None:
    drawing = draw(TorchvisionStyleNet(), name="mine")
    assert (drawing.kind, drawing.level, drawing.names) == ("dataflow", "layer", ["mine"])
    assert drawing.reports[0].graph is not None


def test_beside_plain_puts_the_plain_network_first() -> None:
    drawing = draw(resolve_spec("resnet34"), beside_plain=True, device="meta")
    plain, residual = drawing.reports
    # ResNet-34 has 16 blocks; the plain one's have no shortcut (the paper's Figure 3)
    assert [b.shortcut for b in plain.blocks] == ["none"] * 16
    assert sum(b.shortcut == "projection" for b in residual.blocks) == 3


def test_beside_names_plain_n_and_presets() -> None:
    drawing = draw(resolve_spec("resnet18"), beside="plain-34,resnet34", device="meta")
    # plain-34 is ResNet-34 with its shortcuts removed: the same network name
    assert drawing.names == ["resnet18", "resnet34", "resnet34"]
    # ResNet-18 and -34 have 8 and 16 blocks (the paper's Table 1: 2,2,2,2 and 3,4,6,3)
    assert [len(r.blocks) for r in drawing.reports] == [8, 16, 16]
    assert {b.shortcut for b in drawing.reports[1].blocks} == {"none"}
    assert "none" not in {b.shortcut for b in drawing.reports[2].blocks}


@pytest.mark.parametrize(("subject", "options", "message"), [
    (TorchvisionStyleNet(), {"beside": "resnet18"}, "--beside and --beside-plain draw"),
    ("vgg19", {"beside_plain": True}, "--beside-plain needs a residual network"),
    ("resnet18", {"beside": "a,b,c"}, "give one or two networks"),
])
def test_refused_requests(subject: object, options: dict[str, Any], message: str) -> None:
    with pytest.raises(InspectError, match=message):
        draw(subject, device="meta", **options)


def test_a_module_is_traced_with_the_example_input_given() -> None:
    import torch
    from torch import nn

    class Tokens(nn.Module):  # called with keywords, as a Hugging Face model is
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(100, 8)
            self.fc = nn.Linear(8, 2)

        def forward(self, input_ids: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
            return self.fc(self.embed(input_ids) * scale)

    ids = torch.zeros(2, 5, dtype=torch.long)
    example = {"input_ids": ids, "scale": torch.ones(1)}
    # resnet_inspect.diagram(module, example_input=...) reached inspect() before the draw
    # use-case; the trace's rows are the embedding's (2 x 5 x 8), the model's own `* scale`
    # (2 x 5 x 8) and the linear's (2 x 5 x 2)
    drawing = draw(Tokens(), device="meta", example_input=example)
    assert [r.output_shape for r in drawing.reports[0].layers] == [[2, 5, 8], [2, 5, 8],
                                                                   [2, 5, 2]]
    assert "fc" in ri.diagram(Tokens(), example_input=example).source


def test_what_a_module_or_a_report_cannot_take_is_refused_not_dropped() -> None:
    # a preset's settings change the spec its name resolves to; a module or a Report is
    # drawn as it is, so they were silently ignored there (ri.diagram(net, depth=50) drew
    # net); and a Report of a preset dropped --beside's columns (one network drawn, not two)
    with pytest.raises(InspectError, match="depth: not a setting of a module"):
        draw(TorchvisionStyleNet(), device="meta", depth=50)
    report = ri.inspect("resnet34", device="meta")
    with pytest.raises(InspectError, match="layers: not a setting of a module"):
        draw(report, layers=(1, 1, 1, 1))
    for options in ({"beside": "resnet18"}, {"beside_plain": True}):
        with pytest.raises(InspectError, match="--beside and --beside-plain draw"):
            draw(report, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "what", "level"), [
    (["resnet18"], "resnet18", None),
    (["resnet34", "--level", "stage"], "resnet34", "stage"),
    (["--model", f"{REFS}:TorchvisionStyleNet"], TorchvisionStyleNet(), None),
])
def test_cli_and_library_draw_the_same_dot(capsys: pytest.CaptureFixture[str],
                                           argv: list[str], what: object,
                                           level: str | None) -> None:
    device = [] if "--model" in argv else ["--device", "meta"]  # the library's own choice
    res = run_cli(capsys, "diagram", *argv, *device)
    assert res.code == 0, res.err
    library = ri.diagram(what, level).source  # type: ignore[arg-type]
    assert res.out == library + ("" if library.endswith("\n") else "\n")


def test_diagram_formats_are_the_tables_rows() -> None:
    assert [f.value for f in DiagramFormat] == list(RENDERERS)
    assert SUFFIXES == {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot",
                        ".gv": "dot"}
    assert RENDERERS["dot"].to_bytes("digraph {}") == b"digraph {}"


def test_help_imports_none_of_the_drawing_code() -> None:
    # --help lists diagram's --format choices from render/diagram_formats.py; that table
    # sits outside render/diagram/ so that printing help does not import the drawing
    # package (its __init__ pulls in fit, beside, layout ...: ~50 ms a --help when the
    # table lived inside it)
    done = main_in_fresh_python(["--help"], "sorted(m for m in sys.modules if m == "
                                "'resnet_inspect.render.diagram' or m.startswith("
                                "'resnet_inspect.render.diagram.'))")
    assert done.stdout.strip().splitlines()[-1] == "[]"
