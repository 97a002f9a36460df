"""Checking specs: each budget compared with the analysis (a BudgetCheck), one SpecResult per spec."""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..commands import load_specs
from ..errors import Location, RfcalcError, SpecError, UsageError
from ..profiles import DEFAULT_PROFILE
from .findings import located_warnings
from .sources import Budget, merge_budgets, spec_budgets


@dataclass(frozen=True)
class BudgetCheck:
    """One budget checked against one spec."""

    budget: Budget
    actual: Any
    passed: bool
    margin: Optional[float]  # percent of the limit left (negative: exceeded); None when not a number

    def actual_text(self) -> str:
        """The actual value for people."""
        return self.budget.rule.unit.human(self.actual)

    def actual_raw(self) -> Any:
        """The actual value for the JSON document."""
        return self.budget.rule.unit.raw(self.actual)

    @property
    def message(self) -> str:
        """One line saying what happened."""
        return self.budget.rule.limit.message(self)


def check_budget(budget: Budget, report) -> list[BudgetCheck]:
    """Compare one budget with a report: one check, or one per network output it limits."""
    if not budget.rule.per_output:
        return [_verdict(budget, budget.rule.actual(report))]
    outputs = {layer.name: layer for layer in report.output_layers}
    only = next(iter(outputs.values()))
    return [_verdict(each, each.rule.actual(report, outputs.get(each.output, only)))
            for each in budget.for_outputs(tuple(outputs))]


def _verdict(budget: Budget, actual: Any) -> BudgetCheck:
    """One budget's check against the actual value."""
    passed, margin = budget.rule.limit.verdict(budget, actual)
    return BudgetCheck(budget, actual, passed, margin)


@dataclass
class SpecResult:
    """The checks of one spec, or the error that kept it from being checked."""

    source: str
    name: str
    profile: str = DEFAULT_PROFILE
    checks: list[BudgetCheck] = field(default_factory=list)
    error: Optional[str] = None
    error_location: Optional[Location] = None
    warnings: list[tuple[str, Optional[Location]]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'error', 'fail' or 'pass'."""
        if self.error is not None:
            return "error"
        return "fail" if any(not c.passed for c in self.checks) else "pass"


def expand_sources(patterns) -> list[str]:
    """Spec arguments with globs expanded (a pattern matching nothing is a usage error)."""
    sources: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?[") and not os.path.exists(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise UsageError(f"no file matches '{pattern}'")
            sources.extend(matches)
        else:
            sources.append(pattern)
    return list(dict.fromkeys(sources))


def check_spec(source: str, shared: dict[str, Budget], overrides: tuple = (None, None, None)) -> SpecResult:
    """Load, analyze and check one spec against its own budgets merged with the shared ones (file, flags)."""
    from ..profiles import analyze_profiled

    result = SpecResult(source, source)
    try:
        spec = load_specs([source], *overrides)[0]
        result.name = spec.name
        budgets = merge_budgets(spec_budgets(spec), shared)
        result.profile = budgets["profile"].limit if "profile" in budgets else DEFAULT_PROFILE
        report = analyze_profiled(spec, result.profile)
        report = report.without(budgets["ignore"].limit if "ignore" in budgets else ())
        result.checks = [check for b in budgets.values() if b.rule.limit is not None for check in check_budget(b, report)]
        result.warnings = located_warnings(report)
    except SpecError as exc:
        result.error, result.error_location = str(exc), exc.location
    except RfcalcError as exc:
        result.error = str(exc)
    return result
