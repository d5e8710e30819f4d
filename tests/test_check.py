"""The cross-check: every tool's figure explained to the unit, for ResNet-18 ... 152."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
import torch
from torch import nn

import resnet_inspect
from resnet_inspect.analysis.check import check
from resnet_inspect.analysis.check_report import CheckReport, explain
from resnet_inspect.models.blocks import BasicBlock
from resnet_inspect.render.check_table import render_check
from resnet_inspect.render.console import make_console
from resnet_inspect.spec.arch import ShortcutUse
from tests.cli_helpers import run_cli
from tests.published import PADDLE_RESNET50, RESNET_DEPTHS, RESNET_MACS
from tests.published import TORCHVISION as TORCHVISION_NETS

TORCHVISION = {d: (TORCHVISION_NETS[f"resnet{d}"].params, RESNET_MACS[d]) for d in RESNET_DEPTHS}


# fvcore runs the model for real on the CPU (it cannot trace on meta); the deep two are
# checked with it at a smaller input below, to keep the suite light on two cores.
FVCORE_AT_224 = (18, 34, 50)


@pytest.fixture(scope="module")
def checks() -> dict[int, CheckReport]:
    return {
        depth: check(f"resnet{depth}", tools=("torchinfo", "fvcore", "torch")
                     if depth in FVCORE_AT_224 else ("torchinfo", "torch"))
        for depth in TORCHVISION
    }


@pytest.mark.parametrize("depth", [101, 152])
def test_fvcore_accounted_for_on_the_deep_networks(depth: int) -> None:
    c = check(f"resnet{depth}", input_shape=(3, 64, 64), tools=("fvcore",))
    fv = c.tool("fvcore")
    assert fv.accounted, explain(fv, c.macs)
    # 64x64 input: the global pool sees 2048 x 2 x 2 elements
    assert fv.figure == c.macs + 2 * c.by_category["norm"]["macs"] + 2048 * 2 * 2


@pytest.mark.parametrize("depth", TORCHVISION)
def test_every_tool_accounted_for_to_the_unit(checks: dict[int, CheckReport], depth: int) -> None:
    c = checks[depth]
    params, macs = TORCHVISION[depth]
    assert (c.params, c.macs) == (params, macs)
    assert c.accounted
    for tool in c.tools:
        assert not tool.skipped, tool.skipped
        assert tool.accounted, explain(tool, c.macs)
        assert all(t.difference == 0 for t in tool.terms)
        if tool.figure is None:
            continue
        # (The terms sum to the figure by construction: the remainder is the unattributed
        # term. What can fail: no unit of the tool's figure falls outside a layer, and the
        # tool's own conv and fc parts are torchvision's MACs: fc = in_features x 1000,
        # 512 for ResNet-18/34 and 2048 for the bottleneck networks.)
        terms = {t.category: t.tool for t in tool.terms}
        assert not terms.get("unattributed"), explain(tool, c.macs)
        fc = (512 if depth in (18, 34) else 2048) * 1000
        assert terms["conv"] == tool.scale * (macs - fc)
        fc_term = terms["linear"]
        assert fc_term in (tool.scale * fc, tool.scale * fc + 1000)  # + bias (torchinfo)
        if tool.tool == "torch":  # torch.utils.flop_counter: 2 x conv+fc MACs, nothing else
            assert tool.figure == 2 * macs


@pytest.mark.parametrize("depth", TORCHVISION)
def test_the_differences_are_the_conventions(checks: dict[int, CheckReport], depth: int) -> None:
    c = checks[depth]
    params, macs = TORCHVISION[depth]
    # Batch-norm channels: running mean + variance is 2 per channel, and so is weight +
    # bias; paddle.summary counts the first as parameters, torchinfo the second as MACs.
    bn_2c = c.running_stats
    fc_in = 512 if depth < 50 else 2048
    # torchinfo: our MACs + the fc bias (1,000 outputs) + BN weight and bias per sample
    assert c.tool("torchinfo").figure == macs + 1_000 + bn_2c
    assert c.tool("torchinfo").params == params
    # torch.utils.flop_counter: 2 FLOPs per MAC of conv and fc, nothing else
    assert c.tool("torch").figure == 2 * macs
    assert c.tool("paddle.summary").params == params + bn_2c
    if depth not in FVCORE_AT_224:
        return
    # fvcore: our MACs + 2 per batch-norm element + 1 per element into the global pool
    norm_elements = c.by_category["norm"]["macs"]  # ours: 1 MAC per BN element
    assert c.tool("fvcore").figure == macs + 2 * norm_elements + fc_in * 7 * 7
    assert c.tool("fvcore").unsupported == {"aten::add": {18: 8, 34: 16, 50: 16, 101: 33,
                                                          152: 50}[depth],
                                            "aten::max_pool2d": 1}


def test_resnet50_figures_from_outside() -> None:
    c = check("resnet50", tools=("torchinfo", "torch"))
    # Seed 004: paddle.summary prints 25,610,152 total params for its ResNet-50
    # (torchvision's 25,557,032 + 53,120 batch-norm running mean and variance).
    assert c.tool("paddle.summary").params == PADDLE_RESNET50
    assert c.running_stats == 53_120
    # torchinfo's own summary of torchvision's resnet50 reports total mult-adds 4.09 G
    assert round(c.tool("torchinfo").figure / 1e9, 2) == 4.09


def test_paddle_convention_on_the_seed_block() -> None:
    # Seed 004, paddle.summary of BasicBlock(64, 128, stride 2) with a projection: 230,912
    # params = convs 73,728 + 147,456 + 8,192 plus 3 BNs x 128 channels x 4 (weight, bias,
    # running mean, running variance) = 229,376 + 1,536.
    block = BasicBlock(64, 128, 2, ShortcutUse.PROJECTION)
    c = check(block, input_shape=(64, 56, 56), tools=("torch",))
    assert c.params == 229_376 + 768
    assert c.tool("paddle.summary").params == 230_912


class _MatmulInForward(nn.Module):
    """A layer whose work is in its own forward (a matrix product with its weight): module
    hooks never saw it; the operator-level counter does."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(8, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight


class _Sorted(nn.Module):
    """Real work with no formula: a sort (comparisons)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sort(x).values.abs()


def test_work_in_a_forward_is_counted_and_agrees_with_every_tool() -> None:
    model = nn.Sequential(nn.Linear(3, 8), _MatmulInForward())
    c = check(model, input_shape=(3,), batch=2)
    # linear 2 x 3 x 8 = 48 MACs, then the matmul 2 x 8 x 4 = 64
    assert c.macs == 48 + 64 and c.unsupported == []
    # torch counts both products: 2 x 112 FLOPs, exactly twice ours
    assert c.tool("torch").figure == 224 and c.tool("torch").accounted


def test_work_we_cannot_count_is_named_never_silently_zero() -> None:
    c = check(nn.Sequential(nn.Linear(3, 8), _Sorted()), input_shape=(3,), batch=2,
              tools=("torch",))
    assert c.unsupported == [{"op": "aten.sort", "calls": 1}]


def test_fvcore_is_skipped_with_the_reason_when_it_would_take_minutes() -> None:
    c = check("resnet50", input_shape=(3, 2048, 2048), batch=8, tools=("fvcore",),
              device="auto")
    fv = c.tool("fvcore")
    if torch.cuda.is_available():
        pytest.skip("with a GPU fvcore runs")
    assert fv.skipped and "cannot trace on meta" in fv.skipped
    assert not fv.accounted


def _rendered(c: CheckReport) -> str:
    buf = io.StringIO()
    render_check(c, make_console(width=80, file=buf))
    return buf.getvalue()


def test_rendered_check_at_80_columns(golden) -> None:  # type: ignore[no-untyped-def]
    c = check("resnet18", tools=("torchinfo", "torch"))
    # the golden holds the layout and the figures, not this machine's versions (the suite
    # passes on every torch the project allows); the next test checks the versions shown
    c.tools = [replace(tool, version="") for tool in c.tools]
    text = _rendered(c)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    golden("check/resnet18_80.txt", text)


def test_rendered_check_names_each_tools_installed_version() -> None:
    from importlib.metadata import version

    text = _rendered(check("resnet18", tools=("torchinfo", "torch"), device="meta"))
    # read from the installed distributions, as a user's bug report would need them
    torch_version = ".".join(version("torch").split("+")[0].split(".")[:3])
    assert f"torch counter {torch_version}" in text
    assert f"torchinfo {version('torchinfo')}" in text


def test_cli_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "--depth", "18", "--tools", "torch", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["accounted"] is True
    assert data["macs"] == 1_814_073_344
    torch_row = next(t for t in data["tools"] if t["tool"] == "torch")
    assert torch_row["figure"] == 2 * 1_814_073_344


def test_cli_check_text_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "resnet34", "--tools", "torchinfo")
    assert result.code == 0
    assert "torchinfo 3,663,779,432 = ours + fc 1,000 + batch-norm 17,024" in result.out
    bad = run_cli(capsys, "check", "50", "--tools", "ptflops")
    assert bad.code == 2
    assert bad.err.startswith("resnet-inspect: error: --tools: unknown tool 'ptflops'")
    assert bad.err.count("\n") == 1


def test_check_leaves_a_users_model_untouched() -> None:
    model = resnet_inspect.build("resnet18")
    weight = model.conv1.weight.detach().clone()
    check(model, tools=("torchinfo", "torch"))
    assert model.conv1.weight.device.type == "cpu"
    assert torch.equal(model.conv1.weight, weight)


@pytest.mark.parametrize("depth", TORCHVISION)
def test_predictions_from_a_report_alone_match_the_tools(checks: dict[int, CheckReport],
                                                         depth: int) -> None:
    # What the summary footer quotes without running the tools, against their real output
    from resnet_inspect.analysis.check_rules import predict

    predicted = predict(resnet_inspect.inspect(f"resnet{depth}"))
    for tool in checks[depth].tools:
        assert predicted[tool.tool] == (tool.figure if tool.figure is not None else tool.params)


def _crash(*args: object) -> None:
    raise RuntimeError("tool exploded\nwith a second line")


def test_a_check_in_which_every_tool_crashed_is_not_accounted_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 12: "check reports 'all accounted for' and exits 0 when every other tool
    # crashed". A crash is a failure of the check, named with its cause, exit 1.
    import resnet_inspect.analysis.check as lib

    monkeypatch.setattr(lib, "RUNNERS", {k: _crash for k in lib.RUNNERS})
    c = check("resnet18", tools=("torchinfo", "torch"))
    assert [t.tool for t in c.failed] == ["torchinfo", "torch"]
    assert not c.ran and not c.accounted
    assert "FAILED (RuntimeError: tool exploded)" in explain(c.tool("torch"), c.macs)

    result = run_cli(capsys, "check", "resnet18", "--tools", "torchinfo,torch")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "check: failed: torchinfo (RuntimeError: tool exploded)" in result.err
    assert "FAILED" in result.out and "all accounted for" not in result.out


def test_one_crashed_tool_fails_the_check_even_when_the_others_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resnet_inspect.analysis.check as lib

    monkeypatch.setitem(lib.RUNNERS, "torchinfo", _crash)
    c = check("resnet18", tools=("torchinfo", "torch"))
    assert c.tool("torch").accounted  # the one that ran still agrees to the unit
    assert not c.accounted and c.to_dict()["accounted"] is False


@pytest.mark.parametrize(("factory", "shape"), [("make_swin_block", (16, 32)),
                                               ("make_encoder_block", (10, 64))])
def test_user_attention_models_are_explained_by_every_tool(factory: str,
                                                           shape: tuple[int, ...]) -> None:
    # work in a forward (F.linear on a child's weight, q @ k^T, nn.MultiheadAttention's own
    # projections) is on the row of the module that ran it; each tool's per-module figures,
    # less their submodules', are compared with those rows
    from tests import reference_models

    model = getattr(reference_models, factory)()
    c = check(model, input_shape=shape, tools=("torchinfo", "fvcore", "torch"))
    assert c.tool("torch").figure == 2 * c.macs
    assert all(t.accounted for t in c.tools if not t.skipped), [explain(t, c.macs) for t in c.tools]


def test_check_train_explains_torchs_grouped_weight_gradient() -> None:
    from resnet_inspect.analysis.train_check import check_training

    # a depthwise 3x3 conv, 4 channels on 1 x 4 x 6 x 6, no padding: out 1 x 4 x 4 x 4 =
    # 64 positions x (4 / 4 groups x 9) = 576 MACs forward; backward only the weight's
    # gradient (the image needs none), 576 MACs again: ours 2 x (576 + 576) = 2,304 FLOPs.
    # torch's conv_backward_flop ignores groups for the weight: 9 x 16 positions x C_in 4
    # x C_out 4 x batch 1 x 2 = 4,608 FLOPs, plus its forward 1,152: 5,760. Excess 3,456
    model = nn.Sequential(nn.Conv2d(4, 4, 3, groups=4, bias=False))
    report = resnet_inspect.inspect(model, (4, 6, 6), train=True)
    step = check_training(model, report)
    assert (step.forward_macs, step.backward_macs) == (576, 576)
    assert step.torch_flops == 5_760 and step.ours_flops == 2_304
    assert (step.grouped_excess_flops, step.grouped_calls) == (3_456, 1)
    assert step.accounted and "ignores groups" in step.text()


def test_check_train_without_groups_has_nothing_to_explain() -> None:
    from resnet_inspect.analysis.train_check import check_training

    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.Flatten(), nn.Linear(64, 2))
    step = check_training(model, resnet_inspect.inspect(model, (3, 6, 6), train=True))
    # conv 64 x 27 = 1,728 MACs, linear 64 x 2 = 128: forward 1,856; backward the conv's
    # weight 1,728 and the linear's weight and input 2 x 128: 1,984
    assert (step.forward_macs, step.backward_macs) == (1_856, 1_984)
    assert step.grouped_excess_flops == 0 and step.torch_flops == step.ours_flops
    assert "ignores groups" not in step.text()


class _Prototypes(nn.Module):
    """Distances to learnt prototypes: a product torch's counter has no formula for."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 8)
        self.prototypes = nn.Parameter(torch.zeros(5, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cdist(self.fc(x), self.prototypes)


def test_a_product_torch_cannot_count_is_explained() -> None:
    c = check(_Prototypes(), input_shape=(3,), batch=1, tools=("torch",))
    # ours: linear 1 x 3 x 8 = 24 MACs, cdist 1 x 5 pairs x 8 = 40 MACs (attention)
    assert c.macs == 24 + 40
    torch_check = c.tool("torch")
    # torch counts the addmm only: 2 x 24 = 48 FLOPs; its rule leaves the cdist out
    assert torch_check.figure == 48 and torch_check.accounted
    term = next(t for t in torch_check.terms if t.category == "attention")
    assert (term.tool, term.expected) == (0, 0) and "_cdist_forward" in term.rule
