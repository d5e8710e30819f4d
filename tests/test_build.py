"""The builder against torchvision's published models."""

from __future__ import annotations

import pytest
import torch

import resnet_inspect
from resnet_inspect.models.builder import build_model
from resnet_inspect.spec.arch import ShortcutUse
from resnet_inspect.spec.registry import get_spec
from tests.published import PARAMS, RESNET_DEPTHS, TORCHVISION

TORCHVISION_PARAMS = {d: TORCHVISION[f"resnet{d}"].params for d in RESNET_DEPTHS}


@pytest.mark.parametrize("depth", TORCHVISION_PARAMS)
def test_param_counts_equal_torchvision(depth: int) -> None:
    model = build_model(get_spec(str(depth)), device="meta")
    assert sum(p.numel() for p in model.parameters()) == TORCHVISION_PARAMS[depth]


def test_state_dict_names_are_torchvisions() -> None:
    keys = set(build_model(get_spec("resnet50"), device="meta").state_dict())
    # a few keys of torchvision.models.resnet50().state_dict()
    for key in (
        "conv1.weight",
        "bn1.running_mean",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.num_batches_tracked",
        "layer3.5.conv2.weight",
        "layer4.2.bn3.bias",
        "fc.weight",
        "fc.bias",
    ):
        assert key in keys
    # torchvision's resnet50 state dict has 320 entries; ReLU and Add modules add none
    assert len(keys) == 320


@pytest.mark.parametrize(
    ("name", "projections"),
    # ResNet paper, section 3.3 option B: projections only where the shape changes. The
    # first block of conv2_x projects in bottleneck networks (64 -> 256 channels) but not
    # in basic-block networks (64 -> 64).
    [
        ("resnet18", ["layer2.0", "layer3.0", "layer4.0"]),
        ("resnet34", ["layer2.0", "layer3.0", "layer4.0"]),
        ("resnet50", ["layer1.0", "layer2.0", "layer3.0", "layer4.0"]),
        ("resnet152", ["layer1.0", "layer2.0", "layer3.0", "layer4.0"]),
    ],
)
def test_blocks_know_their_shortcut(name: str, projections: list[str]) -> None:
    model = build_model(get_spec(name), device="meta")
    found = [
        n
        for n, m in model.named_modules()
        if getattr(m, "shortcut_use", None) is ShortcutUse.PROJECTION
    ]
    assert found == projections


def test_build_initialises_like_torchvision() -> None:
    model = resnet_inspect.build("resnet18")
    conv = model.layer1[0].conv1.weight
    # Kaiming normal, fan_out = 64 * 3 * 3: std = sqrt(2 / 576) = 0.0589
    assert conv.std().item() == pytest.approx((2 / 576) ** 0.5, rel=0.1)
    assert torch.all(model.bn1.weight == 1) and torch.all(model.bn1.bias == 0)
    assert not model.training  # built for inspection: eval mode


def test_build_overrides() -> None:
    model = resnet_inspect.build("resnet18", num_classes=10, device="meta")
    assert model.fc.out_features == 10
    # 11,689,512 - 513 * 1000 + 513 * 10: only the classifier changes
    assert sum(p.numel() for p in model.parameters()) == PARAMS["resnet18"] - 513 * 990


def test_every_preset_is_built_on_meta_without_allocating() -> None:
    # The builders make their layers on meta through models/layers.py rather than torch's
    # device context; a layer made any other way would hold real memory (VGG's first fc
    # alone is 411 MB), so every tensor of every preset must come out on meta.
    from resnet_inspect.spec.registry import all_presets

    names = list(all_presets())
    assert len(names) > 50
    for name in names:
        model = build_model(get_spec(name), device="meta", init=False)
        placed = {t.device.type for t in (*model.parameters(), *model.buffers())}
        assert placed == {"meta"}, name


def test_layers_follow_torchs_device_context_outside_a_build() -> None:
    # outside build_model the layer helpers behave as nn.Conv2d: torch's default device,
    # or the `with torch.device(...)` around them (single blocks are built that way)
    from resnet_inspect.models.layers import batch_norm2d, conv2d, linear

    assert conv2d(3, 8, 3).weight.device.type == "cpu"
    with torch.device("meta"):
        assert {batch_norm2d(8).running_mean.device.type,
                linear(4, 2).weight.device.type} == {"meta"}


def test_layers_made_on_meta_skip_their_init_and_change_no_torch_class(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Building on meta skips each layer's reset_parameters() (a third of a deep build),
    # on the layer's own instance: torch's classes are left as they are, so a layer made
    # any other way meanwhile (another thread, the user's own code) initialises as usual.
    from torch import nn

    from resnet_inspect.models.layers import batch_norm2d, conv2d, layers_on, linear

    methods = {cls: cls.__dict__["reset_parameters"]
               for cls in (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._NormBase)}
    calls: list[str] = []
    monkeypatch.setattr(nn.init, "kaiming_uniform_", lambda t, **k: calls.append("init") or t)
    with layers_on(torch.device("meta")):
        made = [conv2d(3, 8, 3), batch_norm2d(8), linear(4, 2)]
        assert calls == []  # none of them ran its default initialisation
        # a layer made directly, even here, is initialised: nothing global was changed
        nn.Conv2d(3, 8, 3, device="meta")
        assert calls == ["init"]  # its weight: torch's Kaiming-uniform default
        assert {cls: cls.__dict__["reset_parameters"] for cls in methods} == methods
    assert all("reset_parameters" not in vars(m) for m in made)
    assert [type(m) for m in made] == [nn.Conv2d, nn.BatchNorm2d, nn.Linear]
    assert made[0].weight.shape == (8, 3, 3, 3) and made[0].weight.device.type == "meta"


def test_inspect_walks_a_model_it_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # inspect("resnet50") builds (set_eval walks the modules) and traces; within inspect
    # nothing changes the model in between, so the trace reuses that walk. A model passed
    # in is walked afresh: the user may have changed it since it was built.
    from resnet_inspect.models import walk

    walks: list[int] = []
    real = walk._walk

    def counted(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
        walks.append(id(model))
        return real(model)

    monkeypatch.setattr(walk, "_walk", counted)
    report = resnet_inspect.inspect("resnet50")
    assert len(walks) == 1 and report.totals.params == TORCHVISION_PARAMS[50]
    walks.clear()
    model = build_model(get_spec("resnet18"), device="meta")
    model.fc = torch.nn.Linear(512, 10, device="meta")  # changed after it was built
    report = resnet_inspect.inspect(model, (3, 224, 224))
    assert len(walks) == 2  # the build's walk, and the trace's own
    assert report.layers[-1].output_shape == [1, 10]
