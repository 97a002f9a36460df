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
from typing import Optional, Sequence, Union

import numpy as np

OP_KINDS = ("mac", "add", "mul", "div", "cmp", "exp")

Operand = Union[np.ndarray, float]
Axes = Union[int, Sequence[int], None]


class CountedOps:
    """numpy operations that count themselves: element-wise ones one per output element (broadcasting
    included), reductions of g values g - 1 per output element."""

    def record(self, kind: str, n: int) -> None:
        """Record n operations of one kind."""
        raise NotImplementedError

    def _each(self, kind: str, result: np.ndarray) -> np.ndarray:
        self.record(kind, np.size(result))
        return result

    # -- element-wise ------------------------------------------------------------------------------
    def add(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """a + b."""
        return self._each("add", np.add(a, b, out=out))

    def sub(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """a - b (an add)."""
        return self._each("add", np.subtract(a, b, out=out))

    def mul(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """a * b."""
        return self._each("mul", np.multiply(a, b, out=out))

    def div(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """a / b."""
        return self._each("div", np.divide(a, b, out=out))

    def maximum(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """max(a, b) element-wise (a cmp)."""
        return self._each("cmp", np.maximum(a, b, out=out))

    def minimum(self, a: Operand, b: Operand, out: Optional[np.ndarray] = None) -> np.ndarray:
        """min(a, b) element-wise (a cmp)."""
        return self._each("cmp", np.minimum(a, b, out=out))

    def greater(self, a: Operand, b: Operand) -> np.ndarray:
        """a > b, a boolean array (a cmp)."""
        return self._each("cmp", np.greater(a, b))

    def clip(self, x: np.ndarray, low: float, high: float) -> np.ndarray:
        """min(max(x, low), high): two cmp per element."""
        result = np.clip(x, low, high)
        self.record("cmp", 2 * result.size)
        return result

    @staticmethod
    def where(condition: np.ndarray, a: Operand, b: Operand) -> np.ndarray:
        """a where condition holds, else b: free, a select (the comparison was counted when made)."""
        return np.where(condition, a, b)

    def exp(self, x: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """e^x (exp kind)."""
        return self._each("exp", np.exp(x, out=out))

    def log(self, x: np.ndarray) -> np.ndarray:
        """Natural logarithm (exp kind)."""
        return self._each("exp", np.log(x))

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        """Square root (exp kind)."""
        return self._each("exp", np.sqrt(x))

    def power(self, x: np.ndarray, p: float) -> np.ndarray:
        """x^p for a real p (exp kind)."""
        return self._each("exp", np.power(x, p))

    def tanh(self, x: np.ndarray) -> np.ndarray:
        """Hyperbolic tangent (exp kind)."""
        return self._each("exp", np.tanh(x))

    def erf(self, x: np.ndarray) -> np.ndarray:
        """Error function (exp kind: one special function, however its approximation is evaluated)."""
        return self._each("exp", erf(x))

    # -- reductions --------------------------------------------------------------------------------
    def sum(self, x: np.ndarray, axis: Axes, keepdims: bool = False) -> np.ndarray:
        """Sum along axes: g - 1 adds per output for g values summed."""
        result = np.sum(x, axis=axis, keepdims=keepdims)
        self.record("add", x.size - np.size(result))
        return result

    def mean(self, x: np.ndarray, axis: Axes, keepdims: bool = False) -> np.ndarray:
        """Mean along axes: the sum, then one division per output."""
        total = self.sum(x, axis, keepdims)
        return self.div(total, x.size // np.size(total))

    def max(self, x: np.ndarray, axis: Axes, keepdims: bool = False) -> np.ndarray:
        """Maximum along axes: g - 1 cmp per output for g values compared."""
        result = np.max(x, axis=axis, keepdims=keepdims)
        self.record("cmp", x.size - np.size(result))
        return result


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


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, vectorised (Numerical Recipes' erfc Chebyshev fit, fractional error < 1.2e-7)."""
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(x.dtype)
