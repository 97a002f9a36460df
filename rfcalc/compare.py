"""analyze --compare: one row per spec (params, MACs, FLOPs, memory, output RF), after the per-spec
tables; the same rows as JSON, CSV and Markdown. Formatting only: every number comes from the Reports."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .columns import COLUMNS
from .report import Report
from .tables import MIDDLE, Output, TableColumn, fit, paragraph, table_lines
from .units import format_bytes, format_count


@dataclass(frozen=True)
class CompareField:
    """One column of the comparison: its key (JSON, CSV), header, raw value and text for people."""

    key: str
    header: str
    raw: Callable[[Report], Any]
    human: Callable[[Report], str]
    drop: Optional[int] = None  # as TableColumn.drop: the lower, the earlier it goes when space is short


def output_rf(report: Report) -> str:
    """The RF size of each network output, as the table's r column writes it ('427'; 'p3 35, p4 99')."""
    outputs = report.output_layers
    if len(outputs) == 1:
        return COLUMNS["rf"].human(outputs[0])
    return ", ".join(f"{layer.name} {COLUMNS['rf'].human(layer)}" for layer in outputs)


def _bytes(key: str) -> tuple[Callable[[Report], int], Callable[[Report], str]]:
    return (lambda r: getattr(r.totals, key)), (lambda r: format_bytes(getattr(r.totals, key)))


FIELDS: tuple[CompareField, ...] = (
    CompareField("spec", "spec", lambda r: r.name, lambda r: r.name),
    CompareField("params", "params", lambda r: r.totals.params, lambda r: format_count(r.totals.params)),
    CompareField("macs", "MACs", lambda r: r.totals.macs, lambda r: format_count(r.totals.macs)),
    CompareField("flops", "FLOPs", lambda r: r.totals.flops, lambda r: format_count(r.totals.flops), drop=2),
    CompareField("activation_bytes", "activations", *_bytes("activation_bytes"), drop=3),
    CompareField("peak_activation_bytes", "peak", *_bytes("peak_activation_bytes"), drop=4),
    CompareField("param_bytes", "param memory", *_bytes("param_bytes"), drop=1),
    CompareField("output_rf", "output RF", output_rf, output_rf),
)
TRAINING = CompareField("training_bytes", "training", lambda r: r.training.total,
                        lambda r: format_bytes(r.training.total), drop=5)


def compare_fields(reports: Sequence[Report]) -> list[CompareField]:
    """The comparison's columns: FIELDS, and the training total when every report has one."""
    fields = list(FIELDS)
    if reports and all(r.training for r in reports):
        fields.insert(-1, TRAINING)
    return fields


def comparison_rows(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """The raw values, one mapping per spec (JSON)."""
    fields = compare_fields(reports)
    return [{f.key: f.raw(r) for f in fields} for r in reports]


def print_comparison(reports: Sequence[Report], output: Output, wide: bool = False) -> None:
    """The comparison table, fitted to the output's width (a footer names any dropped column)."""
    columns = [TableColumn(f.key, f.header, [f.human(r) for r in reports], right=f.key not in ("spec", "output_rf"),
                           drop=f.drop, shrink=MIDDLE if f.key in ("spec", "output_rf") else None)
               for f in compare_fields(reports)]
    fitted = fit(columns, output.width, wide)
    lines = table_lines(fitted, title=f"comparison of {len(reports)} specs (profile {_profiles(reports)})")
    footer = fitted.footer()
    output.lines(lines + (paragraph(footer, output.width, "dim") if footer else []))


def comparison_markdown(reports: Sequence[Report]) -> str:
    """The comparison as a Markdown table under a heading."""
    fields = compare_fields(reports)
    lines = ["## comparison", "", "| " + " | ".join(f.header for f in fields) + " |",
             "|" + "|".join("---" if f.key in ("spec", "output_rf") else "---:" for f in fields) + "|"]
    lines += ["| " + " | ".join(f.human(r).replace("|", "\\|") for f in fields) + " |" for r in reports]
    return "\n".join(lines) + "\n"


def comparison_csv(reports: Sequence[Report]) -> str:
    """One CSV row per spec, raw values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = compare_fields(reports)
    writer.writerow([f.key for f in fields])
    writer.writerows([f.raw(r) for f in fields] for r in reports)
    return out.getvalue()


def _profiles(reports: Sequence[Report]) -> str:
    return ", ".join(dict.fromkeys(r.profile for r in reports))


def comparison_json(reports: Sequence[Report]) -> str:
    """Every report and the comparison rows, in one JSON object."""
    import json

    from .render import report_to_dict
    from .report import SCHEMA_VERSION

    return json.dumps({"schema_version": SCHEMA_VERSION, "reports": [report_to_dict(r) for r in reports],
                       "comparison": comparison_rows(reports)}, indent=2)
