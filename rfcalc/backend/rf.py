"""Measuring receptive fields: which input positions can change a unit, found by propagating
dependency masks backward through the kernels' own `depends` rules, and compared position by
position with what the analyzer claims.

Every query (one output position of one layer) is one bit; masks are bit-packed along a trailing
byte axis, so one numpy OR moves eight queries per byte and thousands per position. One backward
sweep per batch of queries carries every query from its layer down to the input. Layers whose
dependency rule is the identity (activations, batch norm, ...) see exactly what their input sees, so
they share their input's queries instead of sending their own. The input mask's bit q is then the
exact N-D set of input positions query q depends on (not assumed separable per axis).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import prod
from typing import Callable, Optional, Sequence

import numpy as np

from ..spec import INPUT
from .engine import Network

Intervals = tuple[tuple[int, int], ...]
# Expected set of one query: a union of boxes, each a tuple of per-axis interval tuples.
Expected = tuple[tuple[Intervals, ...], ...]

ALL_POSITIONS = 256  # layers with at most this many positions are checked at every position
MAX_SAMPLED = 128  # otherwise at most about this many: borders, centre, phases and a fixed sample
SAMPLE = 16
MAX_REPORTED = 5  # mismatching positions described per layer


@dataclass(frozen=True)
class AxisHint:
    """What the analyzer says about one axis of a layer's output: its period and border zones."""

    period: int = 1
    head: int = 0
    tail: int = 0


@dataclass(frozen=True)
class RFMismatch:
    """One output position whose measured set differs from the analyzed one."""

    position: tuple[int, ...]
    measured: tuple[Intervals, ...]  # per axis: the projection of the measured set
    analyzed: tuple[Intervals, ...]
    measured_is_box: bool  # the measured set is the product of its projections
    measured_count: int
    analyzed_count: int

    def describe(self) -> str:
        """One line: where, and per axis what was measured against what was analyzed."""
        parts = []
        for axis, (m, a) in enumerate(zip(self.measured, self.analyzed)):
            if m != a:
                parts.append(f"axis {axis}: measured {format_intervals(m)} vs analyzed {format_intervals(a)}")
        if not parts:
            parts.append(f"{self.measured_count} positions measured vs {self.analyzed_count} analyzed")
        if not self.measured_is_box:
            parts.append("the measured set is not a product of per-axis sets")
        return f"at {list(self.position)}: " + "; ".join(parts)


@dataclass
class LayerRF:
    """The receptive-field check of one layer."""

    name: str
    checked: int = 0
    every_position: bool = False
    mismatch_count: int = 0
    mismatches: list[RFMismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every checked position matched."""
        return self.mismatch_count == 0


def format_intervals(intervals: Intervals) -> str:
    """(2, 5), (7, 7) -> '2-5,7'; empty -> 'nothing'."""
    if not intervals:
        return "nothing"
    return ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)


def intervals_of(flags: np.ndarray) -> Intervals:
    """The runs of True in a boolean vector, as inclusive intervals."""
    padded = np.concatenate(([False], flags.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return tuple((int(lo), int(hi) - 1) for lo, hi in zip(edges[::2], edges[1::2]))


def select_positions(sizes: Sequence[int], hints: Sequence[AxisHint], seed: int = 0) -> tuple[np.ndarray, bool]:
    """Output positions to check, (Q, ndim), and whether that is every position: all of them for small
    layers; else corners, centre, borders, every phase of periodic axes and a deterministic sample."""
    sizes = tuple(sizes)
    if not sizes:
        return np.zeros((1, 0), dtype=np.int64), True
    if prod(sizes) <= ALL_POSITIONS:
        return np.indices(sizes).reshape(len(sizes), -1).T, True
    per_axis, centres, phases = [], [], []
    for n, hint in zip(sizes, hints):
        c = (n - 1) // 2
        first = min(c, max(0, n - hint.period))
        run = range(first, first + min(hint.period, n, 256))  # consecutive: every phase of the period
        picks = {0, 1, c - 1, c, c + 1, n - 2, n - 1, *run, *range(min(hint.head, 4)),
                 *(n - 1 - k for k in range(min(hint.tail, 4)))}
        per_axis.append(sorted(i for i in picks if 0 <= i < n))
        centres.append(c)
        phases.append(list(range(first, first + min(hint.period, n, 4))))
    if prod(len(p) for p in per_axis) <= MAX_SAMPLED:
        chosen = set(itertools.product(*per_axis))
    else:
        chosen = set(itertools.product(*({0, c, n - 1} for n, c in zip(sizes, centres))))
        for axis, picks in enumerate(per_axis):
            for i in picks:
                chosen.add(tuple(i if a == axis else c for a, c in enumerate(centres)))
        if prod(len(p) for p in phases) <= 64:
            chosen.update(itertools.product(*phases))
        rng = np.random.default_rng(seed)
        chosen.update(tuple(int(v) for v in rng.integers(0, sizes)) for _ in range(SAMPLE))
    return np.array(sorted(chosen), dtype=np.int64).reshape(-1, len(sizes)), False


def check_receptive_fields(network: Network, expected: Callable[[int, tuple[int, ...]], Expected],
                           hints: Callable[[int], Sequence[AxisHint]], budget_bytes: int = 256 << 20,
                           on_step: Optional[Callable[[int, int], None]] = None) -> dict[str, LayerRF]:
    """Measure the RF of chosen positions of every layer and compare with `expected(node index, position)`.

    `hints(node index)` gives the analyzer's period and border zones per axis (used only to choose
    positions). `on_step(done, total)` reports progress in node steps.
    """
    spec = network.spec
    input_sizes = tuple(spec.input.shape[1:])
    results = {node.name: LayerRF(node.name) for node in spec.nodes}
    if not input_sizes:
        return results
    canonical = _canonical_nodes(network)
    aliases: dict[int, list[int]] = {}
    for node in spec.nodes:
        aliases.setdefault(canonical[node.index], []).append(node.index)
    queries: list[tuple[int, tuple[int, ...]]] = []
    for index in sorted(aliases):
        sizes = network.shapes[spec.nodes[index].name][1:]
        positions, every = select_positions(sizes, hints(index), seed=index)
        for alias in aliases[index]:
            results[spec.nodes[alias].name].every_position = every
        queries.extend((index, tuple(int(v) for v in p)) for p in positions)
    largest = max(prod(shape[1:]) for shape in network.shapes.values())
    per_batch = max(8, 8 * (budget_bytes // (8 * largest)))
    batches = [queries[i:i + per_batch] for i in range(0, len(queries), per_batch)]
    total = sum(1 + max(q[0] for q in batch) for batch in batches)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_step is not None:
            on_step(done, total)

    for batch in batches:
        measured = _sweep(network, batch, tick)
        _compare(network, batch, measured, aliases, expected, input_sizes, results)
    return results


def _canonical_nodes(network: Network) -> dict[int, int]:
    """Per node, the earliest node whose units see exactly what its units see (itself unless pointwise)."""
    index_of = network.spec.graph.index
    canonical: dict[int, int] = {}
    for node, kernel in zip(network.spec.nodes, network.kernels):
        parent = node.inputs[0]
        if (len(node.inputs) == 1 and parent != INPUT and kernel.pointwise()
                and network.shapes[parent][1:] == kernel.out_shape[1:]):
            canonical[node.index] = canonical[index_of[parent]]
        else:
            canonical[node.index] = node.index
    return canonical


def _sweep(network: Network, batch: list[tuple[int, tuple[int, ...]]], tick: Callable[[], None]) -> np.ndarray:
    """One backward pass carrying the batch's query bits to the input: (*input spatial, bytes)."""
    spec = network.spec
    width = -(-len(batch) // 8)
    by_node: dict[int, tuple[list, list]] = {}
    for bit, (index, position) in enumerate(batch):
        by_node.setdefault(index, ([], []))[0].append(position)
        by_node[index][1].append(bit)
    masks: dict[str, np.ndarray] = {}
    last = max(by_node)
    for node, kernel in zip(reversed(spec.nodes[:last + 1]), reversed(network.kernels[:last + 1])):
        tick()
        mask = masks.pop(node.name, None)
        if node.index in by_node:
            positions, bits = by_node[node.index]
            sizes = kernel.out_shape[1:]
            mask = np.zeros((*sizes, width), np.uint8) if mask is None else np.array(mask)
            bits = np.array(bits)
            index = tuple(np.array(positions, dtype=np.int64).reshape(len(bits), len(sizes)).T) + (bits // 8,)
            mask[index] |= (1 << (bits % 8)).astype(np.uint8)
        if mask is None:
            continue
        for name, needed in zip(node.inputs, kernel.depends(mask)):
            masks[name] = needed if name not in masks else masks[name] | needed
    return masks.get(INPUT, np.zeros((*spec.input.shape[1:], width), np.uint8))


def _compare(network: Network, batch, measured: np.ndarray, aliases: dict[int, list[int]],
             expected: Callable[[int, tuple[int, ...]], Expected], input_sizes: tuple[int, ...],
             results: dict[str, LayerRF]) -> None:
    """Check every layer's claim for the batch's queries against the measured bits. The claims of the
    node that sent a query are compared for all bits at once; an alias (a pointwise layer sharing the
    query) whose claim differs anywhere gets a comparison of its own."""
    spec = network.spec
    width = measured.shape[-1]
    claims = [expected(index, position) for index, position in batch]
    bits_of: dict[int, list[int]] = {}
    for bit, (index, _) in enumerate(batch):
        bits_of.setdefault(index, []).append(bit)
    variants = []
    for index, bits in bits_of.items():
        for alias in aliases[index]:
            results[spec.nodes[alias].name].checked += len(bits)
            if alias != index:
                mine = [expected(alias, batch[b][1]) for b in bits]
                if mine != [claims[b] for b in bits]:
                    variants.append((alias, bits, mine))
    differing = {alias for alias, _, _ in variants}
    for bit in _mismatching_bits(measured, range(len(batch)), claims, input_sizes, width):
        for alias in aliases[batch[bit][0]]:
            if alias not in differing:
                _record(results[spec.nodes[alias].name], measured, bit, batch[bit][1], claims[bit], input_sizes)
    for alias, bits, mine in variants:
        for bit in _mismatching_bits(measured, bits, mine, input_sizes, width):
            _record(results[spec.nodes[alias].name], measured, bit, batch[bit][1], mine[bits.index(bit)],
                    input_sizes)


def _mismatching_bits(measured: np.ndarray, bits, claims: list[Expected], input_sizes, width) -> list[int]:
    """Bits (among `bits`, with `claims` in the same order) whose measured set differs from the claim."""
    bits = list(bits)
    nd = len(input_sizes)
    selected = np.zeros(width, np.uint8)
    expected = np.zeros(tuple(input_sizes) + (width,), np.uint8)
    for k in range(max((len(claim) for claim in claims), default=0)):
        # the k-th box of every claim at once: a product of per-axis bit columns
        per_axis = [np.zeros((n, width), np.uint8) for n in input_sizes]
        for b, claim in zip(bits, claims):
            if k < len(claim):
                byte, value = b // 8, np.uint8(1 << (b % 8))
                for axis, n in enumerate(input_sizes):
                    for lo, hi in claim[k][axis]:
                        per_axis[axis][max(lo, 0):min(hi, n - 1) + 1, byte] |= value
        box = per_axis[0].reshape((input_sizes[0],) + (1,) * (nd - 1) + (width,))
        for axis in range(1, nd):
            shape = [1] * nd + [width]
            shape[axis] = input_sizes[axis]
            box = box & per_axis[axis].reshape(shape)
        expected |= box
    for b in bits:
        selected[b // 8] |= np.uint8(1 << (b % 8))
    diff = np.bitwise_or.reduce(((measured ^ expected) & selected).reshape(-1, width), axis=0)
    flags = np.unpackbits(diff, bitorder="little")
    return [b for b in bits if flags[b]]


def _record(result: LayerRF, measured: np.ndarray, bit: int, position, claim: Expected, input_sizes) -> None:
    """Count a mismatch and describe the first few."""
    result.mismatch_count += 1
    if len(result.mismatches) >= MAX_REPORTED:
        return
    seen = (measured[..., bit // 8] >> (bit % 8)) & 1
    seen = seen.astype(bool)
    nd = len(input_sizes)
    projections = tuple(intervals_of(seen.any(axis=tuple(a for a in range(nd) if a != axis)))
                        for axis in range(nd))
    box = np.ones((), bool)
    for axis, proj in enumerate(projections):
        flags = np.zeros(input_sizes[axis], bool)
        for lo, hi in proj:
            flags[lo:hi + 1] = True
        box = np.multiply.outer(box, flags)
    claimed = np.zeros(tuple(input_sizes), bool)
    for claimed_box in claim:
        claimed[np.ix_(*(_mask(claimed_box[axis], n) for axis, n in enumerate(input_sizes)))] = True
    analyzed = tuple(intervals_of(claimed.any(axis=tuple(a for a in range(nd) if a != axis)))
                     for axis in range(nd))
    result.mismatches.append(RFMismatch(tuple(position), projections, analyzed, bool((box == seen).all()),
                                        int(seen.sum()), int(claimed.sum())))


def _mask(intervals: Intervals, n: int) -> np.ndarray:
    """Boolean flags over [0, n) of the intervals."""
    flags = np.zeros(n, bool)
    for lo, hi in intervals:
        flags[max(lo, 0):min(hi, n - 1) + 1] = True
    return flags
