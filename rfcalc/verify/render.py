"""The verification in words: a rich table with a verdict per layer, or the JSON document."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any

from ..columns import compact_shape
from ..report import FLOP_KINDS
from ..tables import MIDDLE, Cell, Line, Output, Styled, TableColumn, fit, paragraph, table_lines, wrap
from ..units import format_bytes, format_count
from .compare import Comparison, SpecVerification

SCHEMA_VERSION = 1


def _fmt(value) -> str:
    return format_count(float(value) if isinstance(value, Fraction) else value)


def _shape(shape, compact: bool) -> str:
    return compact_shape(tuple(shape)) if compact else "x".join(map(str, shape))


def _cell(check: Comparison, fmt=_fmt) -> Cell:
    if check.ok:
        return fmt(check.measured) if check.measured else ""
    return Styled(f"{fmt(check.measured)} != {fmt(check.analyzed)}", MISMATCH)


def _params_cell(checks: dict[str, Comparison]) -> Cell:
    bad = [checks[q] for q in ("params", "trainable", "buffers") if not checks[q].ok]
    if not bad:
        return _cell(checks["params"])
    return Styled("; ".join(f"{b.quantity} {_fmt(b.measured)} != {_fmt(b.analyzed)}" for b in bad), MISMATCH)


def _shape_cell(check: Comparison, compact: bool = False) -> Cell:
    shape = _shape(check.measured, compact)
    return shape if check.ok else Styled(f"{shape} != {_shape(check.analyzed, compact)}", MISMATCH)


def _flops_cell(layer) -> Cell:
    kinds_ok = all(check.ok for check in layer.checks.values() if check.quantity in _KINDS)
    text = _fmt(layer.flops.measured) if layer.flops.measured else ""
    if not kinds_ok:
        return Styled(f"{_fmt(layer.flops.measured)} != {_fmt(layer.flops.analyzed)}"
                      + (" +" if layer.overhead else ""), MISMATCH)
    return text + (" +" if layer.overhead else "")


def _rf_cell(rf) -> Cell:
    if rf is None:
        return "-"
    if not rf.ok:
        return Styled(f"{rf.mismatch_count} of {rf.checked} differ", MISMATCH)
    return f"{'all ' if rf.every_position else ''}{rf.checked}"


def _verdict(layer) -> Cell:
    return Styled("MISMATCH " + ", ".join(layer.failed), MISMATCH) if layer.failed else Styled("ok", "green")


_KINDS = frozenset(FLOP_KINDS) - {"mac"}  # checked one by one; 'mac' is the macs check
MISMATCH = "bold red"
# When the table is too wide, columns go in this order; the layer's name and the verdict always stay.
DROP_ORDER = ("index", "type", "flops", "memory", "output", "params", "macs", "rf")


def _columns(v: SpecVerification) -> list[TableColumn]:
    """The verdict table's columns (numbers right-aligned, never cut)."""
    layers = v.layers
    cells = {
        "index": ("#", [str(layer.index) for layer in layers]),
        "name": ("layer", [layer.name for layer in layers]),
        "type": ("type", [layer.type for layer in layers]),
        "output": ("output", [_shape_cell(layer.checks["shape"]) for layer in layers]),
        "params": ("params", [_params_cell(layer.checks) for layer in layers]),
        "macs": ("MACs", [_cell(layer.checks["macs"]) for layer in layers]),
        "flops": ("FLOPs", [_flops_cell(layer) for layer in layers]),
        "memory": ("memory", [_cell(layer.checks["memory"], format_bytes) for layer in layers]),
        "rf": ("RF checked", [_rf_cell(layer.rf) for layer in layers]),
        "verdict": ("verdict", [_verdict(layer) for layer in layers]),
    }
    compact = {"output": [_shape_cell(layer.checks["shape"], compact=True) for layer in layers]}
    return [TableColumn(key, header, column, right=key in ("index", "params", "macs", "flops", "memory"),
                        drop=DROP_ORDER.index(key) if key in DROP_ORDER else None, compact=compact.get(key),
                        shrink=MIDDLE if key in ("name", "type") else None, min_width=16 if key == "name" else 11)
            for key, (header, column) in cells.items()]


def print_verification(v: SpecVerification, output: Output, wide: bool = False) -> None:
    """The per-layer verdict table, the mismatches and a summary."""
    fitted = fit(_columns(v), output.width, wide)
    lines = table_lines(fitted, title=f"{v.spec.name}: numpy backend vs analyzer (seed {v.seed})")
    footer = fitted.footer({"output": "64x56² means 64x56x56"})
    if footer:
        lines += paragraph(footer, output.width, "dim")
    overhead = _overhead_notes(v)
    if overhead:
        lines += paragraph("+ work beyond the layer's arithmetic (reported, not compared):", output.width, "dim")
        lines += [line for note in overhead for line in paragraph(f"  {note}", output.width, "dim", "  ")]
    mismatches = v.mismatch_lines()
    if mismatches:
        lines += paragraph(f"{len(mismatches)} finding(s):", output.width, MISMATCH)
        lines += [line for m in mismatches for line in paragraph(f"  {m}", output.width, None, "  ")]
    lines += wrap(_summary(v), output.width, "  ")
    output.lines(lines)


def _overhead_notes(v: SpecVerification) -> list[str]:
    from ..backend.counting import per_sample

    grouped: dict[str, Counter] = {}
    for layer in v.layers:
        for reason, counts in layer.overhead.items():
            grouped.setdefault(reason, Counter()).update(counts)
    batch = v.spec.input.batch
    return [f"{reason}: " + ", ".join(f"{_fmt(per_sample(n, batch))} {k}" for k, n in sorted(counts.items()))
            for reason, counts in grouped.items()]


def _summary(v: SpecVerification) -> Line:
    """One line: verified or MISMATCH (with what failed), what was checked, the totals and the times."""
    failed = Counter(q for layer in v.layers for q in layer.failed)
    totals_failed = [name for name, c in v.totals.items() if not c.ok]
    checked = sum(layer.rf.checked for layer in v.layers if layer.rf is not None)
    quantities = sum(len(layer.checks) + (layer.rf is not None) for layer in v.layers) + len(v.totals)
    problems = [f"{q}: {n} layer(s)" for q, n in sorted(failed.items())]
    if totals_failed:
        problems.append("totals: " + ", ".join(totals_failed))
    status = [("verified", "bold green")] if v.ok else [("MISMATCH", MISMATCH), (" (" + "; ".join(problems) + ")",
                                                                                   None)]
    t = v.totals
    sums = (f"params {_fmt(t['params'].measured)}, MACs {_fmt(t['macs'].measured)}, FLOPs {_fmt(t['flops'].measured)}, "
            f"activations {format_bytes(t['memory'].measured)} (peak {format_bytes(t['peak memory'].measured)})")
    return [(f"{v.spec.name}: ", None), *status,
            (f": {len(v.layers)} layers, {quantities:,} quantities and {checked:,} receptive-field "
             f"positions checked; totals {sums}; forward {v.forward_seconds:.2f} s, receptive fields "
             f"{v.rf_seconds:.2f} s", None)]


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
