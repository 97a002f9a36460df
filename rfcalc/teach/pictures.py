"""Where pictures go into the teaching pages (explain and worksheet HTML).

The HTML writers call these functions and embed what they return (an SVG document as a string)
in a <figure class="picture">; None leaves the page without a picture. The pictures come from
`rfcalc draw` (rfcalc/draw): a layer conv_arithmetic style (padded input, kernel footprints with
dilation holes, output grid) and what the centre unit sees of the input (box, holes, path counts).
They are written as SVG directly, so a page is the same with or without matplotlib installed; for
the same reason the RF growth plot (a matplotlib plot) is not embedded: network_picture gives None.
"""
from __future__ import annotations

from typing import Any, Optional

from ..errors import UsageError
from ..report import Report
from ..spec import Spec

PAGE_POSITIONS = 2  # output positions per axis a page's layer diagram shows (beyond 4x4 positions)
PAGE_RF_CELLS = 40  # a page shows a unit's RF when the input crop is at most this many pixels per axis


def layer_picture(spec: Spec, report: Report, layer: str) -> Optional[str]:
    """An SVG of one layer (its windows over the padded input), or None for layers without windows
    or with more than two spatial axes."""
    from ..draw.canvas import to_svg
    from ..draw.windows import draw_layer, find_node, layer_drawing

    result = report.layers[find_node(spec, layer).index]
    if not result.windows or len(result.windows) > 2:
        return None
    try:
        return to_svg(draw_layer(layer_drawing(spec, report, layer), per_axis=PAGE_POSITIONS))
    except UsageError:  # a view the diagram refuses (a transposed conv cropping real units)
        return None


def receptive_field_picture(spec: Spec, report: Report, layer: str) -> Optional[str]:
    """An SVG of what the centre unit of `layer` sees on the input grid (box, holes, path counts), or
    None when the layer has no spatial output, the input is 3-D, the RF is too large for a page or
    the layer sees what its input sees (activations, batch norm: the picture is the previous one's)."""
    from ..draw.canvas import to_svg
    from ..draw.fields import draw_fields, unit_fields
    from ..draw.windows import find_node

    result = report.layers[find_node(spec, layer).index]
    sizes = spec.input.shape[1:]
    if result.fields is None or len(result.output_shape) != len(spec.input.shape) or len(sizes) > 2:
        return None
    if any(rf.size_max + 2 > PAGE_RF_CELLS for rf in result.rf):
        return None
    if len(result.inputs) == 1 and result.inputs[0] in spec.graph.index:
        source = report.layers[spec.graph.index[result.inputs[0]]]
        if source.fields is result.fields:  # a pointwise layer: its input's picture says it all
            return None
    return to_svg(draw_fields(spec.name, layer, unit_fields(spec, report, layer)))


def network_picture(spec: Spec, report: Report) -> Optional[str]:
    """An SVG of the RF growth of the whole network: None (the plot needs matplotlib; see above)."""
    return None


# Worksheet topics whose statement gives the layer's kernel, stride and padding (so a picture of them
# gives nothing away); 'padding-same' and the reverse problems ask for one of those, and RF or shape
# chains would be answered by the picture.
PICTURED_TOPICS = ("output-size", "valid", "pooling", "conv1d")


def exercise_picture(exercise: Any) -> Optional[str]:
    """An SVG that an exercise's statement shows: for a one-layer question on a window layer (not a
    transposed conv, whose stretched view shows the answer), the padded input with the kernel at its
    first two positions; else None."""
    from ..analyzer import analyze
    from ..draw.canvas import to_svg
    from ..draw.windows import draw_question, layer_drawing
    from ..layers.conv import ConvTranspose
    from ..spec import parse_spec

    if getattr(exercise, "topic", None) not in PICTURED_TOPICS or not getattr(exercise, "networks", ()):
        return None
    spec = parse_spec(exercise.networks[0].yaml, exercise.networks[0].name)
    if len(spec.nodes) != 1 or isinstance(spec.nodes[0].layer, ConvTranspose):
        return None
    report = analyze(spec)
    if not report.layers[0].windows or len(report.layers[0].windows) > 2:
        return None
    try:
        return to_svg(draw_question(layer_drawing(spec, report, spec.nodes[0].name)))
    except UsageError:  # a view too large to draw
        return None
