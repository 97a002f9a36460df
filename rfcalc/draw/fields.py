"""The receptive field of chosen units drawn on the input grid: the bounding box, the exact set of
pixels each unit sees (the analyzer's, holes from dilation or strides left visible) and the
path-count heatmap (paths.py), one panel per unit, side by side, on a common crop of the input.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..bounds import MAX_DRAWN_PIXELS, MAX_DRAWN_UNITS
from ..errors import UsageError
from ..spec import INPUT
from .canvas import HEAT, Picture, Raster, Rect, Shape, Text, heat_colour, heat_rgb
from .paths import path_counts

MAX_CELLS = 64  # cells per axis drawn one by one; a larger crop is drawn as an image


@dataclass(frozen=True)
class UnitField:
    """What one unit sees: the exact mask, its bounding box and the path counts, over the whole input."""

    unit: tuple[int, ...]
    seen: np.ndarray  # bool, input-shaped
    counts: np.ndarray  # float, input-shaped
    local_paths: bool  # counts follow the local paths (through no global reduction)

    @property
    def box(self) -> tuple[tuple[int, int], ...]:
        """Per axis (first, last) input index of the pixels seen."""
        where = np.argwhere(self.seen)
        return tuple((int(lo), int(hi)) for lo, hi in zip(where.min(axis=0), where.max(axis=0)))

    def holes(self) -> int:
        """Pixels inside the bounding box that the unit does not see."""
        region = self.seen[tuple(slice(lo, hi + 1) for lo, hi in self.box)]
        return int(region.size - region.sum())


def shapes_of(spec, report) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape (channels first), the input's under INPUT."""
    return {INPUT: tuple(spec.input.shape), **{layer.name: layer.output_shape for layer in report.layers}}


def seen_mask(result, position: tuple[int, ...], input_sizes: tuple[int, ...]) -> np.ndarray:
    """The analyzer's exact set of input pixels seen by the unit at `position`, as a boolean mask."""
    mask = np.zeros(input_sizes, bool)
    for box in result.sees(position):
        index = []
        for intervals, n in zip(box, input_sizes):
            flags = np.zeros(n, bool)
            for lo, hi in intervals:
                flags[max(lo, 0):min(hi, n - 1) + 1] = True
            index.append(flags)
        mask |= functools.reduce(np.multiply.outer, index)
    return mask


def default_units(result) -> list[tuple[int, ...]]:
    """The centre unit; for a non-uniform layer also its neighbours within one period per axis."""
    sizes = result.output_shape[1:]
    per_axis = []
    for axis, n in enumerate(sizes):
        centre = (n - 1) // 2
        period = result.fields[axis].pattern.period if result.fields else 1
        per_axis.append([centre + k for k in range(min(period, 3)) if centre + k < n])
    return list(itertools.product(*per_axis))[:MAX_DRAWN_UNITS]


def unit_fields(spec, report, layer: str, units: Optional[Sequence[tuple[int, ...]]] = None) -> list[UnitField]:
    """The fields of `units` of `layer` (default_units when None)."""
    result = next((r for r in report.layers if r.name == layer), None)
    if result is None:
        from .windows import find_node

        find_node(spec, layer)
    input_sizes = tuple(spec.input.shape[1:])
    if len(result.output_shape) - 1 != len(input_sizes) or result.fields is None:
        raise UsageError(f"layer '{layer}' ({result.type}) has no spatial output (shape "
                         f"{list(result.output_shape)}): each of its units sees the whole input")
    if len(input_sizes) > 2:
        raise UsageError(f"receptive-field pictures are drawn for 1-D and 2-D inputs; {spec.name} has "
                         f"{len(input_sizes)} spatial axes")
    pixels = int(np.prod(input_sizes))
    if pixels > MAX_DRAWN_PIXELS:
        raise UsageError(f"the input has {pixels:,} pixels, more than the {MAX_DRAWN_PIXELS:,} a receptive-field "
                         f"picture covers (MAX_DRAWN_PIXELS); give a smaller --input-size")
    chosen = list(units) if units else default_units(result)
    if len(chosen) > MAX_DRAWN_UNITS:
        raise UsageError(f"{len(chosen)} units asked for; a picture shows at most {MAX_DRAWN_UNITS} side by side "
                         f"(MAX_DRAWN_UNITS)")
    shapes = shapes_of(spec, report)
    fields = []
    for unit in chosen:
        counts = path_counts(spec, shapes, layer, unit)
        local = True
        if not counts.any():  # every path passes a global reduction: count through them
            counts, local = path_counts(spec, shapes, layer, unit, through_reductions=True), False
        fields.append(UnitField(tuple(unit), seen_mask(result, tuple(unit), input_sizes), counts, local))
    return fields


def _crop(fields: list[UnitField], sizes: tuple[int, ...]) -> tuple[slice, ...]:
    """The part of the input drawn: every unit's box, one pixel of margin, clipped to the input."""
    crop = []
    for axis, n in enumerate(sizes):
        lo = min(f.box[axis][0] for f in fields)
        hi = max(f.box[axis][1] for f in fields)
        crop.append(slice(max(lo - 1, 0), min(hi + 2, n)))
    return tuple(crop)


def _panel(field: UnitField, crop: tuple[slice, ...], top: float, x0: float, y0: float, cell: float) -> list[Shape]:
    """One unit: the heat cells (or an image), holes marked, the bounding box."""
    seen = field.seen[crop] if field.seen.ndim == 2 else field.seen[None, crop[0]]
    counts = field.counts[crop] if field.counts.ndim == 2 else field.counts[None, crop[0]]
    rows, cols = seen.shape
    row0 = crop[0].start if field.seen.ndim == 2 else 0
    col0 = crop[-1].start
    box = field.box if field.seen.ndim == 2 else ((0, 0),) + field.box
    shapes: list[Shape] = []
    if field.seen.ndim == 1 and cols > MAX_CELLS:
        return _bars(counts[0], seen[0], col0, box[1], top, x0, y0, cell)
    if max(rows, cols) > MAX_CELLS:
        shapes.append(Raster(x0, y0, cols * cell, rows * cell, heat_rgb(np.where(seen, counts, 0), top),
                             role="heatmap"))
    else:
        label = cell >= 16 and top < 1000
        for r, c in itertools.product(range(rows), range(cols)):
            x, y = x0 + c * cell, y0 + r * cell
            pixel = f"pixel {row0 + r},{col0 + c}" if field.seen.ndim == 2 else f"pixel {col0 + c}"
            in_box = box[0][0] <= row0 + r <= box[0][1] and box[1][0] <= col0 + c <= box[1][1]
            if seen[r, c]:
                paths = int(counts[r, c])
                shapes.append(Rect(x, y, cell, cell, fill=heat_colour(counts[r, c], top), stroke="#999",
                                   stroke_width=0.5, role="seen", tooltip=f"{pixel}: {paths:,} path(s)"))
                if label:
                    shapes.append(Text(x + cell / 2, y + cell * 0.68, f"{paths}", size=min(10.0, cell * 0.5),
                                       anchor="middle", colour="#222" if counts[r, c] < top * 0.6 else "white",
                                       role="count"))
            elif in_box:
                shapes.append(Rect(x, y, cell, cell, fill="#ffffff", stroke="#999", stroke_width=0.5, role="hole",
                                   tooltip=f"{pixel}: not seen (a hole)"))
                shapes.append(Rect(x + cell * 0.35, y + cell * 0.35, cell * 0.3, cell * 0.3, fill="#bbbbbb",
                                   role="hole-mark"))
            else:
                shapes.append(Rect(x, y, cell, cell, fill="#f4f4f4", stroke="#cccccc", stroke_width=0.5,
                                   role="outside"))
    (b_r0, b_r1), (b_c0, b_c1) = box
    shapes.append(Rect(x0 + (b_c0 - col0) * cell, y0 + (b_r0 - row0) * cell, (b_c1 - b_c0 + 1) * cell,
                       (b_r1 - b_r0 + 1) * cell, stroke="#d62728", stroke_width=2, dashed=True, role="bbox"))
    return shapes


BAR_HEIGHT = 120.0
MAX_BARS = 1024


def _bars(counts: np.ndarray, seen: np.ndarray, first: int, box: tuple[int, int], top: float, x0: float, y0: float,
          width: float) -> list[Shape]:
    """A long 1-D field as bars: height and colour by path count (pixels binned beyond MAX_BARS)."""
    per_bar = -(-counts.size // MAX_BARS)
    shapes: list[Shape] = [Rect(x0, y0, counts.size * width, BAR_HEIGHT, fill="#f8f8f8", role="outside")]
    for start in range(0, counts.size, per_bar):
        block = np.where(seen[start:start + per_bar], counts[start:start + per_bar], 0)
        peak = float(block.max())
        if peak > 0:
            height = BAR_HEIGHT * peak / top
            label = f"pixel {first + start}" + (f"..{first + start + per_bar - 1}" if per_bar > 1 else "")
            shapes.append(Rect(x0 + start * width, y0 + BAR_HEIGHT - height, per_bar * width, height,
                               fill=heat_colour(peak, top), role="seen bar", tooltip=f"{label}: {int(peak):,} path(s)"))
    lo, hi = box
    shapes.append(Rect(x0 + (lo - first) * width, y0, (hi - lo + 1) * width, BAR_HEIGHT, stroke="#d62728",
                       stroke_width=2, dashed=True, role="bbox"))
    return shapes


def _colour_bar(x0: float, y0: float, top: float, holes: bool) -> list[Shape]:
    """The heat scale with its end values (1 path to `top` paths), then the marks' legend."""
    shapes: list[Shape] = [Text(x0, y0 + 10, "paths:", size=10.5, colour="#333")]
    x = x0 + 42
    steps = HEAT if top > 1 else HEAT[-1:]
    for colour in steps:
        shapes.append(Rect(x, y0, 16, 12, fill=colour, stroke="#999", stroke_width=0.5, role="colour-bar"))
        x += 16
    shapes.append(Text(x0 + 42, y0 + 25, "1", size=10, colour="#333"))
    if top > 1:
        shapes.append(Text(x, y0 + 25, f"{int(top):,}" if top < 1e15 else f"{top:.3g}", size=10,
                           anchor="end", colour="#333"))
    if holes:
        shapes.append(Rect(x + 14, y0, 12, 12, fill="white", stroke="#999", stroke_width=0.5))
        shapes.append(Rect(x + 18.5, y0 + 4.5, 3, 3, fill="#bbbbbb"))
        shapes.append(Text(x + 30, y0 + 10, "hole: inside the box, not seen", size=10.5, colour="#333"))
        x += 186
    shapes.append(Rect(x + 14, y0, 20, 12, stroke="#d62728", stroke_width=2, dashed=True))
    shapes.append(Text(x + 40, y0 + 10, "bounding box (r)", size=10.5, colour="#333"))
    return shapes


def _unit_caption(field: UnitField) -> str:
    sizes = "x".join(str(hi - lo + 1) for lo, hi in field.box)
    where = ",".join(str(u) for u in field.unit)
    return f"unit {where}: box {sizes}, sees {int(field.seen.sum()):,} px, {field.holes():,} hole(s)"


def draw_fields(spec_name: str, layer: str, fields: list[UnitField]) -> Picture:
    """One panel per unit, side by side on a common crop, with a shared heat scale."""
    sizes = fields[0].seen.shape
    crop = _crop(fields, sizes)
    rows = 1 if len(sizes) == 1 else crop[0].stop - crop[0].start
    cols = crop[-1].stop - crop[-1].start
    longest = max(rows, cols)
    bars = len(sizes) == 1 and cols > MAX_CELLS
    cell = 640.0 / cols if bars else 20.0 if longest <= 12 else max(2.0, min(14.0, 320.0 / longest))
    top = max(float(f.counts[f.seen].max()) if f.seen.any() else 1.0 for f in fields)
    panel_w = max(cols * cell, 230.0) + 24
    margin, header = 12.0, 74.0
    per_row = max(1, min(len(fields), int(980 // panel_w) or 1))
    panel_h = (BAR_HEIGHT if bars else rows * cell) + 30
    width = max(margin * 2 + per_row * panel_w, 560)
    height = header + -(-len(fields) // per_row) * panel_h + 44
    shown = " x ".join(f"{s.start}..{s.stop - 1}" for s in crop)
    title = f"Receptive field of '{layer}' on the input of {spec_name}"
    picture = Picture(width, height, title)
    picture.add(Text(margin, 18, title, size=13, bold=True, role="caption"))
    paths = ("paths through no global reduction (local paths)" if fields[0].local_paths
             else "paths, including those through global reductions")
    picture.add(Text(margin, 34, f"input pixels {shown} of {'x'.join(map(str, sizes))}", size=10.5, colour="#555",
                     role="caption"))
    picture.add(Text(margin, 48, f"colour: the number of {paths} from the unit to each pixel, every weight 1",
                     size=10.5, colour="#555", role="caption"))
    picture.width = max(picture.width, 40 + 5.9 * len(paths) + 330)
    for index, field in enumerate(fields):
        x0 = margin + (index % per_row) * panel_w
        y0 = header + (index // per_row) * panel_h
        picture.add(Text(x0, y0 - 6, _unit_caption(field), size=10.5, colour="#333", role="unit"))
        picture.add(*_panel(field, crop, top, x0, y0, cell))
    picture.add(*_colour_bar(margin, height - 36, top, any(f.holes() for f in fields)))
    return picture
