"""An explanation as terminal text: the derivations as a teacher writes them on the board, wrapped
to the width (equations break before an '=', long sums before a '+')."""
from __future__ import annotations

import textwrap

from .derivation import Explanation, LayerExplanation
from .mathexpr import TEXT
from .render_base import Writer, input_line, layer_line, render, title_line

STEP_INDENT = "  "
BODY_INDENT = "      "


class TextWriter(Writer):
    """Plain text lines wrapped to a width."""

    style = TEXT

    def __init__(self, width: int):
        self.width = max(width, 40)

    def equation(self, lhs: str, sides: list[str], tail: str) -> str:
        pieces = [f"= {side}" for side in sides] + ([tail] if tail else [])
        lines, current = [], BODY_INDENT + lhs
        continuation = BODY_INDENT + " " * min(len(lhs) + 1, 24)
        for position, piece in enumerate(pieces):
            if position and len(current) + 1 + len(piece) > self.width:
                lines.append(current)
                current = continuation + piece
            else:
                current += " " + piece
            while len(current) > self.width:  # a long sum: break before a '+'
                cut = current.rfind(" + ", len(continuation) + 2, self.width)
                if cut < 0:
                    break
                lines.append(current[:cut])
                current = continuation + "  " + current[cut + 1:]
        lines.append(current)
        return "\n".join(lines)

    def step(self, title: str, case: str, equations: list[str], remarks: list[str]) -> str:
        lines = self.wrap(f"{title}: {case}" if case else title, STEP_INDENT, STEP_INDENT + "    ")
        lines += equations
        for remark in remarks:
            lines += self.wrap("- " + remark, BODY_INDENT, BODY_INDENT + "  ")
        return "\n".join(lines)

    def layer(self, explanation: Explanation, layer: LayerExplanation, steps: list[str]) -> str:
        return "\n".join(["", *self.wrap(layer_line(layer), "", "    "), *steps])

    def document(self, explanation: Explanation, layers: list[str], summary: list[str]) -> str:
        lines = self.wrap(title_line(explanation), "", "    ")
        lines += self.wrap(f"{input_line(explanation)}; notation: {explanation.notation.title}", "", "    ")
        lines += layers
        if summary:
            lines += ["", "summary", *summary]
        return "\n".join(lines) + "\n"

    def wrap(self, text: str, first: str, rest: str) -> list[str]:
        """Words wrapped to the width with these indents."""
        return textwrap.wrap(text, self.width, initial_indent=first, subsequent_indent=rest,
                             break_on_hyphens=False, break_long_words=False) or [first]


def render_text(explanation: Explanation, width: int = 100) -> str:
    """The whole explanation as plain text."""
    return render(explanation, TextWriter(width))
