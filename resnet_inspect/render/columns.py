"""The summary's columns, each declared once: its header, how a row's value is read and
printed, its alignment and when it shows; the terminal table, CSV, Markdown, HTML and
LaTeX build their headers and cells from these declarations.

A medium that deliberately differs (the terminal indents a block's layers, CSV writes raw
numbers, the Markdown export exact counts, LaTeX a dash for a zero total) says so in the
declaration or in the medium's rule below, never in the renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from resnet_inspect.counting import categories
from resnet_inspect.render.names import Namer, NameScheme
from resnet_inspect.report import format as fmt
from resnet_inspect.report.model import LayerRecord, Report, Rollup, counted_on_data

# The media: the terminal (rich), the notebook (HTML and its Markdown twin, Jupyter's
# `_repr_markdown_`), LaTeX, the Markdown export (--markdown) and CSV (--csv).
TERMINAL, NOTEBOOK, LATEX, MARKDOWN, CSV = "terminal", "notebook", "latex", "markdown", "csv"
# Only these show a training step's columns (--train); the others show the forward pass.
TRAINING_MEDIA = (TERMINAL, CSV)
# The terminal's wide columns (input shape, FLOPs, activations) from this many columns up.
WIDE = 110
# The receptive-field column joins them at block and layer level from this many columns up:
# with it, ResNet-50's layer table is 133 columns wide (118 without)
RF_WIDE = 140
TABLES = (TERMINAL, NOTEBOOK, LATEX, MARKDOWN)  # numbers are right-aligned in every table

Value = str | int
Header = str | Callable[["View"], str]
Cell = Callable[[Rollup, "View"], Value]
Syntax = Callable[["Column", str], str]


def headline_label(report: Report) -> str:
    """'conv+fc' (the paper's and torchvision's figure), naming attention where a network
    has it, so the label always says what the headline holds."""
    attention = report.totals.by_category.get(categories.Category.ATTENTION.value)
    return categories.headline_label(report.totals.headline, bool(attention))


def level_header(level: str) -> str:
    """The first column's header at `level`: Stage, Block or Layer."""
    return {"stage": "Stage", "block": "Block", "layer": "Layer"}[level]


def _always(view: View) -> bool:
    return True


@dataclass(frozen=True)
class Column:
    """One column of the summary, in every medium that shows it."""

    key: str  # its CSV field
    header: Header  # as the tables print it; CSV prints the key
    value: Cell  # the row's value: CSV writes it as it is, the others through `text`
    text: Callable[[Any], str] = str
    total: Callable[[Report], Value] | None = None  # None: blank in the total row
    headers: Mapping[str, str] = field(default_factory=dict)  # a medium's own header
    cells: Mapping[str, Cell] = field(default_factory=dict)  # a medium's own value
    dash: bool = False  # a row's zero prints as a dash
    dash_total_in: tuple[str, ...] = ()  # media where a zero total is a dash too
    right_in: tuple[str, ...] = ()  # media where it is right-aligned
    levels: tuple[str, ...] = ("stage", "block", "layer")  # where it shows
    train_only: bool = False  # a training step's column
    room: Callable[[View], bool] = _always  # whether the terminal has room for it
    fold: bool = False  # on the terminal a long cell folds; the others never wrap
    math: bool = False  # LaTeX: an x between digits is a times sign (1x64x56x56, 3x3/2)
    every: bool = False  # CSV reads it from the rollup of every category, not the headline's


def _name(row: Rollup, view: View) -> Value:
    return view.namer(row.name)


def _terminal_name(row: Rollup, view: View) -> Value:
    """Stages by their own names; blocks and layers in the chosen scheme, a block's layers
    indented by their depth."""
    if view.level == "stage":
        return fmt.visible(row.name)
    r = row.records[0]
    indent = " " * max(0, r.depth - 1) if view.level == "layer" and r.block else ""
    return indent + view.namer(row.name)


def _notebook_name(row: Rollup, view: View) -> Value:
    """Layers on the shortcut path say so (the terminal dims them instead)."""
    shortcut = view.level == "layer" and row.records[0].shortcut
    return fmt.visible(row.name) + (" (shortcut)" if shortcut else "")


def _kernel(row: Rollup, view: View) -> Value:
    r = row.records[0]
    return f"{r.kernel}/{r.stride}" if r.kernel and r.stride > 1 else r.kernel


def _row_categories(row: Rollup, view: View) -> Value:
    """The categories that worked in the row (all of them where none did), joined by '+'."""
    worked = [r.category for r in row.records if r.macs or r.flops]
    return "+".join(dict.fromkeys(worked or [r.category for r in row.records]))


def _macs_header(view: View) -> str:
    # the convention sits in the header itself; on two lines when the terminal is narrow
    if view.train:
        return f"Forward{view.sep}MACs"
    return f"MACs{view.sep}({headline_label(view.report)})"


def _field_text(value: object, undefined: str = "n/a") -> str:
    """One receptive-field or jump value: 35, 3x9 (h x w), global; n/a where undefined
    (docs/receptive-field.md says when), never a number we cannot stand behind."""
    if value is None:
        return undefined
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return str(value)


def _field(row: Rollup, view: View) -> Value:
    """The row output's receptive field and jump in input pixels, as the Kernel column
    writes a kernel and its stride: 99/8."""
    if row.receptive_field is None or row.receptive_field == "global":
        return _field_text(row.receptive_field)
    return f"{_field_text(row.receptive_field)}/{_field_text(row.jump)}"


def _saved_total(report: Report) -> Value:
    return report.training_memory.activations_saved if report.training_memory else 0


NAME = Column("name", lambda v: level_header(v.level), _name, total=lambda r: "Total",
              cells={TERMINAL: _terminal_name, NOTEBOOK: _notebook_name}, fold=True)
KERNEL = Column("kernel", "Kernel", _kernel, levels=("layer",), math=True)
SHORTCUT = Column("shortcut", "Shortcut", lambda row, v: v.shortcuts.get(row.name, ""),
                  levels=("block",))
BLOCKS = Column("blocks", "Blocks", lambda row, v: str(v.blocks_in_stage.get(row.stage) or ""),
                levels=("stage",), right_in=(TERMINAL,))
STAGE = Column("stage", "Stage", lambda row, v: row.stage)
KIND = Column("kind", "Type", lambda row, v: row.kind)
CATEGORY = Column("category", "Category", _row_categories, every=True)
INPUT = Column("input_shape", "Input shape", lambda row, v: fmt.shape(row.input_shape),
               right_in=(NOTEBOOK, LATEX), room=lambda v: v.wide, math=True)
# a training step's columns take the output's place at 80
def _output_shape(row: Rollup, view: View) -> Value:
    """The output's shape; '~' in front where it came from the input's values (`y[y > 0]`),
    true of the made-up input traced, not of every input."""
    main = [r for r in row.records if not r.shortcut] or row.records  # as report._group
    data = bool(main) and main[-1].data_dependent
    return fmt.uncertain(fmt.shape(row.output_shape), data)


OUTPUT = Column("output_shape", "Output shape", _output_shape,
                right_in=(NOTEBOOK, LATEX), room=lambda v: v.wide or not v.train, math=True)
PARAMS = Column("params", "Params", lambda row, v: row.params, fmt.count,
                total=lambda r: r.totals.params, dash=True, right_in=TABLES)
class OnData(int):
    """A count '~' marks in every table (CSV keeps the number): work that ran on a shape
    that came from the input's values, so true of the input traced, not of every input."""


def _on_data(count: int, rows: list[LayerRecord], report: Report) -> Value:
    """`count` marked where headline work in `rows` ran on a shape from the data."""
    return OnData(count) if counted_on_data(rows, report.totals.headline) else count


def _macs(row: Rollup, view: View) -> Value:
    return _on_data(row.macs, row.records, view.report)


def _flops(row: Rollup, view: View) -> Value:
    return _on_data(row.flops, row.records, view.report)


MACS = Column("macs", _macs_header, _macs, fmt.si,
              total=lambda r: _on_data(r.totals.macs, r.layers, r), headers={MARKDOWN: "MACs"},
              dash=True,
              dash_total_in=(LATEX,), right_in=TABLES)
BACKWARD = Column("backward_macs", lambda v: f"Backward{v.sep}MACs",
                  lambda row, v: row.backward_macs, fmt.si,
                  total=lambda r: r.totals.backward_macs, dash=True, right_in=TABLES,
                  train_only=True)
SAVED = Column("saved_bytes", lambda v: f"Saved for{v.sep}backward",
               lambda row, v: row.saved_bytes, fmt.mib, total=_saved_total, dash=True,
               right_in=TABLES, train_only=True)
FLOPS = Column("flops", "FLOPs", _flops, fmt.si,
               total=lambda r: _on_data(r.totals.flops, r.layers, r), dash=True,
               dash_total_in=(LATEX,),
               right_in=TABLES, room=lambda v: v.wide and not v.train)
# every category of the row (the headline's columns count only the headline's), so a
# batch-norm row is not shown as costing nothing
ALL_MACS = Column("all_macs", "All MACs", lambda row, v: row.macs, fmt.si, right_in=TABLES,
                  every=True)
ALL_FLOPS = Column("all_flops", "All FLOPs", lambda row, v: row.flops, fmt.si,
                   right_in=TABLES, every=True)
# shown at --level stage, and at block and layer with --rf or on a terminal of RF_WIDE
FIELD = Column("receptive_field", lambda v: f"RF/jump{v.sep}(px)", _field,
               headers={MARKDOWN: "RF/jump (px)"}, right_in=TABLES, math=True,
               room=lambda v: v.level == "stage" or v.rf)
# CSV writes the two apart, empty where undefined
FIELD_SIZE = Column("receptive_field", "Receptive field",
                    lambda row, v: _field_text(row.receptive_field, ""))
FIELD_JUMP = Column("jump", "Jump", lambda row, v: _field_text(row.jump, ""))
ACTIVATIONS = Column("output_bytes", "Activations", lambda row, v: row.output_bytes, fmt.mib,
                     total=lambda r: r.memory.activation_bytes, right_in=TABLES,
                     room=lambda v: v.wide and not v.train)

# Each medium's columns, in order; a column shows where its level, mode and room allow.
MEDIUM_COLUMNS: dict[str, tuple[Column, ...]] = {
    TERMINAL: (NAME, KERNEL, SHORTCUT, BLOCKS, INPUT, OUTPUT, FIELD, PARAMS, MACS, BACKWARD,
               SAVED, FLOPS, ACTIVATIONS),
    NOTEBOOK: (NAME, KERNEL, SHORTCUT, BLOCKS, INPUT, OUTPUT, PARAMS, MACS, FLOPS, ACTIVATIONS),
    LATEX: (NAME, KERNEL, SHORTCUT, OUTPUT, PARAMS, MACS, FLOPS),
    MARKDOWN: (NAME, KIND, OUTPUT, FIELD, PARAMS, MACS),
    # the training columns last, so every CSV starts with the same fields
    CSV: (NAME, STAGE, KIND, CATEGORY, INPUT, OUTPUT, PARAMS, MACS, FLOPS, ALL_MACS,
          ALL_FLOPS, ACTIVATIONS, FIELD_SIZE, FIELD_JUMP, BACKWARD, SAVED),
}
DASH = {TERMINAL: "-", NOTEBOOK: "-", LATEX: "--"}


def _plain(column: Column, text: str) -> str:
    return text


class View:
    """One table being drawn: a report at a level, in a medium; `wide` is the terminal's
    room (always True elsewhere), `names` the layer-name scheme."""

    report: Report
    level: str  # stage, block or layer
    medium: str
    wide: bool
    train: bool  # the training step's columns show
    sep: str  # between a header's words: a line break on a narrow terminal
    namer: Namer
    shortcuts: dict[str, str]  # block name -> what its shortcut does
    blocks_in_stage: dict[str, int]
    rf: bool  # the receptive-field column at every level (--rf)
    columns: list[Column]  # the columns that show, in order

    def __init__(self, report: Report, level: str, medium: str, wide: bool = True,
                 names: NameScheme | str = "torchvision", rf: bool = False) -> None:
        self.report, self.level, self.medium, self.wide = report, level, medium, wide
        self.rf = rf
        self.train = report.training_memory is not None and medium in TRAINING_MEDIA
        self.sep = " " if wide else "\n"
        self.namer = Namer(report, names)
        self.shortcuts = {b.name: b.shortcut for b in report.blocks}
        self.blocks_in_stage = {}
        for b in report.blocks:
            self.blocks_in_stage[b.stage] = self.blocks_in_stage.get(b.stage, 0) + 1
        self.columns = [c for c in MEDIUM_COLUMNS[medium] if self._shows(c)]
        self._values = [c.cells.get(medium, c.value) for c in self.columns]

    def _shows(self, column: Column) -> bool:
        if self.level not in column.levels or (column.train_only and not self.train):
            return False
        return self.medium != TERMINAL or column.room(self)

    def headers(self) -> list[str]:
        out = []
        for column in self.columns:
            if self.medium == CSV:
                out.append(column.key)
                continue
            header = column.headers.get(self.medium, column.header)
            out.append(header if isinstance(header, str) else header(self))
        return out

    def right(self) -> list[bool]:
        """Which columns are right-aligned."""
        return [self.medium in column.right_in for column in self.columns]

    def values(self, row: Rollup, every: Rollup | None = None) -> list[Value]:
        """The row's values as CSV writes them; `every` is the same row counting every
        category, for the columns that read it."""
        return [value(every if every is not None and column.every else row, self)
                for column, value in zip(self.columns, self._values, strict=True)]

    def cells(self, row: Rollup, syntax: Syntax = _plain) -> list[str]:
        """The row's cells as a table prints them; their text goes through `syntax` (a
        medium's escaping), a dash excepted."""
        return [self._text(column, value, syntax, column.dash)
                for column, value in zip(self.columns, self.values(row), strict=True)]

    def totals(self, syntax: Syntax = _plain) -> list[str]:
        """The total row: blank where a column has no total."""
        out = []
        for column in self.columns:
            if column.total is None:
                out.append("")
                continue
            dash = self.medium in column.dash_total_in
            out.append(self._text(column, column.total(self.report), syntax, dash))
        return out

    def _text(self, column: Column, value: Value, syntax: Syntax, dash: bool) -> str:
        mark = "~" if isinstance(value, OnData) else ""
        if self.medium == MARKDOWN:  # exact counts, for pasting where a reader checks them
            return syntax(column, mark + (fmt.count(value) if isinstance(value, int)
                                          else str(value)))
        if dash and not value and not mark:  # a zero the data made is ~0, not nothing
            return DASH[self.medium]
        return syntax(column, mark + column.text(value))
