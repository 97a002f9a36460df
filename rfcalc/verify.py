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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import click

from .analyzer import analyze
from .cli import load_specs, make_console, spec_options
from .errors import RfcalcError, UsageError
from .report import LayerResult, Report
from .spec import Spec
from .units import format_bytes, format_count, parse_bytes

SCHEMA_VERSION = 1
KINDS = ("add", "mul", "div", "cmp", "exp")


class VerificationFailed(RfcalcError):
    """At least one measured number differs from the analyzed one."""

    exit_code = 1


@dataclass(frozen=True)
class Check:
    """One quantity of one layer: what the backend measured, what the analyzer said."""

    quantity: str
    measured: Any
    analyzed: Any

    @property
    def ok(self) -> bool:
        """True when they agree."""
        return self.measured == self.analyzed


@dataclass
class LayerVerification:
    """Every check of one layer."""

    index: int
    name: str
    type: str
    checks: dict[str, Check]
    rf: Any  # backend.rf.LayerRF, or None when the input has no spatial axes
    overhead: dict[str, dict[str, int]]
    seconds: float

    @property
    def failed(self) -> list[str]:
        """Names of the quantities that disagree."""
        bad = [name for name, check in self.checks.items() if not check.ok]
        if self.rf is not None and not self.rf.ok:
            bad.append("rf")
        return bad


@dataclass
class SpecVerification:
    """The verification of one spec."""

    spec: Spec
    report: Report
    seed: int
    layers: list[LayerVerification]
    forward_seconds: float
    rf_seconds: float
    totals: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check of every layer, and of the totals, agrees."""
        return not any(layer.failed for layer in self.layers) and all(c.ok for c in self.totals.values())

    def findings(self) -> list[str]:
        """One line per disagreement."""
        lines = []
        for layer in self.layers:
            label = f"#{layer.index} '{layer.name}' ({layer.type})"
            for name, check in layer.checks.items():
                if not check.ok:
                    lines.append(f"{label}: {name}: measured {_plain(check.measured)}, analyzed {_plain(check.analyzed)}")
            if layer.rf is not None and not layer.rf.ok:
                lines.append(f"{label}: receptive field differs at {layer.rf.mismatch_count} of {layer.rf.checked} "
                             f"positions checked")
                lines.extend(f"    {m.describe()}" for m in layer.rf.mismatches)
        lines.extend(f"totals: {name}: measured {_plain(c.measured)}, analyzed {_plain(c.analyzed)}"
                     for name, c in self.totals.items() if not c.ok)
        return lines


def _plain(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


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


def verify_spec(spec: Spec, seed: int = 0, max_memory: int = 2 << 30, check_rf: bool = True,
                progress: Optional[LazyProgress] = None) -> SpecVerification:
    """Analyze the spec, run it in the numpy backend, measure RFs, and compare everything."""
    from .backend.engine import Network
    from .backend.rf import AxisHint, check_receptive_fields

    progress = progress or LazyProgress(False)
    network = Network(spec)
    network.check_memory(max_memory)  # refuse an oversized run before any analysis or allocation
    report = analyze(spec)
    weights = network.instantiate(seed)
    x = network.random_input(seed)
    total = len(spec.nodes)
    run = network.forward(weights, x, max_memory=max_memory,
                          on_layer=lambda i: progress.update(f"{spec.name}: forward", i + 1, total))
    layers_by_index = {r.index: r for r in report.layers}

    def expected(index: int, position: tuple[int, ...]):
        return layers_by_index[index].sees(position)

    def hints(index: int):
        fields = layers_by_index[index].fields
        if fields is None:
            return ()
        return tuple(AxisHint(f.pattern.period, *f.border_zones()) for f in fields)

    rf_results, rf_seconds = {}, 0.0
    if check_rf and len(spec.input.shape) > 1:
        begin = time.perf_counter()
        rf_results = check_receptive_fields(
            network, expected, hints, budget_bytes=max(16 << 20, min(max_memory // 4, 256 << 20)),
            on_step=lambda done, all_: progress.update(f"{spec.name}: receptive fields", done, all_))
        rf_seconds = time.perf_counter() - begin
    batch = spec.input.batch
    layers = []
    for measure, result in zip(run.measures, report.layers):
        layers.append(LayerVerification(
            result.index, result.name, result.type, _checks(measure, result, batch), rf_results.get(result.name),
            {reason: dict(counts) for reason, counts in measure.overhead.items()}, measure.seconds))
    return SpecVerification(spec, report, seed, layers, run.seconds, rf_seconds, _totals(run, report, batch))


def _totals(run, report: Report, batch: int) -> dict[str, Check]:
    """Network sums measured vs analyzed, and the peak of live activations."""
    t = report.totals
    ops: Counter = Counter()
    for measure in run.measures:
        ops.update(measure.ops)
    flops = 2 * ops.get("mac", 0) + sum(ops.get(k, 0) for k in KINDS)
    return {
        "params": Check("params", sum(m.params for m in run.measures), t.params),
        "trainable": Check("trainable", sum(m.trainable_params for m in run.measures), t.trainable_params),
        "buffers": Check("buffers", sum(m.buffers for m in run.measures), t.buffers),
        "macs": Check("macs", _per_sample(ops.get("mac", 0), batch), t.macs),
        "flops": Check("flops", _per_sample(flops, batch), t.flops),
        "memory": Check("memory", sum(m.activation_bytes for m in run.measures), t.activation_bytes),
        "peak memory": Check("peak memory", run.peak_bytes, t.peak_activation_bytes),
    }


def _checks(measure, result: LayerResult, batch: int) -> dict[str, Check]:
    """The quantities of one layer, measured (per sample where the analyzer counts per sample) vs analyzed."""
    ops: Counter = measure.ops
    checks = {
        "shape": Check("shape", tuple(measure.output_shape), tuple(result.output_shape)),
        "params": Check("params", measure.params, result.params),
        "trainable": Check("trainable", measure.trainable_params, result.trainable_params),
        "buffers": Check("buffers", measure.buffers, result.buffers),
        "macs": Check("macs", _per_sample(ops.get("mac", 0), batch), result.macs),
    }
    for kind in KINDS:
        measured = _per_sample(ops.get(kind, 0), batch)
        analyzed = result.ops.get(kind, 0)
        if measured or analyzed:
            checks[kind] = Check(kind, measured, analyzed)
    checks["memory"] = Check("memory", measure.activation_bytes, result.activation_bytes)
    return checks


def _per_sample(count: int, batch: int):
    """A whole-batch count per sample (a fraction if the kernel did per-batch work)."""
    from fractions import Fraction

    value = Fraction(count, batch)
    return value.numerator if value.denominator == 1 else value


# -- rendering ---------------------------------------------------------------------------------------

def _flops(checks: dict[str, Check], which: str) -> int:
    total = 2 * getattr(checks["macs"], which)
    return total + sum(getattr(checks[k], which) for k in KINDS if k in checks)


def _fmt(value) -> str:
    from fractions import Fraction

    return format_count(float(value) if isinstance(value, Fraction) else value)


def _cell(check: Check, fmt=_fmt) -> str:
    if check.ok:
        return fmt(check.measured) if check.measured else ""
    return f"[bold red]{fmt(check.measured)} != {fmt(check.analyzed)}[/]"


def _params_cell(checks: dict[str, Check]) -> str:
    bad = [checks[q] for q in ("params", "trainable", "buffers") if not checks[q].ok]
    if not bad:
        return _cell(checks["params"])
    return "[bold red]" + "; ".join(f"{b.quantity} {_fmt(b.measured)} != {_fmt(b.analyzed)}" for b in bad) + "[/]"


def render_table(v: SpecVerification, console) -> None:
    """The per-layer verdict table, the findings and a summary."""
    from rich.table import Table

    table = Table(title=f"{v.spec.name}: numpy backend vs analyzer (seed {v.seed})", header_style="bold",
                  title_justify="left")
    for header in ("#", "layer", "type", "output", "params", "MACs", "FLOPs", "memory", "RF checked", "verdict"):
        table.add_column(header, justify="right" if header in ("#", "params", "MACs", "FLOPs", "memory") else "left")
    for layer in v.layers:
        c = layer.checks
        shape = "x".join(map(str, c["shape"].measured))
        if not c["shape"].ok:
            shape = f"[bold red]{shape} != {'x'.join(map(str, c['shape'].analyzed))}[/]"
        flops_measured, flops_analyzed = _flops(c, "measured"), _flops(c, "analyzed")
        kinds_ok = all(c[k].ok for k in KINDS if k in c)
        flops = _fmt(flops_measured) if flops_measured else ""
        if not kinds_ok:
            flops = f"[bold red]{_fmt(flops_measured)} != {_fmt(flops_analyzed)}[/]"
        if layer.overhead:
            flops += " [dim]+[/]"
        rf = "-"
        if layer.rf is not None:
            every = "all " if layer.rf.every_position else ""
            rf = f"{every}{layer.rf.checked}"
            if not layer.rf.ok:
                rf = f"[bold red]{layer.rf.mismatch_count} of {layer.rf.checked} differ[/]"
        failed = layer.failed
        verdict = "[green]ok[/]" if not failed else "[bold red]MISMATCH " + ", ".join(failed) + "[/]"
        table.add_row(str(layer.index), layer.name, layer.type, shape, _params_cell(c), _cell(c["macs"]), flops,
                      _cell(c["memory"], format_bytes), rf, verdict)
    console.print(table)
    overhead = _overhead_notes(v)
    if overhead:
        console.print("[dim]+ work beyond the layer's arithmetic (reported, not compared):[/]")
        for line in overhead:
            console.print(f"  [dim]{line}[/]")
    findings = v.findings()
    if findings:
        console.print(f"[bold red]{len(findings)} finding(s):[/]")
        for line in findings:
            console.print(f"  {line}", markup=False, highlight=False)
    console.print(_summary(v))


def _overhead_notes(v: SpecVerification) -> list[str]:
    grouped: dict[str, Counter] = {}
    for layer in v.layers:
        for reason, counts in layer.overhead.items():
            grouped.setdefault(reason, Counter()).update(counts)
    batch = v.spec.input.batch
    return [f"{reason}: " + ", ".join(f"{_fmt(_per_sample(n, batch))} {k}" for k, n in sorted(counts.items()))
            for reason, counts in grouped.items()]


def _summary(v: SpecVerification) -> str:
    failed = Counter(q for layer in v.layers for q in layer.failed)
    totals_failed = [name for name, c in v.totals.items() if not c.ok]
    checked = sum(layer.rf.checked for layer in v.layers if layer.rf is not None)
    quantities = sum(len(layer.checks) + (layer.rf is not None) for layer in v.layers) + len(v.totals)
    problems = [f"{q}: {n} layer(s)" for q, n in sorted(failed.items())]
    if totals_failed:
        problems.append("totals: " + ", ".join(totals_failed))
    status = "[bold green]verified[/]" if v.ok else "[bold red]MISMATCH[/] (" + "; ".join(problems) + ")"
    t = v.totals
    sums = (f"params {_fmt(t['params'].measured)}, MACs {_fmt(t['macs'].measured)}, FLOPs {_fmt(t['flops'].measured)}, "
            f"activations {format_bytes(t['memory'].measured)} (peak {format_bytes(t['peak memory'].measured)})")
    return (f"{v.spec.name}: {status}: {len(v.layers)} layers, {quantities:,} quantities and {checked:,} receptive-field "
            f"positions checked; totals {sums}; forward {v.forward_seconds:.2f} s, receptive fields "
            f"{v.rf_seconds:.2f} s")


def _number(value):
    from fractions import Fraction

    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def to_dict(v: SpecVerification) -> dict[str, Any]:
    """The JSON form of one spec's verification."""
    layers = []
    for layer in v.layers:
        entry = {
            "index": layer.index, "name": layer.name, "type": layer.type, "ok": not layer.failed,
            "failed": layer.failed,
            "checks": {name: {"measured": _number(c.measured), "analyzed": _number(c.analyzed), "ok": c.ok}
                       for name, c in layer.checks.items()},
            "overhead": layer.overhead, "seconds": round(layer.seconds, 6),
        }
        if layer.rf is not None:
            entry["rf"] = {"checked": layer.rf.checked, "every_position": layer.rf.every_position,
                           "mismatches": layer.rf.mismatch_count, "ok": layer.rf.ok,
                           "examples": [m.describe() for m in layer.rf.mismatches]}
        layers.append(entry)
    return {"schema_version": SCHEMA_VERSION, "name": v.spec.name, "source": v.spec.source, "ok": v.ok, "seed": v.seed,
            "input": {"shape": list(v.spec.input.shape), "batch": v.spec.input.batch, "dtype": v.spec.input.dtype},
            "layers": layers, "findings": v.findings(),
            "totals": {name: {"measured": _number(c.measured), "analyzed": _number(c.analyzed), "ok": c.ok}
                       for name, c in v.totals.items()},
            "summary": {"layers": len(v.layers), "failed_layers": sum(1 for layer in v.layers if layer.failed),
                        "rf_positions": sum(layer.rf.checked for layer in v.layers if layer.rf is not None),
                        "forward_seconds": round(v.forward_seconds, 3), "rf_seconds": round(v.rf_seconds, 3)}}


# -- commands --------------------------------------------------------------------------------------

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
              help="With --erf and one spec: write the picture to this .png or .svg file.")
def verify(specs, input_size, batch, dtype, seed, max_memory, fmt, no_rf, erf, erf_out):
    """Run SPECS in the numpy backend and check every analyzed number; exit 1 on any mismatch."""
    limit = _max_memory(max_memory)
    _check_image_name(erf_out)
    loaded = load_specs(specs, input_size, batch, dtype)
    console = make_console()
    results = []
    with LazyProgress(sys.stderr.isatty()) as progress:
        for spec in loaded:
            results.append(verify_spec(spec, seed, limit, not no_rf, progress))
            progress.stop()
            if fmt == "table":
                render_table(results[-1], console)
    if fmt == "json":
        data = [to_dict(v) for v in results]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    if erf:
        shown = console if fmt == "table" else make_console(stderr=True)  # keep JSON on stdout clean
        for spec in loaded:
            _show_erf(spec, seed, limit, None, 4, erf_out if len(loaded) == 1 else None, shown)
    failed = [v for v in results if not v.ok]
    if failed:
        count = sum(len(layer.failed) for v in failed for layer in v.layers) + sum(
            not c.ok for v in failed for c in v.totals.values())
        first = failed[0].findings()[0]
        raise VerificationFailed(f"{count} mismatch(es) in {', '.join(v.spec.name for v in failed)}; first: {first}")


def _show_erf(spec: Spec, seed: int, limit: int, layer: Optional[str], samples: int, out: Optional[str], console) -> None:
    from .backend.erf import effective_rf, render_terminal, write_image

    result = effective_rf(spec, layer=layer, samples=samples, seed=seed, max_memory=limit)
    render_terminal(result, console)
    if out:
        write_image(result, out)
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
              help="Write the picture to this .png or .svg file.")
def erf(spec, input_size, batch, dtype, layer, samples, seed, max_memory, out):
    """Show how much each input pixel moves a centre unit of SPEC: the effective receptive field.

    The gradient magnitude of the centre unit with respect to the input under random weights and inputs
    (Luo, Li, Urtasun and Zemel, NeurIPS 2016), averaged over --samples draws, drawn in the terminal
    and optionally written as PNG or SVG, with the theoretical RF box over it."""
    _check_image_name(out)
    loaded = load_specs([spec], input_size, batch, dtype)[0]
    _show_erf(loaded, seed, _max_memory(max_memory), layer, samples, out, make_console())


def _check_image_name(path: Optional[str]) -> None:
    """Refuse an ERF picture name that is neither .png nor .svg before any work is done."""
    if path and not path.lower().endswith((".png", ".svg")):
        raise UsageError(f"'{path}': the ERF picture must be a .png or .svg file")
