"""Counting what the kernels actually compute, by kind.

The backend's own counting rules (compare rfcalc/report.py CONVENTIONS, which the analyzer follows):

- ``mac``: one product term accumulated into a dot product. A matmul of (m, k) by (k, n) is m*k*n
  MACs; a transposed convolution's scatter-add accumulates the products its matmul made, so those
  adds are the accumulate half of MACs already counted, not extra adds.
- ``add`` (additions and subtractions), ``mul``, ``div``, ``cmp`` (comparisons, max/min; a clip is
  two), ``exp`` (transcendental and special functions: exp, log, sqrt, pow, tanh, erf: one each).
- Free: negation, copies, padding, gathers (a `where` select is one: it copies one of two values),
  reshapes and the index and weight tables of resampling layers (they never touch activations).
  Work done once when weights are prepared (batch-norm folding) is not per-sample work and is not
  counted.
- Core vs overhead: ``core`` is the layer's arithmetic on real data; ``overhead`` is extra work an
  implementation does for its own reasons (the max subtracted before a softmax for numerical
  stability), kept apart with the reason, reported, and never hidden.

Kernels compute through `CountedOps` (an `OpCounter` is one): each method performs one numpy
operation and counts it from the size of what it computed, so counts are measured, not written down.
Counts cover the whole batch; the engine divides by the batch size to compare with the analyzer.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Callable, Sequence, Union

import numpy as np

# The backend's own list of kinds (the analyzer's is rfcalc.report.FLOP_KINDS: kept apart on purpose).
OP_KINDS = ("mac", "add", "mul", "div", "cmp", "exp")
Count = Union[int, Fraction]  # per sample: a fraction when a kernel did per-batch work


def per_sample(count: int, batch: int) -> Count:
    """A whole-batch count per sample (a fraction if the kernel did per-batch work)."""
    return exact(Fraction(count, batch))


def exact(value: Count) -> Count:
    """An integral fraction as an int; any other count unchanged."""
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


Operand = Union[np.ndarray, float]
Axes = Union[int, Sequence[int], None]


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, vectorised (Numerical Recipes' erfc Chebyshev fit, fractional error < 1.2e-7)."""
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(x.dtype)


def _counted(function: Callable[..., np.ndarray], kind: str, counts: Callable[[Operand, np.ndarray], int], doc: str):
    """A CountedOps method: performs function(x, ...) and records counts(x, result) operations of `kind`."""
    def method(self: "CountedOps", x: Operand, *args, **kwargs) -> np.ndarray:
        result = function(x, *args, **kwargs)
        self.record(kind, counts(x, result))
        return result
    method.__doc__ = doc
    return method


def _elementwise(function: Callable[..., np.ndarray], kind: str, doc: str, per_element: int = 1):
    """An element-wise operation: `per_element` operations per element of its (broadcast) output."""
    return _counted(function, kind, lambda x, result: per_element * np.size(result), doc)


def _special(function: Callable[..., np.ndarray], doc: str):
    """A transcendental or special function: one exp-kind operation per output element."""
    return _elementwise(function, "exp", doc)


def _reduction(reduce: Callable[..., np.ndarray], kind: str, doc: str):
    """A reduction along axes, called reduce(x, axis, keepdims=False): g - 1 operations per output
    element for g values reduced into it."""
    def along(x: np.ndarray, axis: Axes, keepdims: bool = False) -> np.ndarray:
        return reduce(x, axis=axis, keepdims=keepdims)
    return _counted(along, kind, lambda x, result: np.size(x) - np.size(result), doc)


class CountedOps:
    """numpy operations that count themselves, each by the size of what it computed. The table below is
    the whole of the rules: element-wise operations one per output element (broadcasting included), a
    clip two, special functions one exp each, reductions of g values g - 1 per output; a select is free."""

    def record(self, kind: str, n: int) -> None:
        """Record n operations of one kind."""
        raise NotImplementedError

    add = _elementwise(np.add, "add", "add(a, b, out=None): a + b.")
    sub = _elementwise(np.subtract, "add", "sub(a, b, out=None): a - b (an add).")
    mul = _elementwise(np.multiply, "mul", "mul(a, b, out=None): a * b.")
    div = _elementwise(np.divide, "div", "div(a, b, out=None): a / b.")
    maximum = _elementwise(np.maximum, "cmp", "maximum(a, b, out=None): max(a, b) element-wise.")
    minimum = _elementwise(np.minimum, "cmp", "minimum(a, b, out=None): min(a, b) element-wise.")
    greater = _elementwise(np.greater, "cmp", "greater(a, b): a > b, a boolean array.")
    clip = _elementwise(np.clip, "cmp", "clip(x, low, high): min(max(x, low), high).", per_element=2)

    @staticmethod
    def where(condition: np.ndarray, a: Operand, b: Operand) -> np.ndarray:
        """a where condition holds, else b: free, a select (the comparison was counted when made)."""
        return np.where(condition, a, b)

    exp = _special(np.exp, "exp(x): e^x.")
    log = _special(np.log, "log(x): the natural logarithm.")
    sqrt = _special(np.sqrt, "sqrt(x): the square root.")
    power = _special(np.power, "power(x, p): x^p for a real p.")
    tanh = _special(np.tanh, "tanh(x): the hyperbolic tangent.")
    erf = _special(erf, "erf(x): the error function (one special function, however it is evaluated).")

    sum = _reduction(np.sum, "add", "sum(x, axis, keepdims=False): the sum along axes.")
    max = _reduction(np.max, "cmp", "max(x, axis, keepdims=False): the maximum along axes.")

    def mean(self, x: np.ndarray, axis: Axes, keepdims: bool = False) -> np.ndarray:
        """The mean along axes: the sum, then one division per output."""
        total = self.sum(x, axis, keepdims)
        return self.div(total, x.size // np.size(total))


class OpCounter(CountedOps):
    """Operations a kernel performed: core counts by kind, and overhead counts by reason and kind."""

    def __init__(self) -> None:
        self.core: Counter[str] = Counter()
        self.overhead: dict[str, Counter[str]] = {}

    def count(self, kind: str, n: int) -> None:
        """Record n core operations of one kind."""
        if kind not in OP_KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        if n:
            self.core[kind] += int(n)

    record = count

    def extra(self, kind: str, n: int, reason: str) -> None:
        """Record n operations that the implementation adds to the layer's arithmetic, and why."""
        if kind not in OP_KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        if n:
            self.overhead.setdefault(reason, Counter())[kind] += int(n)

    def extra_ops(self, reason: str) -> CountedOps:
        """Counted operations recorded as overhead, for `reason`."""
        return OverheadOps(self, reason)

    def matmul_macs(self, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
        """Count the MACs of matmul(a, b) from the operands' shapes (leading dims batch)."""
        m, k = a_shape[-2], a_shape[-1]
        n = b_shape[-1]
        batch = 1
        for size in (a_shape[:-2] if len(a_shape) >= len(b_shape) else b_shape[:-2]):
            batch *= size
        self.count("mac", batch * m * k * n)


class OverheadOps(CountedOps):
    """Counted operations that an OpCounter records as overhead, with one reason."""

    def __init__(self, counter: OpCounter, reason: str) -> None:
        self.counter, self.reason = counter, reason

    def record(self, kind: str, n: int) -> None:
        """Record n overhead operations of one kind."""
        self.counter.extra(kind, n, self.reason)
