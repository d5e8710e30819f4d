"""What a network is, before any torch: architecture dataclasses (arch.py), the limits on
user input (limits.py), config files and the settings merge (config.py), the preset
registry (registry.py; the presets themselves are in zoo/) and paper titles (titles.py).
Nothing here imports torch."""

from resnet_inspect.spec.arch import (
    AnySpec,
    ArchSpec,
    BlockKind,
    ClassicSpec,
    ShortcutKind,
    StemKind,
    StrideOn,
)

__all__ = ["AnySpec", "ArchSpec", "BlockKind", "ClassicSpec", "ShortcutKind", "StemKind",
           "StrideOn"]
