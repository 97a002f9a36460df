"""`rfcalc profiles SPEC` (and `rfcalc analyze SPEC --profile all`): every tool's MACs and FLOPs side by
side, and the rule behind each difference from rfcalc's MACs."""
from __future__ import annotations

import json

import click

from ..commands import load_specs, spec_options, wide_option
from ..tables import MIDDLE, WRAP, Output, TableColumn, fit, paragraph, table_lines
from ..units import format_count
from .compare import ProfileComparison, comparison_to_dict, compare_profiles


def _signed(value: int) -> str:
    return "0" if value == 0 else ("+" if value > 0 else "-") + format_count(abs(value))


def _percent(value: int, base: int) -> str:
    return "" if not value or not base else f"{100 * value / base:+.2f}%"


def _totals_columns(comparison: ProfileComparison) -> list[TableColumn]:
    base = comparison.report.totals.macs
    rows = comparison.totals
    return [TableColumn("profile", "profile", [t.profile for t in rows]),
            TableColumn("macs", "MACs", [f"{t.macs:,}" for t in rows], right=True),
            TableColumn("delta", "Δ MACs", [_signed(t.macs - base) for t in rows], right=True, drop=3),
            TableColumn("percent", "Δ%", [_percent(t.macs - base, base) for t in rows], right=True, drop=1),
            TableColumn("flops", "FLOPs", [format_count(t.flops) for t in rows], right=True, drop=2),
            TableColumn("compare", "what the MACs reproduce", [t.compare for t in rows], drop=0, shrink=WRAP,
                        min_width=24)]


def _difference_columns(comparison: ProfileComparison) -> list[TableColumn]:
    rows = comparison.differences
    return [TableColumn("profile", "profile", [d.profile for d in rows]),
            TableColumn("delta", "Δ MACs", [_signed(d.delta) for d in rows], right=True),
            TableColumn("layers", "layers", [f"{d.layers} {', '.join(d.types)}" for d in rows], shrink=MIDDLE,
                        min_width=14),
            TableColumn("rule", "the tool's rule", [_explained(d) for d in rows], shrink=WRAP, min_width=24)]


def _explained(difference) -> str:
    per = difference.per_element()
    return f"{per}: {difference.rule}" if per else difference.rule


def comparison_lines(comparison: ProfileComparison, width: int, wide: bool = False) -> list:
    """The two tables: totals by profile, then the differences by rule."""
    report = comparison.report
    totals = fit(_totals_columns(comparison), width, wide)
    lines = table_lines(totals, title=f"{report.name}  ({report.source}): MACs and FLOPs per sample under every "
                                      f"counting profile, against rfcalc's")
    footer = totals.footer()
    lines += paragraph(footer, width, "dim") if footer else []
    if comparison.differences:
        differences = fit(_difference_columns(comparison), width, wide)
        lines += table_lines(differences, title=f"why the MACs differ from rfcalc's {report.totals.macs:,}: "
                                                f"per profile and layer family, the tool's rule")
        footer = differences.footer()
        lines += paragraph(footer, width, "dim") if footer else []
    else:
        lines += paragraph("every profile counts the same MACs as rfcalc", width)
    lines += paragraph("FLOPs: calflops' own; 2 x the tool's MACs for the others (rfcalc's: see its conventions)",
                       width, "dim")
    return lines


def comparison_markdown(comparison: ProfileComparison) -> str:
    """Both tables in Markdown."""
    base = comparison.report.totals.macs
    lines = [f"## {comparison.report.name}: every counting profile", "",
             "| profile | MACs | Δ MACs | Δ% | FLOPs |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {t.profile} | {t.macs:,} | {_signed(t.macs - base)} | {_percent(t.macs - base, base)} | "
              f"{format_count(t.flops)} |" for t in comparison.totals]
    if comparison.differences:
        lines += ["", "| profile | Δ MACs | layers | the tool's rule |", "|---|---:|---|---|"]
        lines += [f"| {d.profile} | {_signed(d.delta)} | {d.layers} {', '.join(d.types)} | "
                  f"{_explained(d).replace('|', '/')} |" for d in comparison.differences]
    return "\n".join(lines) + "\n"


def print_profiles(specs, fmt: str, wide: bool = False) -> None:
    """Compare every profile for each spec and print it in `fmt` (table, json, markdown)."""
    comparisons = [compare_profiles(spec) for spec in specs]
    if fmt == "json":
        data = [comparison_to_dict(c) for c in comparisons]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    elif fmt == "markdown":
        click.echo("\n".join(comparison_markdown(c) for c in comparisons), nl=False)
    else:
        output = Output()
        for comparison in comparisons:
            output.lines(comparison_lines(comparison, output.width, wide))


@click.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True)
@wide_option
def profiles(specs, input_size, batch, dtype, fmt, wide):
    """MACs and FLOPs of SPECS under every counting profile, and the tool's rule behind each difference."""
    print_profiles(load_specs(specs, input_size, batch, dtype), fmt, wide)
