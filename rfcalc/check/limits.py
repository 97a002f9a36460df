"""How a budget is written and compared: its unit (count, bytes, axes, shape, flag, setting) and its
kind of limit (at most, at least, equals, no findings)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import click

from ..errors import Location, SpecError, UsageError
from ..units import MAX_QUANTITY, format_bytes, format_count, parse_bytes, parse_count, parse_size

if TYPE_CHECKING:
    from .results import BudgetCheck
    from .sources import Budget


# --- units ---------------------------------------------------------------------------------------

class Unit:
    """How a budget's value is written (in YAML and on the command line), shown and described in JSON Schema."""

    json_schema: dict[str, Any] = {}

    def parse(self, value: Any) -> Any:
        """The value of a limit as written; a ValueError says what is wrong with it."""
        raise NotImplementedError

    def human(self, value: Any) -> str:
        """A value for people."""
        return str(value)

    def raw(self, value: Any) -> Any:
        """A value for the JSON document."""
        return value

    def pairs(self, limit: Any, actual: Any, budget: Budget) -> list[tuple[int, int]]:
        """(limit, actual) pairs to compare: one, or one per spatial axis."""
        return [(limit, actual)]

    def option(self) -> dict[str, Any]:
        """How the command line takes the value: click.option keyword arguments."""
        return {"metavar": "LIMIT"}


class Quantity(Unit):
    """A whole number from 0 to 2**63, written with a unit prefix or suffix (units.py reads it)."""

    def __init__(self, parse, human, examples: str):
        self._parse, self._human = parse, human
        self.json_schema = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
                                      {"type": "string", "examples": examples.split(", ")}]}

    def parse(self, value: Any) -> int:
        """A count or byte size: 5M, 100MiB, 2048."""
        try:
            return self._parse(value)
        except UsageError as exc:  # units.py's parsers speak to the command line
            raise ValueError(str(exc)) from None

    def human(self, value: Any) -> str:
        """1.23M, 1.5 KiB."""
        return self._human(value)


COUNT = Quantity(parse_count, format_count, "5M, 1.2G, 25_557_032")
BYTES = Quantity(parse_bytes, format_bytes, "100MiB, 1GB, 512KiB")

_POSITIVE = {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}


class Shape(Unit):
    """Sizes: 200, '200x180', '200,180' or [200, 180]; positive ints (at most 2**63 each)."""

    json_schema = {"anyOf": [_POSITIVE, {"type": "string", "examples": ["200x180"]},
                             {"type": "array", "items": _POSITIVE, "minItems": 1}]}

    def parse(self, value: Any) -> tuple[int, ...]:
        """200, '200x180', '200,180' or [200, 180] -> positive ints."""
        expected = f"expected a size like 200, 200x180 or [200, 180]; got {value!r}"
        if isinstance(value, bool):
            raise ValueError(expected)
        if isinstance(value, int):
            parts = [value]
        elif isinstance(value, str):
            # The text form is --input-size's (units.parse_size); its message names --input-size, so it is
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

    def human(self, value: Any) -> str:
        """200x180; '-' for none."""
        return "x".join(str(v) for v in value) if value else "-"

    def raw(self, value: Any) -> list[int]:
        """[200, 180]."""
        return list(value)


class Axes(Shape):
    """One size per spatial axis, or one size for every axis."""

    def pairs(self, limit: Any, actual: Any, budget: Budget) -> list[tuple[int, int]]:
        """(limit, actual) per axis; a single limit applies to every axis."""
        if len(limit) == 1:
            limit = limit * len(actual)
        if len(limit) != len(actual):
            raise SpecError(f"budget {budget.title} gives {len(limit)} sizes; the network has {len(actual)} "
                            f"spatial axes", budget.location or Location())
        return list(zip(limit, actual))


class Flag(Unit):
    """true or false; false is the same as no budget (None)."""

    json_schema = {"type": "boolean"}

    def parse(self, value: Any) -> Optional[bool]:
        """true -> True; false -> None."""
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false; got {value!r}")
        return value or None

    def option(self) -> dict[str, Any]:
        """A switch: --no-warnings."""
        return {"is_flag": True}


class Setting(Unit):
    """One name out of a fixed list (the counting profile)."""

    def __init__(self, noun: str, choices: tuple[str, ...]):
        self.noun, self.choices = noun, choices
        self.json_schema = {"enum": list(choices)}

    def parse(self, value: Any) -> str:
        """One of the choices."""
        if value not in self.choices:
            raise ValueError(f"unknown {self.noun} {value!r}; {self.noun}s are: {', '.join(self.choices)}")
        return value

    def option(self) -> dict[str, Any]:
        """One of the choices."""
        return {"type": click.Choice(self.choices)}


class PerOutput(Unit):
    """A limit on the network's outputs: one value for every output, or a mapping output name -> value
    (`min_rf: {p5: 400}`); each value is written in the inner unit."""

    def __init__(self, inner: Unit):
        self.inner = inner
        self.json_schema = {"anyOf": [*inner.json_schema["anyOf"],
                                      {"type": "object", "minProperties": 1, "additionalProperties": inner.json_schema,
                                       "description": "per network output: {output layer name: limit}"}]}

    def parse(self, value: Any) -> Any:
        """The inner unit's value, or {output name: value} for a mapping (on the command line
        `p4=200,p5=400`)."""
        if isinstance(value, str) and "=" in value:
            value = dict(_named_limit(part) for part in value.split(","))
        if isinstance(value, dict):
            if not value:
                raise ValueError("expected a limit, or a mapping of output names to limits; got {}")
            return {str(name): self.inner.parse(limit) for name, limit in value.items()}
        return self.inner.parse(value)

    def human(self, value: Any) -> str:
        return self.inner.human(value)

    def raw(self, value: Any) -> Any:
        return self.inner.raw(value)

    def pairs(self, limit: Any, actual: Any, budget: Budget) -> list[tuple[int, int]]:
        return self.inner.pairs(limit, actual, budget)

    def option(self) -> dict[str, Any]:
        return self.inner.option()


def _named_limit(text: str) -> tuple[str, str]:
    """'p5=400' -> ('p5', '400')."""
    name, _, limit = text.partition("=")
    if not name.strip() or not limit.strip():
        raise ValueError(f"expected output=limit pairs separated by commas (p4=200,p5=400); got {text!r}")
    return name.strip(), limit.strip()


class Codes(Unit):
    """Finding codes: a list in YAML ([RF201, RF102]), comma-separated on the command line."""

    json_schema = {"type": "array", "items": {"type": "string", "pattern": "^[Rr][Ff][0-9]{3}$"}}

    def parse(self, value: Any) -> tuple[str, ...]:
        """Known codes, upper-cased, each once."""
        from ..findings import checked_codes
        return checked_codes(value)

    def human(self, value: Any) -> str:
        return ", ".join(value)

    def raw(self, value: Any) -> Any:
        return list(value)

    def option(self) -> dict[str, Any]:
        """Codes separated by commas: --ignore RF201,RF102."""
        return {"metavar": "CODES"}


AXES = Axes()
SHAPE = Shape()
FLAG = Flag()
OUTPUT_AXES = PerOutput(AXES)
OUTPUT_SHAPE = PerOutput(SHAPE)


# --- kinds of limit ------------------------------------------------------------------------------

class LimitKind:
    """How a limit and the actual value compare, and how the outcome is said."""

    def verdict(self, budget: Budget, actual: Any) -> tuple[bool, Optional[float]]:
        """(passed, percent of the limit left or None)."""
        raise NotImplementedError

    def limit_text(self, budget: Budget) -> str:
        """The limit for people."""
        return budget.rule.unit.human(budget.limit)

    def limit_raw(self, budget: Budget) -> Any:
        """The limit for the JSON document."""
        return budget.rule.unit.raw(budget.limit)

    def message(self, check: BudgetCheck) -> str:
        """One line saying what happened."""
        budget = check.budget
        if check.passed:
            return f"{budget.label} {check.actual_text()} within {budget.name} {budget.limit_text()}"
        return self.failure(check)

    def failure(self, check: BudgetCheck) -> str:
        """One line saying how the limit was missed."""
        raise NotImplementedError


class _Bound(LimitKind):
    """The actual value must not cross the limit, on every axis."""

    word = ""  # how a failure is said: "exceeds", "is below"

    def left(self, limit: int, actual: int) -> int:
        """How much of the limit is left (negative: crossed)."""
        raise NotImplementedError

    def verdict(self, budget: Budget, actual: Any) -> tuple[bool, Optional[float]]:
        """Passed when every axis holds; the margin is the smallest of the axes'."""
        pairs = budget.rule.unit.pairs(budget.limit, actual, budget)
        # int / int: Python divides exactly and rounds once, so no operand is converted to float first.
        margins = [100 * self.left(limit, value) / limit for limit, value in pairs if limit != 0]
        return all(self.left(limit, value) >= 0 for limit, value in pairs), min(margins, default=None)

    def failure(self, check: BudgetCheck) -> str:
        """'params 224 exceeds max_params 200 (-12.0%)'."""
        budget = check.budget
        margin = f" ({check.margin:+.1f}%)" if check.margin is not None else ""
        return f"{budget.label} {check.actual_text()} {self.word} {budget.name} {budget.limit_text()}{margin}"


class AtMost(_Bound):
    """The actual value is at most the limit."""

    word = "exceeds"

    def left(self, limit: int, actual: int) -> int:
        """limit - actual."""
        return limit - actual


class AtLeast(_Bound):
    """The actual value is at least the limit."""

    word = "is below"

    def left(self, limit: int, actual: int) -> int:
        """actual - limit."""
        return actual - limit


class Equals(LimitKind):
    """The actual value is exactly the limit."""

    def verdict(self, budget: Budget, actual: Any) -> tuple[bool, Optional[float]]:
        """Passed when equal; no margin."""
        return tuple(actual) == tuple(budget.limit), None

    def failure(self, check: BudgetCheck) -> str:
        """'output shape 16x8x8 is not the required 8x16x16'."""
        return f"{check.budget.label} {check.actual_text()} is not the required {check.budget.limit_text()}"


class NoFindings(LimitKind):
    """The analysis finds nothing of the kind (the actual value is how many it found)."""

    def verdict(self, budget: Budget, actual: Any) -> tuple[bool, Optional[float]]:
        """Passed when none were found; no margin."""
        return actual == 0, None

    def limit_text(self, budget: Budget) -> str:
        """None allowed: '0'."""
        return "0"

    def limit_raw(self, budget: Budget) -> int:
        """None allowed: 0."""
        return 0

    def message(self, check: BudgetCheck) -> str:
        """'no warnings' or '2 warning(s) where no_warnings demands none'."""
        label = check.budget.rule.label
        if check.passed:
            return f"no {label}s"
        return f"{check.actual} {label}(s) where {check.budget.name} demands none"


AT_MOST = AtMost()
AT_LEAST = AtLeast()
EQUALS = Equals()
NO_FINDINGS = NoFindings()
