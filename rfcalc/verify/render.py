"""The verification in words: a rich table with a verdict per layer, or the JSON document."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any

from ..report import FLOP_KINDS
from ..units import format_bytes, format_count
from .compare import Comparison, SpecVerification

SCHEMA_VERSION = 1


def _fmt(value) -> str:
    return format_count(float(value) if isinstance(value, Fraction) else value)


def _cell(check: Comparison, fmt=_fmt) -> str:
    if check.ok:
        return fmt(check.measured) if check.measured else ""
    return f"[bold red]{fmt(check.measured)} != {fmt(check.analyzed)}[/]"


def _params_cell(checks: dict[str, Comparison]) -> str:
    bad = [checks[q] for q in ("params", "trainable", "buffers") if not checks[q].ok]
    if not bad:
        return _cell(checks["params"])
    return "[bold red]" + "; ".join(f"{b.quantity} {_fmt(b.measured)} != {_fmt(b.analyzed)}" for b in bad) + "[/]"


def _shape_cell(check: Comparison) -> str:
    shape = "x".join(map(str, check.measured))
    return shape if check.ok else f"[bold red]{shape} != {'x'.join(map(str, check.analyzed))}[/]"


def _flops_cell(layer) -> str:
    kinds_ok = all(check.ok for check in layer.checks.values() if check.quantity in _KINDS)
    text = _fmt(layer.flops.measured) if layer.flops.measured else ""
    if not kinds_ok:
        text = f"[bold red]{_fmt(layer.flops.measured)} != {_fmt(layer.flops.analyzed)}[/]"
    return text + (" [dim]+[/]" if layer.overhead else "")


def _rf_cell(rf) -> str:
    if rf is None:
        return "-"
    if not rf.ok:
        return f"[bold red]{rf.mismatch_count} of {rf.checked} differ[/]"
    return f"{'all ' if rf.every_position else ''}{rf.checked}"


_KINDS = frozenset(FLOP_KINDS) - {"mac"}  # checked one by one; 'mac' is the macs check
_NUMERIC = ("#", "params", "MACs", "FLOPs", "memory")


def print_verification(v: SpecVerification, console) -> None:
    """The per-layer verdict table, the mismatches and a summary."""
    from rich.table import Table

    table = Table(title=f"{v.spec.name}: numpy backend vs analyzer (seed {v.seed})", header_style="bold",
                  title_justify="left")
    for header in ("#", "layer", "type", "output", "params", "MACs", "FLOPs", "memory", "RF checked", "verdict"):
        table.add_column(header, justify="right" if header in _NUMERIC else "left")
    for layer in v.layers:
        c = layer.checks
        failed = layer.failed
        verdict = "[green]ok[/]" if not failed else "[bold red]MISMATCH " + ", ".join(failed) + "[/]"
        table.add_row(str(layer.index), layer.name, layer.type, _shape_cell(c["shape"]), _params_cell(c),
                      _cell(c["macs"]), _flops_cell(layer), _cell(c["memory"], format_bytes), _rf_cell(layer.rf),
                      verdict)
    console.print(table)
    overhead = _overhead_notes(v)
    if overhead:
        console.print("[dim]+ work beyond the layer's arithmetic (reported, not compared):[/]")
        for line in overhead:
            console.print(f"  [dim]{line}[/]")
    mismatches = v.mismatch_lines()
    if mismatches:
        console.print(f"[bold red]{len(mismatches)} finding(s):[/]")
        for line in mismatches:
            console.print(f"  {line}", markup=False, highlight=False)
    console.print(_summary(v))


def _overhead_notes(v: SpecVerification) -> list[str]:
    from ..backend.counting import per_sample

    grouped: dict[str, Counter] = {}
    for layer in v.layers:
        for reason, counts in layer.overhead.items():
            grouped.setdefault(reason, Counter()).update(counts)
    batch = v.spec.input.batch
    return [f"{reason}: " + ", ".join(f"{_fmt(per_sample(n, batch))} {k}" for k, n in sorted(counts.items()))
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
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _comparisons_json(checks: dict[str, Comparison]) -> dict[str, Any]:
    return {name: {"measured": _number(c.measured), "analyzed": _number(c.analyzed), "ok": c.ok}
            for name, c in checks.items()}


def verification_json(v: SpecVerification) -> dict[str, Any]:
    """The JSON form of one spec's verification."""
    layers = []
    for layer in v.layers:
        entry = {
            "index": layer.index, "name": layer.name, "type": layer.type, "ok": not layer.failed,
            "failed": layer.failed, "checks": _comparisons_json(layer.checks),
            "overhead": layer.overhead, "seconds": round(layer.seconds, 6),
        }
        if layer.rf is not None:
            entry["rf"] = {"checked": layer.rf.checked, "every_position": layer.rf.every_position,
                           "mismatches": layer.rf.mismatch_count, "ok": layer.rf.ok,
                           "examples": [m.describe() for m in layer.rf.mismatches]}
        layers.append(entry)
    return {"schema_version": SCHEMA_VERSION, "name": v.spec.name, "source": v.spec.source, "ok": v.ok, "seed": v.seed,
            "input": {"shape": list(v.spec.input.shape), "batch": v.spec.input.batch, "dtype": v.spec.input.dtype},
            "layers": layers, "findings": v.mismatch_lines(), "totals": _comparisons_json(v.totals),
            "summary": {"layers": len(v.layers), "failed_layers": sum(1 for layer in v.layers if layer.failed),
                        "rf_positions": sum(layer.rf.checked for layer in v.layers if layer.rf is not None),
                        "forward_seconds": round(v.forward_seconds, 3), "rf_seconds": round(v.rf_seconds, 3)}}
