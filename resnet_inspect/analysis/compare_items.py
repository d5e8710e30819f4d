"""What the items of `compare` name: blocks, preset networks or config files.

Reads the command's items into kinds and specs (--channels and --spatial are
spec/numbers.py's), with a one-line user error for anything it does not know;
`network_reports` traces the networks named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from resnet_inspect.errors import InspectError, did_you_mean
from resnet_inspect.spec.arch import BlockKind
from resnet_inspect.spec.numbers import member_named

if TYPE_CHECKING:
    from resnet_inspect.report.model import Report
    from resnet_inspect.spec.arch import AnySpec

BLOCK_NAMES: tuple[str, ...] = tuple(k.value for k in BlockKind)
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")


def block_kind(item: str) -> BlockKind | None:
    """'bottleneck', 'Preact_Basic' -> BlockKind; None when the item is not a block name."""
    return member_named(BlockKind, item, dashes=True)


def is_config_file(item: str) -> bool:
    return item.lower().endswith(CONFIG_SUFFIXES)


def classify(items: Sequence[str], known_network: Callable[[str], bool]) -> str:
    """'blocks' or 'networks'; a user error (one line) for anything else.

    `known_network(item)` says whether an item names a network (a preset, a depth, a
    config file); it must not raise.
    """
    if len(items) < 2:
        got = f"one ({items[0]})" if items else "none"
        raise InspectError(
            f"compare needs at least two items, got {got}; e.g. `compare basic bottleneck` "
            "or `compare 50 101`"
        )
    blocks, networks = [], []
    for item in items:
        if block_kind(item) is not None:
            blocks.append(item)
        elif known_network(item):
            networks.append(item)
        else:
            raise unknown_item(item)
    if blocks and networks:
        raise InspectError(
            f"cannot compare blocks ({', '.join(blocks)}) with networks ({', '.join(networks)}); "
            "compare blocks with blocks (basic bottleneck) or networks with networks (50 101)"
        )
    return "blocks" if blocks else "networks"


def unknown_item(item: str) -> InspectError:
    from resnet_inspect.spec.registry import all_presets

    key = item.strip().lower().replace("_", "-")
    hint = did_you_mean(key, [*BLOCK_NAMES, *all_presets()])
    if not hint:  # 'resnet-5O' style: compare without dashes, as preset names are keyed
        hint = did_you_mean(key.replace("-", ""), list(all_presets()))
    return InspectError(
        f"unknown item {item!r}{hint}; compare blocks ({', '.join(BLOCK_NAMES)}) or networks "
        "(a depth such as 50, a preset name such as resnet50; `resnet-inspect list` names them)"
    )


def block_or_error(item: str) -> BlockKind:
    kind = block_kind(item)
    if kind is None:
        raise unknown_item(item)
    return kind


def network_reports(
    items: Sequence[str],
    resolve: Callable[[str], AnySpec],
    input_shape: tuple[int, ...] | None = None,
    batch: int = 1,
    device: str = "meta",
    train: bool = False,
    optimizer: str = "adam",
    input_dtype: str | None = None,
) -> list[Report]:
    """Build and trace each named network (`resolve` turns an item into a spec); with
    `train`, one training step each."""
    from resnet_inspect.trace.run import inspect

    return [inspect(resolve(item), input_shape=input_shape, batch=batch, device=device,
                    train=train, optimizer=optimizer, input_dtype=input_dtype)
            for item in items]


def is_network(item: str) -> bool:
    """A preset name or depth that spec.registry.get_spec knows, or a config file's path."""
    from resnet_inspect.spec.registry import get_spec

    if is_config_file(item):
        return True  # a missing or bad file is reported when it is read
    try:
        get_spec(item)
    except InspectError:
        return False
    return True


def resolve_network(item: str) -> AnySpec:
    """A preset name or depth through spec.registry.get_spec; a .toml/.yaml/.json file through
    the config loader, as `--config` reads it."""
    from resnet_inspect.spec.registry import get_spec

    if not is_config_file(item):
        return get_spec(item)
    from resnet_inspect.spec.config import load_config
    from resnet_inspect.spec.merge import spec_from_settings

    spec: AnySpec = spec_from_settings(load_config(item))
    return spec
