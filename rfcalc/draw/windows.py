"""A window layer drawn the way Dumoulin & Visin's conv_arithmetic figures draw it: the padded input
grid (padding dashed), the kernel's footprint at each output position (taps filled, dilation holes
marked), the output grid with the unit being computed; for a transposed convolution the stretched
input view (s - 1 zeros between input units, padding k_eff - 1 - p on each side, then a stride-1
window: the transposed counterpart of relationships 12-14 in their guide).

One panel per output position (small multiples), or one frame per position (an animation).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import prod
from typing import Optional, Sequence

from ..bounds import MAX_ANIMATED_EXTENT, MAX_DRAWN_EXTENT, MAX_FRAMES
from ..errors import UsageError
from ..layers.base import Window
from .canvas import Line, Picture, Rect, Shape, Text

SHOWN_PER_AXIS = 3  # small multiples: the first positions per axis when there are more than 4x4
PAGE_WIDTH = 980.0  # pixels the panels of one output row share

INPUT_FILL, UNREAD_FILL, TAP_FILL, TAP_ON_ZERO = "#9ecae1", "#d9d9d9", "#2171b5", "#c6dbef"
OUTPUT_FILL, CURRENT_FILL = "#a1d99b", "#238b45"


@dataclass(frozen=True)
class AxisView:
    """One axis of the drawn input view: what each view cell is, and which cells each output reads."""

    kinds: tuple[str, ...]  # per view cell: 'input', 'pad' or 'zero' (inserted by a transposed conv)
    stride: int  # view cells between the footprints of consecutive outputs
    taps: tuple[int, ...]  # view offsets of the kernel's taps from the footprint's first cell
    outputs: int

    def footprint(self, output: int) -> tuple[int, ...]:
        """View cells read by output `output`."""
        return tuple(output * self.stride + t for t in self.taps)

    def read_cells(self) -> set[int]:
        """View cells some output reads."""
        return {c for o in range(self.outputs) for c in self.footprint(o)}


def window_view(window: Window, size: int) -> AxisView:
    """The padded input of a sliding window (extra cells past the padding where ceil_mode reads them)."""
    outputs = window.output_size(size)
    taps = tuple(t * window.dilation for t in range(window.kernel))
    needed = (outputs - 1) * window.stride + window.extent
    after = max(window.pad_after, needed - window.pad_before - size)
    kinds = ("pad",) * window.pad_before + ("input",) * size + ("pad",) * after
    return AxisView(kinds, window.stride, taps, outputs)


def transposed_view(window: Window, size: int, output_padding: int = 0) -> AxisView:
    """The stretched input of a transposed convolution: the stride-1 window over it gives its output."""
    before = window.extent - 1 - window.pad_before
    after = window.extent - 1 - window.pad_after + output_padding
    if before < 0 or after < 0:
        raise UsageError(f"cannot draw the stretched input: padding {window.pad_before}+{window.pad_after} is more "
                         f"than k_eff - 1 = {window.extent - 1} (the transposed view would crop real units)")
    stretched = tuple("input" if i % window.stride == 0 else "zero" for i in range((size - 1) * window.stride + 1))
    kinds = ("pad",) * before + stretched + ("pad",) * after
    taps = tuple(t * window.dilation for t in range(window.kernel))
    return AxisView(kinds, 1, taps, len(kinds) - window.extent + 1)


@dataclass(frozen=True)
class LayerDrawing:
    """What a layer diagram shows: per spatial axis its view, plus words for the title."""

    name: str
    title: str
    axes: tuple[AxisView, ...]
    transposed: bool = False
    given: str = ""  # the title without the output size (what a question may show)

    @property
    def positions(self) -> int:
        """Output positions."""
        return prod(a.outputs for a in self.axes)


def check_drawable(drawing: LayerDrawing, animate: bool) -> None:
    """Refuse, before drawing, an animation whose picture would be unreadable or huge."""
    longest = max(len(a.kinds) for a in drawing.axes)
    if animate and longest > MAX_ANIMATED_EXTENT:
        raise UsageError(f"layer '{drawing.name}': the input view is {longest} cells long, more than the "
                         f"{MAX_ANIMATED_EXTENT} an animation draws (MAX_ANIMATED_EXTENT); give a smaller --input-size")
    if animate and drawing.positions > MAX_FRAMES:
        raise UsageError(f"layer '{drawing.name}': {drawing.positions:,} output positions, more than the "
                         f"{MAX_FRAMES} frames an animation holds (MAX_FRAMES); give a smaller --input-size")


def view_length(window: Window, size: int, transposed: bool, output_padding: int = 0) -> int:
    """Cells of the view window_view or transposed_view would build (checked before building it)."""
    if transposed:
        return (size - 1) * window.stride + 1 + 2 * (window.extent - 1) - window.pad_before - window.pad_after + \
            output_padding
    return max(size + window.pad_before + window.pad_after,
               (window.output_size(size) - 1) * window.stride + window.extent)


def _grid_axes(axes: Sequence[AxisView]) -> tuple[Optional[AxisView], AxisView]:
    """(rows, columns): a 1-D layer is one row."""
    return (None, axes[0]) if len(axes) == 1 else (axes[0], axes[1])


def _shown_positions(axes: Sequence[AxisView], animate: bool, per_axis: int) -> list[tuple[int, ...]]:
    """Output positions drawn: all of them for an animation or a small output, else the first few per axis."""
    small = animate or prod(a.outputs for a in axes) <= per_axis ** 2 or prod(a.outputs for a in axes) <= 16
    ranges = [range(a.outputs if small else min(a.outputs, per_axis)) for a in axes]
    return list(itertools.product(*ranges))


def _extent(axis: AxisView, positions: Sequence[int], crop: bool) -> int:
    """View cells drawn along an axis: all, or (when cropping) up to the last one the shown positions read + 1."""
    if not crop:
        return len(axis.kinds)
    last = max(axis.footprint(max(positions))) + 2
    return min(len(axis.kinds), max(last, 1))


class _Layout:
    """Cell size and extents of one panel (view grid, arrow, output grid)."""

    def __init__(self, drawing: LayerDrawing, positions: list[tuple[int, ...]], animate: bool, per_row: int,
                 question: bool = False):
        self.rows, self.cols = _grid_axes(drawing.axes)
        per_axis = list(zip(*positions))
        crop = not animate
        extents = [_extent(a, p, crop) for a, p in zip(drawing.axes, per_axis)]
        out_extents = [min(a.outputs, max(p) + 2 if crop else a.outputs) for a, p in zip(drawing.axes, per_axis)]
        self.view_rows, self.view_cols = (1, extents[0]) if self.rows is None else tuple(extents)
        self.out_rows, self.out_cols = (1, out_extents[0]) if self.rows is None else tuple(out_extents)
        if question:  # the output is what the student works out: not drawn
            self.out_rows = self.out_cols = 0
        longest = max(self.view_rows, self.view_cols)
        self.cell = 18.0 if longest <= 12 else max(6.0, 216.0 / longest)
        across = self.view_cols + self.out_cols + 2.5  # cells and the arrow's gap, per panel
        fitting = (PAGE_WIDTH / per_row - 36) / across  # the panels of one output row side by side
        self.cell = max(4.0, min(self.cell, fitting))
        self.gap = 2.5 * self.cell + 12 if self.out_cols else 0.0
        self.width = (self.view_cols + self.out_cols) * self.cell + self.gap
        self.height = max(self.view_rows, self.out_rows) * self.cell
        self.cropped = (self.view_rows, self.view_cols) != (
            1 if self.rows is None else len(self.rows.kinds), len(self.cols.kinds))

    def view_cell(self, x0: float, y0: float, r: int, c: int) -> tuple[float, float]:
        return x0 + c * self.cell, y0 + r * self.cell

    def out_cell(self, x0: float, y0: float, r: int, c: int) -> tuple[float, float]:
        return x0 + self.view_cols * self.cell + self.gap + c * self.cell, y0 + r * self.cell


def _kind(layout: _Layout, r: int, c: int) -> str:
    kinds = [layout.cols.kinds[c]] + ([layout.rows.kinds[r]] if layout.rows is not None else [])
    for kind in ("pad", "zero"):
        if kind in kinds:
            return kind
    return "input"


def _grids(layout: _Layout, x0: float, y0: float, unread: set[tuple[int, int]]) -> list[Shape]:
    """The view grid (input, padding dashed, inserted zeros dashed) and the output grid."""
    shapes: list[Shape] = []
    size = layout.cell
    for r, c in itertools.product(range(layout.view_rows), range(layout.view_cols)):
        x, y = layout.view_cell(x0, y0, r, c)
        kind = _kind(layout, r, c)
        if kind == "input":
            never = (r, c) in unread
            shapes.append(Rect(x, y, size, size, fill=UNREAD_FILL if never else INPUT_FILL, stroke="#4a6f8a",
                               stroke_width=0.8, role="input unread" if never else "input",
                               tooltip="no window reads this pixel" if never else ""))
        else:
            shapes.append(Rect(x + 0.5, y + 0.5, size - 1, size - 1, fill="white", stroke="#7a8a99",
                               stroke_width=0.8, dashed=True, role=kind))
    for r, c in itertools.product(range(layout.out_rows), range(layout.out_cols)):
        x, y = layout.out_cell(x0, y0, r, c)
        shapes.append(Rect(x, y, size, size, fill=OUTPUT_FILL, stroke="#3d7a3d", stroke_width=0.8, role="output"))
    if layout.out_cols:
        mid = y0 + min(layout.view_rows, layout.out_rows) * size / 2
        left = x0 + layout.view_cols * size + 4
        shapes.append(Line(left, mid, left + layout.gap - 8, mid, stroke="#555", stroke_width=1.2, arrow=True))
    return shapes


def _overlay(layout: _Layout, x0: float, y0: float, position: tuple[int, ...]) -> list[Shape]:
    """One output position: its taps on the view, the holes inside the footprint, the unit computed."""
    row_taps = layout.rows.footprint(position[0]) if layout.rows is not None else (0,)
    col_taps = layout.cols.footprint(position[-1])
    size = layout.cell
    shapes: list[Shape] = []
    taps = set(itertools.product(row_taps, col_taps))
    r_lo, r_hi, c_lo, c_hi = min(row_taps), max(row_taps), min(col_taps), max(col_taps)
    for r, c in itertools.product(range(r_lo, r_hi + 1), range(c_lo, c_hi + 1)):
        if r >= layout.view_rows or c >= layout.view_cols:
            continue
        x, y = layout.view_cell(x0, y0, r, c)
        if (r, c) in taps:
            on_input = _kind(layout, r, c) == "input"
            shapes.append(Rect(x + 2, y + 2, size - 4, size - 4, fill=TAP_FILL if on_input else TAP_ON_ZERO,
                               stroke="#08306b", stroke_width=1, role="tap" if on_input else "tap on-zero"))
        else:
            shapes.append(Rect(x + size * 0.3, y + size * 0.3, size * 0.4, size * 0.4, fill="white",
                               stroke="#08306b", stroke_width=0.8, dashed=True, role="hole"))
    x, y = layout.view_cell(x0, y0, r_lo, c_lo)
    shapes.append(Rect(x, y, (c_hi - c_lo + 1) * size, (r_hi - r_lo + 1) * size, stroke="#08306b",
                       stroke_width=2, role="footprint"))
    r_out = position[0] if layout.rows is not None else 0
    if r_out < layout.out_rows and position[-1] < layout.out_cols:
        x, y = layout.out_cell(x0, y0, r_out, position[-1])
        shapes.append(Rect(x, y, size, size, fill=CURRENT_FILL, stroke="#00441b", stroke_width=1.5, role="current"))
    return shapes


def _unread(layout: _Layout) -> set[tuple[int, int]]:
    """Input cells of the view that no output position reads (the floor's dropped pixels)."""
    col_read = layout.cols.read_cells()
    row_read = layout.rows.read_cells() if layout.rows is not None else {0}
    return {(r, c) for r, c in itertools.product(range(layout.view_rows), range(layout.view_cols))
            if r not in row_read or c not in col_read}


def _legend(layout: _Layout, drawing: LayerDrawing, x0: float, y0: float) -> list[Shape]:
    """Swatches naming each kind of cell drawn (and only those)."""
    kinds = {kind for a in drawing.axes for kind in a.kinds}
    padding = " / ".join(w for k, w in (("pad", "zero padding"), ("zero", "inserted zeros")) if k in kinds)
    holes = any(max(a.taps) + 1 > len(a.taps) for a in drawing.axes)
    entries = [(INPUT_FILL, False, "input", True),
               (UNREAD_FILL, False, "never read", bool(layout.out_cols and _unread(layout))),
               ("white", True, padding, bool(padding)),
               (TAP_FILL, False, "kernel taps", True),
               ("white", True, "hole (dilation)", holes),
               (OUTPUT_FILL, False, "output", bool(layout.out_cols)),
               (CURRENT_FILL, False, "unit computed", bool(layout.out_cols))]
    shapes: list[Shape] = []
    x = x0
    for fill, dashed, label, shown in entries:
        if shown:
            shapes.append(Rect(x, y0 - 9, 10, 10, fill=fill, stroke="#555", stroke_width=0.8, dashed=dashed))
            shapes.append(Text(x + 14, y0, label, size=10.5, colour="#333"))
            x += 22 + 6.2 * len(label)
    return shapes


def draw_layer(drawing: LayerDrawing, animate: bool = False, per_axis: int = SHOWN_PER_AXIS) -> Picture:
    """The layer diagram: small multiples of its output positions (all of them when there are at most
    4x4, else the first `per_axis` per axis), or an animation of all of them."""
    check_drawable(drawing, animate)
    positions = _shown_positions(drawing.axes, animate, per_axis)
    per_row = 1 if animate or len(drawing.axes) == 1 else len({p[-1] for p in positions})
    layout = _Layout(drawing, positions, animate, per_row)
    unread = _unread(layout)
    margin, header = 12.0, 44.0
    total = drawing.positions
    note = "drawn as a stride-1 window over the stretched input" if drawing.transposed else ""
    if len(positions) < total:
        note += ("; " if note else "") + f"showing the first {len(positions)} of {total} output positions"
    if layout.cropped:
        note += ("; " if note else "showing ") + "the corner of the input they read"
    panel_w, panel_h = layout.width + 24, layout.height + 22
    columns = per_row
    rows_of_panels = -(-len(positions) // columns)
    width = max(margin * 2 + columns * panel_w, 560, 24 + 7.4 * len(drawing.title))
    height = header + rows_of_panels * panel_h + margin + 22
    picture = Picture(width, height, drawing.title)
    picture.add(Text(margin, 18, drawing.title, size=13, bold=True, role="caption"))
    if note:
        picture.add(Text(margin, 34, note, size=10.5, colour="#555", role="caption"))
    picture.add(*_legend(layout, drawing, margin, height - margin))

    def origin(index: int) -> tuple[float, float]:
        return margin + (index % columns) * panel_w, header + (index // columns) * panel_h

    if animate:
        x0, y0 = origin(0)
        picture.add(*_grids(layout, x0, y0, unread))
        picture.frames = [_overlay(layout, x0, y0, p) + [_position_label(layout, x0, y0, p)] for p in positions]
        return picture
    for index, position in enumerate(positions):
        x0, y0 = origin(index)
        picture.add(*_grids(layout, x0, y0, unread), *_overlay(layout, x0, y0, position),
                    _position_label(layout, x0, y0, position))
    return picture


def draw_question(drawing: LayerDrawing) -> Picture:
    """What an exercise may show before it is solved: the padded input and the kernel at its first
    two positions along the last axis (its size, dilation, padding and stride), no output grid and no
    pixels marked as never read (those are the answers)."""
    last = drawing.axes[-1]
    start = (0,) * (len(drawing.axes) - 1)
    positions = [start + (o,) for o in range(min(last.outputs, 2))]
    layout = _Layout(drawing, positions, False, len(positions), question=True)
    margin, header = 12.0, 30.0
    panel_w, panel_h = layout.width + 24, layout.height + 22
    width = max(margin * 2 + len(positions) * panel_w, 400, 24 + 7.4 * len(drawing.given))
    height = header + panel_h + margin + 22
    picture = Picture(width, height, drawing.given)
    picture.add(Text(margin, 18, drawing.given, size=13, bold=True, role="caption"))
    picture.add(*_legend(layout, drawing, margin, height - margin))
    labels = ("first position", "next position (one stride on)")
    for index, (position, label) in enumerate(zip(positions, labels)):
        x0, y0 = margin + index * panel_w, header
        picture.add(*_grids(layout, x0, y0, set()), *_overlay(layout, x0, y0, position),
                    Text(x0, y0 + layout.height + 13, label, size=10, colour="#444", role="position"))
    return picture


def _position_label(layout: _Layout, x0: float, y0: float, position: tuple[int, ...]) -> Text:
    label = "output " + ",".join(str(p) for p in position)
    return Text(x0, y0 + layout.height + 13, label, size=10, colour="#444", role="position")


def _join(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


def _same(values: Sequence[int]) -> str:
    """One number when every axis has it (stride 2), else one per axis (stride 2x1)."""
    return str(values[0]) if len(set(values)) == 1 else _join(values)


def layer_drawing(spec, report, name: str) -> LayerDrawing:
    """The diagram's content for layer `name` of an analyzed spec (a window layer or a transposed conv)."""
    from ..layers.base import per_axis
    from ..layers.conv import ConvTranspose

    node = find_node(spec, name)
    result = report.layers[node.index]
    if not result.windows:
        raise UsageError(f"layer '{name}' ({result.type}) slides no window; --what window draws convolutions, "
                         f"transposed convolutions and pooling layers (try --what rf)")
    source = node.inputs[0]
    shape = tuple(spec.input.shape) if source not in spec.graph.index else report.layers[spec.graph.index[source]].output_shape
    sizes = shape[1:]
    windows = result.windows
    if len(windows) > 2:
        raise UsageError(f"layer '{name}': layer diagrams are drawn for 1-D and 2-D layers; this one has "
                         f"{len(windows)} spatial axes")
    transposed = isinstance(node.layer, ConvTranspose)
    extra = per_axis(node.layer.output_padding, len(windows), "output_padding") if transposed else (0,) * len(windows)
    longest = max(view_length(w, n, transposed, op) for w, n, op in zip(windows, sizes, extra))
    if longest > MAX_DRAWN_EXTENT:
        raise UsageError(f"layer '{name}': the input view is {longest:,} cells long, more than the "
                         f"{MAX_DRAWN_EXTENT:,} a layer diagram draws (MAX_DRAWN_EXTENT); give a smaller --input-size")
    if transposed:
        axes = tuple(transposed_view(w, n, op) for w, n, op in zip(windows, sizes, extra))
    else:
        axes = tuple(window_view(w, n) for w, n in zip(windows, sizes))
    words = [f"kernel {_join([w.kernel for w in windows])}", f"stride {_same([w.stride for w in windows])}"]
    pads = [(w.pad_before, w.pad_after) for w in windows]
    if any(p != (0, 0) for p in pads):
        words.append("padding " + (_same([b for b, _ in pads]) if all(b == a for b, a in pads)
                                   else " ".join(f"{b}+{a}" for b, a in pads)))
    if any(w.dilation > 1 for w in windows):
        words.append(f"dilation {_same([w.dilation for w in windows])}")
    given = f"{name} ({result.type}): input {_join(sizes)}, {', '.join(words)}"
    return LayerDrawing(name, f"{given} -> output {_join(result.output_shape[1:])}", axes, transposed, given)


def find_node(spec, name: str):
    """The spec's node called `name`, or a one-line error listing a few names."""
    for node in spec.nodes:
        if node.name == name:
            return node
    names = ", ".join(node.name for node in spec.nodes[:8]) + (", ..." if len(spec.nodes) > 8 else "")
    raise UsageError(f"no layer named '{name}' in {spec.name} (layers: {names})")
