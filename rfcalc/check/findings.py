"""The two places where `rfcalc check` reads a report's warnings (adapt these when warnings become typed findings)."""
from __future__ import annotations

from typing import Optional

from ..errors import Location


def warning_count(report) -> int:
    """How many warnings the analysis gave (the actual value of the no_warnings budget)."""
    return len(report.all_warnings())


def located_warnings(report) -> list[tuple[str, Optional[Location]]]:
    """Every warning as (text, where): network warnings without a place, layer warnings at their layer."""
    return [(w, None) for w in report.warnings] + [
        (f"layer '{layer.name}': {w}", layer.location) for layer in report.layers for w in layer.warnings]
