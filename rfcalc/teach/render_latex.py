"""An explanation as a LaTeX document (article, amsmath): compile it with pdflatex, or paste a
layer's section into lecture notes."""
from __future__ import annotations

from .derivation import Explanation, LayerExplanation
from .render_base import input_line, layer_line, render, title_line
from .render_markdown import LatexMathWriter, latex_chain

_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "α": r"$\alpha$"}


def latex_text(words: str) -> str:
    """Words with LaTeX's special characters escaped (and -> as an arrow)."""
    return r" $\rightarrow$ ".join("".join(_ESCAPES.get(c, c) for c in part) for part in words.split(" -> "))


class LatexWriter(LatexMathWriter):
    """A LaTeX article."""

    def text(self, words: str) -> str:
        return latex_text(words)

    def equation(self, lhs: str, sides: list[str], tail: str) -> str:
        chain = latex_chain(lhs, sides, tail)
        if chain.startswith("\\begin{aligned}"):
            chain = chain.replace("\\begin{aligned}", "\\begin{aligned}[t]", 1)
        return f"\\[\n{chain}\n\\]"

    def step(self, title: str, case: str, equations: list[str], remarks: list[str]) -> str:
        parts = [f"\\paragraph{{{title}}}" + (f" {case}" if case else "")]
        parts += equations
        if remarks:
            parts.append("\\begin{itemize}\n" + "\n".join(f"  \\item {r}" for r in remarks) + "\n\\end{itemize}")
        return "\n".join(parts)

    def layer(self, explanation: Explanation, layer: LayerExplanation, steps: list[str]) -> str:
        return "\n".join([f"\\subsection*{{{latex_text(layer_line(layer))}}}", *steps])

    def document(self, explanation: Explanation, layers: list[str], summary: list[str]) -> str:
        head = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}", r"\usepackage{amsmath}",
                r"\usepackage[margin=2cm]{geometry}", r"\setlength{\parindent}{0pt}", r"\allowdisplaybreaks", r"\sloppy",
                r"\begin{document}",
                f"\\section*{{{latex_text(title_line(explanation))}}}",
                f"{latex_text(input_line(explanation))}; notation: {latex_text(explanation.notation.title)}"]
        body = layers + ([r"\subsection*{Summary}", *summary] if summary else [])
        return "\n".join(head[:8]) + "\n\n" + "\n\n".join(head[8:] + body + [r"\end{document}"]) + "\n"


def render_latex(explanation: Explanation) -> str:
    """The whole explanation as a LaTeX document."""
    return render(explanation, LatexWriter())
