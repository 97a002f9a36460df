"""How `rfcalc check` reads a report's findings: the warnings the no_warnings budget counts and the
GitHub annotations show."""
from __future__ import annotations

from typing import Optional

from ..errors import Location
from ..findings import Finding


def warnings_of(report) -> list[Finding]:
    """Every warning of the analysis, network first, then layer by layer."""
    return [f for f in report.all_findings() if f.is_warning]


def warning_count(report) -> int:
    """How many warnings the analysis gave (the actual value of the no_warnings budget)."""
    return len(warnings_of(report))


def located_warnings(report) -> list[tuple[str, Optional[Location]]]:
    """Every warning as (text, where): network warnings without a place, layer warnings at their layer."""
    return [(f.text(), None) for f in report.findings if f.is_warning] + [
        (f.labelled(), f.location) for layer in report.layers for f in layer.findings if f.is_warning]
