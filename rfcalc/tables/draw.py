"""Drawing fitted tables, panels and paragraphs as lines of styled segments (text, rich style)."""
from __future__ import annotations

import textwrap
from typing import Optional, Sequence

from .fit import Fitted, FittedColumn, Styled, text_of

Segment = tuple[str, Optional[str]]
Line = list[Segment]
HEADER_STYLE = "bold"


def _rule(left: str, fill: str, middle: str, right: str, widths: Sequence[int]) -> Line:
    return [(left + middle.join(fill * (w + 2) for w in widths) + right, None)]


def _padded(text: str, column: FittedColumn) -> str:
    return text.rjust(column.width) if column.right else text.ljust(column.width)


def _row(cells: Sequence[tuple[str, Optional[str]]], columns: Sequence[FittedColumn], bar: str) -> Line:
    """One line of a row: `bar`, then each cell padded to its column, styled, between bars."""
    line: Line = [(bar + " ", None)]
    for (text, style), column in zip(cells, columns):
        line.append((_padded(text, column), style))
        line.append((" " + bar + " ", None))
    line[-1] = (" " + bar, None)
    return line


def _cell_lines(cell, column: FittedColumn) -> list[str]:
    text = text_of(cell)
    if column.wrap and len(text) > column.width:
        return textwrap.wrap(text, column.width, break_long_words=True, break_on_hyphens=False) or [""]
    return [text]


def table_lines(fitted: Fitted, row_styles: Optional[Sequence[Optional[str]]] = None,
                title: Optional[str] = None) -> list[Line]:
    """The boxed table (heavy header, as rich draws it), a title line first when given."""
    columns = fitted.columns
    widths = [c.width for c in columns]
    lines: list[Line] = paragraph(title, fitted.width) if title else []
    lines.append(_rule("┏", "━", "┳", "┓", widths))
    lines.append(_row([(c.header, HEADER_STYLE) for c in columns], columns, "┃"))
    lines.append(_rule("┡", "━", "╇", "┩", widths))
    rows = len(columns[0].cells) if columns else 0
    wraps = any(c.wrap for c in columns)
    for i in range(rows):
        row_style = row_styles[i] if row_styles else None
        cells = [c.cells[i] for c in columns]
        styles = [cell.style if isinstance(cell, Styled) else row_style for cell in cells]
        if not wraps:
            lines.append(_row([(text_of(cell), s) for cell, s in zip(cells, styles)], columns, "│"))
            continue
        parts = [_cell_lines(cell, column) for cell, column in zip(cells, columns)]
        for k in range(max(map(len, parts))):
            lines.append(_row([(p[k] if k < len(p) else "", s) for p, s in zip(parts, styles)], columns, "│"))
    lines.append(_rule("└", "─", "┴", "┘", widths))
    return lines


def panel_lines(title: str, rows: Sequence[tuple[str, str]], width: int) -> list[Line]:
    """A rounded box titled `title` of (label, value) rows; values wrap under themselves to fit `width`."""
    label_width = max(len(label) for label, _ in rows)
    room = max(width - 4 - label_width - 2, 20)
    wrapped = [(label, textwrap.wrap(value, room) or [""]) for label, value in rows]
    inner = max(label_width + 2 + max(len(v) for v in values) for _, values in wrapped)
    inner = max(inner, len(title) + 3)
    lines: list[Line] = [[("╭─ " + title + " " + "─" * (inner - len(title) - 1) + "╮", None)]]
    for label, values in wrapped:
        for k, value in enumerate(values):
            lines.append([("│ ", None), ((label if k == 0 else "").ljust(label_width), HEADER_STYLE),
                          ("  " + value.ljust(inner - label_width - 2) + " │", None)])
    lines.append([("╰" + "─" * (inner + 2) + "╯", None)])
    return lines


def _breaks(text: str, width: int, indent: int) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` broken at spaces to `width` (lines after the first lose `indent`);
    a word longer than a line stays whole."""
    ranges, start, room = [], 0, width
    while len(text) - start > room:
        cut = text.rfind(" ", start, start + room + 1)
        if cut <= start:
            cut = text.find(" ", start + room)
            if cut == -1:
                break
        ranges.append((start, cut))
        start = cut + 1
        while start < len(text) and text[start] == " ":
            start += 1
        room = max(width - indent, 1)
    ranges.append((start, len(text)))
    return ranges


def _slice(line: Line, start: int, end: int) -> Line:
    """The segments of `line` between two character offsets."""
    out, offset = [], 0
    for text, style in line:
        low, high = max(start, offset), min(end, offset + len(text))
        if low < high:
            out.append((text[low - offset:high - offset], style))
        offset += len(text)
    return out


def wrap(line: Line, width: int, indent: str = "") -> list[Line]:
    """A line of styled segments wrapped at spaces to `width`; continuation lines start with the first
    line's own indentation and `indent`."""
    text = "".join(t for t, _ in line)
    if len(text) <= width:
        return [line]
    lead = text[:len(text) - len(text.lstrip(" "))] + indent
    lines = [_slice(line, a, b) for a, b in _breaks(text, width, len(lead))]
    return lines[:1] + [[(lead, None), *rest] for rest in lines[1:]]


def paragraph(text: str, width: int, style: Optional[str] = None, indent: str = "") -> list[Line]:
    """`text` in one style, wrapped to `width` (see wrap)."""
    return wrap([(text, style)], width, indent)
