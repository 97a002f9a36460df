"""The budget kinds: how each budget's limit is read, its actual value taken and the two compared."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..cli import parse_size
from ..errors import Location, SpecError, UsageError
from ..profiles import PROFILE_NAMES
from ..units import MAX_QUANTITY, format_bytes, format_count, parse_bytes, parse_count


def _parse_axes(value: Any) -> tuple[int, ...]:
    """200, '200x180', '200,180' or [200, 180] -> positive ints (at most 2**63 each)."""
    expected = f"expected a size like 200, 200x180 or [200, 180]; got {value!r}"
    if isinstance(value, bool):
        raise ValueError(expected)
    if isinstance(value, int):
        parts = [value]
    elif isinstance(value, str):
        # The text form is --input-size's (cli.parse_size); its message names --input-size, so it is
        # replaced by one that fits a budget.
        try:
            parts = parse_size(value)
        except UsageError:
            raise ValueError(f"expected positive sizes like 200 or 200x180; got {value!r}") from None
    elif isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        parts = list(value)
    else:
        raise ValueError(expected)
    if min(parts) < 1:
        raise ValueError(f"sizes must be positive; got {value!r}")
    if max(parts) > MAX_QUANTITY:
        raise ValueError(f"sizes must be at most 2**63; got {max(parts)}")
    return tuple(parts)


def _parse_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false; got {value!r}")
    return value


def _parse_profile(value: Any) -> str:
    if value not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {value!r}; profiles are: {', '.join(PROFILE_NAMES)}")
    return value


def _last_rf(report, pick: Callable) -> tuple[int, ...]:
    return tuple(pick(r) for r in report.layers[-1].rf) if report.layers else ()


def _axes_text(values) -> str:
    return "x".join(str(v) for v in values) if values else "-"


@dataclass(frozen=True)
class BudgetKind:
    """One kind of budget: how to read its limit, take the actual value and compare them."""

    key: str
    label: str
    direction: str  # "max", "min", "equal" or "none" (profile: a setting, not a check)
    parse: Callable[[Any], Any]
    actual: Optional[Callable[[Any], Any]] = None
    human: Callable[[Any], str] = str
    raw: Callable[[Any], Any] = lambda v: v


def _count_kind(key, label, attribute):
    return BudgetKind(key, label, "max", parse_count, lambda r: getattr(r.totals, attribute), format_count)


def _bytes_kind(key, label, attribute):
    return BudgetKind(key, label, "max", parse_bytes, lambda r: getattr(r.totals, attribute), format_bytes)


KINDS: dict[str, BudgetKind] = {k.key: k for k in (
    _count_kind("max_params", "params", "params"),
    _count_kind("max_trainable_params", "trainable params", "trainable_params"),
    _count_kind("max_macs", "MACs", "macs"),
    _count_kind("max_flops", "FLOPs", "flops"),
    _bytes_kind("max_activation_memory", "activation memory", "activation_bytes"),
    _bytes_kind("max_peak_memory", "peak memory", "peak_activation_bytes"),
    _bytes_kind("max_param_memory", "param memory", "param_bytes"),
    BudgetKind("min_rf", "RF (min)", "min", _parse_axes, lambda r: _last_rf(r, lambda a: a.size_min),
               _axes_text, list),
    BudgetKind("max_rf", "RF (max)", "max", _parse_axes, lambda r: _last_rf(r, lambda a: a.size_max),
               _axes_text, list),
    BudgetKind("output_shape", "output shape", "equal", _parse_axes,
               lambda r: tuple(r.layers[-1].output_shape) if r.layers else (), _axes_text, list),
    BudgetKind("no_warnings", "warnings", "max", _parse_flag, lambda r: len(r.all_warnings()),
               lambda v: str(v)),
    BudgetKind("profile", "profile", "none", _parse_profile),
)}


@dataclass(frozen=True)
class Budget:
    """One limit, where it came from (spec / file / flag) and its place in a YAML file."""

    key: str
    limit: Any
    source: str
    location: Optional[Location] = None

    @property
    def kind(self) -> BudgetKind:
        """The kind of budget."""
        return KINDS[self.key]

    def limit_text(self) -> str:
        """The limit for humans."""
        if self.key == "no_warnings":
            return "0"
        return self.kind.human(self.limit)


def _suggest(word: str) -> str:
    close = difflib.get_close_matches(word.replace("-", "_"), list(KINDS), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f" (budgets are: {', '.join(KINDS)})"


def parse_budgets(mapping: Any, source: str, where: Location) -> dict[str, Budget]:
    """Validate a budgets mapping (a SourceMap from YAML, or a dict of flag values) into Budgets."""
    from ..yamlsource import location_of

    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise SpecError(f"budgets must be a mapping of budget: limit (e.g. max_params: 5M); got {mapping!r}",
                        location_of(mapping) or where)
    budgets = {}
    for key, value in mapping.items():
        at = location_of(mapping, (key,)) or where
        if key not in KINDS:
            raise SpecError(f"unknown budget '{key}'" + _suggest(str(key)), at)
        try:
            limit = KINDS[key].parse(value)
        except (ValueError, UsageError) as exc:
            raise SpecError(f"budget {key}: {exc}", at) from None
        if key == "no_warnings" and not limit:
            continue
        budgets[key] = Budget(key, limit, source, at if source != "flag" else None)
    return budgets


def load_budget_file(path: str) -> dict[str, Budget]:
    """Budgets from a YAML budget file: a mapping at the top level, or under `budgets:`."""
    from ..yamlsource import load_yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the budget file: {exc}", Location(path)) from None
    raw = load_yaml(text, path)
    if isinstance(raw, dict) and set(raw) == {"budgets"}:
        raw = raw["budgets"]
    return parse_budgets(raw, "file", Location(path, 1, 1))


def spec_budgets(spec) -> dict[str, Budget]:
    """Budgets from the spec's own `budgets:` section, with their lines in the spec file."""
    raw = spec.raw.get("budgets") if isinstance(spec.raw, dict) else spec.budgets
    return parse_budgets(raw, "spec", Location(spec.source))
