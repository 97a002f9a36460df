"""An explanation as terminal text: the derivations as a teacher writes them on the board, wrapped
to the width (equations break before an '=')."""
from __future__ import annotations

import textwrap

from .derivation import Equation, Explanation, Step
from .mathexpr import TEXT, Namer
from .render_base import equation_sides, input_line, step_namer, step_title, words

STEP_INDENT = "  "
BODY_INDENT = "      "


def render_text(explanation: Explanation, width: int = 100) -> str:
    """The whole explanation as plain text lines."""
    width = max(width, 40)
    lines = _wrap(f"{explanation.report.name}  ({explanation.report.source})", width, "", "    ")
    lines += _wrap(f"{input_line(explanation)}; notation: {explanation.notation.title}", width, "", "    ")
    for layer in explanation.layers:
        lines.append("")
        lines.extend(_wrap(f"{layer.result.name} (#{layer.result.index}) {layer.headline}", width, "", "    "))
        for step in layer.steps:
            lines.extend(step_lines(explanation, step, width))
    if explanation.summary:
        lines.extend(["", "summary"])
        for step in explanation.summary:
            lines.extend(step_lines(explanation, step, width))
    return "\n".join(lines) + "\n"


def step_lines(explanation: Explanation, step: Step, width: int) -> list[str]:
    """One step: its title and case, its equations, its remarks."""
    namer = step_namer(explanation, step)
    head = step_title(explanation, step)
    case = words(step.case, TEXT, namer, str, str)
    lines = _wrap(f"{head}: {case}" if case else head, width, STEP_INDENT, STEP_INDENT + "    ")
    for eq in step.equations:
        lines.extend(equation_lines(eq, namer, width))
    for remark in step.remarks:
        lines.extend(_wrap("- " + words(remark, TEXT, namer, str, str), width, BODY_INDENT, BODY_INDENT + "  "))
    return lines


def equation_lines(eq: Equation, namer: Namer, width: int) -> list[str]:
    """lhs = side = side ..., broken before an '=' when too long."""
    lhs, sides, tail = equation_sides(eq, TEXT, namer)
    pieces = [f"= {side}" for side in sides] + ([tail] if tail else [])
    lines, current = [], BODY_INDENT + lhs
    continuation = BODY_INDENT + " " * min(len(lhs) + 1, 24)
    first = True
    for piece in pieces:
        if len(current) + 1 + len(piece) > width and not first:
            lines.append(current)
            current = continuation + piece
        else:
            current += " " + piece
        first = False
        while len(current) > width and " + " in current[len(continuation) + 2:]:
            cut = current.rfind(" + ", len(continuation) + 2, width)
            if cut < 0:
                break
            lines.append(current[:cut])
            current = continuation + "  " + current[cut + 1:]
    lines.append(current)
    return lines


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False,
                         break_long_words=False) or [first]
