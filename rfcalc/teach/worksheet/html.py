"""A worksheet as one self-contained, printable HTML page: each variant's sheet, then the answer keys,
each starting on a new printed page (print CSS `break-before: page`); formulas in HTML as explain
writes them; no script, font, stylesheet or image from the network. Pictures are inline SVG from
teach/pictures.py (`rfcalc draw` fills it), or from the function given."""
from __future__ import annotations

import html
from typing import Callable, Optional

from ..render_html import PAGE_CSS, HtmlWriter, picture
from .model import Blank, Exercise, format_answer
from .render import LETTERS, Sheet, correct_letter, solution_blocks, table_cells, verified_words

Picture = Callable[[Exercise], Optional[str]]  # an exercise -> an SVG document (or None)

SHEET_CSS = """
header.sheet-head { border-bottom: 2px solid #333; margin-bottom: 1rem; }
.name-line { margin: 0.4rem 0 1rem; } .name-line span { display: inline-block; min-width: 16rem;
   border-bottom: 1px solid #333; }
article.exercise { break-inside: avoid; margin: 1.2rem 0; }
article.exercise h3 { font-size: 1.05rem; margin-bottom: 0.2rem; }
code.id { font-size: 0.8rem; color: #555; margin-left: 0.5rem; }
ol.blanks { margin: 0.3rem 0 0 1.2rem; } ol.blanks li { margin: 0.35rem 0; }
span.blank { display: inline-block; min-width: 7rem; border-bottom: 1px solid #333; height: 1.1em; }
ul.choices { list-style: none; padding: 0; margin: 0.2rem 0; display: flex; flex-wrap: wrap; gap: 0.4rem 2rem; }
section.sheet + section.sheet, section.key { break-before: page; }
section.key .answer { font-weight: bold; } section.key .why { color: #555; font-size: 0.9rem; }
div.worked { margin: 0.4rem 0 0 1rem; padding-left: 0.8rem; border-left: 3px solid #ddd; }
div.worked .layer-line { font-weight: bold; margin-top: 0.6rem; }
table.network { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.95rem; }
table.network th, table.network td { border: 1px solid #999; padding: 0.2rem 0.5rem; text-align: right; }
table.network th:first-child, table.network td:first-child { text-align: left; }
table.network td.asked { background: #fff; min-width: 5rem; }
@media print { a { color: inherit; } section.sheet, section.key { margin-top: 0; } }
@page { margin: 16mm; }
"""


def default_picture(exercise: Exercise) -> Optional[str]:
    """The picture `rfcalc draw` makes for an exercise (teach/pictures.py), or None."""
    from ..pictures import exercise_picture

    return exercise_picture(exercise)


def _blank(blank: Blank) -> str:
    label = html.escape(blank.label)
    if blank.choices:
        options = "".join(f"<li>({LETTERS[i]}) {html.escape(format_answer(c.value))}</li>"
                          for i, c in enumerate(blank.choices))
        return f'<li>{label}: <ul class="choices">{options}</ul></li>'
    return f'<li>{label} = <span class="blank"></span></li>'


def exercise_html(number: int, exercise: Exercise, draw: Picture) -> str:
    """One exercise: title, id, statement, its picture (if any) and its blanks (or its table)."""
    figure = picture(draw(exercise), f"exercise {exercise.id}")
    body = exercise_body(exercise, lambda i, blank: f'<td class="asked">({i + 1})</td>')
    blanks = "" if exercise.table is not None else ('<ol class="blanks">' + "".join(_blank(b) for b in exercise.blanks)
                                                    + "</ol>")
    return (f'<article class="exercise" id="{html.escape(exercise.id)}"><h3>{number}. {html.escape(exercise.title)}'
            f'<code class="id">{html.escape(exercise.id)}</code></h3>\n{body}{figure}\n{blanks}</article>')


def exercise_body(exercise: Exercise, blank_cell=None) -> str:
    """The statement, and a spec worksheet's table with each blank cell written by blank_cell(index,
    blank) (a numbered empty cell by default)."""
    text = f"<p>{html.escape(exercise.statement)}</p>"
    if exercise.table is None:
        return text
    cell = blank_cell or (lambda i, blank: f'<td class="asked">({i + 1})</td>')
    rows = table_cells(exercise, cell, lambda value: f"<td>{html.escape(value)}</td>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in exercise.table.headers)
    return (text + f'<table class="network"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(f"<tr>{''.join(row)}</tr>" for row in rows) + "</tbody></table>")


def key_html(number: int, exercise: Exercise) -> str:
    """One exercise's key: answers (and each wrong option's misconception) and explain's worked solution."""
    items = []
    for blank in exercise.blanks:
        answer = f'<span class="answer">{html.escape(format_answer(blank.answer))}</span>'
        why = ""
        if blank.choices:
            answer = f"({correct_letter(blank)}) {answer}"
            wrong = "; ".join(f"({LETTERS[i]}) {html.escape(c.misconception)}"
                              for i, c in enumerate(blank.choices) if not c.correct)
            why = f' <span class="why">wrong options: {wrong}</span>' if wrong else ""
        items.append(f"<li>{html.escape(blank.label)} = {answer}{why}</li>")
    numbered = ' class="blanks"' if exercise.table is None else ' class="blanks numbered"'

    writer = HtmlWriter()
    worked = "\n".join(block if block.startswith("<") else f'<p class="layer-line">{block}</p>'
                       for block in solution_blocks(exercise, writer))
    note = f" {html.escape(exercise.note)}." if exercise.note else ""
    return (f'<article class="exercise key-item"><h3>{number}. {html.escape(exercise.title)}<code class="id">'
            f'{html.escape(exercise.id)}</code></h3><ol{numbered}>{"".join(items)}</ol>'
            f'<p class="why">Key {html.escape(verified_words(exercise))}.{note}</p>'
            f'<div class="worked">{worked}</div></article>')


def render_html(sheet: Sheet, draw: Picture = default_picture) -> str:
    """The whole worksheet: every variant's sheet, then every answer key on pages of their own."""
    title = html.escape(sheet.title)
    parts = []
    for variant in sheet.variants:
        number = variant[0].variant
        parts.append(f'<section class="sheet" id="sheet-v{number:02d}"><header class="sheet-head"><h1>{title}</h1>'
                     f'<p class="meta">variant {number:02d}; {html.escape(sheet.made)}</p></header>'
                     '<p class="name-line">Name: <span></span></p>\n'
                     + "\n".join(exercise_html(i, e, draw) for i, e in enumerate(variant, start=1)) + "</section>")
    for variant in sheet.variants:
        number = variant[0].variant
        parts.append(f'<section class="key" id="key-v{number:02d}"><h1>Answer key, variant {number:02d}</h1>'
                     + "\n".join(key_html(i, e) for i, e in enumerate(variant, start=1)) + "</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{PAGE_CSS}{SHEET_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")
