"""The levels of detail a report is rolled up and drawn at: one row (or node) per stage,
per block, or per layer. Shared by the summary table and the diagrams."""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):
    STAGE = "stage"
    BLOCK = "block"
    LAYER = "layer"
