"""The layers with tensors that the builders make, on the device `build_model` names.

`build_model` builds on meta. torch's `with torch.device("meta")` would do it too, but it
is a TorchFunctionMode that intercepts every torch call a constructor makes (about 18 a
basic block): a sixth of building a deep network. So the builders make their convs, norms
and linear layers through these functions, which pass the device as the layers' own
`device=` argument. Outside `layers_on` the device is torch's default (or the
`torch.device` context around the call), as for any nn.Conv2d.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch
from torch import nn

_DEVICE: ContextVar[torch.device | None] = ContextVar("layer_device", default=None)


@contextmanager
def layers_on(device: torch.device) -> Iterator[None]:
    """Within, the layers made here are made on `device`."""
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)


def conv2d(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
           padding: int = 0, groups: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                     groups=groups, bias=bias, device=_DEVICE.get())


def batch_norm2d(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, device=_DEVICE.get())


def linear(in_features: int, out_features: int) -> nn.Linear:
    return nn.Linear(in_features, out_features, device=_DEVICE.get())
