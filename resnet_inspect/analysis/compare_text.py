"""The comparisons in English: headlines, notes and the small number words they use.

Every sentence `compare` prints above or below its tables is made here, from the plain
data of `compare_data.py`; nothing here builds or traces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from resnet_inspect.analysis.compare_data import (
    PAPER_TABLE1_GFLOPS,
    BlockSide,
    NetworkSide,
    StageDelta,
    empty_stage,
)
from resnet_inspect.counting.categories import HEADLINE_CATEGORIES, LABEL, Headline, unit
from resnet_inspect.report.format import si
from resnet_inspect.report.format import times as ratio_text


def times(a: int, b: int) -> str:
    """'16.94x fewer' / '2.00x more': how b compares with a."""
    if a == b:
        return "same"
    if a == 0 or b == 0:
        return "more" if b > a else "fewer"
    return f"{a / b:.2f}x fewer" if b < a else f"{b / a:.2f}x more"


def signed_si(n: int) -> str:
    return ("+" if n > 0 else "-" if n < 0 else "±") + si(abs(n))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if abs(n) == 1 else "s")


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def block_headline(sides: Sequence[BlockSide], spatial: tuple[int, int]) -> str:
    """'conv weights: basic 1,179,648 vs bottleneck 69,632, 16.94x fewer; MACs at 56x56: ...'

    Every other block is set against the first; with three or more, in one sentence.
    """
    first = sides[0]
    at = f"{spatial[0]}x{spatial[1]}"
    if len(sides) == 2:
        other = sides[1]
        return (f"conv weights: {first.kind} {first.conv_weights:,} vs {other.kind} "
                f"{other.conv_weights:,}, {times(first.conv_weights, other.conv_weights)}; "
                f"MACs at {at}: {times(first.macs, other.macs)}")
    parts = [f"{s.kind} {s.conv_weights:,} ({times(first.conv_weights, s.conv_weights)}, "
             f"MACs {times(first.macs, s.macs)})" for s in sides[1:]]
    return (f"conv weights against {first.kind}'s {first.conv_weights:,} at {at}: "
            + ", ".join(parts))


def block_notes(sides: Sequence[BlockSide]) -> list[str]:
    notes = [f"{s.kind}: {s.formula} = {s.conv_weights:,} conv weights" for s in sides]
    notes.append("Params + BN stats also counts batch-norm running mean and variance, as "
                 "paddle.summary does.")
    if any(s.shortcut == "projection" for s in sides):
        notes.append("The stride or channel change needs a projection shortcut (1x1 conv + "
                     "BN, the paper's option B); its weights are counted.")
    return notes


def pair_headline(a: NetworkSide, b: NetworkSide, deltas: Sequence[StageDelta]) -> str:
    """'conv4_x: 6 vs 23 blocks (+17 blocks = +51 layers), +18.99 M params, +3.71 G MACs'.

    Names the stage whose parameters differ most (then MACs, then blocks), since that is
    where the two networks part ways; the totals follow.
    """
    changed = [d for d in deltas if d.params or d.macs or d.blocks or d.layers]
    if not changed:
        return f"{a.name} and {b.name} have the same stages, params and MACs"
    top = max(changed, key=lambda d: (abs(d.params), abs(d.macs), abs(d.blocks)))
    alike = [d.stage for d in changed
             if (d.params, d.macs, d.blocks, d.layers) == (top.params, top.macs, top.blocks,
                                                          top.layers)]
    sa = a.stage(top.stage) or empty_stage(top.stage)
    sb = b.stage(top.stage) or empty_stage(top.stage)
    if top.blocks:
        blocks = (f"{sa.blocks} vs {sb.blocks} blocks ({top.blocks:+d} "
                  f"{'block' if abs(top.blocks) == 1 else 'blocks'} = {top.layers:+d} layers)")
    elif len(alike) > 1:
        blocks = "same blocks"
    elif sa.blocks:
        blocks = f"{_plural(sa.blocks, 'block')} in both"
    else:
        blocks = f"{sa.layers} vs {sb.layers} layers" if top.layers else "same layers"
    params = f"{signed_si(top.params)} params" if top.params else "same params"
    macs = f"{signed_si(top.macs)} MACs" if top.macs else "same MACs"
    each = " each" if len(alike) > 1 else ""
    return f"{', '.join(alike)}: {blocks}, {params}, {macs}{each}"


def overall_sentence(nets: Sequence[NetworkSide]) -> str:
    """'resnet50 vs resnet101: 50 vs 101 layers, 25.56 M vs 44.55 M params (1.74x), ...'"""
    def series(values: list[int], fmt: Callable[[int], str], unit: str, ratio: bool) -> str:
        text = " vs ".join(fmt(v) for v in values) + f" {unit}"
        if ratio and len(values) == 2 and values[0]:
            text += f" ({ratio_text(values[1] / values[0])})"
        return text

    shapes = ["x".join(map(str, n.input_shape)) for n in nets]
    at = (f"at input {shapes[0]}" if len(set(shapes)) == 1
          else f"each at its own input ({', '.join(shapes)})")
    return (f"{' vs '.join(n.name for n in nets)}: "
            f"{series([n.layers for n in nets], str, 'layers', False)}, "
            f"{series([n.params for n in nets], si, 'params', True)}, "
            f"{series([n.macs for n in nets], si, 'MACs', True)} {at}")


def many_headline(nets: Sequence[NetworkSide]) -> str:
    first, last = nets[0], nets[-1]
    growth = ""
    if first.params and first.macs:
        growth = (f": {last.params / first.params:.2f}x params, "
                  f"{last.macs / first.macs:.2f}x MACs")
    # where the depth goes: the stage whose block count grows the most
    grows = []
    for s in first.stages:
        other = last.stage(s.stage)
        if other is not None and other.blocks != s.blocks:
            grows.append((other.blocks - s.blocks, s.stage, s.blocks, other.blocks))
    where = ""
    if grows:
        _, stage, n0, n1 = max(grows)
        where = f"; the most blocks are added in {stage} ({n0} -> {n1})"
    return f"{first.name} -> {last.name}{growth}{where}"


def conventions_note(nets: Sequence[NetworkSide]) -> str:
    """What the MACs and FLOPs of these networks count, from their headline's categories
    (categories.py) and their own figures, so the sentence is true under every --count."""
    present = {c for n in nets for c in n.categories}
    cats = [c.value for c in HEADLINE_CATEGORIES[Headline(nets[0].headline)]
            if c.value in present or not present]
    mac_cats = [LABEL[c] for c in cats if unit(c) == "macs"]
    flop_cats = [LABEL[c] for c in cats if unit(c) == "flops"]
    text = f"MACs are multiply-accumulates of {_join(mac_cats)} layers"
    if nets[0].headline == Headline.CONV.value:
        text += " (the ResNet paper's 'FLOPs')"
    if all(n.flops == 2 * n.macs for n in nets):
        return text + "; FLOPs = 2 x MACs."
    return (text + f"; FLOPs = 2 x MACs plus the FLOPs of {_join(flop_cats)}, which have no "
            "multiply-accumulate.")


def network_notes(nets: Sequence[NetworkSide]) -> list[str]:
    notes = [conventions_note(nets)]
    v15 = [n for n in nets if n.paper_depth is not None and n.stride_on == "3x3"]
    if v15 and nets[0].headline == Headline.CONV.value:
        # torchvision's resnet.py comments that its Bottleneck strides the 3x3 ("ResNet
        # V1.5") where the paper strides the first 1x1; Table 1's figures are v1.
        figures = ", ".join(f"{PAPER_TABLE1_GFLOPS[n.paper_depth]} G for {n.name}"
                            for n in v15 if n.paper_depth is not None)
        notes.append(f"Bottlenecks stride their 3x3 (torchvision's v1.5); the paper's Table 1 "
                     f"FLOPs ({figures}) stride the 1x1: add --stride-on 1x1.")
    return notes


def field_text(value: object) -> str:
    """A receptive field or jump as tables write it: 291, 3x9, global; n/a where undefined."""
    if value is None:
        return "n/a"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return str(value)


def field_note(a: NetworkSide, b: NetworkSide) -> list[str]:
    """'Receptive field at the end of conv4_x: 291 vs 835 px (jump 16); ...': the
    stages whose fields differ, where depth shows as how far a position sees."""
    parts = []
    for sa in a.stages:
        sb = b.stage(sa.stage)
        if sb is None or sa.receptive_field == sb.receptive_field or "global" in (
                sa.receptive_field, sb.receptive_field):
            continue
        jump = (field_text(sa.jump) if sa.jump == sb.jump
                else f"{field_text(sa.jump)} vs {field_text(sb.jump)}")
        parts.append(f"{sa.stage}: {field_text(sa.receptive_field)} vs "
                     f"{field_text(sb.receptive_field)} px (jump {jump})")
    if not parts:
        return []
    return ["Receptive field at the end of " + "; ".join(parts) + "."]
