"""`compare`: residual blocks layer by layer, or networks stage by stage, as plain data.

Whether the items are blocks or networks is decided here, once (`kind`); the CLI and
`resnet_inspect.compare` call this and never decide it again.

- Blocks (`basic bottleneck`): each built at the same channels, width and stride and
  traced at one spatial size (analysis/compare_blocks.py). The default is the ResNet
  paper's Figure 5: 256 channels, the bottleneck reducing to 64 -- conv weights
  3x3x256x256 x 2 = 1,179,648 vs 1x1x256x64 + 3x3x64x64 + 1x1x64x256 = 69,632.
- Networks (`50 101`, `18 34 50 101 152`): one row per paper stage; two networks get
  deltas and ratios, three or more read as the paper's Table 1
  (analysis/compare_networks.py). Every figure comes from the same tracer as `summary`.

    >>> compare(["basic", "bottleneck"]).result.blocks[1].conv_weights
    69632
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resnet_inspect.errors import InspectError
from resnet_inspect.report.model import Report
from resnet_inspect.spec.arch import ArchSpec, ClassicSpec
from resnet_inspect.spec.numbers import parse_channels, parse_spatial

if TYPE_CHECKING:
    from resnet_inspect.analysis.compare_data import BlockComparison, NetworkComparison
    from resnet_inspect.report.model import Report
    from resnet_inspect.spec.arch import AnySpec


Shape = tuple[int, ...] | None


@dataclass(frozen=True)
class Named:
    """A user's module with the name it is shown under."""

    module: Any
    name: str


@dataclass(frozen=True)
class Compared:
    """A comparison, and (networks) the reports it was made from, for the training step."""

    result: BlockComparison | NetworkComparison
    reports: list[Report] = field(default_factory=list)
    train: bool = False


def kind(items: Sequence[Any]) -> str:
    """'blocks' when every item is a block's name (basic, bottleneck, ...), else
    'networks'; a mix of the two is refused (compare_items.classify)."""
    from resnet_inspect.analysis.compare_items import classify, is_network

    names = [item for item in items if isinstance(item, str)]
    return classify(names, is_network) if len(names) == len(items) else "networks"


def compare(items: Sequence[Any], *, channels: Any = None, width: int | None = None,
            spatial: Any = None, stride: int | None = None, batch: int = 1,
            device: str = "meta", train: bool = False, optimizer: str = "adam",
            input_dtype: str | None = None,
            input_shape: Shape | Callable[[], Shape] = None,
            prepare: Callable[[str], None] = lambda kind: None,
            resolve: Callable[[int, str], AnySpec] | None = None) -> Compared:
    """Compare blocks or networks. A network is a preset name or depth, a config file, a
    spec, a module (`Named` or bare) or a Report.

    `prepare(kind)` runs once the kind is known and before any work: the adapter refuses
    there its options that do not apply to that kind. `resolve(index, item)` turns a
    network's name into a spec (default: the preset or config file it names).
    `input_shape` is the networks' (None: each one's own), or a function giving it, called
    once the names are resolved, so a bad name is reported before a bad shape.
    """
    decided = kind(items)
    prepare(decided)
    if decided == "blocks":
        return Compared(_blocks(items, channels, width, spatial, stride, batch, device))
    from resnet_inspect.analysis.compare_networks import compare_reports

    # every name resolved (and its flags checked) before the first network is traced
    subjects = [_resolve(resolve, i, item) if isinstance(item, str) else item
                for i, item in enumerate(items)]
    shape = input_shape() if callable(input_shape) else input_shape
    reports = [_report(subject, shape, batch, device, train, optimizer, input_dtype)
               for subject in subjects]
    return Compared(compare_reports(reports), reports, train)


def _blocks(items: Sequence[str], channels: Any, width: int | None, spatial: Any,
            stride: int | None, batch: int, device: str) -> BlockComparison:
    from resnet_inspect.analysis.compare_blocks import (
        DEFAULT_CHANNELS,
        DEFAULT_SPATIAL,
        DEFAULT_STRIDE,
        compare_blocks,
    )

    if isinstance(channels, str):  # the CLI's text, parsed once the items are blocks
        channels = parse_channels(channels)
    if isinstance(spatial, str):
        spatial = parse_spatial(spatial)
    return compare_blocks(items, channels=channels or DEFAULT_CHANNELS, width=width,
                          spatial=spatial or DEFAULT_SPATIAL,
                          stride=DEFAULT_STRIDE if stride is None else stride,
                          batch=batch, device=device)


def _resolve(resolve: Callable[[int, str], AnySpec] | None, index: int, item: str) -> AnySpec:
    from resnet_inspect.analysis.compare_items import is_network, resolve_network, unknown_item

    if resolve is not None:
        return resolve(index, item)
    if not is_network(item):
        raise unknown_item(item)
    return resolve_network(item)


def _report(subject: Any, shape: tuple[int, ...] | None, batch: int, device: str,
            train: bool, optimizer: str, input_dtype: str | None) -> Report:
    """One network traced: a spec on `device`, a module where its weights are (it runs as
    it is), a Report as it is."""
    from torch import nn

    from resnet_inspect.trace.run import inspect

    run: dict[str, Any] = {"input_shape": shape, "batch": batch, "train": train,
                           "optimizer": optimizer, "input_dtype": input_dtype}
    if isinstance(subject, Report):
        return subject
    if isinstance(subject, (ArchSpec, ClassicSpec)):
        return inspect(subject, device=device, **run)
    if isinstance(subject, Named):
        return inspect(subject.module, device=device, name=subject.name, **run)
    if isinstance(subject, nn.Module):
        return inspect(subject, name=type(subject).__name__, **run)
    raise InspectError(f"cannot compare a {type(subject).__name__}; give preset names "
                       "('resnet50'), specs, nn.Module objects or Reports")
