"""The analyze table: per-layer rows fitted to the terminal, the legend of its symbols, the totals, the
notes, the warnings and the conventions. Formatting only: every number comes from the Report."""
from __future__ import annotations

from typing import Optional, Sequence

from .columns import DROP_ORDER, Column
from .fold import RowSelection, rows_of
from .render import summary_lines
from .report import Report
from .tables import MIDDLE, Line, Output, TableColumn, fit, panel_lines, paragraph, table_lines

WARNING_STYLE, NOTE_STYLE = "yellow", "dim"
COMPACT_NOTES = {"output": "64x56² means 64x56x56"}


def table_columns(columns: Sequence[Column], layers) -> list[TableColumn]:
    """The report's columns as table columns: cells, compact forms, and their place in DROP_ORDER."""
    return [TableColumn(c.key, c.header, [c.human(layer) for layer in layers], right=c.numeric,
                        drop=DROP_ORDER.index(c.key) if c.key in DROP_ORDER else None,
                        compact=[c.compact(layer) for layer in layers] if c.compact else None,
                        shrink=MIDDLE if c.shortens else None, min_width=16 if c.key == "name" else 11)
            for c in columns]


def legend(report: Report, shown: set[str]) -> list[str]:
    """What the table's symbols mean, for the symbols it shows."""
    entries = []
    if "warnings" in shown and any(layer.warnings for layer in report.layers):
        entries.append("!  one per warning of the layer (listed below)")
    if "rf" in shown and any(not r.uniform for layer in report.layers for r in layer.rf):
        entries.append(f"*  r varies with the output position: r_min..r_max, j the average step "
                       f"({_varying_causes(report)})")
    if "rf" in shown and any(r.whole_input for layer in report.layers for r in layer.rf):
        entries.append("all (n)  every unit sees the whole input, n pixels across (j is then -)")
    if "local_rf" in shown:
        entries.append("local r  the RF along paths through no global reduction (global pooling, a norm's "
                       "statistics); - where there is none")
    if "support" in shown:
        entries.append("seen  input pixels a unit actually sees per axis (fewer than r: holes, e.g. dilation)")
    return entries


def _varying_causes(report: Report) -> str:
    """Where RFs start to vary with position: the layers with a varying RF whose inputs have none."""
    varying = {layer.name for layer in report.layers if any(not r.uniform for r in layer.rf)}
    origins = [layer for layer in report.layers if layer.name in varying and not varying & set(layer.inputs)]
    merges = [f"'{layer.name}'" for layer in origins if len(layer.inputs) > 1]
    others = [f"'{layer.name}'" for layer in origins if len(layer.inputs) == 1]
    causes = []
    if others:
        causes.append(f"from {_listed(others)}, which resample{'s' if len(others) == 1 else ''}")
    if merges:
        causes.append(f"from {_listed(merges)}, merging branches that advance at different rates")
    return "; ".join(causes)


def _listed(names: list[str], shown: int = 3) -> str:
    """The first few names, and how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _rows_lines(report: Report, columns: Sequence[Column], width: int, wide: bool,
                selection: Optional[RowSelection]) -> list[Line]:
    """The per-layer table, what fitting gave up, which rows it shows, and the legend."""
    rows = rows_of(report, selection)
    profile = f"  (profile: {report.profile})" if report.profile != "rfcalc" else ""
    fitted = fit(table_columns([c.for_report(report) for c in columns], rows), width, wide)
    styles = [WARNING_STYLE if row.warnings else None for row in rows]
    lines = table_lines(fitted, styles, title=f"{report.name}  ({report.source}){profile}")
    for line in (fitted.footer(COMPACT_NOTES), selection.describe(report, len(rows)) if selection else ""):
        lines += paragraph(line, width, NOTE_STYLE) if line else []
    entries = legend(report, {c.key for c in fitted.columns})
    if entries:
        lines += [[("legend:", NOTE_STYLE)]] + [line for e in entries for line in paragraph("  " + e, width,
                                                                                              NOTE_STYLE, "  ")]
    return lines


def report_lines(report: Report, columns: Sequence[Column], width: int, wide: bool = False,
                 selection: Optional[RowSelection] = None, summary: bool = False) -> list[Line]:
    """Every line `rfcalc analyze` prints for one report at `width` columns (`summary`: the totals and
    warnings only)."""
    if summary:
        lines = paragraph(f"{report.name}  ({report.source})", width)
    else:
        lines = _rows_lines(report, columns, width, wide, selection)
    lines += panel_lines("totals", summary_lines(report), width)
    findings = report.all_findings()
    for finding in [f for f in findings if f.is_warning] if summary else \
            [f for f in findings if not f.is_warning] + [f for f in findings if f.is_warning]:
        kind, style = ("warning", WARNING_STYLE) if finding.is_warning else ("note", NOTE_STYLE)
        lines += paragraph(f"{kind}: {finding.text()}", width, style, "  ")
    if summary:  # of the conventions, only what the training figure assumes
        return lines + (paragraph(f"assumed: {report.training.assumptions()}", width, NOTE_STYLE, "  ")
                        if report.training else [])
    lines += [[("conventions:", NOTE_STYLE)]]
    for convention in report.conventions:
        lines += paragraph(f"  - {convention.text}", width, NOTE_STYLE, "  ")
    return lines


def print_report_table(report: Report, columns: Sequence[Column], output: Output, wide: bool = False,
                       selection: Optional[RowSelection] = None, summary: bool = False) -> None:
    """Write the analyze table of one report."""
    output.lines(report_lines(report, columns, output.width, wide, selection, summary))
