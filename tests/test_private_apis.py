"""Every private torch/typer API resnet-inspect uses (resnet_inspect/private.py), exercised
against the installed releases, so an upgrade that renames, drops or changes one fails
here first, with the API's name in the test id and in the message; and the guard's own
contract: a missing API is a RunFailure naming it and the release, never the user's
model failing."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn
from torch.nn.attention import SDPBackend
from torch.utils._python_dispatch import TorchDispatchMode

import resnet_inspect
from resnet_inspect import private
from resnet_inspect.errors import ModelError, RunFailure
from resnet_inspect.trace import kernels

aten = torch.ops.aten


def test_current_autograd_node__torch_C__current_autograd_node() -> None:
    seen: list[object] = []

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            return x.clone()

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            seen.append(private.current_autograd_node())
            return grad

    assert private.current_autograd_node() is None  # no backward running
    Probe.apply(torch.ones(2, requires_grad=True)).sum().backward()
    assert len(seen) == 1 and "Probe" in seen[0].name()  # type: ignore[attr-defined]


def test_tensor_version__Tensor__version() -> None:
    t = torch.zeros(3)
    before = private.tensor_version(t)
    t.add_(1)
    t[0] = 5
    assert private.tensor_version(t) == before + 2  # one per in-place write
    assert private.tensor_version(t[1:]) == before + 2  # a view shares the counter


def test_storage_id__UntypedStorage__cdata() -> None:
    for device in ("cpu", "meta"):
        a, b = torch.empty(4, 4, device=device), torch.empty(4, 4, device=device)
        key = private.storage_id(a.untyped_storage())
        assert isinstance(key, int)
        assert private.storage_id(a[1:].t().untyped_storage()) == key  # views share it
        assert private.storage_id(b.untyped_storage()) != key  # on meta too (data_ptr: 0)


def test_value_key__storage_and_version() -> None:
    a = torch.zeros(4, device="meta")
    key = private.value_key(a)
    assert key == (private.storage_id(a.untyped_storage()), private.tensor_version(a))
    a.add_(1)  # an in-place write: the same storage, a new value
    assert private.value_key(a) == (key[0], key[1] + 1)
    assert private.value_key(a[1:]) == private.value_key(a)  # a view is the same value


def test_is_mutable__OpOverload__schema_is_mutable() -> None:
    assert private.is_mutable(aten.add_.Tensor) and private.is_mutable(aten.relu_.default)
    assert not private.is_mutable(aten.add.Tensor)
    assert not private.is_mutable(aten.view.default)  # a view writes nothing


def test_module_tables__Module__modules__parameters__buffers() -> None:
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert list(private.child_modules(m)) == ["0", "1"]
    assert private.child_modules(m[0]) == {}
    assert list(private.own_parameters(m[0])) == ["weight", "bias"]
    assert private.own_parameters(m) == {}  # own only, not the children's
    assert list(private.own_buffers(m[1])) == ["running_mean", "running_var",
                                                "num_batches_tracked"]
    # the live tables: the meta stand-ins (trace/tensors.py) swap a tensor by writing one
    new = nn.Parameter(torch.empty(3, 2, device="meta"))
    private.own_parameters(m[0])["weight"] = new
    assert m[0].weight is new and next(m.parameters()) is new


def test_fused_sdp_choice__torch__fused_sdp_choice() -> None:
    # kernels.py compares the answer with SDPBackend.FLASH_ATTENTION's value
    assert SDPBackend.FLASH_ATTENTION.value == kernels._FLASH
    q = torch.empty(1, 2, 4, 8)
    with private.no_dispatch_modes():
        got = private.fused_sdp_choice(q, q, q, None, 0.0, False, scale=None, enable_gqa=False)
    assert got in {b.value for b in SDPBackend.__members__.values()}


@pytest.mark.parametrize(("x", "w", "onednn"), [
    # torch's rule (ConvParams::use_mkldnn): a 1x1 convolution of stride 1 at batch under
    # 16 runs torch's own kernel on one thread; any other kernel size, or batch 16, oneDNN
    ((2, 64, 8, 8), (32, 64, 1, 1), False), ((16, 64, 8, 8), (32, 64, 1, 1), True),
    ((2, 64, 8, 8), (32, 64, 3, 3), True)])
def test_conv_backend_is_onednn__torch__C__select_conv_backend(x, w, onednn) -> None:  # type: ignore[no-untyped-def]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        got = private.conv_backend_is_onednn(list(x), list(w), [1, 1], [0, 0], [1, 1], 1)
        # torch's own answer for real tensors of these shapes
        real = torch._C._select_conv_backend(torch.zeros(x), torch.zeros(w), None, [1, 1],
                                             [0, 0], [1, 1], False, [0, 0], 1, None)
    finally:
        torch.set_num_threads(threads)
    assert got == onednn == (real.name == "Mkldnn")


def test_no_dispatch_modes__torch_utils__python_dispatch__disable_current_modes() -> None:
    seen: list[str] = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            seen.append(str(func))
            return func(*args, **(kwargs or {}))

    with Record():
        torch.ones(2).add(1)
        counted = len(seen)
        with private.no_dispatch_modes():
            torch.ones(2).mul(3)
    assert counted > 0 and len(seen) == counted  # nothing seen while set aside


def test_preload_dynamo__torch__dynamo() -> None:
    private.preload_dynamo()
    assert "torch._dynamo" in sys.modules


def test_dispatch_mode__TorchDispatchMode__should_skip_dynamo() -> None:
    # the hook still exists and still means: True wraps __torch_dispatch__ (the wrapper
    # imports torch._dynamo on its first call), False leaves it as written
    assert hasattr(TorchDispatchMode, "_should_skip_dynamo"), \
        "TorchDispatchMode._should_skip_dynamo is gone: DispatchMode's override does nothing"

    def dispatch(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        return func(*args, **(kwargs or {}))

    plain = type("Plain", (TorchDispatchMode,), {"__torch_dispatch__": dispatch})
    ours = type("Ours", (private.DispatchMode,), {"__torch_dispatch__": dispatch})
    assert plain.__dict__["__torch_dispatch__"] is not dispatch  # torch's wrapper
    assert ours.__dict__["__torch_dispatch__"] is dispatch  # left as written
    with ours():
        assert torch.ones(2).add(1).tolist() == [2.0, 2.0]


def test_click_exceptions__typer__click() -> None:
    click = private.click_exceptions()
    # what cli/__init__.py catches
    assert issubclass(click.UsageError, click.ClickException)
    assert hasattr(click, "NoArgsIsHelpError")


# ------------------------------------------------------------------------- the guard


def test_a_missing_api_is_named_with_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(torch._C, "_current_autograd_node")
    with pytest.raises(private.PrivateAPIChanged) as err:
        private.current_autograd_node()
    message = str(err.value)
    assert message.startswith("torch._C._current_autograd_node(), a private torch API")
    assert f"torch {torch.__version__}" in message and "not your model" in message
    assert isinstance(err.value, RunFailure)  # exit 1, a fault of this tool


@pytest.mark.parametrize(("call", "api"), [
    (lambda: private.storage_id(object()), "UntypedStorage._cdata"),  # type: ignore[arg-type]
    (lambda: private.tensor_version(object()), "Tensor._version"),  # type: ignore[arg-type]
    (lambda: private.value_key(object()), "UntypedStorage._cdata / Tensor._version"),  # type: ignore[arg-type]
    (lambda: private.is_mutable(len), "OpOverload._schema.is_mutable"),
    (lambda: private.child_modules(object.__new__(nn.Module)), "nn.Module._modules"),
    (lambda: private.conv_backend_is_onednn([1, 1], [1, 1, 1], [1], [0], [1], 1),
     "torch._C._select_conv_backend"),
])
def test_each_guard_names_its_api(call, api) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(private.PrivateAPIChanged, match=rf"^{api.replace('.', '[.]')}, a "):
        call()


def test_a_changed_signature_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(*args: object) -> int:  # a release that dropped the keyword arguments
        raise TypeError("_fused_sdp_choice() got an unexpected keyword argument 'scale'")

    monkeypatch.setattr(torch, "_fused_sdp_choice", changed)
    q = torch.empty(1, 2, 4, 8)
    with pytest.raises(private.PrivateAPIChanged, match=r"^torch[.]_fused_sdp_choice, .*"
                       r"TypeError: .*unexpected keyword.*--device cpu"):
        private.fused_sdp_choice(q, q, q, None, 0.0, False, scale=None, enable_gqa=False)


def test_the_tracer_reports_it_as_this_tool_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    # the backward of a training step asks which autograd node runs: without the API,
    # the run fails naming it, not as the model's forward failing (ModelError)
    monkeypatch.delattr(torch._C, "_current_autograd_node")
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    with pytest.raises(private.PrivateAPIChanged) as err:
        resnet_inspect.inspect(model, (3, 8, 8), batch=2, train=True)
    assert not isinstance(err.value, ModelError)
    assert "torch._C._current_autograd_node()" in str(err.value)
