"""A picture as a list of shapes (rectangles, lines, text, raster images), written as SVG directly or
as PNG through matplotlib: the grid diagrams of `rfcalc draw` are described once and rendered by both.

Coordinates are SVG's: pixels, y pointing down. Every shape may carry a `role` (written as the SVG
class), which names what it stands for ('input', 'pad', 'tap', 'hole', ...), so that a reader of the
SVG (a test, a stylesheet) can find and count them.
"""
from __future__ import annotations

import base64
import html
import struct
import zlib
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

SANS = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle."""

    x: float
    y: float
    width: float
    height: float
    fill: str = "none"
    stroke: str = "none"
    stroke_width: float = 1.0
    dashed: bool = False
    role: str = ""
    tooltip: str = ""


@dataclass(frozen=True)
class Line:
    """A straight line (an arrow head at the end when `arrow`)."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = "#333"
    stroke_width: float = 1.0
    dashed: bool = False
    arrow: bool = False
    role: str = ""


@dataclass(frozen=True)
class Text:
    """One line of text; `anchor` is start, middle or end."""

    x: float
    y: float
    text: str
    size: float = 12.0
    anchor: str = "start"
    colour: str = "#1d1d1d"
    bold: bool = False
    role: str = ""


@dataclass(frozen=True)
class Raster:
    """An RGB image (rows, cols, 3 uint8) stretched over a rectangle, pixels kept square and crisp."""

    x: float
    y: float
    width: float
    height: float
    rgb: np.ndarray = field(repr=False, compare=False)
    role: str = ""


Shape = Union[Rect, Line, Text, Raster]


@dataclass
class Picture:
    """A drawing: fixed shapes, and optionally frames shown one after another (an animation)."""

    width: float
    height: float
    title: str
    shapes: list[Shape] = field(default_factory=list)
    frames: list[list[Shape]] = field(default_factory=list)
    seconds_per_frame: float = 0.8

    def add(self, *shapes: Shape) -> None:
        """Append shapes to the fixed part."""
        self.shapes.extend(shapes)


# -- SVG -------------------------------------------------------------------------------------------

def _attrs(**values) -> str:
    return " ".join(f'{name.replace("_", "-")}="{html.escape(str(v))}"' for name, v in values.items()
                    if v is not None and v != "")


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        attrs = _attrs(x=_number(shape.x), y=_number(shape.y), width=_number(shape.width),
                       height=_number(shape.height), fill=shape.fill, stroke=shape.stroke,
                       stroke_width=_number(shape.stroke_width) if shape.stroke != "none" else None,
                       stroke_dasharray="3 2" if shape.dashed else None, **{"class": shape.role})
        tip = f"<title>{html.escape(shape.tooltip)}</title>" if shape.tooltip else ""
        return f"<rect {attrs}>{tip}</rect>" if tip else f"<rect {attrs}/>"
    if isinstance(shape, Line):
        attrs = _attrs(x1=_number(shape.x1), y1=_number(shape.y1), x2=_number(shape.x2), y2=_number(shape.y2),
                       stroke=shape.stroke, stroke_width=_number(shape.stroke_width),
                       stroke_dasharray="4 3" if shape.dashed else None,
                       marker_end="url(#arrow)" if shape.arrow else None, **{"class": shape.role})
        return f"<line {attrs}/>"
    if isinstance(shape, Text):
        attrs = _attrs(x=_number(shape.x), y=_number(shape.y), font_size=_number(shape.size),
                       text_anchor=shape.anchor if shape.anchor != "start" else None, fill=shape.colour,
                       font_weight="bold" if shape.bold else None, **{"class": shape.role})
        return f"<text {attrs}>{html.escape(shape.text, quote=False)}</text>"
    data = base64.b64encode(png_bytes(shape.rgb)).decode("ascii")
    attrs = _attrs(x=_number(shape.x), y=_number(shape.y), width=_number(shape.width), height=_number(shape.height),
                   preserveAspectRatio="none", style="image-rendering:pixelated", **{"class": shape.role})
    return f'<image {attrs} href="data:image/png;base64,{data}"/>'


def to_svg(picture: Picture, animate: bool = False) -> str:
    """The picture as a standalone SVG document; with `animate`, its frames shown in turn (SMIL),
    else the first frame only."""
    width, height = _number(picture.width), _number(picture.height)
    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{SANS}">',
             f"<title>{html.escape(picture.title, quote=False)}</title>",
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    lines += [_svg_shape(s) for s in picture.shapes]
    frames = picture.frames if animate else picture.frames[:1]
    count = len(frames)
    for index, frame in enumerate(frames):
        hidden = ' visibility="hidden"' if animate and index else ""
        lines.append(f'<g class="frame" data-frame="{index}"{hidden}>')
        if animate and count > 1:
            values = ";".join("visible" if i == index else "hidden" for i in range(count))
            times = ";".join(_number(i / count) for i in range(count))
            lines.append(f'<animate attributeName="visibility" values="{values}" keyTimes="{times}" '
                         f'dur="{_number(count * picture.seconds_per_frame)}s" calcMode="discrete" '
                         f'repeatCount="indefinite"/>')
        lines += [_svg_shape(s) for s in frame]
        lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


# -- PNG -------------------------------------------------------------------------------------------

def png_bytes(rgb: np.ndarray) -> bytes:
    """An RGB uint8 array (rows, cols, 3) as a PNG file (no dependency)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    rows, cols, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def to_png(picture: Picture, frame: Optional[int] = 0, scale: float = 2.0) -> bytes:
    """The picture with one of its frames, rasterised by matplotlib (the [draw] extra)."""
    import io

    from .plotting import pyplot

    plt = pyplot()
    from matplotlib.patches import FancyArrowPatch, Rectangle

    dpi = 72 * scale
    figure = plt.figure(figsize=(picture.width / 72, picture.height / 72), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, picture.width)
    axes.set_ylim(picture.height, 0)
    axes.axis("off")
    shapes = list(picture.shapes) + (list(picture.frames[frame]) if picture.frames and frame is not None else [])
    for order, shape in enumerate(shapes):
        if isinstance(shape, Rect):
            axes.add_patch(Rectangle((shape.x, shape.y), shape.width, shape.height,
                                     facecolor=shape.fill if shape.fill != "none" else "none",
                                     edgecolor=shape.stroke if shape.stroke != "none" else "none",
                                     linewidth=shape.stroke_width * 0.75 if shape.stroke != "none" else 0,
                                     linestyle=(0, (3, 2)) if shape.dashed else "solid", zorder=order))
        elif isinstance(shape, Line):
            style = "-|>" if shape.arrow else "-"
            axes.add_patch(FancyArrowPatch((shape.x1, shape.y1), (shape.x2, shape.y2), arrowstyle=style,
                                           mutation_scale=10, color=shape.stroke,
                                           linewidth=shape.stroke_width * 0.75,
                                           linestyle=(0, (4, 3)) if shape.dashed else "solid", zorder=order))
        elif isinstance(shape, Text):
            axes.text(shape.x, shape.y, shape.text, fontsize=shape.size * 0.75, color=shape.colour,
                      ha={"start": "left", "middle": "center", "end": "right"}[shape.anchor], va="baseline",
                      fontweight="bold" if shape.bold else "normal", zorder=order)
        else:
            axes.imshow(shape.rgb, extent=(shape.x, shape.x + shape.width, shape.y + shape.height, shape.y),
                        interpolation="nearest", zorder=order, aspect="auto")
    axes.set_xlim(0, picture.width)
    axes.set_ylim(picture.height, 0)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


# -- colours ---------------------------------------------------------------------------------------

# A sequential scale from pale yellow to dark red (ColorBrewer YlOrRd, 7 classes), for counts.
HEAT = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")


def heat_colour(value: float, top: float) -> str:
    """The colour of a count on the heat scale (1 .. top mapped onto HEAT); white for 0."""
    if value <= 0:
        return "#ffffff"
    if top <= 1:
        return HEAT[-1]
    position = (value - 1) / (top - 1) * (len(HEAT) - 1)
    return HEAT[min(int(round(position)), len(HEAT) - 1)]


def heat_rgb(values: np.ndarray, top: float) -> np.ndarray:
    """heat_colour for every element of an array, as RGB bytes."""
    table = np.array([[255, 255, 255]] + [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in HEAT], np.uint8)
    if top <= 1:
        index = np.where(values > 0, len(HEAT), 0)
    else:
        index = np.where(values > 0, np.rint((values - 1) / (top - 1) * (len(HEAT) - 1)).astype(int) + 1, 0)
    return table[np.clip(index, 0, len(HEAT))]
