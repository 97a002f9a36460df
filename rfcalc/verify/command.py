"""`rfcalc verify` and `rfcalc erf`: run specs in the numpy backend and check every analyzed number.

Per layer: output shape, parameters (trainable) and buffers, MACs, FLOPs by kind, activation bytes
and the receptive field (measured by backward dependency propagation at every position, or at
borders, centre, phases and a fixed sample). A rich table with a verdict per quantity, or JSON; exit
status 1 on any mismatch.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any, Optional

import click

from ..commands import load_specs, make_console, spec_options, wide_option
from ..errors import RfcalcError, UsageError
from ..spec import Spec
from ..units import parse_bytes
from .compare import VerificationFailed, effective_rf_of, verify_spec
from ..tables import Output
from .render import print_verification, verification_json


class LazyProgress:
    """A rich progress bar on stderr that appears only when a run lasts more than a moment."""

    def __init__(self, enabled: bool, delay: float = 0.4):
        self.enabled = enabled
        self.delay = delay
        self.started = time.perf_counter()
        self.progress = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> "LazyProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Remove the bar (before printing results); a later update starts a new one after the delay."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
            self.tasks = {}
        self.started = time.perf_counter()

    def update(self, description: str, completed: int, total: int) -> None:
        """Show `completed` of `total` for a task, starting the bar once the run is no longer short."""
        if not self.enabled:
            return
        if self.progress is None:
            if time.perf_counter() - self.started < self.delay:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=make_console(stderr=True), transient=True)
            self.progress.start()
        if description not in self.tasks:
            self.tasks[description] = self.progress.add_task(description, total=total)
        self.progress.update(self.tasks[description], completed=completed, total=total)



def _max_memory(text: str) -> int:
    value = parse_bytes(text)
    if value <= 0:
        raise RfcalcError(f"--max-memory must be positive; got {text}")
    return value


@click.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random weights and input.")
@click.option("--max-memory", "max_memory", default="2GiB", show_default=True,
              help="Refuse runs whose arrays would need more memory than this.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format (JSON: one object per spec, or a list).")
@click.option("--no-rf", is_flag=True, help="Skip the receptive-field measurement.")
@click.option("--erf", is_flag=True, help="Also show each spec's effective receptive field (see rfcalc erf).")
@click.option("--erf-out", "erf_out", type=click.Path(dir_okay=False, writable=True),
              help="With --erf and one spec: write the picture to this .png or .svg file (needs matplotlib: "
                   "pip install 'rfcalc[draw]').")
@click.option("--force", is_flag=True, help="Overwrite the --erf-out file if it exists.")
@wide_option
def verify(specs, input_size, batch, dtype, seed, max_memory, fmt, no_rf, erf, erf_out, force, wide):
    """Run SPECS in the numpy backend and check every analyzed number; exit 1 on any mismatch."""
    limit = _max_memory(max_memory)
    _check_image_name(erf_out, force)
    loaded = load_specs(specs, input_size, batch, dtype)
    output = Output()
    results = []
    with LazyProgress(sys.stderr.isatty()) as progress:
        for spec in loaded:
            results.append(verify_spec(spec, seed, limit, not no_rf, progress))
            progress.stop()
            if fmt == "table":
                print_verification(results[-1], output, wide)
    if fmt == "json":
        data = [verification_json(v) for v in results]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    if erf:
        shown = output.console if fmt == "table" else make_console(stderr=True)  # keep JSON on stdout clean
        for spec in loaded:
            _show_erf(spec, seed, limit, None, 4, erf_out if len(loaded) == 1 else None, shown, force)
    failed = [v for v in results if not v.ok]
    if failed:
        count = sum(len(layer.failed) for v in failed for layer in v.layers) + sum(
            not c.ok for v in failed for c in v.totals.values())
        first = failed[0].mismatch_lines()[0]
        raise VerificationFailed(f"{count} mismatch(es) in {', '.join(v.spec.name for v in failed)}; first: {first}")


def _show_erf(spec: Spec, seed: int, limit: int, layer: Optional[str], samples: int, out: Optional[str], console,
              force: bool = False) -> None:
    from ..backend.erf import render_terminal

    result = effective_rf_of(spec, layer=layer, samples=samples, seed=seed, max_memory=limit)
    render_terminal(result, console)
    if out:
        from ..draw.erf_plot import erf_picture
        from ..files import write_output

        write_output(out, erf_picture(result, out[-4:].lower()), force)
        console.print(f"wrote {out}")


@click.command()
@click.argument("spec")
@spec_options
@click.option("--layer", help="Layer whose centre unit is studied (default: the last layer with spatial output).")
@click.option("--samples", type=click.IntRange(min=1), default=4, show_default=True,
              help="Random draws of weights and input averaged.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--max-memory", "max_memory", default="2GiB", show_default=True)
@click.option("--out", "--erf-out", "out", type=click.Path(dir_okay=False, writable=True),
              help="Write the picture to this .png or .svg file (needs matplotlib: pip install 'rfcalc[draw]').")
@click.option("--force", is_flag=True, help="Overwrite the --out file if it exists.")
def erf(spec, input_size, batch, dtype, layer, samples, seed, max_memory, out, force):
    """Show how much each input pixel moves a centre unit of SPEC: the effective receptive field.

    The gradient magnitude of the centre unit with respect to the input under random weights and inputs
    (Luo, Li, Urtasun and Zemel, NeurIPS 2016), averaged over --samples draws, drawn in the terminal
    and optionally written as PNG or SVG, with the theoretical RF box over it."""
    _check_image_name(out, force)
    loaded = load_specs([spec], input_size, batch, dtype)[0]
    _show_erf(loaded, seed, _max_memory(max_memory), layer, samples, out, make_console(), force)


def _check_image_name(path: Optional[str], force: bool) -> None:
    """Before any work: refuse an ERF picture name that is neither .png nor .svg, an existing file
    without --force, and a picture when matplotlib (the [draw] extra) is missing."""
    if not path:
        return
    if not path.lower().endswith((".png", ".svg")):
        raise UsageError(f"'{path}': the ERF picture must be a .png or .svg file")
    from ..files import check_output

    check_output(path, force)
    from ..draw.plotting import pyplot

    pyplot()
