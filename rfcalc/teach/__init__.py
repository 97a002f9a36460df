"""Teaching: `rfcalc explain` (every derivation with the numbers substituted) and `rfcalc worksheet`
(exercises with verified answer keys, in the formats learning platforms import).

- `mathexpr`: formulas as expression trees, evaluated exactly and rendered as text, LaTeX or HTML;
- `notation`: the symbol tables of the lecture notes, cs231n, Dumoulin & Visin, d2l and Distill;
- `derivation`: the typed explanation (steps of equations and remarks), checked against the report;
- `shape_steps`, `cost_steps`, `rf_steps`: the derivations per quantity; `explain`: assembles them;
- `render_*`: the explanation as terminal text, Markdown, HTML and LaTeX;
- `pictures`: where `rfcalc draw` plugs its pictures into the HTML pages.
"""
