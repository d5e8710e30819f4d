"""The layers with tensors that the builders make, on the device `build_model` names.

`build_model` builds on meta. torch's `with torch.device("meta")` would do it too, but it
is a TorchFunctionMode that intercepts every torch call a constructor makes (about 18 a
basic block): a sixth of building a deep network. So the builders make their convs, norms
and linear layers through these functions, which pass the device as the layers' own
`device=` argument. Outside `layers_on` the device is torch's default (or the
`torch.device` context around the call), as for any nn.Conv2d.

On meta a layer's default initialisation (`reset_parameters`: Kaiming bounds, fills) is
Python work on tensors with no data, about a third of building a deep network, and
`build_model` initialises or zeroes the real weights after materialising them. So layers
made on meta skip it, each on its own instance: no torch class is changed, and a model
built in another thread at the same time initialises as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import torch
from torch import nn

_DEVICE: ContextVar[torch.device | None] = ContextVar("layer_device", default=None)
_META = torch.device("meta")
_Layer = TypeVar("_Layer", bound=nn.Module)


@contextmanager
def layers_on(device: torch.device) -> Iterator[None]:
    """Within, the layers made here are made on `device`."""
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)


def _made(cls: type[_Layer], *args: Any, **kwargs: Any) -> _Layer:
    """`cls(*args, device=..., **kwargs)` on the device of `layers_on`; on meta without
    running the layer's `reset_parameters()`.

    torch's layers call `self.reset_parameters()` at the end of `__init__`; an attribute of
    the instance itself is found before the class's method, so one set on the new object
    (past `nn.Module.__setattr__`, before `__init__`) answers that call for this object
    alone, and is removed afterwards. Should a torch release stop calling it, the layer
    is merely initialised on meta: slower, the same model.
    """
    device = _DEVICE.get()
    if device != _META:
        return cls(*args, device=device, **kwargs)
    layer = cls.__new__(cls)
    object.__setattr__(layer, "reset_parameters", _no_init)
    cls.__init__(layer, *args, device=device, **kwargs)
    layer.__dict__.pop("reset_parameters", None)
    return layer


def _no_init() -> None:
    return None


def conv2d(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
           padding: int = 0, groups: int = 1, bias: bool = True) -> nn.Conv2d:
    return _made(nn.Conv2d, in_channels, out_channels, kernel_size, stride=stride,
                 padding=padding, groups=groups, bias=bias)


def batch_norm2d(channels: int) -> nn.BatchNorm2d:
    return _made(nn.BatchNorm2d, channels)


def linear(in_features: int, out_features: int) -> nn.Linear:
    return _made(nn.Linear, in_features, out_features)
