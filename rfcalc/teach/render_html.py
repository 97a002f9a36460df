"""An explanation as one self-contained HTML page: no script, font or stylesheet from the network;
formulas in HTML (<var>, <sub>); print CSS; a place for each layer's picture (teach/pictures.py)."""
from __future__ import annotations

import html
from typing import Optional

from .derivation import Explanation, LayerExplanation
from .mathexpr import HTML
from .pictures import layer_picture, network_picture, receptive_field_picture
from .render_base import Writer, input_line, layer_line, render, title_line

PAGE_CSS = """
body { font-family: Georgia, 'DejaVu Serif', serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1d; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
   border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; } h3 { font-size: 1rem; margin: 1rem 0 0.3rem; }
.meta { color: #555; margin-top: 0; }
.case { margin: 0.2rem 0; }
.eq { margin: 0.3rem 0 0.3rem 1.5rem; font-size: 1.05rem; }
.eq .side { white-space: nowrap; }
var { font-style: italic; } var.word { font-style: normal; } sub, sup { font-size: 0.75em; }
ul.remarks { margin: 0.2rem 0 0.6rem 1.5rem; padding-left: 1rem; color: #333; }
figure.picture { margin: 0.8rem 0; } figure.picture svg { max-width: 100%; height: auto; }
section.layer, div.step { break-inside: avoid; }
@media print { body { margin: 0; max-width: none; font-size: 10.5pt; } h2 { break-after: avoid; } }
"""


def picture(svg: Optional[str], label: str) -> str:
    """A figure holding an SVG picture, or nothing."""
    if not svg:
        return ""
    return f'<figure class="picture" aria-label="{html.escape(label)}">{svg}</figure>'


class HtmlWriter(Writer):
    """A self-contained HTML page."""

    style = HTML

    def text(self, words: str) -> str:
        return html.escape(words, quote=False)

    def math(self, formula: str) -> str:
        return f'<span class="math">{formula}</span>'

    def equation(self, lhs: str, sides: list[str], tail: str) -> str:
        chain = " ".join(f'<span class="side">= {side}</span>' for side in sides)
        tail_html = f' <span class="side">{tail}</span>' if tail else ""
        return f'<div class="eq"><span class="side">{lhs}</span> {chain}{tail_html}</div>'

    def step(self, title: str, case: str, equations: list[str], remarks: list[str]) -> str:
        parts = [f'<div class="step"><h3>{title}</h3>']
        if case:
            parts.append(f'<p class="case">{case}</p>')
        parts += equations
        if remarks:
            parts.append('<ul class="remarks">' + "".join(f"<li>{r}</li>" for r in remarks) + "</ul>")
        parts.append("</div>")
        return "\n".join(parts)

    def layer(self, explanation: Explanation, layer: LayerExplanation, steps: list[str]) -> str:
        name = layer.result.name
        pictures = (picture(layer_picture(explanation.spec, explanation.report, name), f"layer {name}")
                    + picture(receptive_field_picture(explanation.spec, explanation.report, name),
                              f"receptive field of {name}"))
        return (f'<section class="layer" id="layer-{html.escape(name)}">\n<h2>{html.escape(layer_line(layer)).replace(" -&gt; ", " &rarr; ")}</h2>\n'
                + pictures + "\n".join(steps) + "\n</section>")

    def document(self, explanation: Explanation, layers: list[str], summary: list[str]) -> str:
        title = html.escape(title_line(explanation))
        meta = html.escape(f"{input_line(explanation)}; notation: {explanation.notation.title}")
        overview = picture(network_picture(explanation.spec, explanation.report), "receptive field growth")
        summary_html = ('<section class="summary"><h2>Summary</h2>\n' + "\n".join(summary) + "\n</section>"
                        if summary else "")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n"
                f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n<header><h1>{title}</h1>\n<p class=\"meta\">{meta}</p>"
                f"</header>\n{overview}\n" + "\n".join(layers) + f"\n{summary_html}\n</body>\n</html>\n")


def render_html(explanation: Explanation) -> str:
    """The whole explanation as a self-contained HTML page."""
    return render(explanation, HtmlWriter())
