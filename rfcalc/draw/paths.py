"""Path counts: how many paths through the network lead from one unit down to each input pixel.

This is the effective receptive field of the network with every weight 1 and no nonlinearity (Luo et
al. 2016's uniform-weight case, where the ERF is a product of binomial-like profiles), one channel per
layer. It is computed exactly, with no framework: a unit's count is sent backward layer by layer; a
layer whose output index o reads input indices R(o) along an axis (its axis maps, the same ones the
analyzer composes) adds o's count to every index of R(o) inside the input, axis by axis; a merge sends
its count to each of its inputs, and a tensor read by several layers adds what each sends back.

By default the counts follow the local paths (rfcalc's local RF): a normalisation's or a softmax's
statistics, a global pooling kept as a 1x1 map and the gates computed from it carry no path, so a
squeeze-and-excitation block does not flatten the picture. `through_reductions=True` counts those too.
Counts are float64: exact up to 2**53, then rounded.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..axis import AxisMap, clip
from ..errors import UsageError
from ..spec import INPUT, Spec


def send_back(counts: np.ndarray, maps: Sequence[Optional[AxisMap]], sizes: Sequence[int]) -> Optional[np.ndarray]:
    """Counts over a layer's output, sent to its input of spatial `sizes` through per-axis maps (None
    on an axis: no path): along each axis, output o's slab is added to every input index o reads."""
    result = counts
    for axis, (amap, n) in enumerate(zip(maps, sizes)):
        if amap is None:
            return None
        moved = np.moveaxis(result, axis, 0)
        sent = np.zeros((n,) + moved.shape[1:])
        for o in np.flatnonzero(moved.reshape(moved.shape[0], -1).any(axis=1)):  # outputs with paths only
            for lo, hi in clip(amap.reads(int(o)), n):
                sent[lo:hi + 1] += moved[o]
        result = np.moveaxis(sent, 0, axis)
    return result


def path_counts(spec: Spec, shapes: dict[str, tuple[int, ...]], layer: str, unit: Sequence[int],
                through_reductions: bool = False) -> np.ndarray:
    """Per input pixel, the number of paths from unit `unit` of `layer` to it (see the module docstring).
    `shapes` gives every tensor's shape (channels first), the input's under INPUT."""
    index = spec.graph.index[layer]
    sizes = shapes[layer][1:]
    if len(unit) != len(sizes) or not all(0 <= u < n for u, n in zip(unit, sizes)):
        raise UsageError(f"unit {list(unit)} is not a position of '{layer}' (its output is {list(shapes[layer])})")
    seed = np.zeros(sizes)
    seed[tuple(unit)] = 1.0
    pending: dict[str, np.ndarray] = {layer: seed}
    for node in reversed(spec.nodes[:index + 1]):
        counts = pending.pop(node.name, None)
        if counts is None:
            continue
        facts = node.layer.facts([shapes[name] for name in node.inputs])
        own = facts.axis_maps
        if not through_reductions and facts.local_maps is not None:
            own = facts.local_maps
        for position, name in enumerate(node.inputs):
            sent = _sent(counts, own, facts, position, shapes[name][1:])
            if sent is not None:
                pending[name] = sent if name not in pending else pending[name] + sent
    return pending.get(INPUT, np.zeros(tuple(spec.input.shape[1:])))


def _sent(counts: np.ndarray, own, facts, position: int, sizes: tuple[int, ...]) -> Optional[np.ndarray]:
    """What a layer sends back to its input number `position` (None: no path)."""
    if own is None or counts.ndim == 0:  # every output reads every input position (flatten, linear, global)
        total = counts.sum()
        return np.full(sizes, total) if sizes else np.array(total)
    if not sizes:
        return np.array(counts.sum())
    if not facts.input_maps:
        return send_back(counts, own, sizes)
    merged = send_back(counts, own, counts.shape)  # onto the united branches, then onto this input
    return None if merged is None else send_back(merged, facts.input_maps[position], sizes)
