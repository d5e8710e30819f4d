"""A network too large for one page, split over pages: between stages where it can,
between blocks and layers where a stage is too tall on its own; networks side by side
(Figure 3) cut at the same output resolution in every column. Every page is drawn in one
layout (fit.make_diagram tries each and keeps the one that takes fewest pages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from resnet_inspect.render.diagram.measure import min_text_pt, printed_pt
from resnet_inspect.render.diagram.style import pretty_name
from resnet_inspect.report.model import LayerRecord, Report

Draw = Callable[[Any, "str | None"], str]  # (one page's items, its title) -> DOT


def paginate(draw: Draw, fit: str, report: Report, expand: bool) -> list[str]:
    """The network split over consecutive pages, each as large as keeps its text at the
    medium's smallest (measure.MIN_TEXT_PT), every page drawn by `draw(page, title)` in the
    one layout the caller chose.

    Pages break between stages where they can; a stage too tall for a page on its own is
    broken between its blocks and layers (a block, or a conv/pool/fc layer, with the
    batch-norm and activations after it, stays whole). [] where even one piece does not
    fit."""
    from resnet_inspect.render.diagram.grouping import regroup, stage_items

    units = regroup(report)
    pieces: list[list[list[tuple[str, int]]]] = []  # per stage, its pieces of items
    for stage in report.stages:
        items = stage_items([u for u in units if u.stage == stage], expand)
        stage_pieces: list[list[tuple[str, int]]] = [[]]
        for i, item in enumerate(items):
            if _opens(item) and any(_opens(items[j]) for _, j in stage_pieces[-1]):
                stage_pieces.append([])
            stage_pieces[-1].append((stage, i))
        pieces.append([piece for piece in stage_pieces if piece])

    def fits(page: list[tuple[str, int]]) -> bool:
        return printed_pt(draw(page, None), fit) >= min_text_pt(fit)

    pages: list[list[tuple[str, int]]] = []

    def place(part: list[tuple[str, int]]) -> bool:
        if pages and fits([*pages[-1], *part]):
            pages[-1].extend(part)
        elif fits(part):
            pages.append(list(part))
        else:
            return False
        return True

    for stage_pieces in pieces:
        whole = [unit for piece in stage_pieces for unit in piece]
        if not place(whole) and not all(place(piece) for piece in stage_pieces):
            return []
    return _titled(draw, pages, pretty_name(report))


def paginate_beside(draw: Draw, fit: str, reports: Sequence[Report],
                    expand: bool) -> list[str]:
    """Networks side by side (Figure 3) over pages, cut at the same resolution in every
    column: a page holds the layers of every network whose output is 112x112, then
    56x56 ..., as many resolutions as keep the text at the medium's smallest; a
    resolution too large for a page is cut into two to four parts, each network's at its
    layer and block boundaries. [] where even those do not fit."""
    from resnet_inspect.render.diagram.grouping import item_output, regroup, stage_items

    Page = list[list[tuple[str, int]]]  # for each network, its (stage, item) pairs
    per_net: list[list[tuple[int, tuple[str, int], bool]]] = []  # resolution, unit, opens
    for report in reports:
        units = regroup(report)
        net = []
        for stage in report.stages:
            for i, item in enumerate(stage_items([u for u in units if u.stage == stage],
                                                 expand)):
                shape = item_output(item)
                net.append((shape[2] if len(shape) == 4 else 0, (stage, i), _opens(item)))
        per_net.append(net)
    sizes = sorted({r for net in per_net for r, _, _ in net}, reverse=True)

    def fits(page: Page) -> bool:
        return printed_pt(draw(page, None), fit) >= min_text_pt(fit)

    def parts(size: int, k: int) -> list[Page]:
        """The resolution's units cut into k parts per network, at opening items."""
        cuts: list[list[list[tuple[str, int]]]] = [[] for _ in range(k)]  # part, net
        for net in per_net:
            band = [(unit, opens) for r, unit, opens in net if r == size]
            pieces: list[list[tuple[str, int]]] = []
            for unit, opens in band:
                if opens or not pieces:
                    pieces.append([])
                pieces[-1].append(unit)
            for j in range(k):
                chunk = pieces[j * len(pieces) // k:(j + 1) * len(pieces) // k]
                cuts[j].append([unit for piece in chunk for unit in piece])
        return cuts

    pages: list[Page] = []

    def place(part: Page) -> bool:
        merged = [a + b for a, b in zip(pages[-1], part, strict=True)] if pages else None
        if merged is not None and fits(merged):
            pages[-1] = merged
        elif fits(part):
            pages.append(part)
        else:
            return False
        return True

    for size in sizes:
        for k in (1, 2, 3, 4):
            before = [[list(units) for units in page] for page in pages]
            if all(place(part) for part in parts(size, k)):
                break
            pages[:] = before  # a part did not fit: undo this try, cut finer
        else:
            return []
    names = " vs ".join(pretty_name(r) for r in reports)
    return _titled(draw, pages, names)


def _titled(draw: Draw, pages: Sequence[Any], title: str) -> list[str]:
    """Each page titled 'ResNet-50 (2 of 3)'."""
    return [draw(page, f"{title} ({i} of {len(pages)})")
            for i, page in enumerate(pages, start=1)]


def _opens(item: object) -> bool:
    """Whether a stage item starts a piece a page may break before: a block (or a run of
    them), or a layer drawn as a node of its own (conv, fc, pool ...), not the batch-norm
    and activation written on the node before."""
    from resnet_inspect.render.diagram.grouping import ANCHORS

    return not isinstance(item, LayerRecord) or item.category in ANCHORS
