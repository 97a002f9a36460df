"""The one propagation loop: every number rfcalc reports is made here, layer by layer."""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import gcd, prod
from typing import Optional

from . import axis as ax
from .errors import SpecError
from .findings import (BranchJump, CentreOffset, DroppedPixels, DroppedPixelsReadElsewhere, Finding, Gridding,
                       MisalignedMerge, RFCoversInput, RFExceedsInput, RFHull, SharedParams, UnseenInput,
                       UnusedLayer, UpsamplingShift)
from .layers import LayerError
from .layers.base import MAX_EXTENT
from .report import AxisRF, LayerResult, Report, Totals, flops_by_kind, sum_flops_by_kind
from .spec import INPUT, Node, Spec, layer_label

Fields = Optional[tuple[ax.AxisField, ...]]  # None: every unit sees the whole input


@dataclass(frozen=True)
class _State:
    """What flows along an edge: the tensor's shape and what its units see of the network input."""

    shape: tuple[int, ...]
    fields: Fields  # per axis, the union over terms: r, j and start come from it
    rf: tuple[AxisRF, ...] = ()
    terms: Optional[tuple[ax.Term, ...]] = None  # when set: the exact union of per-axis products
    boxes: tuple[ax.Box, ...] = ()  # when fields is None: the input pixels every unit depends on
    # Per axis, what units see along paths through no global reduction (None on an axis: no such
    # path); None as a whole: the same as `fields`.
    local: Optional[tuple[Optional[ax.AxisField], ...]] = None

    def exact_terms(self) -> tuple[ax.Term, ...]:
        """The terms whose union is exactly what each unit sees."""
        return self.terms if self.terms is not None else (self.fields,)

    def local_fields(self, axes: int) -> tuple[Optional[ax.AxisField], ...]:
        """Per axis, the field along local paths (None where there is none)."""
        if self.local is not None:
            return self.local
        return self.fields if self.fields is not None else (None,) * axes

    def seen(self) -> tuple[ax.Box, ...]:
        """Input pixels that some unit of this tensor depends on."""
        return self.boxes if self.fields is None else ax.seen_boxes(self.exact_terms())


def analyze(spec: Spec) -> Report:
    """Propagate shapes, receptive fields, parameters, costs and memory through the spec."""
    input_shape = tuple(spec.input.shape)
    input_sizes = input_shape[1:]
    states = {INPUT: _State(input_shape, tuple(ax.input_field(n) for n in input_sizes))}
    element_bytes = spec.input.batch * spec.input.dtype_bytes
    results: list[LayerResult] = []
    dropped: dict[str, tuple[DroppedPixels, ...]] = {}
    param_counts: dict[str, int] = {}
    first_beyond_input = first_covering = None
    outputs, readers = spec.output_names, spec.graph.readers
    for node in spec.nodes:
        sources = [states[name] for name in node.inputs]
        try:
            facts = node.layer.facts([s.shape for s in sources])
            if max(facts.output_shape[1:], default=1) > MAX_EXTENT:
                raise LayerError(f"output shape {list(facts.output_shape)} exceeds {MAX_EXTENT:,} on a spatial axis")
            fields, merge_findings = _propagate(node, sources, facts)
            terms, boxes, term_findings = _exact_sets(sources, facts)
            local = _local_fields(sources, facts, fields, len(input_sizes))
        except (LayerError, ax.PatternTooLong) as exc:
            message = str(exc)
            if len(sources) > 1:
                message += " (inputs: " + ", ".join(f"'{name}' {list(state.shape)}"
                                                    for name, state in zip(node.inputs, sources)) + ")"
            raise SpecError(message, node.location, layer_label(node.index, node.name, node.layer.type)) from None
        passed_through = len(sources) == 1 and fields is not None and fields is sources[0].fields
        rf = sources[0].rf if passed_through and sources[0].rf else _axis_rfs(fields, input_sizes, boxes)
        states[node.name] = state = _State(facts.output_shape, fields, rf, terms, boxes, local)
        dropped[node.name] = facts.dropped
        params, own_findings = _own_params(node, facts.params, param_counts)
        findings = [*facts.findings, *merge_findings, *_gridding(rf, sources), *own_findings, *term_findings]
        if node.name not in readers and node.name not in outputs:
            findings.append(UnusedLayer(outputs=outputs))
        if first_beyond_input is None and any(r.size_max > n for r, n in zip(rf, input_sizes)):
            first_beyond_input = node.name
            findings.append(RFExceedsInput())
        if first_covering is None and _covers_input(fields):
            first_covering = node.name
            findings.append(RFCoversInput())
        results.append(LayerResult(
            index=node.index, name=node.name, type=node.layer.type, inputs=node.inputs,
            output_shape=facts.output_shape, rf=rf, params=params, trainable_params=params if node.trainable else 0,
            buffers=facts.buffers if not node.share_params_with else 0, macs=facts.macs,
            flops_by_kind=flops_by_kind(facts.macs, facts.ops),
            activation_bytes=prod(facts.output_shape) * element_bytes, findings=_located(findings, node),
            location=node.location, fields=fields, terms=state.exact_terms() if fields is not None else None,
            boxes=boxes, windows=facts.windows, local_rf=_local_rfs(local, rf)))
    drops = _dropped_pixels(spec, dropped)
    results = [replace(r, findings=_kept(spec, r.name, _located(drops.get(r.name, ()), spec.nodes[r.index])
                                         + r.findings)) for r in results]
    return Report(name=spec.name, source=spec.source, input_shape=input_shape, batch=spec.input.batch,
                  dtype=spec.input.dtype, layers=tuple(results), totals=_totals(spec, results, element_bytes),
                  findings=tuple(f for f in _unseen_pixels(spec, states, input_sizes) if _kept(spec, f.layer, (f,))),
                  outputs=spec.output_names)


def _kept(spec: Spec, layer: str, findings) -> tuple[Finding, ...]:
    """The findings about `layer` that neither the spec's nor the layer's `ignore:` leaves out."""
    index = spec.graph.index.get(layer)
    ignored = spec.nodes[index].ignore if index is not None else spec.ignore
    return tuple(f for f in findings if f.code not in ignored)


def _located(findings, node: Node) -> tuple[Finding, ...]:
    """The findings with the layer's name and location filled in."""
    return tuple(replace(f, layer=node.name, location=node.location) for f in findings)


def _propagate(node: Node, sources: list[_State], facts) -> tuple[Fields, list[Finding]]:
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
    merged, findings = [], []
    for axis, (own, n) in enumerate(zip(facts.axis_maps, sizes)):
        branches = _branches(facts, axis, n, [s.fields[axis] for s in sources])
        # A branch broadcast along this axis (an input of size 1 stretched) has no alignment to compare.
        aligned = [(name, b.pattern) for i, (name, b) in enumerate(zip(node.inputs, branches))
                   if not facts.input_maps or facts.input_maps[i][axis] is not ax.BROADCAST]
        misaligned = _misalignment(axis, [a for a, _ in aligned], [p for _, p in aligned]) if len(aligned) > 1 else None
        united = ax.unite(branches)
        if misaligned:
            findings.append(_with_spacing(misaligned, united) if misaligned.jumps else misaligned)
        merged.append(ax.advance(own, n, united))
    return tuple(merged), findings


def _branches(facts, axis: int, units: int, fields: list[ax.AxisField]) -> list[ax.AxisField]:
    """The inputs' fields along one axis as the merge reads them (broadcast inputs stretched)."""
    if not facts.input_maps:
        return fields
    return [ax.advance(maps[axis], units, field) for maps, field in zip(facts.input_maps, fields)]


def _local_fields(sources: list[_State], facts, fields: Fields, axes: int):
    """Per axis, what the layer's units see along paths through no global reduction (None: the same
    as `fields`). Inputs broadcast from a global statistic (a squeeze-and-excitation gate) and the
    statistics of a normalisation are left out, so that the convolutions' RF stays visible."""
    if facts.local_maps is None and all(s.local is None for s in sources):
        return None
    if facts.axis_maps is None:
        return None  # no spatial axes left: nothing local either
    own_maps = facts.local_maps or facts.axis_maps
    local = []
    for axis, (own, n) in enumerate(zip(own_maps, facts.output_shape[1:])):
        reached = [(i, s.local_fields(axes)[axis]) for i, s in enumerate(sources)]
        branches = [ax.advance(facts.input_maps[i][axis], n, f) if facts.input_maps else f
                    for i, f in reached if f is not None]
        if own is None or not branches:
            local.append(None)
        else:
            local.append(ax.advance(own, n, branches[0] if len(branches) == 1 else ax.unite(branches)))
    return tuple(local)


def _local_rfs(local, rf: tuple[AxisRF, ...]) -> tuple[Optional[AxisRF], ...]:
    """The local RF per axis (None on an axis no local path reaches) when it differs from the RF; () otherwise."""
    if local is None:
        return ()
    summaries = tuple(None if f is None else _axis_rfs((f,), (f.input_size,))[0] for f in local)
    return () if summaries == rf else summaries


MAX_TERMS = 16  # separate branch shapes kept exactly; beyond, the per-axis hull stands for them


def _exact_sets(sources: list[_State], facts) -> tuple[Optional[tuple[ax.Term, ...]], tuple[ax.Box, ...],
                                                     list[Finding]]:
    """(terms, boxes, findings) of the layer's output: the exact N-D sets its units see."""
    if facts.axis_maps is None or any(s.fields is None for s in sources):
        boxes = ax.absorb([box for s in sources for box in s.seen()], ax.box_contains)
        return None, tuple(boxes), []
    if len(sources) == 1 and sources[0].terms is None:
        return None, (), []
    sizes = facts.output_shape[1:]
    terms = [tuple(ax.advance(own, n, field) for own, n, field in zip(facts.axis_maps, sizes, term))
             for i, s in enumerate(sources) for term in _branch_terms(facts, i, sizes, s.exact_terms())]
    terms = ax.absorb(terms, ax.term_contains)
    if len(terms) == 1:
        return None, (), []
    if len(terms) > MAX_TERMS:
        return None, (), [RFHull(regions=len(terms), limit=MAX_TERMS)]
    return tuple(terms), (), []


def _branch_terms(facts, index: int, sizes, terms: tuple[ax.Term, ...]) -> tuple[ax.Term, ...]:
    """Input `index`'s terms as the layer reads them (stretched where the input is broadcast)."""
    if not facts.input_maps:
        return terms
    return tuple(tuple(ax.advance(m, n, field) for m, n, field in zip(facts.input_maps[index], sizes, term))
                 for term in terms)


def _misalignment(axis: int, names, patterns: list[ax.AxisMap]) -> Optional[MisalignedMerge]:
    """How the branches' RF centres differ, over one period of output positions (None if they agree)."""
    if len({m.jump for m in patterns}) > 1:
        return MisalignedMerge(axis=axis, jumps=tuple(BranchJump(name, m.jump) for name, m in zip(names, patterns)))
    period = 1
    for m in patterns:
        period = period * m.period // gcd(period, m.period)
    offsets = []
    for name, m in zip(names[1:], patterns[1:]):
        shifts = [_centre(m, o) - _centre(patterns[0], o) for o in range(min(period, ax.MAX_PHASES))
                  if _centre(m, o) is not None and _centre(patterns[0], o) is not None]
        if shifts and any(shifts):
            offsets.append(CentreOffset(name, names[0], min(shifts), max(shifts),
                                        sum(shifts, Fraction(0)) / len(shifts), m.jump))
    if not offsets:
        return None
    # Inherent to up-sampling: the shift alternates with the position and the branches' centres meet or
    # cross over it (a pad moves every centre alike, so a missing one shifts the whole range off zero).
    inherent = all(o.low != o.high and o.low <= 0 <= o.high for o in offsets)
    return (UpsamplingShift if inherent else MisalignedMerge)(axis=axis, offsets=tuple(offsets))


def _with_spacing(finding: MisalignedMerge, united: ax.AxisField) -> MisalignedMerge:
    """A merge of branches with different jumps, with what its units actually are: the spacing of their
    RF centres and the range of their RF sizes over the units that exist."""
    units = range(min(united.units, ax.MAX_PHASES))
    centres = [_centre(united.pattern, o) for o in units]
    gaps = [b - a for a, b in zip(centres, centres[1:]) if a is not None and b is not None]
    sizes = [reads[-1][1] - reads[0][0] + 1 for reads in map(united.pattern.reads, units) if reads]
    if not gaps:
        return finding
    return replace(finding, spacing_min=min(gaps), spacing_max=max(gaps), spacing_mean=sum(gaps, Fraction(0)) / len(gaps),
                   size_min=min(sizes), size_max=max(sizes))


def _dropped_pixels(spec: Spec, dropped: dict[str, tuple[DroppedPixels, ...]]) -> dict[str, list[DroppedPixels]]:
    """Per layer, the pixels at the end of a tensor that its windows never read: a warning when no
    layer reading that tensor reads them, a note naming the one that does otherwise."""
    def count(name: str, axis: int) -> int:
        return next((d.count for d in dropped[name] if d.axis == axis), 0)

    findings: dict[str, list[DroppedPixels]] = {}
    for names in spec.graph.readers.values():
        for name in names:
            for drop in dropped[name]:
                covering = [other for other in names if count(other, drop.axis) < drop.count]
                if covering:
                    drop = DroppedPixelsReadElsewhere(**drop.numbers(), axis=drop.axis, read_by=covering[0])
                findings.setdefault(name, []).append(drop)
    return findings


def _centre(amap: ax.AxisMap, index: int) -> Optional[Fraction]:
    """Centre of output `index`'s RF in input pixel coordinates (None when it reads nothing)."""
    reads = amap.reads(index)
    if not reads:
        return None
    return Fraction(reads[0][0] + reads[-1][1] + 1, 2)


def _axis_rfs(fields: Fields, input_sizes: tuple[int, ...], boxes: tuple[ax.Box, ...] = ()) -> tuple[AxisRF, ...]:
    """The r/j/start summary of each axis's border-free pattern; for whole-input layers, r is the
    input size and the support the pixels actually reached."""
    if fields is None:
        seen = [ax.count(ax.merge_intervals(p for box in boxes for p in box[axis])) for axis in range(len(input_sizes))]
        return tuple(AxisRF(n, n, None, Fraction(n, 2), Fraction(0), k, k, True, True)
                     for n, k in zip(input_sizes, seen))
    return tuple(_axis_rf(f.pattern, f.units, f.input_size) for f in fields)


def _axis_rf(amap: ax.AxisMap, units: int, input_size: int) -> AxisRF:
    """The summary of one axis over the units that exist: one period of the pattern, or all the units
    when the tensor holds no more than one (j is then their centres' average spacing). Units that stay
    put (j 0) and all see the whole axis (a global reduction kept as size 1, a norm's statistics) have
    the whole input as RF: jump None, as after a flatten."""
    phases = amap.phases[:max(units, 1)]
    whole = ((0, input_size - 1),)
    if amap.step == 0 and all(ax.clip(p, input_size) == whole for p in phases):
        return AxisRF(input_size, input_size, None, Fraction(input_size, 2), Fraction(0), input_size, input_size,
                      True, True)
    extents = [(p[-1][1] - p[0][0] + 1) if p else 0 for p in phases]
    supports = [ax.count(p) for p in phases]
    first = amap.phases[0]
    low = first[0][0] if first else 0
    start = _centre(amap, 0) if first else Fraction(1, 2)
    jump = amap.jump
    last = _centre(amap, units - 1)
    if amap.period >= units > 1 and first and last is not None:
        jump = (last - start) / (units - 1)
    return AxisRF(min(extents), max(extents), jump, start, Fraction(-low), min(supports), max(supports),
                  amap.uniform or units == 1)


def _own_params(node: Node, params: int, seen: dict[str, int]) -> tuple[int, list[Finding]]:
    """Parameters this node adds: none when it shares another layer's parameters."""
    seen[node.name] = params
    if node.share_params_with is None:
        return params, []
    owner = node.share_params_with
    if seen.get(owner) != params:
        raise SpecError(f"share_params_with '{owner}': that layer has {seen.get(owner, 0):,} parameters, "
                        f"this one needs {params:,}", node.location,
                        layer_label(node.index, node.name, node.layer.type))
    return 0, [SharedParams(owner=owner, params=params)]


def _gridding(rf: tuple[AxisRF, ...], sources: list[_State]) -> list[Gridding]:
    """Where a layer's units first get RFs with holes (gridding from dilation)."""
    holed = [(axis, r) for axis, r in enumerate(rf) if r.has_holes and not r.whole_input]
    if not holed or any(r.has_holes for s in sources for r in s.rf):
        return []
    return [Gridding(axis=axis, size_min=r.size_min, size_max=r.size_max, support_min=r.support_min,
                     support_max=r.support_max, uniform=r.uniform) for axis, r in holed]


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


def _unseen_pixels(spec: Spec, states: dict, input_sizes) -> list[UnseenInput]:
    """Input pixels that no unit of a final spatial tensor sees: a network output, or a tensor that a
    flatten/linear/global layer consumes (after which every unit nominally sees the whole input)."""
    readers = spec.graph.readers
    findings = []
    for node in spec.nodes:
        state = states[node.name]
        consumers = readers.get(node.name, [])
        final = not consumers or any(states[c].fields is None for c in consumers)
        if not final or state.fields is None:
            continue
        for axis, (field, n_in) in enumerate(zip(state.fields, input_sizes)):
            seen = field.seen_by_any()
            if ax.count(seen) < n_in:
                findings.append(UnseenInput(layer=node.name, axis=axis, location=node.location,
                                            unseen=n_in - ax.count(seen), size=n_in,
                                            indices=ax.merge_intervals(_gaps(seen, n_in))))
    return findings


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
    by_kind = sum_flops_by_kind(results)
    params = sum(r.params for r in results)
    trainable = sum(r.trainable_params for r in results)
    buffers = sum(r.buffers for r in results)
    input_bytes = prod(spec.input.shape) * element_bytes
    return Totals(params=params, trainable_params=trainable, non_trainable_params=params - trainable,
                  buffers=buffers, macs=sum(r.macs for r in results), flops=sum(by_kind.values()),
                  flops_by_kind=by_kind, activation_bytes=input_bytes + sum(r.activation_bytes for r in results),
                  peak_activation_bytes=_peak_live(spec, results, input_bytes),
                  param_bytes=(params + buffers) * spec.input.dtype_bytes, input_bytes=input_bytes)


def _peak_live(spec: Spec, results: list[LayerResult], input_bytes: int) -> int:
    """Largest total of tensors alive at once, freeing each after its last consumer (network outputs stay,
    even those a later layer reads)."""
    last_use, outputs = spec.graph.last_use, set(spec.output_names)
    end = len(spec.nodes)
    frees: dict[int, int] = {}
    sizes = {INPUT: input_bytes, **{r.name: r.activation_bytes for r in results}}
    for name, size in sizes.items():
        step = end if name in outputs else last_use.get(name, end)
        frees[step] = frees.get(step, 0) + size
    live = input_bytes
    peak = live
    for node, result in zip(spec.nodes, results):
        if reuses_input(spec, node):  # the output takes over its input's buffer, freed with the output
            frees[node.index] = frees.get(node.index, 0) - sizes[node.inputs[0]]
        else:
            live += result.activation_bytes
        peak = max(peak, live)
        live -= frees.get(node.index, 0)
    return peak


def reuses_input(spec: Spec, node: Node) -> bool:
    """An `inplace: true` activation whose input has no other reader (and is no network output) writes its
    output into that buffer."""
    source = node.inputs[0]
    return (bool(getattr(node.layer, "inplace", False)) and spec.graph.readers.get(source) == (node.name,)
            and source not in spec.output_names)
