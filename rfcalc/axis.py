"""Receptive-field algebra along one spatial axis.

Every layer maps output index o to the set of input indices it reads. For all layer types rfcalc
knows, that map is *periodic*: write o = m * period + q (0 <= q < period); then o reads
``phases[q] + m * step``. A sliding window has period 1 and step = stride; a 2x upsample has
period 2 and step 1; adaptive pooling from a to b has period b/g and step a/g (g = gcd(a, b)).
Composing two periodic maps gives a periodic map, so the receptive field of every unit of every
layer is exact, including holes (dilation) and position-dependent fields (resampling layers).
Bounds are ignored here (as in the r/j/start convention): the actual set of input pixels a unit
sees is its map intersected with [0, input size).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Iterable

from .bounds import MAX_PHASES

Intervals = tuple[tuple[int, int], ...]  # sorted, disjoint, non-adjacent, inclusive [lo, hi] pairs



class PatternTooLong(ValueError):
    """Raised when a receptive-field pattern would repeat only after more than MAX_PHASES outputs."""


def merge_intervals(pieces: Iterable[tuple[int, int]]) -> Intervals:
    """Union of inclusive integer intervals, as a sorted tuple of disjoint, non-adjacent intervals."""
    pieces = list(pieces)
    if len(pieces) == 1:
        return (tuple(pieces[0]),)
    merged: list[list[int]] = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def shift(intervals: Intervals, offset: int) -> Intervals:
    """The same intervals moved by `offset`."""
    return tuple((lo + offset, hi + offset) for lo, hi in intervals)


def count(intervals: Intervals) -> int:
    """How many integers the intervals hold."""
    return sum(hi - lo + 1 for lo, hi in intervals)


def clip(intervals: Intervals, size: int) -> Intervals:
    """The intervals intersected with [0, size)."""
    return tuple((max(lo, 0), min(hi, size - 1)) for lo, hi in intervals if hi >= 0 and lo < size)


@dataclass(frozen=True)
class AxisMap:
    """Periodic map from output indices to sets of input indices (see module docstring)."""

    period: int
    step: int
    phases: tuple[Intervals, ...]

    def reads(self, index: int) -> Intervals:
        """Input indices read by output `index` (unbounded)."""
        m, q = divmod(index, self.period)
        return shift(self.phases[q], m * self.step) if m else self.phases[q]

    @property
    def jump(self) -> Fraction:
        """Input pixels per output pixel: the j of the r/j/start convention."""
        return Fraction(self.step, self.period)

    @property
    def uniform(self) -> bool:
        """True when every output position has the same RF shape at a constant stride."""
        return self.period == 1


IDENTITY = AxisMap(1, 1, (((0, 0),),))
# A size-1 axis stretched by broadcasting: every output reads unit 0.
BROADCAST = AxisMap(1, 0, (((0, 0),),))


def window_map(kernel: int, stride: int, pad_before: int, dilation: int = 1) -> AxisMap:
    """Sliding window: output o reads o*stride - pad_before + t*dilation for t < kernel."""
    taps = merge_intervals((t * dilation - pad_before,) * 2 for t in range(kernel))
    return AxisMap(1, stride, (taps,))


def explicit_map(reads_of_phase: list[Intervals], step: int) -> AxisMap:
    """A map given phase by phase, reduced to its smallest period."""
    return _reduce(AxisMap(len(reads_of_phase), step, tuple(reads_of_phase)))


def _reads_union(inner: AxisMap, indices: Intervals) -> Intervals:
    """Union of inner.reads(a) over every a in `indices`."""
    if inner.period == 1 and len(inner.phases[0]) == 1:
        lo0, hi0 = inner.phases[0][0]
        if inner.step <= hi0 - lo0 + 1:  # consecutive windows overlap or touch: contiguous union
            return merge_intervals((lo0 + lo * inner.step, hi0 + hi * inner.step) for lo, hi in indices)
    pieces: list[tuple[int, int]] = []
    for lo, hi in indices:
        for a in range(lo, hi + 1):
            pieces.extend(inner.reads(a))
    return merge_intervals(pieces)


def compose(outer: AxisMap, inner: AxisMap) -> AxisMap:
    """The map of `outer` applied after `inner` (outer reads inner's outputs)."""
    if outer.period == inner.period == 1 and len(outer.phases[0]) == len(inner.phases[0]) == 1:
        (o_lo, o_hi), (i_lo, i_hi) = outer.phases[0][0], inner.phases[0][0]
        if inner.step <= i_hi - i_lo + 1:  # the common case: contiguous windows of contiguous fields
            return AxisMap(1, outer.step * inner.step, (((i_lo + o_lo * inner.step, i_hi + o_hi * inner.step),),))
    repeats = inner.period // gcd(outer.step, inner.period)
    period = outer.period * repeats
    if period > MAX_PHASES:
        raise PatternTooLong(f"the receptive-field pattern would repeat only every {period:,} outputs "
                             f"(rfcalc keeps RF maps exact up to {MAX_PHASES:,})")
    step = outer.step * repeats // inner.period * inner.step
    phases = tuple(_reads_union(inner, outer.reads(q)) for q in range(period))
    return _reduce(AxisMap(period, step, phases))


def union(maps: list[AxisMap]) -> AxisMap:
    """Map of a merge layer: each output reads the union of what every branch reads there."""
    period = 1
    for m in maps:
        period = period * m.period // gcd(period, m.period)
    steps = {m.step * (period // m.period) for m in maps}
    if len(steps) != 1:
        raise ValueError("branches advance at different rates")
    phases = tuple(merge_intervals(p for m in maps for p in m.reads(q)) for q in range(period))
    return _reduce(AxisMap(period, steps.pop(), phases))


def _reduce(amap: AxisMap) -> AxisMap:
    """The same map with the smallest period that describes it."""
    p = amap.period
    for candidate in range(1, p):
        if p % candidate or (amap.step * candidate) % p:
            continue
        shift_by = amap.step * candidate // p
        if all(amap.phases[q + candidate] == shift(amap.phases[q], shift_by) for q in range(p - candidate)):
            return AxisMap(candidate, shift_by, amap.phases[:candidate])
    return amap


def fit_to_units(amap: AxisMap, units: int) -> AxisMap:
    """The map as the `units` outputs that exist show it: when they hold at most one period of the
    pattern, the smallest period that describes them (adaptive pooling 7 -> 3 reads 0-2, 2-4, 4-6: one
    window at stride 2, not a pattern of period 3 that never repeats inside the tensor). The units that
    exist read the same sets; only the imagined units beyond the borders (padding) follow the fit."""
    if amap.period == 1 or units < 2 or amap.period < units:
        return amap
    phases = [amap.reads(o) for o in range(units)]
    if not all(phases):
        return amap
    shapes = [shift(p, -p[0][0]) for p in phases]
    steps = [b[0][0] - a[0][0] for a, b in zip(phases, phases[1:])]
    common = _periods(shapes) & _periods(steps)
    period = min(c for c in common if c < units) if any(c < units for c in common) else None
    if period is None:
        return amap
    return AxisMap(period, phases[period][0][0] - phases[0][0][0], tuple(phases[:period]))


def _periods(items: list) -> set[int]:
    """Every p in 1..len(items) with items[i] == items[i + p] wherever both exist (KMP borders)."""
    border = [0] * len(items)
    for i in range(1, len(items)):
        k = border[i - 1]
        while k and items[i] != items[k]:
            k = border[k - 1]
        border[i] = k + (items[i] == items[k])
    found, k = set(range(len(items), len(items) + 2)), border[-1] if items else 0
    while k:
        found.add(len(items) - k)
        k = border[k - 1]
    return found


@dataclass(frozen=True)
class AxisField:
    """What each unit along one axis of a tensor sees of the network input's axis, borders included.

    `pattern` is the border-free periodic map (r, j and start come from it). Near the borders a unit
    may see less than the pattern says (a padded position is a constant, not a view of the pixels
    beyond a dropped edge); those units are listed in `exceptions` with their exact sets.
    """

    pattern: AxisMap
    units: int
    input_size: int
    exceptions: tuple[tuple[int, Intervals], ...] = ()

    def sees(self, unit: int) -> Intervals:
        """The exact input indices unit `unit` depends on."""
        for index, exact in self.exceptions:
            if index == unit:
                return exact
        return clip(self.pattern.reads(unit), self.input_size)

    def border_zones(self) -> tuple[int, int]:
        """(h, t): units [0, h) and [units - t, units) may differ from the clipped pattern."""
        half = self.units / 2
        head = max((i + 1 for i, _ in self.exceptions if i < half), default=0)
        tail = max((self.units - i for i, _ in self.exceptions if i >= half), default=0)
        return head, tail

    def seen_by_any(self) -> Intervals:
        """Input indices that at least one unit sees (border units as exceptions say, the rest by pattern)."""
        head, tail = self.border_zones()
        pieces = [p for o in [*range(min(head, self.units)), *range(max(head, self.units - tail), self.units)]
                  for p in self.sees(o)]
        middle = self.units - tail - head
        for q in range(min(self.pattern.period, max(middle, 0))):
            first = head + q
            repeats = (middle - q + self.pattern.period - 1) // self.pattern.period
            unit_map = AxisMap(1, self.pattern.step, (self.pattern.reads(first),))
            pieces.extend(_reads_union(unit_map, ((0, repeats - 1),)))
        return clip(merge_intervals(pieces), self.input_size)


def input_field(size: int) -> AxisField:
    """The network input itself: pixel i sees pixel i."""
    return AxisField(IDENTITY, size, size)


def _border_units(layer: AxisMap, units: int, inner: AxisField) -> list[int]:
    """Output units whose reads touch the inner tensor's padding or its border exceptions.

    Exact per phase (reads need not be monotone in the unit index: a dilated transposed conv's are not):
    unit q + m*period reads phases[q] shifted by m*step.
    """
    head, tail = inner.border_zones()
    low_ok, high_ok = head, inner.units - tail  # inner units in [low_ok, high_ok) follow the pattern
    found: set[int] = set()
    for q, reads in enumerate(layer.phases):
        repeats = max(0, -(-(units - q) // layer.period))
        if not reads or not repeats:
            continue
        first, last = reads[0][0], reads[-1][1]
        if layer.step == 0:
            touching = range(repeats) if first < low_ok or last >= high_ok else range(0)
            found.update(q + m * layer.period for m in touching)
            continue
        left_end = min(repeats, max(0, -(-(low_ok - first) // layer.step)))
        right_start = max(left_end, min(repeats, max(0, -(-(high_ok - last) // layer.step))))
        found.update(q + m * layer.period for m in range(left_end))
        found.update(q + m * layer.period for m in range(right_start, repeats))
    return sorted(found)


def advance(layer: AxisMap, units: int, inner: AxisField) -> AxisField:
    """The field of a layer's output: `layer` maps its output units to inner's units."""
    if layer == IDENTITY and units == inner.units:  # elementwise layers: nothing changes
        return inner
    pattern = fit_to_units(compose(layer, inner.pattern), units)
    exceptions = []
    for o in _border_units(layer, units, inner):
        exact = merge_intervals(p for i in _indices(clip(layer.reads(o), inner.units)) for p in inner.sees(i))
        if exact != clip(pattern.reads(o), inner.input_size):
            exceptions.append((o, exact))
    return AxisField(pattern, units, inner.input_size, tuple(exceptions))


def unite(fields: list[AxisField]) -> AxisField:
    """Field of a merge: each unit sees what it sees in any branch (branches have equal sizes)."""
    try:
        pattern = union([f.pattern for f in fields])
    except ValueError:  # branches advance at different rates: spell out every unit
        units = fields[0].units
        pattern = explicit_map([merge_intervals(p for f in fields for p in f.pattern.reads(o))
                                for o in range(units)], 0)
    first = fields[0]
    pattern = fit_to_units(pattern, first.units)
    special = sorted({i for f in fields for i, _ in f.exceptions})
    exceptions = []
    for o in special:
        exact = merge_intervals(p for f in fields for p in f.sees(o))
        if exact != clip(pattern.reads(o), first.input_size):
            exceptions.append((o, exact))
    return AxisField(pattern, first.units, first.input_size, tuple(exceptions))


def _indices(intervals: Intervals) -> Iterable[int]:
    for lo, hi in intervals:
        yield from range(lo, hi + 1)


# --- N-D: what a unit sees is a union of per-axis products ---------------------------------------
# A layer acts on each axis separately, so one branch's units see a product of per-axis sets (a
# "term"). A merge unites branches, and the union of products is generally not a product (a 1x5 and
# a 5x1 branch see a cross), so after merges a tensor carries several terms.

Term = tuple[AxisField, ...]
Box = tuple[Intervals, ...]  # a product of per-axis index sets


def _subset(small: Intervals, big: Intervals) -> bool:
    return not small or merge_intervals(small + big) == big


def term_contains(outer: Term, inner: Term) -> bool:
    """True when, at every position, inner's set is inside outer's (checked axis by axis)."""
    return all(a == b or _field_contains(a, b) for a, b in zip(outer, inner))


def _field_contains(outer: AxisField, inner: AxisField) -> bool:
    """Every unit of `inner` sees a subset of what the same unit of `outer` sees. Border units are
    compared exactly; in between, one common period of the patterns decides when the jumps agree
    (a pattern containment that fails only outside the input just keeps both terms: still exact)."""
    units = outer.units
    head = max(outer.border_zones()[0], inner.border_zones()[0])
    tail = max(outer.border_zones()[1], inner.border_zones()[1])
    borders = [*range(min(head, units)), *range(max(head, units - tail), units)]
    if not all(_subset(inner.sees(o), outer.sees(o)) for o in borders):
        return False
    end = units - tail
    if outer.pattern.jump == inner.pattern.jump:
        period = outer.pattern.period * inner.pattern.period // gcd(outer.pattern.period, inner.pattern.period)
        end = min(end, head + period)
    return all(_subset(inner.pattern.reads(o), outer.pattern.reads(o)) for o in range(head, end))


def box_contains(outer: Box, inner: Box) -> bool:
    """True when the box `inner` lies inside `outer`."""
    return all(_subset(b, a) for a, b in zip(outer, inner))


def absorb(items: list, contains) -> list:
    """The items that no other item contains (duplicates kept once)."""
    kept: list = []
    for item in items:
        if any(k == item or contains(k, item) for k in kept):
            continue
        kept = [k for k in kept if not contains(item, k)] + [item]
    return kept


def boxes_at(terms: tuple[Term, ...], position: tuple[int, ...]) -> tuple[Box, ...]:
    """The exact set seen by the unit at `position`, as a union of boxes."""
    boxes = (tuple(field.sees(o) for field, o in zip(term, position)) for term in terms)
    return tuple(box for box in boxes if all(box))


def seen_boxes(terms: tuple[Term, ...]) -> tuple[Box, ...]:
    """Everything any unit sees (what a flatten or global pooling layer then depends on)."""
    boxes = (tuple(field.seen_by_any() for field in term) for term in terms)
    return tuple(absorb([box for box in boxes if all(box)], box_contains))
