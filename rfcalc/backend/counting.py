"""Counting what the kernels actually compute, by kind.

The backend's own counting rules (compare rfcalc/report.py CONVENTIONS, which the analyzer follows):

- ``mac``: one product term accumulated into a dot product. A matmul of (m, k) by (k, n) is m*k*n
  MACs; a transposed convolution's scatter-add accumulates the products its matmul made, so those
  adds are the accumulate half of MACs already counted, not extra adds.
- ``add`` (additions and subtractions), ``mul``, ``div``, ``cmp`` (comparisons, max/min; a clip is
  two), ``exp`` (transcendental and special functions: exp, log, sqrt, pow, tanh, erf: one each).
- Free: negation, copies, padding, gathers, reshapes and the index and weight tables of resampling
  layers (they never touch activations). Work done once when weights are prepared (batch-norm
  folding) is not per-sample work and is not counted.
- Core vs overhead: ``core`` is the layer's arithmetic on real data; ``overhead`` is extra work an
  implementation does for its own reasons (the max subtracted before a softmax for numerical
  stability), kept apart with the reason, reported, and never hidden.

Counts cover the whole batch; the engine divides by the batch size to compare with the analyzer.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Union

# The backend's own list of kinds (the analyzer's is rfcalc.report.FLOP_KINDS: kept apart on purpose).
OP_KINDS = ("mac", "add", "mul", "div", "cmp", "exp")
Count = Union[int, Fraction]  # per sample: a fraction when a kernel did per-batch work


def per_sample(count: int, batch: int) -> Count:
    """A whole-batch count per sample (a fraction if the kernel did per-batch work)."""
    return exact(Fraction(count, batch))


def exact(value: Count) -> Count:
    """An integral fraction as an int; any other count unchanged."""
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


class OpCounter:
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

    def extra(self, kind: str, n: int, reason: str) -> None:
        """Record n operations that the implementation adds to the layer's arithmetic, and why."""
        if kind not in OP_KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        if n:
            self.overhead.setdefault(reason, Counter())[kind] += int(n)

    def matmul_macs(self, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
        """Count the MACs of matmul(a, b) from the operands' shapes (leading dims batch)."""
        m, k = a_shape[-2], a_shape[-1]
        n = b_shape[-1]
        batch = 1
        for size in (a_shape[:-2] if len(a_shape) >= len(b_shape) else b_shape[:-2]):
            batch *= size
        self.count("mac", batch * m * k * n)
