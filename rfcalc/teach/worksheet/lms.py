"""A worksheet for Moodle: Moodle XML (one category per topic; an exercise with one blank is a
numerical or multichoice question, one with several blanks a cloze question of NUMERICAL and
MULTICHOICE parts; the worked solution as general feedback, each wrong option's misconception as its
feedback) and GIFT (one question per blank, numeric {#answer:tolerance} or multiple choice).

The structure follows MoodleDocs' "Moodle XML format", "Embedded Answers (Cloze) question type" and
"GIFT format" pages."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction

from ..render_html import HtmlWriter
from ..render_text import TextWriter
from .html import exercise_body
from .model import Answer, Blank, Exercise, format_answer
from .render import Sheet, plain_number, solution_blocks, tolerance, verified_words

CATEGORY_ROOT = "$course$/top/rfcalc worksheet"
PENALTY = "0.3333333"


def topic_order(code: str) -> int:
    """T1 before T2 before T10 (a spec worksheet's S first)."""
    return int(code[1:]) if code[1:].isdigit() else 0


def category_name(exercise: Exercise) -> str:
    """'T1 Output size with padding and stride' (the question bank category of the topic)."""
    return f"{exercise.code} {exercise.title}"


def answer_text(value: Answer) -> str:
    """An answer as Moodle reads it (a plain number or the word)."""
    return plain_number(value) if isinstance(value, Fraction) else value


def feedback_html(exercise: Exercise) -> str:
    """The worked solution as HTML (explain's derivations)."""
    blocks = solution_blocks(exercise, HtmlWriter())
    worked = "\n".join(b if b.startswith("<") else f"<p><b>{b}</b></p>" for b in blocks)
    return f"<p>Key {verified_words(exercise)}. {exercise.note}</p>\n{worked}"


def _text(parent: ET.Element, tag: str, text: str, html: bool = False) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = text
    return element


# -- Moodle XML ------------------------------------------------------------------------------------

CLOZE_SPECIAL = re.compile(r"([}#~/\"\\])")


def cloze_escape(text: str) -> str:
    """Characters that end or split a cloze part, escaped with a backslash."""
    return CLOZE_SPECIAL.sub(r"\\\1", text)


def cloze_part(blank: Blank) -> str:
    """{1:NUMERICAL:=14.5:0} or {1:MULTICHOICE:=6~5#forgot the +1~...}."""
    if blank.choices:
        options = "~".join(("=" if c.correct else "") + cloze_escape(answer_text(c.value))
                           + ("" if c.correct else f"#{cloze_escape(c.misconception)}") for c in blank.choices)
        return "{1:MULTICHOICE:" + options + "}"
    if blank.words:
        options = "~".join(("=" if w == blank.answer else "") + cloze_escape(w) for w in blank.words)
        return "{1:MULTICHOICE:" + options + "}"
    if isinstance(blank.answer, str):
        return "{1:SHORTANSWER:=" + cloze_escape(blank.answer) + "}"
    return "{1:NUMERICAL:=" + answer_text(blank.answer) + f":{tolerance(blank.answer):g}" + "}"


def moodle_question(exercise: Exercise) -> ET.Element:
    """The exercise as a numerical, multichoice or cloze question."""
    single = len(exercise.blanks) == 1 and not exercise.blanks[0].words and exercise.table is None
    blank = exercise.blanks[0]
    if single and not blank.choices:
        kind = "numerical"
    elif single:
        kind = "multichoice"
    else:
        kind = "cloze"
    question = ET.Element("question", {"type": kind})
    _text(question, "name", f"{exercise.id} {exercise.title}")
    body = exercise_body(exercise, lambda i, b: f'<td class="asked">{cloze_part(b)}</td>')
    if kind == "cloze" and exercise.table is None:
        parts = "".join(f"<li>{_escape_html(b.label)} = {cloze_part(b)}</li>" for b in exercise.blanks)
        body += f"<ol>{parts}</ol>"
    elif kind != "cloze":
        body += f"<p>{_escape_html(blank.label)} = ?</p>"
    _text(question, "questiontext", body + f"<p><small>{exercise.id}</small></p>", html=True)
    _text(question, "generalfeedback", feedback_html(exercise), html=True)
    ET.SubElement(question, "defaultgrade").text = str(len(exercise.blanks) if kind == "cloze" else 1)
    ET.SubElement(question, "penalty").text = PENALTY
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = exercise.id
    if kind == "numerical":
        answer = ET.SubElement(question, "answer", {"fraction": "100", "format": "moodle_auto_format"})
        ET.SubElement(answer, "text").text = answer_text(blank.answer)
        ET.SubElement(answer, "tolerance").text = f"{tolerance(blank.answer):g}"
        _text(answer, "feedback", "", html=True)
    elif kind == "multichoice":
        ET.SubElement(question, "single").text = "true"
        ET.SubElement(question, "shuffleanswers").text = "false"
        ET.SubElement(question, "answernumbering").text = "abc"
        for choice in blank.choices:
            answer = ET.SubElement(question, "answer", {"fraction": "100" if choice.correct else "0",
                                                        "format": "html"})
            ET.SubElement(answer, "text").text = answer_text(choice.value)
            _text(answer, "feedback", "correct" if choice.correct else choice.misconception, html=True)
    return question


def _escape_html(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def render_moodle_xml(sheet: Sheet) -> str:
    """Every exercise of every variant as Moodle XML, one category per topic (a quiz can then draw a
    random question from each category: one version per student)."""
    quiz = ET.Element("quiz")
    by_topic: dict[str, list[Exercise]] = {}
    for exercise in sheet.exercises:
        by_topic.setdefault(category_name(exercise), []).append(exercise)
    for name in sorted(by_topic, key=lambda n: topic_order(n.split()[0])):
        category = ET.SubElement(quiz, "question", {"type": "category"})
        _text(category, "category", f"{CATEGORY_ROOT}/{name}")
        for exercise in by_topic[name]:
            quiz.append(moodle_question(exercise))
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


# -- GIFT ------------------------------------------------------------------------------------------

GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def gift_escape(text: str) -> str:
    """GIFT's control characters escaped with a backslash."""
    return GIFT_SPECIAL.sub(r"\\\1", text)


def gift_answer(blank: Blank, feedback: str) -> str:
    """{#6:0####feedback} or {=6 ~5#forgot the +1 ... ####feedback}."""
    general = f"####{gift_escape(feedback)}" if feedback else ""
    if isinstance(blank.answer, str) and not blank.words:
        return "{=" + gift_escape(blank.answer) + general + "}"
    if blank.choices or blank.words:
        options = blank.choices or ()
        parts = [("=" if c.correct else "~") + gift_escape(answer_text(c.value))
                 + ("" if c.correct else f"#{gift_escape(c.misconception)}") for c in options]
        if not options:
            parts = [("=" if w == blank.answer else "~") + gift_escape(w) for w in blank.words]
        return "{" + " ".join(parts) + general + "}"
    return "{#" + answer_text(blank.answer) + f":{tolerance(blank.answer):g}" + general + "}"


def gift_feedback(exercise: Exercise) -> str:
    """The worked solution as plain text on one line per step (GIFT feedback)."""
    blocks = solution_blocks(exercise, TextWriter(1000))
    return " | ".join(" ".join(block.split()) for block in blocks)


def render_gift(sheet: Sheet) -> str:
    """Every blank of every exercise as a GIFT question, grouped in one category per topic."""
    lines: list[str] = []
    current = None
    for exercise in sorted(sheet.exercises, key=lambda e: topic_order(e.code)):
        name = category_name(exercise)
        if name != current:
            lines += [f"$CATEGORY: {CATEGORY_ROOT}/{name}", ""]
            current = name
        feedback = gift_feedback(exercise)
        for part, blank in enumerate(exercise.blanks, start=1):
            title = f"{exercise.id} ({part}/{len(exercise.blanks)}) {blank.label}"
            lines.append(f"::{gift_escape(title)}::{gift_escape(exercise.statement)} "
                         f"{gift_escape(blank.label)} \\= ? {gift_answer(blank, feedback if part == 1 else '')}")
            lines.append("")
    return "\n".join(lines)
