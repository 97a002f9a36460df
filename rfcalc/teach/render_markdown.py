"""An explanation as Markdown with math: $...$ inline and $$\\begin{aligned}...\\end{aligned}$$ blocks,
as GitHub, GitLab, Jupyter and most LMS editors render them."""
from __future__ import annotations

import re

from .derivation import Explanation, LayerExplanation
from .mathexpr import LATEX
from .render_base import Writer, input_line, layer_line, render, title_line

_SPECIAL = re.compile(r"([\\`*_{}\[\]<#|$])")


def markdown_text(words: str) -> str:
    """Words with Markdown's special characters escaped."""
    return _SPECIAL.sub(r"\\\1", words)


class LatexMathWriter(Writer):
    """A target whose formulas are LaTeX math between dollars (Markdown, LaTeX documents)."""

    style = LATEX

    def math(self, formula: str) -> str:
        return f"${formula}$"


class MarkdownWriter(LatexMathWriter):
    """Markdown with LaTeX math."""

    def text(self, words: str) -> str:
        return markdown_text(words)

    def equation(self, lhs: str, sides: list[str], tail: str) -> str:
        return "$$\n" + latex_chain(lhs, sides, tail) + "\n$$"

    def step(self, title: str, case: str, equations: list[str], remarks: list[str]) -> str:
        head = f"**{title}**" + (f": {case}" if case else "")
        parts = [head, *equations]
        if remarks:
            parts.append("\n".join(f"- {remark}" for remark in remarks))
        return "\n\n".join(parts)

    def layer(self, explanation: Explanation, layer: LayerExplanation, steps: list[str]) -> str:
        return "\n\n".join([f"## {markdown_text(layer_line(layer))}", *steps])

    def document(self, explanation: Explanation, layers: list[str], summary: list[str]) -> str:
        parts = [f"# {markdown_text(title_line(explanation))}",
                 f"*{markdown_text(input_line(explanation))}; notation: {markdown_text(explanation.notation.title)}*",
                 *layers]
        if summary:
            parts += ["## Summary", *summary]
        return "\n\n".join(parts) + "\n"


def latex_chain(lhs: str, sides: list[str], tail: str) -> str:
    """lhs = side = side ... as an aligned block, one side a line (short chains on one line)."""
    rest = sides[1:]
    last = (f" {tail}" if tail else "")
    if len(sides) <= 2 and sum(len(s) for s in sides) < 90:
        return f"{lhs} = {' = '.join(sides)}{last}"
    lines = [f"{lhs} &= {sides[0]}"] + [f"&= {side}" for side in rest]
    lines[-1] += last
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def render_markdown(explanation: Explanation) -> str:
    """The whole explanation as Markdown."""
    return render(explanation, MarkdownWriter())
