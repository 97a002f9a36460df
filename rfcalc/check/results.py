"""Checking specs: each budget compared with the analysis, one result per spec."""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..cli import load_specs
from ..errors import Location, RfcalcError, SpecError, UsageError
from ..profiles import DEFAULT_PROFILE
from .budgets import Budget, spec_budgets


@dataclass(frozen=True)
class BudgetCheck:
    """One budget checked against one spec."""

    budget: Budget
    actual: Any
    passed: bool
    margin: Optional[float]  # percent of the limit left (negative: exceeded); None when not a number

    @property
    def message(self) -> str:
        """One line saying what happened."""
        kind, budget = self.budget.kind, self.budget
        actual = kind.human(self.actual)
        if self.passed and budget.key == "no_warnings":
            return "no warnings"
        if self.passed:
            return f"{kind.label} {actual} within {budget.key} {budget.limit_text()}"
        if budget.key == "no_warnings":
            return f"{self.actual} warning(s) where no_warnings demands none"
        if kind.direction == "equal":
            return f"output shape {actual} is not the required {budget.limit_text()}"
        word = "exceeds" if kind.direction == "max" else "is below"
        margin = f" ({self.margin:+.1f}%)" if self.margin is not None else ""
        return f"{kind.label} {actual} {word} {budget.key} {budget.limit_text()}{margin}"


def _expand_axes(limit: tuple[int, ...], actual: tuple[int, ...], budget: Budget) -> tuple[int, ...]:
    if len(limit) == 1:
        return limit * len(actual)
    if len(limit) != len(actual):
        raise SpecError(f"budget {budget.key} gives {len(limit)} sizes; the network has {len(actual)} "
                        f"spatial axes", budget.location or Location())
    return limit


def _margin(limit: int, actual: int, direction: str) -> Optional[float]:
    if limit == 0:
        return None
    # int / int: Python divides exactly and rounds once, so no operand is converted to float first.
    return 100 * ((limit - actual) if direction == "max" else (actual - limit)) / limit


def check_budget(budget: Budget, report) -> BudgetCheck:
    """Compare one budget with a report."""
    kind = budget.kind
    actual = kind.actual(report)
    if budget.key == "no_warnings":
        return BudgetCheck(budget, actual, actual == 0, None)
    if kind.direction == "equal":
        return BudgetCheck(budget, actual, tuple(actual) == tuple(budget.limit), None)
    if budget.key in ("min_rf", "max_rf"):
        limit = _expand_axes(budget.limit, actual, budget)
        margins = [_margin(lim, act, kind.direction) for lim, act in zip(limit, actual)]
        ok = all((act >= lim) if kind.direction == "min" else (act <= lim) for lim, act in zip(limit, actual))
        return BudgetCheck(budget, actual, ok, min((m for m in margins if m is not None), default=None))
    ok = actual <= budget.limit
    return BudgetCheck(budget, actual, ok, _margin(budget.limit, actual, "max"))


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


def check_spec(source: str, shared: dict[str, Budget], profile: Optional[str],
               overrides: tuple = (None, None, None)) -> SpecResult:
    """Load, analyze and check one spec against its own budgets merged with the shared ones."""
    from ..profiles import analyze_profiled

    result = SpecResult(source, source)
    try:
        spec = load_specs([source], *overrides)[0]
        result.name = spec.name
        budgets = {**spec_budgets(spec), **shared}
        chosen = profile or (budgets["profile"].limit if "profile" in budgets else DEFAULT_PROFILE)
        result.profile = chosen
        report = analyze_profiled(spec, chosen)
        result.checks = [check_budget(b, report) for key, b in budgets.items() if key != "profile"]
        result.warnings = [(w, None) for w in report.warnings] + [
            (f"layer '{layer.name}': {w}", layer.location) for layer in report.layers for w in layer.warnings]
    except SpecError as exc:
        result.error, result.error_location = str(exc), exc.location
    except RfcalcError as exc:
        result.error = str(exc)
    return result
