"""The one propagation loop: every number rfcalc reports is made here, layer by layer."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Optional

from . import axis as ax
from .errors import SpecError
from .layers import LayerError
from .report import AxisRF, LayerResult, Report, Totals
from .spec import INPUT, Node, Spec

AxisMaps = Optional[tuple[ax.AxisMap, ...]]  # None: every unit sees the whole input


@dataclass(frozen=True)
class _State:
    """What flows along an edge: the tensor's shape and its units' maps back to the network input."""

    shape: tuple[int, ...]
    maps: AxisMaps


def analyze(spec: Spec) -> Report:
    """Propagate shapes, receptive fields, parameters, costs and memory through the spec."""
    input_shape = tuple(spec.input.shape)
    input_sizes = input_shape[1:]
    states = {INPUT: _State(input_shape, (ax.IDENTITY,) * len(input_sizes))}
    element_bytes = spec.input.batch * spec.input.dtype_bytes
    results: list[LayerResult] = []
    param_counts: dict[str, int] = {}
    first_beyond_input = first_covering = None
    for node in spec.nodes:
        sources = [states[name] for name in node.inputs]
        try:
            facts = node.layer.facts([s.shape for s in sources])
            maps, merge_warnings = _propagate(node, sources, facts)
        except LayerError as exc:
            raise SpecError(str(exc), node.location, node.name) from None
        states[node.name] = _State(facts.output_shape, maps)
        rf = _axis_rfs(maps, input_sizes)
        params, notes = _own_params(node, facts.params, param_counts)
        warnings = list(facts.warnings) + merge_warnings + _gridding(node, rf, sources, input_sizes)
        if first_beyond_input is None and any(r.size_max > n for r, n in zip(rf, input_sizes)):
            first_beyond_input = node.name
            notes.append("from this layer on, the RF is larger than the input (it reaches into padding)")
        if first_covering is None and _covers_input(maps, facts.output_shape, input_sizes):
            first_covering = node.name
            notes.append("from this layer on, every unit sees the whole input")
        ops = {"mac": 2 * facts.macs, **facts.ops} if facts.macs else dict(facts.ops)
        results.append(LayerResult(
            node.index, node.name, node.layer.type, node.inputs, facts.output_shape, rf, params,
            params if node.trainable else 0, facts.buffers if not node.share_params_with else 0,
            facts.macs, ops, prod(facts.output_shape) * element_bytes, tuple(warnings), tuple(notes),
            node.location))
    network_warnings = _unseen_pixels(spec, states, input_sizes)
    return Report(spec.name, spec.source, input_shape, spec.input.batch, spec.input.dtype, tuple(results),
                  _totals(spec, results, element_bytes), tuple(network_warnings))


def _propagate(node: Node, sources: list[_State], facts) -> tuple[AxisMaps, list[str]]:
    """Compose the layer's own maps with its inputs' maps; for merges, unite the branches."""
    if facts.axis_maps is None or any(s.maps is None for s in sources):
        return None, []
    if len(facts.axis_maps) != len(sources[0].maps):
        raise LayerError("the layer changed the number of spatial axes")
    if len(sources) == 1:
        return tuple(ax.compose(own, inner) for own, inner in zip(facts.axis_maps, sources[0].maps)), []
    merged, warnings = [], []
    for axis, own in enumerate(facts.axis_maps):
        branches = [s.maps[axis] for s in sources]
        described = [f"'{name}' (j={_fmt(m.jump)}, start={_fmt(_centre(m, 0))})"
                     for name, m in zip(node.inputs, branches)]
        if len({(m.jump, _centre(m, 0)) for m in branches}) > 1:
            warnings.append(f"axis {axis}: misaligned branches: " + " vs ".join(described)
                            + "; the merged RF is their union")
        try:
            union = ax.union(branches)
        except ValueError:
            size = facts.output_shape[1 + axis]
            union = ax.AxisMap(size, 0, tuple(ax.merge_intervals(p for m in branches for p in m.reads(o))
                                              for o in range(size)))
        merged.append(ax.compose(own, union))
    return tuple(merged), warnings


def _centre(amap: ax.AxisMap, index: int) -> Optional[Fraction]:
    """Centre of output `index`'s RF in input pixel coordinates (None when it reads nothing)."""
    reads = amap.reads(index)
    if not reads:
        return None
    return Fraction(reads[0][0] + reads[-1][1] + 1, 2)


def _fmt(value) -> str:
    return "-" if value is None else str(value)


def _axis_rfs(maps: AxisMaps, input_sizes: tuple[int, ...]) -> tuple[AxisRF, ...]:
    """The r/j/start summary of each axis's map."""
    if maps is None:
        return tuple(AxisRF(n, n, None, Fraction(n, 2), Fraction(0), n, n, True, True) for n in input_sizes)
    rfs = []
    for amap in maps:
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
                        f"this one needs {params:,}", node.location, node.name)
    return 0, [f"shares its {params:,} parameters with '{owner}' (counted once)"]


def _gridding(node: Node, rf: tuple[AxisRF, ...], sources: list[_State], input_sizes) -> list[str]:
    """Warn where a layer's units first get RFs with holes (gridding from dilation)."""
    holed = [(axis, r) for axis, r in enumerate(rf) if r.has_holes and not r.whole_input]
    if not holed:
        return []
    before = [_axis_rfs(s.maps, input_sizes) for s in sources]
    if any(r.has_holes for rfs in before for r in rfs):
        return []
    return [f"axis {axis}: gridding: the RF spans r={r.size_max} but a unit sees only {r.support_min} of those "
            f"pixels (holes from dilation); add a dilation-1 layer to fill them" for axis, r in holed]


def _covers_input(maps: AxisMaps, output_shape, input_sizes) -> bool:
    """True when every unit's RF contains the whole input (maps are monotone in the output index)."""
    if maps is None:
        return True
    if len(output_shape) - 1 != len(maps) or not maps:
        return False
    for amap, n_out, n_in in zip(maps, output_shape[1:], input_sizes):
        first, last = amap.reads(0), amap.reads(n_out - 1)
        if not first or not last or first[-1][1] < n_in - 1 or last[0][0] > 0:
            return False
        if any(len(amap.reads(o)) > 1 for o in range(min(n_out, amap.period))):
            return False
    return True


def _unseen_pixels(spec: Spec, states: dict, input_sizes) -> list[str]:
    """Input pixels that no unit of any output (a layer nobody consumes) ever sees."""
    consumed = {name for node in spec.nodes for name in node.inputs}
    warnings = []
    for node in spec.nodes:
        state = states[node.name]
        if node.name in consumed or state.maps is None:
            continue
        for axis, (amap, n_in) in enumerate(zip(state.maps, input_sizes)):
            seen = ax.count(ax.covered(amap, state.shape[1 + axis], n_in))
            if seen < n_in:
                warnings.append(f"output '{node.name}', axis {axis}: {n_in - seen} of {n_in} input pixels are "
                                f"never seen by any unit")
    return warnings


def _totals(spec: Spec, results: list[LayerResult], element_bytes: int) -> Totals:
    """Network sums, including the peak of live activations in topological order."""
    ops: dict[str, int] = {}
    for layer in results:
        for kind, count in layer.ops.items():
            ops[kind] = ops.get(kind, 0) + count
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
    last_use = {INPUT: -1}
    for node in spec.nodes:
        for name in node.inputs:
            last_use[name] = node.index
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
