"""What every explanation renderer shares: one walk over the explanation (document, layers, steps),
the namer of a step, its title, an equation's pieces and a remark's words. A renderer is a Writer:
it says how a target (terminal text, Markdown, HTML, LaTeX) writes each of those parts."""
from __future__ import annotations

from .derivation import Equation, Explanation, LayerExplanation, Step, Words
from .mathexpr import Expr, Namer, Style


class Writer:
    """How one target writes the parts of an explanation."""

    style: Style

    def text(self, words: str) -> str:
        """Plain words, escaped for the target."""
        return words

    def math(self, formula: str) -> str:
        """An inline formula (already rendered in the target's style)."""
        return formula

    def equation(self, lhs: str, sides: list[str], tail: str) -> str:
        """A displayed equation chain."""
        raise NotImplementedError

    def step(self, title: str, case: str, equations: list[str], remarks: list[str]) -> str:
        """One step of a layer."""
        raise NotImplementedError

    def layer(self, explanation: Explanation, layer: LayerExplanation, steps: list[str]) -> str:
        """One layer: its headline and steps."""
        raise NotImplementedError

    def document(self, explanation: Explanation, layers: list[str], summary: list[str]) -> str:
        """The whole output."""
        raise NotImplementedError


def render(explanation: Explanation, writer: Writer) -> str:
    """The explanation written by `writer`."""
    layers = [writer.layer(explanation, layer, [render_step(explanation, step, writer) for step in layer.steps])
              for layer in explanation.layers]
    summary = [render_step(explanation, step, writer) for step in explanation.summary]
    return writer.document(explanation, layers, summary)


def render_step(explanation: Explanation, step: Step, writer: Writer) -> str:
    """One step written by `writer`."""
    namer = step_namer(explanation, step)
    equations = [writer.equation(*equation_sides(eq, writer.style, namer)) for eq in step.equations]
    remarks = [words(remark, writer, namer) for remark in step.remarks]
    return writer.step(writer.text(step_title(explanation, step)), words(step.case, writer, namer), equations, remarks)


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
    """(lhs 'H_out = W_out', the sides after '=' without repeats, the then-floor tail or '')."""
    lhs = f" {style.equals} ".join(e.render(style, namer) for e in eq.lhs)
    sides: list[str] = []
    for side in (e.render(style, namer) for e in eq.sides):
        if not sides or sides[-1] != side:
            sides.append(side)
    tail = f"{style.arrow()} {style.floor_word} {style.number(eq.floored)}" if eq.floored is not None else ""
    return lhs, sides, tail


def words(pieces: Words, writer: Writer, namer: Namer) -> str:
    """A remark's pieces: words escaped by the writer, formulas rendered in its style and wrapped."""
    return "".join(writer.math(piece.render(writer.style, namer)) if isinstance(piece, Expr) else writer.text(piece)
                   for piece in pieces)


def input_line(explanation: Explanation) -> str:
    """'input 3x32x32, batch 1, float32'."""
    report = explanation.report
    return f"input {'x'.join(map(str, report.input_shape))}, batch {report.batch}, {report.dtype}"


def title_line(explanation: Explanation) -> str:
    """'cifar10_walkthrough  (cifar10_walkthrough.yaml (bundled))'."""
    return f"{explanation.report.name}  ({explanation.report.source})"


def layer_line(layer: LayerExplanation) -> str:
    """'conv1 (#0) conv2d 10 filters 3x3, ...'."""
    return f"{layer.result.name} (#{layer.result.index}) {layer.headline}"

