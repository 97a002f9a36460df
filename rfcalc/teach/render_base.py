"""What every explanation renderer shares: the namer of a step, its title, an equation's pieces and
a remark's words, each in one style (text, LaTeX, HTML)."""
from __future__ import annotations

from typing import Callable

from .derivation import Equation, Explanation, Step, Words
from .mathexpr import Expr, Namer, Style


def step_namer(explanation: Explanation, step: Step) -> Namer:
    """The namer for a step: its axes (all axes when it has none)."""
    ndim = explanation.ndim
    axes = step.axes or tuple(range(ndim))
    return explanation.notation.namer(axes, ndim)


def step_title(explanation: Explanation, step: Step) -> str:
    """'output size (H, W)': the title and the axes it covers, by the notation's letters."""
    if not step.axes or explanation.ndim == 0:
        return step.title
    letters = explanation.notation.letters(explanation.ndim)
    return f"{step.title} ({', '.join(letters[a] for a in step.axes)})"


def equation_sides(eq: Equation, style: Style, namer: Namer) -> tuple[str, list[str], str]:
    """(lhs 'H_out = W_out', the sides after '=', the then-floor tail or '')."""
    lhs = f" {style.equals} ".join(e.render(style, namer) for e in eq.lhs)
    sides: list[str] = []
    for side in (e.render(style, namer) for e in eq.sides):
        if not sides or sides[-1] != side:
            sides.append(side)
    tail = ""
    if eq.floored is not None:
        tail = f"{style.arrow()} {floor_word(style)} {style.number(eq.floored)}"
    return lhs, sides, tail


def floor_word(style: Style) -> str:
    """'floor' as each style writes it after the arrow."""
    return r"\text{floor}" if style.__class__.__name__ == "LatexStyle" else "floor"


def words(pieces: Words, style: Style, namer: Namer, text: Callable[[str], str], math: Callable[[str], str]) -> str:
    """A remark's pieces: words through `text` (escaping), formulas rendered and wrapped by `math`."""
    out = []
    for piece in pieces:
        if isinstance(piece, Expr):
            out.append(math(piece.render(style, namer)))
        else:
            out.append(text(piece))
    return "".join(out)


def input_line(explanation: Explanation) -> str:
    """'input 3x32x32, batch 1, float32'."""
    report = explanation.report
    return f"input {'x'.join(map(str, report.input_shape))}, batch {report.batch}, {report.dtype}"

