"""The typed explanation `rfcalc explain` renders: per layer, steps made of equations (a formula,
its substitution, the value) and remarks. Every equation is evaluated exactly and compared with
the analyzer's number when it is built, so an explanation can never show a number the report does
not hold."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Optional, Union

from ..errors import RfcalcError
from ..report import LayerResult, Report
from ..spec import Spec
from .mathexpr import Bracket, Expr, Num, is_numeric
from .notation import Notation

Inline = Union[str, Expr]  # a piece of a remark: words, or a formula written in the step's notation
Words = tuple[Inline, ...]

QUANTITIES = ("shape", "params", "macs", "memory", "rf")


class DerivationMismatch(RfcalcError):
    """A derivation whose value differs from the analyzer's: a bug, never shown as a key."""

    exit_code = 1


@dataclass(frozen=True)
class Equation:
    """lhs = formula = substitution [= floors reduced] = value [-> floor value]."""

    lhs: tuple[Expr, ...]
    sides: tuple[Expr, ...]
    floored: Optional[Fraction] = None  # the then-floor form: the chain's value, floored to this
    value: Fraction = Fraction(0)  # the result (floored when `floored` is set)


@dataclass(frozen=True)
class Step:
    """One quantity of one layer (or of the network) derived on some axes."""

    quantity: str  # one of QUANTITIES, or "summary"
    title: str
    axes: tuple[int, ...] = ()  # the spatial axes the step is about (its symbols' letters)
    case: Words = ()
    equations: tuple[Equation, ...] = ()
    remarks: tuple[Words, ...] = ()


@dataclass(frozen=True)
class LayerExplanation:
    """Everything explained about one layer (the analyzer's result for it, and the steps)."""

    result: LayerResult
    headline: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Explanation:
    """The explanation of a spec (and its report) in one notation."""

    spec: Spec
    report: Report
    notation: Notation
    layers: tuple[LayerExplanation, ...]
    summary: tuple[Step, ...]

    @property
    def ndim(self) -> int:
        """Spatial axes of the network input."""
        return len(self.report.input_shape) - 1


def equation(lhs: Union[Expr, tuple[Expr, ...]], formula: Expr, env: Mapping[str, Fraction],
             expected=None, then_floor: bool = False, what: str = "") -> Equation:
    """The chain of one formula for these numbers, checked against the analyzer's `expected` value
    (when given): a DerivationMismatch names `what` when they differ."""
    env = {k: Fraction(v) for k, v in env.items()}
    substituted = formula.substitute(env)
    sides = [formula]
    if substituted != formula:
        sides.append(substituted)
    if substituted.has_brackets():
        reduced = substituted.reduce_brackets(env)
        if reduced != substituted and not all(v.denominator == 1 for v in bracket_arguments(reduced)):
            sides.append(reduced)
    value = formula.evaluate(env)
    if not (is_numeric(sides[-1]) and isinstance(sides[-1], Num)):
        sides.append(Num(value))
    floored = None
    if then_floor:
        floored = Fraction(value.numerator // value.denominator)
        result = floored
    else:
        result = value
    if expected is not None and Fraction(expected) != result:
        raise DerivationMismatch(f"explain: {what or 'a derivation'} gives {result} but the analyzer says "
                                 f"{expected} (please report this)")
    if then_floor and floored == value:
        floored = None
    lhs = lhs if isinstance(lhs, tuple) else (lhs,)
    return Equation(lhs, tuple(sides), floored, result)


def definition(lhs: Expr, value, ) -> Equation:
    """lhs = value, a quantity read off the spec (no derivation)."""
    return Equation((lhs,), (Num(Fraction(value)),), None, Fraction(value))


def bracket_arguments(expr: Expr) -> list[Fraction]:
    """The numbers inside the floors and ceilings of a reduced formula."""
    if isinstance(expr, Bracket):
        return [expr.arg.evaluate({})]
    found: list[Fraction] = []
    for name in getattr(expr, "__dataclass_fields__", {}):
        child = getattr(expr, name)
        children = child if isinstance(child, tuple) else (child,)
        for item in children:
            item = item[1] if isinstance(item, tuple) else item
            if isinstance(item, Expr):
                found.extend(bracket_arguments(item))
    return found
