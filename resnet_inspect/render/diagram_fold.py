"""Folding repeated blocks: which blocks of a stage a diagram may draw once, marked "× n".

A stage's first block is always drawn on its own (it changes width or resolution and
carries the projection or zero-pad shortcut). After it, a run of consecutive blocks is
folded into its first member only when every block of the run is really identical: the
same layers in the same order, with the same types, shapes, kernels, strides, groups and
parameter counts, and the same kind of shortcut. That is checked on the traced report,
never assumed from the architecture, so a user's model with one odd block stays expanded
where it differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class FoldableBlock(Protocol):
    name: str
    kind: str
    shortcut: str

    @property
    def records(self) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Run:
    """`first` drawn once, standing for `count` identical blocks `first` .. `last`."""

    first: Any
    count: int
    last_name: str

    @property
    def folded(self) -> bool:
        return self.count > 1


def signature(block: FoldableBlock) -> tuple[object, ...]:
    """Everything a diagram shows of a block, without its own name."""
    prefix = block.name + "."
    layers = tuple(
        (r.name.removeprefix(prefix), r.type, r.category, tuple(r.input_shape),
         tuple(r.output_shape), r.params, r.kernel, r.stride, r.groups, bool(r.shortcut))
        for r in block.records
    )
    return (block.kind, block.shortcut, layers)


def runs(blocks: Sequence[FoldableBlock], *, expand: bool = False) -> list[Run]:
    """The blocks of one stage as runs to draw; with `expand`, one run per block."""
    if expand or len(blocks) < 3:
        return [Run(b, 1, b.name) for b in blocks]
    out = [Run(blocks[0], 1, blocks[0].name)]
    i = 1
    while i < len(blocks):
        j = i + 1
        key = signature(blocks[i])
        while j < len(blocks) and signature(blocks[j]) == key:
            j += 1
        out.append(Run(blocks[i], j - i, blocks[j - 1].name))
        i = j
    return out


def fold_label(run: Run) -> tuple[list[str], list[str]]:
    """Main and small lines of a folded run's frame: '× 22' / 'identical blocks' /
    'layer3.1 … layer3.22' (short lines, so the label stays clear of the edges)."""
    return [f"× {run.count}"], ["identical blocks", f"{run.first.name} … {run.last_name}"]
