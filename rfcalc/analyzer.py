"""The one propagation loop: every number rfcalc reports is made here, layer by layer."""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import gcd, prod
from typing import Optional

from . import axis as ax
from .errors import SpecError
from .gcpause import gc_paused
from .layers import LayerError
from .layers.base import MAX_EXTENT
from .report import AxisRF, LayerResult, Report, Totals, sum_ops
from .spec import INPUT, Node, Spec, layer_label
from .units import format_fraction

Fields = Optional[tuple[ax.AxisField, ...]]  # None: every unit sees the whole input


@dataclass(frozen=True)
class _State:
    """What flows along an edge: the tensor's shape and what its units see of the network input."""

    shape: tuple[int, ...]
    fields: Fields  # per axis, the union over terms: r, j and start come from it
    rf: tuple[AxisRF, ...] = ()
    terms: Optional[tuple[ax.Term, ...]] = None  # when set: the exact union of per-axis products
    boxes: tuple[ax.Box, ...] = ()  # when fields is None: the input pixels every unit depends on

    def exact_terms(self) -> tuple[ax.Term, ...]:
        """The terms whose union is exactly what each unit sees."""
        return self.terms if self.terms is not None else (self.fields,)

    def seen(self) -> tuple[ax.Box, ...]:
        """Input pixels that some unit of this tensor depends on."""
        return self.boxes if self.fields is None else ax.seen_boxes(self.exact_terms())


@gc_paused
def analyze(spec: Spec) -> Report:
    """Propagate shapes, receptive fields, parameters, costs and memory through the spec."""
    input_shape = tuple(spec.input.shape)
    input_sizes = input_shape[1:]
    states = {INPUT: _State(input_shape, tuple(ax.input_field(n) for n in input_sizes))}
    element_bytes = spec.input.batch * spec.input.dtype_bytes
    results: list[LayerResult] = []
    dropped: dict[str, tuple] = {}
    param_counts: dict[str, int] = {}
    first_beyond_input = first_covering = None
    for node in spec.nodes:
        sources = [states[name] for name in node.inputs]
        try:
            facts = node.layer.facts([s.shape for s in sources])
            if max(facts.output_shape[1:], default=1) > MAX_EXTENT:
                raise LayerError(f"output shape {list(facts.output_shape)} exceeds {MAX_EXTENT:,} on a spatial axis")
            fields, merge_warnings = _propagate(node, sources, facts)
            terms, boxes, term_notes = _exact_sets(sources, facts)
        except (LayerError, ax.PatternTooLong) as exc:
            message = str(exc)
            if len(sources) > 1:
                message += " (inputs: " + ", ".join(f"'{name}' {list(state.shape)}"
                                                    for name, state in zip(node.inputs, sources)) + ")"
            raise SpecError(message, node.location, layer_label(node.index, node.name, node.layer.type)) from None
        passed_through = len(sources) == 1 and fields is not None and fields is sources[0].fields
        rf = sources[0].rf if passed_through and sources[0].rf else _axis_rfs(fields, input_sizes, boxes)
        states[node.name] = state = _State(facts.output_shape, fields, rf, terms, boxes)
        dropped[node.name] = facts.dropped
        params, notes = _own_params(node, facts.params, param_counts)
        notes += term_notes
        warnings = list(facts.warnings) + merge_warnings + _gridding(rf, sources)
        if first_beyond_input is None and any(r.size_max > n for r, n in zip(rf, input_sizes)):
            first_beyond_input = node.name
            notes.append("from this layer on, the RF is larger than the input (it reaches into padding)")
        if first_covering is None and _covers_input(fields):
            first_covering = node.name
            notes.append("from this layer on, every unit sees the whole input")
        ops = {"mac": 2 * facts.macs, **facts.ops} if facts.macs else dict(facts.ops)
        results.append(LayerResult(
            node.index, node.name, node.layer.type, node.inputs, facts.output_shape, rf, params,
            params if node.trainable else 0, facts.buffers if not node.share_params_with else 0,
            facts.macs, ops, prod(facts.output_shape) * element_bytes, tuple(warnings), tuple(notes),
            node.location, fields, state.exact_terms() if fields is not None else None, boxes))
    drop_warnings, drop_notes = _dropped_pixels(spec, states, dropped)
    results = [replace(r, warnings=tuple(drop_warnings.get(r.name, ())) + r.warnings,
                       notes=tuple(drop_notes.get(r.name, ())) + r.notes)
               if r.name in drop_warnings or r.name in drop_notes else r for r in results]
    network_warnings = _unseen_pixels(spec, states, input_sizes)
    pixel_loss = network_warnings + [f"{name}: {w}" for name, ws in drop_warnings.items() for w in ws]
    misaligned = [f"{r.name}: {w}" for r in results for w in r.warnings if MISALIGNED in w]
    return Report(spec.name, spec.source, input_shape, spec.input.batch, spec.input.dtype, tuple(results),
                  _totals(spec, results, element_bytes), tuple(network_warnings), pixel_loss=tuple(pixel_loss),
                  misaligned=tuple(misaligned))


def _propagate(node: Node, sources: list[_State], facts) -> tuple[Fields, list[str]]:
    """Advance the inputs' fields through the layer; for merges, unite the branches first."""
    if facts.axis_maps is None or any(s.fields is None for s in sources):
        return None, []
    if len(facts.axis_maps) != len(sources[0].fields):
        raise LayerError("the layer changed the number of spatial axes")
    sizes = facts.output_shape[1:]
    if len(sources) == 1:
        fields = tuple(ax.advance(own, n, inner) for own, n, inner in zip(facts.axis_maps, sizes, sources[0].fields))
        unchanged = all(new is old for new, old in zip(fields, sources[0].fields))
        return (sources[0].fields if unchanged else fields), []
    merged, warnings = [], []
    for axis, (own, n) in enumerate(zip(facts.axis_maps, sizes)):
        branches = [s.fields[axis] for s in sources]
        misaligned = _misalignment(node.inputs, [b.pattern for b in branches])
        if misaligned:
            warnings.append(f"axis {axis}: {MISALIGNED}: {misaligned}; the merged RF is their union")
        merged.append(ax.advance(own, n, ax.unite(branches)))
    return tuple(merged), warnings


MISALIGNED = "misaligned branches"
MAX_TERMS = 16  # separate branch shapes kept exactly; beyond, the per-axis hull stands for them


def _exact_sets(sources: list[_State], facts) -> tuple[Optional[tuple[ax.Term, ...]], tuple[ax.Box, ...], list[str]]:
    """(terms, boxes, notes) of the layer's output: the exact N-D sets its units see."""
    if facts.axis_maps is None or any(s.fields is None for s in sources):
        boxes = ax.absorb([box for s in sources for box in s.seen()], ax.box_contains)
        return None, tuple(boxes), []
    if len(sources) == 1 and sources[0].terms is None:
        return None, (), []
    sizes = facts.output_shape[1:]
    terms = [tuple(ax.advance(own, n, field) for own, n, field in zip(facts.axis_maps, sizes, term))
             for s in sources for term in s.exact_terms()]
    terms = ax.absorb(terms, ax.term_contains)
    if len(terms) == 1:
        return None, (), []
    if len(terms) > MAX_TERMS:
        return None, (), [f"units see a union of {len(terms)} differently shaped regions; the per-axis hull "
                          f"stands for it (exact up to {MAX_TERMS})"]
    return tuple(terms), (), []


def _misalignment(names, patterns: list[ax.AxisMap]) -> Optional[str]:
    """How the branches' RF centres differ, over one period of output positions (None if they agree)."""
    if len({m.jump for m in patterns}) > 1:
        return " vs ".join(f"'{name}' j={_fmt(m.jump)}" for name, m in zip(names, patterns)) + " (different jumps)"
    period = 1
    for m in patterns:
        period = period * m.period // gcd(period, m.period)
    parts = []
    for name, m in zip(names[1:], patterns[1:]):
        offsets = [_centre(m, o) - _centre(patterns[0], o) for o in range(min(period, ax.MAX_PHASES))
                   if _centre(m, o) is not None and _centre(patterns[0], o) is not None]
        if not offsets or not any(offsets):
            continue
        low, high = min(offsets), max(offsets)
        spread = f"{_fmt(low)} pixels" if low == high else \
            f"{_fmt(low)}..{_fmt(high)} pixels depending on position (mean {_fmt(sum(offsets, Fraction(0)) / len(offsets))})"
        parts.append(f"the RF centres of '{name}' are off those of '{names[0]}' by {spread}, j={_fmt(m.jump)}")
    return "; ".join(parts) or None


def _dropped_pixels(spec: Spec, states: dict, dropped: dict[str, tuple]) -> tuple[dict, dict]:
    """(warnings, notes) per layer about pixels at the end of a tensor that a window layer never reads:
    a warning when no layer reading that tensor reads them, a note when another one does."""
    readers = spec.graph.readers
    warnings: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    for tensor, names in readers.items():
        for name in names:
            for axis, (count, why) in enumerate(dropped[name]):
                if not count:
                    continue
                text = f"axis {axis}: the last {count} input pixel(s) of {states[tensor].shape[1 + axis]} are never read ({why})"
                covering = [other for other in names
                            if not dropped[other] or dropped[other][axis][0] < count]
                if covering:
                    notes.setdefault(name, []).append(f"{text}, but '{covering[0]}' reads them")
                else:
                    warnings.setdefault(name, []).append(text)
    return warnings, notes


def _centre(amap: ax.AxisMap, index: int) -> Optional[Fraction]:
    """Centre of output `index`'s RF in input pixel coordinates (None when it reads nothing)."""
    reads = amap.reads(index)
    if not reads:
        return None
    return Fraction(reads[0][0] + reads[-1][1] + 1, 2)


def _fmt(value) -> str:
    return format_fraction(Fraction(value)) if value is not None else "-"


def _axis_rfs(fields: Fields, input_sizes: tuple[int, ...], boxes: tuple[ax.Box, ...] = ()) -> tuple[AxisRF, ...]:
    """The r/j/start summary of each axis's border-free pattern; for whole-input layers, r is the
    input size and the support the pixels actually reached."""
    if fields is None:
        seen = [ax.count(ax.merge_intervals(p for box in boxes for p in box[axis])) for axis in range(len(input_sizes))]
        return tuple(AxisRF(n, n, None, Fraction(n, 2), Fraction(0), k, k, True, True)
                     for n, k in zip(input_sizes, seen))
    rfs = []
    for amap in (f.pattern for f in fields):
        extents = [(p[-1][1] - p[0][0] + 1) if p else 0 for p in amap.phases]
        supports = [ax.count(p) for p in amap.phases]
        first = amap.phases[0]
        low = first[0][0] if first else 0
        start = _centre(amap, 0) if first else Fraction(1, 2)
        rfs.append(AxisRF(min(extents), max(extents), amap.jump, start, Fraction(-low),
                          min(supports), max(supports), amap.uniform))
    return tuple(rfs)


def _own_params(node: Node, params: int, seen: dict[str, int]) -> tuple[int, list[str]]:
    """Parameters this node adds: none when it shares another layer's parameters."""
    seen[node.name] = params
    if node.share_params_with is None:
        return params, []
    owner = node.share_params_with
    if seen.get(owner) != params:
        raise SpecError(f"share_params_with '{owner}': that layer has {seen.get(owner, 0):,} parameters, "
                        f"this one needs {params:,}", node.location,
                        layer_label(node.index, node.name, node.layer.type))
    return 0, [f"shares its {params:,} parameters with '{owner}' (counted once)"]


def _gridding(rf: tuple[AxisRF, ...], sources: list[_State]) -> list[str]:
    """Warn where a layer's units first get RFs with holes (gridding from dilation)."""
    holed = [(axis, r) for axis, r in enumerate(rf) if r.has_holes and not r.whole_input]
    if not holed:
        return []
    if any(r.has_holes for s in sources for r in s.rf):
        return []
    return [f"axis {axis}: gridding: the RF spans r={r.size_min} but a unit sees only {r.support_min} of those "
            f"pixels (holes from dilation); add a dilation-1 layer to fill them" if r.uniform else
            f"axis {axis}: gridding: RFs span r={r.size_min}..{r.size_max} but units see only "
            f"{r.support_min}..{r.support_max} of those pixels (holes from dilation)" for axis, r in holed]


def _covers_input(fields: Fields) -> bool:
    """True when every unit sees the whole input (units' sets are monotone, so the end units decide)."""
    if fields is None:
        return True
    if not fields:
        return False
    for field in fields:
        whole = ((0, field.input_size - 1),)
        if field.sees(0) != whole or field.sees(field.units - 1) != whole:
            return False
    return True


def _unseen_pixels(spec: Spec, states: dict, input_sizes) -> list[str]:
    """Input pixels that no unit of a final spatial tensor sees: a network output, or a tensor that a
    flatten/linear/global layer consumes (after which every unit nominally sees the whole input)."""
    readers = spec.graph.readers
    warnings = []
    for node in spec.nodes:
        state = states[node.name]
        consumers = readers.get(node.name, [])
        final = not consumers or any(states[c].fields is None for c in consumers)
        if not final or state.fields is None:
            continue
        for axis, (field, n_in) in enumerate(zip(state.fields, input_sizes)):
            seen = field.seen_by_any()
            if ax.count(seen) < n_in:
                unseen = ax.merge_intervals(_gaps(seen, n_in))
                spans = ", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in unseen)
                warnings.append(f"{node.name}: axis {axis}: {n_in - ax.count(seen)} of {n_in} input pixels "
                                f"are never seen by any unit (indices {spans})")
    return warnings


def _gaps(intervals, size: int):
    """The parts of [0, size) not covered by sorted disjoint intervals."""
    position = 0
    for lo, hi in intervals:
        if lo > position:
            yield position, lo - 1
        position = hi + 1
    if position < size:
        yield position, size - 1


def _totals(spec: Spec, results: list[LayerResult], element_bytes: int) -> Totals:
    """Network sums, including the peak of live activations in topological order."""
    ops = sum_ops(results)
    params = sum(r.params for r in results)
    trainable = sum(r.trainable_params for r in results)
    buffers = sum(r.buffers for r in results)
    input_bytes = prod(spec.input.shape) * element_bytes
    return Totals(params, trainable, params - trainable, buffers, sum(r.macs for r in results),
                  sum(ops.values()), ops, sum(r.activation_bytes for r in results),
                  _peak_live(spec, results, input_bytes), (params + buffers) * spec.input.dtype_bytes,
                  input_bytes)


def _peak_live(spec: Spec, results: list[LayerResult], input_bytes: int) -> int:
    """Largest total of tensors alive at once, freeing each after its last consumer (network outputs stay)."""
    last_use = spec.graph.last_use
    end = len(spec.nodes)
    frees: dict[int, int] = {}
    sizes = {INPUT: input_bytes, **{r.name: r.activation_bytes for r in results}}
    for name, size in sizes.items():
        step = last_use.get(name, end)
        frees[step] = frees.get(step, 0) + size
    live = input_bytes
    peak = live
    for node, result in zip(spec.nodes, results):
        live += result.activation_bytes
        peak = max(peak, live)
        live -= frees.get(node.index, 0)
    return peak
