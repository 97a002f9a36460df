"""Formatting a Report as a rich table, JSON, CSV or Markdown. Nothing here computes a number."""
from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from typing import Any, Optional, Sequence

from .columns import COLUMNS, Column, local_axes
from .findings import to_json as finding_json
from .fold import RowSelection, rows_of
from .report import SCHEMA_VERSION, AxisRF, LayerResult, Report
from .units import format_bytes, format_count, format_fraction



def _number(value: Fraction | None) -> int | float | None:
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else float(value)


def _axis_json(r: AxisRF) -> dict[str, Any]:
    return {
        "size": r.size, "size_min": r.size_min, "size_max": r.size_max,
        "jump": _number(r.jump), "start": _number(r.start), "effective_padding": _number(r.effective_padding),
        "support_min": r.support_min, "support_max": r.support_max,
        "uniform": r.uniform, "whole_input": r.whole_input,
        "exact": {"jump": None if r.jump is None else str(r.jump), "start": str(r.start),
                  "effective_padding": str(r.effective_padding)},
    }


def _layer_json(layer: LayerResult, local: bool) -> dict[str, Any]:
    return {
        "index": layer.index, "name": layer.name, "type": layer.type, "inputs": list(layer.inputs),
        "output_shape": list(layer.output_shape), "rf": [_axis_json(r) for r in layer.rf],
        "params": layer.params, "trainable_params": layer.trainable_params,
        "non_trainable_params": layer.non_trainable_params, "buffers": layer.buffers,
        "macs": layer.macs, "flops": layer.flops, "flops_by_kind": dict(layer.flops_by_kind),
        "activation_bytes": layer.activation_bytes, "warnings": list(layer.warnings), "notes": list(layer.notes),
        "location": str(layer.location) if layer.location else None,
        "findings": [finding_json(f) for f in layer.findings],
        **({"local_rf": [None if r is None else _axis_json(r) for r in layer.local_rf]}
           if local and layer.local_rf else {}),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The stable JSON contract (schema_version 1; see README "JSON output")."""
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "name": report.name, "source": report.source,
        "input": {"shape": list(report.input_shape), "batch": report.batch, "dtype": report.dtype},
        "profile": report.profile, "conventions": [c.text for c in report.conventions],
        "layers": [_layer_json(layer, report.has_local_rf) for layer in report.layers],
        "totals": {
            "params": t.params, "trainable_params": t.trainable_params,
            "non_trainable_params": t.non_trainable_params, "buffers": t.buffers,
            "macs": t.macs, "flops": t.flops, "flops_by_kind": dict(t.flops_by_kind),
            "activation_bytes": t.activation_bytes, "peak_activation_bytes": t.peak_activation_bytes,
            "param_bytes": t.param_bytes, "input_bytes": t.input_bytes,
        },
        "outputs": [layer.name for layer in report.output_layers],
        **({"training": report.training.to_dict()} if report.training else {}),
        "warnings": report.all_warnings(),
        "findings": [finding_json(f) for f in report.all_findings()],
    }


def render_json(reports: Sequence[Report]) -> str:
    """One JSON object for one report; a JSON array for several."""
    data = [report_to_dict(r) for r in reports]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2)


def render_csv(reports: Sequence[Report], columns: list[Column], selection: Optional[RowSelection] = None) -> str:
    """One row per layer (raw numbers; the selection's rows when given); a `spec` column first when
    several specs are given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    many = len(reports) > 1
    writer.writerow((["spec"] if many else []) + [c.key for c in columns])
    for report in reports:
        bound = [c.for_report(report) for c in columns]
        for layer in rows_of(report, selection):
            writer.writerow(([report.name] if many else []) + [c.raw(layer) for c in bound])
    return out.getvalue()


def summary_lines(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs of the totals, shared by the table panel and Markdown."""
    t = report.totals
    return [
        ("input", f"{'x'.join(map(str, report.input_shape))}, batch {report.batch}, {report.dtype}"),
        ("params", f"{t.params:,} ({format_count(t.params)}); trainable {t.trainable_params:,}, "
                   f"frozen {t.non_trainable_params:,}; buffers {t.buffers:,}"),
        ("MACs", f"{t.macs:,} ({format_count(t.macs)})"),
        ("FLOPs", f"{t.flops:,} ({format_count(t.flops)}): "
                  + ", ".join(f"{k} {format_count(v)}" for k, v in t.flops_by_kind.items())),
        ("activations", f"{format_bytes(t.activation_bytes)} total (training), "
                        f"{format_bytes(t.peak_activation_bytes)} peak live (inference)"),
        ("param memory", format_bytes(t.param_bytes)),
        *([("training", report.training.summary())] if report.training else []),
        *_output_lines(report),
        ("profile", report.profile),
    ]


def _rf_text(layer: LayerResult) -> str:
    """'r 35, j 8, start 4.5' of a layer."""
    return f"r {COLUMNS['rf'].human(layer)}, j {COLUMNS['jump'].human(layer)}, start {COLUMNS['start'].human(layer)}"


def _output_lines(report: Report) -> list[tuple[str, str]]:
    """The RF of the output ('output RF'), or of every output with its shape when there are several."""
    outputs = report.output_layers
    if len(outputs) <= 1:
        last = outputs[0] if outputs else None
        return [("output RF", _rf_text(last) if last else "-"), *_local_rf_line(last, "local RF")]
    lines = []
    for layer in outputs:
        lines.append((f"output {layer.name}", f"{'x'.join(map(str, layer.output_shape))}: {_rf_text(layer)}"))
        lines += _local_rf_line(layer, f"local RF {layer.name}")
    return lines


def _local_rf_line(layer: LayerResult | None, label: str) -> list[tuple[str, str]]:
    """An output's local RF (along paths through no global reduction) when it differs from its RF."""
    if layer is None or not layer.local_rf or all(r is None for r in layer.local_rf):
        return []
    jump, start = (local_axes(layer, lambda r: format_fraction(getattr(r, key))) for key in ("jump", "start"))
    return [(label, f"r {COLUMNS['local_rf'].human(layer)}, j {jump}, start {start} (along paths through no "
                    f"global reduction)")]


def render_markdown(reports: Sequence[Report], columns: list[Column], selection: Optional[RowSelection] = None,
                    summary: bool = False) -> str:
    """A Markdown table per report (the selection's rows; none with `summary`), then its totals and warnings."""
    parts = []
    for report in reports:
        parts.append(f"## {report.name}\n")
        if not summary:
            parts.append("| " + " | ".join(c.header for c in columns) + " |")
            parts.append("|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|")
            bound = [c.for_report(report) for c in columns]
            for layer in rows_of(report, selection):
                parts.append("| " + " | ".join(c.human(layer).replace("|", "\\|") for c in bound) + " |")
            if selection is not None:
                parts += ["", selection.describe(report, len(rows_of(report, selection))) + "."]
            parts.append("")
        parts.extend(f"- **{label}**: {value}" for label, value in summary_lines(report))
        parts.extend(f"- warning: {w}" for w in report.all_warnings())
        parts.append("")
    return "\n".join(parts)
