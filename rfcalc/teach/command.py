"""`rfcalc explain`: every derivation of a spec's numbers in a course's notation."""
from __future__ import annotations

import shutil

import click

from ..commands import load_specs, spec_options
from .derivation import QUANTITIES
from .notation import DEFAULT_NOTATION, NOTATIONS


@click.command()
@click.argument("spec")
@spec_options
@click.option("--layer", "layer", help="Only this layer (a name, or a regular expression matching whole names).")
@click.option("--quantity", "quantity", help=f"Comma-separated quantities to derive: {','.join(QUANTITIES)} "
                                             f"(flops with macs); default all.")
@click.option("--notation", type=click.Choice(list(NOTATIONS)), default=DEFAULT_NOTATION, show_default=True,
              help="Symbols: the lecture notes', cs231n's, Dumoulin & Visin's, d2l.ai's or Distill's.")
def explain(spec, input_size, batch, dtype, layer, quantity, notation):
    """Derive every number of SPEC as a teacher writes it on the board: per layer the case, the
    formula in the chosen notation, the numbers substituted and the result (output size, padding,
    parameters, MACs/FLOPs, memory, receptive field), then the closed forms and totals."""
    from .explain import explain_spec, parse_quantities
    from .render_text import render_text

    quantities = parse_quantities(quantity)
    loaded = load_specs([spec], input_size, batch, dtype)[0]
    explanation = explain_spec(loaded, notation, layer, quantities)
    width = shutil.get_terminal_size(fallback=(100, 24)).columns
    click.echo(render_text(explanation, width), nl=False)
