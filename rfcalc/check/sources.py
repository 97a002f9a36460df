"""Where budgets come from, and how they merge: the spec's `budgets:` section < a budget file < flags."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

from pydantic import ValidationError

from ..errors import Location, SpecError, UsageError
from .budgets import BUDGET_NAMES, BudgetRule, Budgets, budget_rule
from .limits import Flag

# A later source overrides an earlier one, budget by budget.
SOURCE_ORDER = ("spec", "file", "flag")


@dataclass(frozen=True)
class Budget:
    """One limit, the source it came from (spec / file / flag) and its place in a YAML file."""

    name: str
    limit: Any
    source: str
    location: Optional[Location] = None
    output: Optional[str] = None  # the network output a per-output budget is checked on (None: the only one)

    @property
    def rule(self) -> BudgetRule:
        """What the budget means and how it is checked."""
        return budget_rule(self.name)

    @property
    def title(self) -> str:
        """The budget's name, with the output it is checked on: 'min_rf (p5)'."""
        return self.name if self.output is None else f"{self.name} ({self.output})"

    @property
    def label(self) -> str:
        """What the budget measures, of which output: 'RF (min) of p5'."""
        return self.rule.label if self.output is None else f"{self.rule.label} of {self.output}"

    def for_outputs(self, outputs: tuple[str, ...]) -> list["Budget"]:
        """The budget once per network output it is checked on: a per-output mapping names them, a single
        limit applies to every output; a budget on the whole network is itself."""
        if not self.rule.per_output:
            return [self]
        if isinstance(self.limit, dict):
            unknown = [name for name in self.limit if name not in outputs]
            if unknown:
                raise SpecError(f"budget {self.name} names '{unknown[0]}', which is not an output of the network "
                                f"(outputs: {', '.join(outputs)})", self.location or Location())
            return [replace(self, limit=limit, output=name) for name, limit in self.limit.items()]
        if len(outputs) == 1:
            return [self]
        return [replace(self, output=name) for name in outputs]

    def limit_text(self) -> str:
        """The limit for people."""
        return self.rule.limit.limit_text(self)

    def limit_raw(self) -> Any:
        """The limit for the JSON document."""
        return self.rule.limit.limit_raw(self)


def merge_budgets(*layers: dict[str, Budget]) -> dict[str, Budget]:
    """One budget per name, the sources taken in SOURCE_ORDER whatever the order of the layers given."""
    budgets = sorted((b for layer in layers for b in layer.values()), key=lambda b: SOURCE_ORDER.index(b.source))
    merged: dict[str, Budget] = {}
    for budget in budgets:
        merged[budget.name] = budget
    return merged


def _suggest(word: str) -> str:
    close = difflib.get_close_matches(word.replace("-", "_"), BUDGET_NAMES, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f" (budgets are: {', '.join(BUDGET_NAMES)})"


def _error_key(error: dict) -> Any:
    """The key a pydantic error is about: for a key that is not a string, the input (the location has its text)."""
    return error["input"] if error["type"] == "invalid_key" else error["loc"][0]


def _first_error(exc: ValidationError, mapping: dict) -> tuple[Any, Optional[str]]:
    """The first invalid key in the mapping's order, and what is wrong with its value (None: no such budget)."""
    keys = list(mapping)
    error = min(exc.errors(), key=lambda e: keys.index(_error_key(e)))
    return _error_key(error), str(error["ctx"]["error"]) if error["type"] == "value_error" else None


def _layer(budgets: Budgets, keys, source: str, locate: Callable[[str], Optional[Location]]) -> dict[str, Budget]:
    """The budgets that are set, in the order their keys were given."""
    return {key: Budget(key, getattr(budgets, key), source, locate(key))
            for key in keys if getattr(budgets, key) is not None}


def yaml_budgets(mapping: Any, source: str, where: Location) -> dict[str, Budget]:
    """Budgets from a YAML mapping (a SourceMap: a spec's `budgets:` or a budget file), with their locations."""
    from ..yamlsource import location_of

    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise SpecError(f"budgets must be a mapping of budget: limit (e.g. max_params: 5M); got {mapping!r}",
                        location_of(mapping) or where)
    def locate(key: Any) -> Location:
        return location_of(mapping, (key,)) or where

    try:
        budgets = Budgets.model_validate(mapping)
    except ValidationError as exc:
        key, problem = _first_error(exc, mapping)
        if problem is None:
            raise SpecError(f"unknown budget '{key}'" + _suggest(str(key)), locate(key)) from None
        raise SpecError(f"budget {key}: {problem}", locate(key)) from None
    return _layer(budgets, mapping, source, locate)


def spec_budgets(spec) -> dict[str, Budget]:
    """Budgets from the spec's own `budgets:` section, with their lines in the spec file."""
    raw = spec.raw.get("budgets") if isinstance(spec.raw, dict) else spec.budgets
    return yaml_budgets(raw, "spec", Location(spec.source))


def file_budgets(path: str) -> dict[str, Budget]:
    """Budgets from a YAML budget file: a mapping at the top level, or under `budgets:`."""
    from ..sources import read_file
    from ..yamlsource import decode, load_yaml

    try:
        data = read_file(path, "the budget file")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise SpecError(f"cannot read the budget file: {exc.strerror}", Location(path)) from None
    raw = load_yaml(decode(data, path, "the budget file"), path)
    if isinstance(raw, dict) and set(raw) == {"budgets"}:
        raw = raw["budgets"]
    return yaml_budgets(raw, "file", Location(path, 1, 1))


def flag_budgets(values: dict[str, Any]) -> dict[str, Budget]:
    """Budgets from the command line: option values by budget name, None where an option is not given."""
    given = {name: value for name, value in values.items() if value is not None}
    try:
        budgets = Budgets.model_validate(given)
    except ValidationError as exc:
        key, problem = _first_error(exc, given)
        raise UsageError(f"--{key.replace('_', '-')}: {problem}") from None
    # Limits in the order given on the command line, switches (--no-warnings) after them.
    order = sorted(given, key=lambda name: isinstance(budget_rule(name).unit, Flag))
    return _layer(budgets, order, "flag", lambda key: None)
