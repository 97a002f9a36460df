"""Fitting a table into a width: compact forms first, then names shortened in the middle, then columns
dropped by a stated priority. Numbers are never cut: a column is kept whole or dropped."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Mapping, NamedTuple, Optional, Sequence, Union

ELLIPSIS = "…"
BORDER = 3  # a column's share of the box: one rule and a space on either side
MIDDLE, WRAP = "middle", "wrap"  # how a text column may shrink: shortened in the middle, or wrapped


class Styled(NamedTuple):
    """A cell's text with a rich style (bold red for a mismatch)."""

    text: str
    style: Optional[str]


Cell = Union[str, Styled]


def text_of(cell: Cell) -> str:
    """The characters of a cell."""
    return cell.text if isinstance(cell, Styled) else cell


def _restyled(cell: Cell, text: str) -> Cell:
    return Styled(text, cell.style) if isinstance(cell, Styled) else text


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, its middle replaced by '…' (layer4.…conv3)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    kept = width - 1
    head = (kept + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (kept - head):]


@dataclass(frozen=True)
class TableColumn:
    """One column to fit: its header and cells, how it may give up space, and when it is dropped.

    `drop`: the lower, the earlier the column is dropped when space is short (None: never dropped).
    `compact`: a shorter form of every cell (64x56² for 64x56x56), used before anything is dropped.
    `shrink`: MIDDLE (text shortened in the middle, down to `min_width`) or WRAP (wrapped onto more lines);
    numbers never shrink."""

    key: str
    header: str
    cells: Sequence[Cell]
    right: bool = False
    drop: Optional[int] = None
    compact: Optional[Sequence[Cell]] = None
    shrink: Optional[str] = None
    min_width: int = 12

    @cached_property
    def natural(self) -> int:
        """The width that shows every cell and the header whole."""
        return max(len(self.header), max(map(len, map(text_of, self.cells)), default=0))

    @cached_property
    def least(self) -> int:
        """The narrowest this column may become."""
        if self.shrink is None:
            return self.natural
        return min(self.natural, max(self.min_width, len(self.header)))


@dataclass(frozen=True)
class FittedColumn:
    """A kept column at its width (cells longer than `width` wrap, for a WRAP column)."""

    key: str
    header: str
    cells: tuple[Cell, ...]
    width: int
    right: bool
    wrap: bool


@dataclass(frozen=True)
class Fitted:
    """A table fitted to `width` columns, and what was given up to make it fit."""

    columns: tuple[FittedColumn, ...]
    width: int
    dropped: tuple[str, ...] = ()  # headers of the dropped columns, in the order they were dropped
    shortened: tuple[str, ...] = ()  # headers of columns whose cells were shortened
    compacted: tuple[str, ...] = ()  # keys of the columns shown in their compact form

    def footer(self, notes: Optional[Mapping[str, str]] = None) -> str:
        """One line saying what was given up to fit (empty when nothing was): the dropped columns, the
        shortened ones, and `notes[key]` for each compacted column (how to read its compact form)."""
        parts = []
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.shortened:
            parts.append(", ".join(self.shortened) + " shortened (…)")
        parts += dict.fromkeys((notes or {})[key] for key in self.compacted if key in (notes or {}))  # each note once
        if not parts:
            return ""
        return f"fitted to {self.width} columns (--wide shows all): " + "; ".join(parts)


def table_width(widths: Sequence[int]) -> int:
    """Characters of a boxed table whose columns are `widths` wide."""
    return sum(w + BORDER for w in widths) + 1


def fit(columns: Sequence[TableColumn], width: int, wide: bool = False) -> Fitted:
    """Keep every column whole when they fit (or `wide`); else compact, shorten and drop, in that order,
    dropping the lowest `drop` first, until the table fits (or only undroppable columns are left)."""
    naturals = [c.natural for c in columns]
    if wide or table_width(naturals) <= width:
        return Fitted(tuple(_whole(c, w) for c, w in zip(columns, naturals)), width)
    compacted = [c.key for c in columns if c.compact is not None and _shorter(c)]
    kept = [replace(c, cells=c.compact, compact=None) if c.key in compacted else c for c in columns]
    dropped = []
    while table_width([c.least for c in kept]) > width:
        droppable = [c for c in kept if c.drop is not None]
        if not droppable:
            break
        victim = min(droppable, key=lambda c: c.drop)
        kept.remove(victim)
        dropped.append(victim.header)
    widths = _widen([c.least for c in kept], [c.natural for c in kept], width)
    fitted = tuple(_shortened(c, w) for c, w in zip(kept, widths))
    shortened = tuple(c.header for c, w in zip(kept, widths) if c.shrink == MIDDLE and w < c.natural)
    return Fitted(fitted, width, tuple(dropped), shortened, tuple(c.key for c in kept if c.key in compacted))


def _shorter(column: TableColumn) -> bool:
    """True when the compact form saves space."""
    return max(len(column.header), max(map(len, map(text_of, column.compact or ())), default=0)) < column.natural


def _widen(least: list[int], natural: list[int], width: int) -> list[int]:
    """Give the space left over to the shrunk columns, left to right, up to their natural widths."""
    spare = width - table_width(least)
    widths = list(least)
    for i, (low, high) in enumerate(zip(least, natural)):
        extra = max(0, min(spare, high - low))
        widths[i] += extra
        spare -= extra
    return widths


def _whole(column: TableColumn, width: int) -> FittedColumn:
    return FittedColumn(column.key, column.header, tuple(column.cells), width, column.right, False)


def _shortened(column: TableColumn, width: int) -> FittedColumn:
    cells = tuple(column.cells)
    if column.shrink == MIDDLE:
        cells = tuple(_restyled(c, shorten_middle(text_of(c), width)) for c in cells)
    return FittedColumn(column.key, column.header, cells, width, column.right, column.shrink == WRAP)
