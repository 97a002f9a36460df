"""`rfcalc explain`: every derivation of a spec's numbers in a course's notation, as terminal text,
Markdown with math, a self-contained HTML page or a LaTeX document."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import click

from ..commands import load_specs, spec_options
from ..errors import UsageError
from .derivation import QUANTITIES
from .notation import DEFAULT_NOTATION, NOTATIONS

EXPLAIN_FORMATS = {"text": ".txt", "markdown": ".md", "html": ".html", "latex": ".tex"}


def output_options(func):
    """-o/--output FILE and --force, shared by the teaching commands."""
    func = click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")(func)
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
                        help="Write to this file (atomically; an existing file needs --force).")(func)


def format_for(fmt: Optional[str], output: Optional[str], formats: dict[str, str], default: str) -> str:
    """The format asked for, else the one the output file's extension names, else the default."""
    if fmt:
        return fmt
    if output:
        suffix = Path(output).suffix.lower()
        for name, extension in formats.items():
            if suffix == extension or (suffix == ".htm" and name == "html"):
                return name
        raise UsageError(f"'{output}': cannot tell the format from the extension '{suffix}'; give --format "
                         f"({', '.join(formats)})")
    return default


def emit(text: str, output: Optional[str], force: bool) -> None:
    """Print the text, or write it to the output file (atomically, refusing to overwrite without force)."""
    if output is None:
        click.echo(text, nl=False)
        return
    from ..files import write_output

    write_output(output, text, force)
    click.echo(f"wrote {output}", err=True)


@click.command()
@click.argument("spec")
@spec_options
@click.option("--layer", "layer", help="Only this layer (a name, or a regular expression matching whole names).")
@click.option("--quantity", "quantity", help=f"Comma-separated quantities to derive: {','.join(QUANTITIES)} "
                                             f"(flops with macs); default all.")
@click.option("--notation", type=click.Choice(list(NOTATIONS)), default=DEFAULT_NOTATION, show_default=True,
              help="Symbols: the lecture notes', cs231n's, Dumoulin & Visin's, d2l.ai's or Distill's.")
@click.option("--format", "fmt", type=click.Choice(list(EXPLAIN_FORMATS)),
              help="text (default on a terminal), markdown (with $math$), html (one self-contained page) or "
                   "latex (a document); by default taken from the -o file's extension.")
@output_options
def explain(spec, input_size, batch, dtype, layer, quantity, notation, fmt, output, force):
    """Derive every number of SPEC as a teacher writes it on the board: per layer the case, the
    formula in the chosen notation, the numbers substituted and the result (output size, padding,
    parameters, MACs/FLOPs, memory, receptive field), then the closed forms and totals."""
    from .explain import explain_spec, parse_quantities

    chosen = format_for(fmt, output, EXPLAIN_FORMATS, "text")
    quantities = parse_quantities(quantity)
    if output:
        from ..files import check_output

        check_output(output, force)
    loaded = load_specs([spec], input_size, batch, dtype)[0]
    explanation = explain_spec(loaded, notation, layer, quantities)
    emit(render_explanation(explanation, chosen), output, force)


def render_explanation(explanation, fmt: str) -> str:
    """The explanation in one of EXPLAIN_FORMATS."""
    if fmt == "markdown":
        from .render_markdown import render_markdown

        return render_markdown(explanation)
    if fmt == "html":
        from .render_html import render_html

        return render_html(explanation)
    if fmt == "latex":
        from .render_latex import render_latex

        return render_latex(explanation)
    from .render_text import render_text

    return render_text(explanation, shutil.get_terminal_size(fallback=(100, 24)).columns)
