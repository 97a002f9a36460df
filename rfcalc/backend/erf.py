"""Effective receptive field (Luo, Li, Urtasun & Zemel, NeurIPS 2016): how strongly each input pixel
influences a centre unit, |d y_centre / d x|, under random weights and inputs, averaged over draws.

The gradient is computed by a real backward pass: each kernel's `backward` is the transpose of its
forward map at the forward point (a convolution's gradient is the transposed convolution with the
same weights, ReLU passes gradient where its input was positive, max pooling routes it to the
window's maximum). The seed gradient is 1 at the centre position of the chosen layer, every channel
and every sample; the picture sums |gradient| over input channels and samples.

The theoretical receptive field (the analyzer's set for that unit, given by the caller: the backend
does not use the analyzer's formulas) is drawn over it, in the terminal here and as a plot by
rfcalc/draw/erf_plot.py. Every nonzero
gradient must lie inside it; how little of it carries most of the gradient is the point of the picture.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import UsageError
from ..spec import Spec
from .engine import Network

Box = tuple[tuple[int, int], ...]  # per axis (first, last) input index


@dataclass
class ERFResult:
    """The averaged gradient magnitude over the input and the theoretical RF of the unit studied."""

    spec_name: str
    layer: str
    unit: tuple[int, ...]  # position of the centre unit in the layer's output
    erf: np.ndarray  # spatial, input-shaped
    box: Box  # theoretical RF's bounding box (clipped to the input)
    samples: int

    @property
    def mass_inside(self) -> float:
        """Share of the gradient mass inside the theoretical RF (1 unless the analyzer's RF is too small)."""
        total = float(self.erf.sum())
        inside = float(self.erf[tuple(slice(lo, hi + 1) for lo, hi in self.box)].sum())
        return inside / total if total else 1.0

    def area_for_mass(self, share: float) -> float:
        """Smallest fraction of the theoretical RF's area holding `share` of the gradient mass."""
        inside = np.sort(self.erf[tuple(slice(lo, hi + 1) for lo, hi in self.box)].ravel())[::-1]
        total = inside.sum()
        if total <= 0:
            return 0.0
        needed = int(np.searchsorted(np.cumsum(inside), share * total) + 1)
        return min(needed, inside.size) / inside.size

    def sigma(self) -> tuple[float, ...]:
        """Per axis, the standard deviation of the gradient mass (the ERF is roughly Gaussian)."""
        total = self.erf.sum()
        result = []
        for axis, n in enumerate(self.erf.shape):
            marginal = self.erf.sum(axis=tuple(a for a in range(self.erf.ndim) if a != axis))
            index = np.arange(n)
            mean = (marginal * index).sum() / total if total else 0
            result.append(float(np.sqrt((marginal * (index - mean) ** 2).sum() / total)) if total else 0.0)
        return tuple(result)

    def summary(self) -> list[str]:
        """Plain-language lines: sizes, spread, and how much of the theoretical RF carries the gradient."""
        sizes = "x".join(str(hi - lo + 1) for lo, hi in self.box)
        spread = "x".join(f"{2 * s:.1f}" for s in self.sigma())
        lines = [f"unit {list(self.unit)} of '{self.layer}', {self.samples} random draw(s)",
                 f"theoretical RF (clipped to the input): {sizes} pixels; ERF spread (2 sigma): {spread} pixels",
                 f"{self.area_for_mass(0.5):.1%} of the theoretical RF's area holds half the gradient mass, "
                 f"{self.area_for_mass(0.9):.1%} holds 90%"]
        if self.mass_inside < 1 - 1e-6:
            lines.append(f"WARNING: {1 - self.mass_inside:.2%} of the gradient lies outside the analyzed RF")
        return lines


def effective_rf(spec: Spec, theoretical_box: Callable[[str, tuple[int, ...]], Box], layer: Optional[str] = None,
                 samples: int = 4, seed: int = 0, max_memory: int = 2 << 30) -> ERFResult:
    """Average |d y_centre / d x| over `samples` random draws of weights and input; `theoretical_box(layer,
    unit)` is the box the unit is claimed to see."""
    if len(spec.input.shape) < 2:
        raise UsageError("the effective receptive field needs an input with spatial axes")
    network = Network(spec)
    ndim = len(spec.input.shape) - 1
    nodes = {node.name: node for node in spec.nodes}
    if layer is None:  # Luo et al.: the centre unit of the last feature map (not a pooled 1x1)
        spatial = [node for node in spec.nodes if len(network.shapes[node.name]) - 1 == ndim]
        if not spatial:
            raise UsageError("no layer has a spatial output to study")
        maps = [node for node in spatial if min(network.shapes[node.name][1:]) > 1]
        target = (maps or spatial)[-1]
    elif layer not in nodes:
        raise UsageError(f"no layer named '{layer}' in {spec.name}")
    else:
        target = nodes[layer]
        if len(network.shapes[target.name]) - 1 != ndim:
            raise UsageError(f"layer '{layer}' has no spatial output (shape {list(network.shapes[target.name])})")
    network.check_memory(max_memory, keep_all=True, what="the ERF (every tensor kept for the backward pass)")
    sizes = network.shapes[target.name][1:]
    unit = tuple((n - 1) // 2 for n in sizes)
    total = np.zeros(spec.input.shape[1:])
    for draw in range(samples):
        weights = network.instantiate(seed + draw)
        x = network.random_input(seed + draw)
        run = network.forward(weights, x, keep=True, until=target.index)
        out = run.outputs[target.name]
        grad = np.zeros_like(out)
        grad[(slice(None),) + unit + (slice(None),)] = 1.0
        g = network.backward(weights, run, {target.name: grad})
        total += np.abs(g).sum(axis=(0, g.ndim - 1))
    return ERFResult(spec.name, target.name, unit, total / samples, theoretical_box(target.name, unit), samples)


# -- pictures ------------------------------------------------------------------------------------

SHADES = " .:-=+*#%@"


def _plane(result: ERFResult) -> tuple[np.ndarray, Box]:
    """A 2-D view: 1-D inputs as one row, 3-D inputs by their middle slice along the first axis."""
    erf, box = result.erf, result.box
    if erf.ndim == 1:
        return erf[None, :], ((0, 0),) + box
    while erf.ndim > 2:
        centre = (box[0][0] + box[0][1]) // 2
        erf, box = erf[centre], box[1:]
    return erf, box


def _bins(n: int, parts: int) -> np.ndarray:
    return np.linspace(0, n, parts + 1).astype(int)


def render_terminal(result: ERFResult, console, width: Optional[int] = None) -> None:
    """The ERF as shaded characters (linear in |gradient|, darkest = strongest), with the theoretical
    RF drawn as a box, then the summary lines."""
    from rich.text import Text

    plane, box = _plane(result)
    rows_in, cols_in = plane.shape
    cols = min(cols_in, width or max(16, min(72, (console.width or 80) - 4)))
    rows = 1 if rows_in == 1 else max(1, min(rows_in, round(cols * rows_in / cols_in / 2)))
    r_edges, c_edges = _bins(rows_in, rows), _bins(cols_in, cols)
    cells = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            block = plane[r_edges[i]:max(r_edges[i + 1], r_edges[i] + 1), c_edges[j]:max(c_edges[j + 1], c_edges[j] + 1)]
            cells[i, j] = block.mean()
    top = cells.max() or 1.0
    level = np.minimum((cells / top * (len(SHADES) - 1)).round().astype(int), len(SHADES) - 1)

    def cell_of(index: int, edges: np.ndarray) -> int:
        return int(np.searchsorted(edges, index, side="right") - 1)

    (r0, r1), (c0, c1) = box
    br0, br1 = cell_of(r0, r_edges), cell_of(r1, r_edges)
    bc0, bc1 = cell_of(c0, c_edges), cell_of(c1, c_edges)
    corners = {(br0, bc0): "┌", (br0, bc1): "┐", (br1, bc0): "└", (br1, bc1): "┘"}
    text = Text()
    for i in range(rows):
        for j in range(cols):
            on_row = i in (br0, br1) and bc0 <= j <= bc1
            on_col = j in (bc0, bc1) and br0 <= i <= br1
            if rows > 1 and (on_row or on_col):
                text.append(corners.get((i, j), "─" if on_row else "│"), style="bold red")
            elif rows == 1 and j in (bc0, bc1):
                text.append("│", style="bold red")
            else:
                text.append(SHADES[level[i, j]], style="yellow" if level[i, j] >= len(SHADES) // 2 else "")
        text.append("\n")
    console.print(f"[bold]Effective receptive field: {result.spec_name}[/]")
    console.print(text, end="")
    console.print(f"[dim]{cols_in}x{rows_in} input shown as {cols}x{rows} characters; shade ~ |d unit / d pixel| "
                  f"(linear, '@' = strongest); red box = theoretical RF[/]")
    for line in result.summary():
        console.print(line)
