"""What every worksheet format shares, and the two plain ones: Markdown (the sheets, then the answer
keys with explain's worked derivations) and the JSON answer key."""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from ..derivation import Explanation
from ..render_base import Writer, layer_line, render_step
from ..render_markdown import MarkdownWriter, markdown_text
from .model import Answer, Blank, Exercise, format_answer

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Sheet:
    """A worksheet to render: a title, how it was made (for its header), and its exercises per variant."""

    title: str
    made: str  # 'seed 7, level 2, 12 exercises'
    variants: tuple[tuple[Exercise, ...], ...]
    verified: bool  # every key was checked by the numpy backend

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        """Every exercise of every variant."""
        return tuple(e for variant in self.variants for e in variant)


def tolerance(value: Answer) -> float:
    """The tolerance an LMS grades a numeric answer with: none for a short decimal, else 0.005."""
    if not isinstance(value, Fraction):
        return 0.0
    text = format_answer(value)
    return 0.0 if not text.endswith("...") else 0.005


def plain_number(value: Fraction) -> str:
    """A number as LMS formats read it: 14.5, 3216, 2.333 (no thousands separators)."""
    return format_answer(value).replace(",", "").rstrip(".")


def choice_line(blank: Blank) -> str:
    """'(a) 5   (b) 11   (c) 13   (d) 6'."""
    return "   ".join(f"({LETTERS[i]}) {format_answer(c.value)}" for i, c in enumerate(blank.choices))


def correct_letter(blank: Blank) -> str:
    """The letter of the correct option."""
    return next(LETTERS[i] for i, c in enumerate(blank.choices) if c.correct)


def verified_words(exercise: Exercise) -> str:
    """How the key was obtained."""
    if exercise.verified:
        return "computed by the rfcalc analyzer and checked by running the network in the numpy backend"
    return "computed by the rfcalc analyzer (the network is too large to run in the numpy backend here)"


def solution_blocks(exercise: Exercise, writer: Writer) -> list[str]:
    """explain's derivations of the exercise, one block per explained layer and summary step."""
    from .generate import solution

    blocks = []
    for explanation in solution(exercise):
        blocks.extend(explanation_blocks(explanation, writer))
    return blocks


def explanation_blocks(explanation: Explanation, writer: Writer) -> list[str]:
    """The layers' headlines and steps, then the closed forms and totals, rendered by `writer`."""
    blocks = []
    for layer in explanation.layers:
        blocks.append(writer.text(layer_line(layer)))
        blocks.extend(render_step(explanation, step, writer) for step in layer.steps)
    blocks.extend(render_step(explanation, step, writer) for step in explanation.summary)
    return blocks


# -- Markdown --------------------------------------------------------------------------------------

def table_cells(exercise: Exercise, blank_cell, text_cell) -> list[list[str]]:
    """A spec worksheet's rows, each cell written by text_cell(text) or blank_cell(index, blank)."""
    return [[blank_cell(cell, exercise.blanks[cell]) if isinstance(cell, int) else text_cell(cell) for cell in row]
            for row in exercise.table.rows]


def markdown_table(exercise: Exercise) -> str:
    """The network's table with numbered blanks."""
    table = exercise.table
    rows = table_cells(exercise, lambda i, blank: f"({i + 1}) " + r"\_\_\_\_", markdown_text)
    lines = ["| " + " | ".join(markdown_text(h) for h in table.headers) + " |",
             "|" + "|".join("---" for _ in table.headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def markdown_exercise(number: int, exercise: Exercise) -> str:
    """One exercise with its blanks (or options)."""
    lines = [f"### {number}. {markdown_text(exercise.title)} `{exercise.id}`", "", markdown_text(exercise.statement), ""]
    if exercise.table is not None:
        return "\n".join(lines + [markdown_table(exercise)])
    for blank in exercise.blanks:
        if blank.choices:
            lines.append(f"- {markdown_text(blank.label)}: {markdown_text(choice_line(blank))}")
        else:
            lines.append(f"- {markdown_text(blank.label)} = \\_\\_\\_\\_\\_\\_\\_\\_")
    return "\n".join(lines)


def markdown_key(number: int, exercise: Exercise) -> str:
    """One exercise's key: the answers (and which misconception each wrong option is), the worked solution."""
    lines = [f"### {number}. `{exercise.id}` {markdown_text(exercise.title)}", ""]
    for index, blank in enumerate(exercise.blanks, start=1):
        answer = f"**{markdown_text(format_answer(blank.answer))}**"
        if blank.choices:
            wrong = "; ".join(f"({LETTERS[i]}) {markdown_text(c.misconception)}"
                              for i, c in enumerate(blank.choices) if not c.correct)
            answer = f"({correct_letter(blank)}) {answer}" + (f" (wrong options: {wrong})" if wrong else "")
        number_mark = f"({index}) " if exercise.table is not None else ""
        lines.append(f"- {number_mark}{markdown_text(blank.label)} = {answer}")
    lines += ["", f"*Key {markdown_text(verified_words(exercise))}.*"
              + (f" {markdown_text(exercise.note)}." if exercise.note else ""), "", "Worked solution:", ""]
    lines.append("\n\n".join(solution_blocks(exercise, MarkdownWriter())))
    return "\n".join(lines)


def render_markdown(sheet: Sheet) -> str:
    """Every variant's sheet, then every answer key."""
    parts = []
    for variant in sheet.variants:
        parts.append(f"# {markdown_text(sheet.title)}, variant {variant[0].variant:02d}\n\n"
                     f"*{markdown_text(sheet.made)}. Each exercise's id regenerates it "
                     f"(`rfcalc worksheet --id ID`).*")
        parts += [markdown_exercise(i, e) for i, e in enumerate(variant, start=1)]
    for variant in sheet.variants:
        parts.append(f"# Answer key, variant {variant[0].variant:02d}")
        parts += [markdown_key(i, e) for i, e in enumerate(variant, start=1)]
    return "\n\n".join(parts) + "\n"


# -- JSON answer key -------------------------------------------------------------------------------

def json_value(value: Answer):
    """A number as JSON (an int when whole), or the word."""
    if isinstance(value, str):
        return value
    return value.numerator if value.denominator == 1 else float(value)


def exercise_json(exercise: Exercise) -> dict:
    """One exercise's key as JSON."""
    def blank(b: Blank) -> dict:
        item = {"label": b.label, "answer": json_value(b.answer), "answer_text": format_answer(b.answer)}
        if isinstance(b.answer, Fraction) and b.answer.denominator != 1:
            item["exact"] = f"{b.answer.numerator}/{b.answer.denominator}"
        if b.choices:
            item["choices"] = [{"letter": LETTERS[i], "value": json_value(c.value), "correct": c.correct,
                                "misconception": c.misconception} for i, c in enumerate(b.choices)]
        return item

    return {"id": exercise.id, "topic": exercise.topic, "code": exercise.code, "title": exercise.title,
            "seed": exercise.seed, "variant": exercise.variant, "level": exercise.level,
            "statement": exercise.statement, "verified": exercise.verified, "note": exercise.note or None,
            "blanks": [blank(b) for b in exercise.blanks],
            "networks": [{"name": n.name, "spec": n.yaml} for n in exercise.networks]}


def render_json(sheet: Sheet) -> str:
    """The answer key of every exercise as JSON."""
    return json.dumps({"title": sheet.title, "made": sheet.made, "verified": sheet.verified,
                       "variants": [[exercise_json(e) for e in variant] for variant in sheet.variants]},
                      indent=2) + "\n"


def one_line(text: Optional[str]) -> str:
    """Text on one line."""
    return " ".join((text or "").split())
