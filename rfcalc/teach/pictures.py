"""Where pictures go into the teaching pages (explain and worksheet HTML).

The HTML writers call these functions and embed what they return (an SVG document as a string)
in a <figure class="picture">; None leaves the page without a picture. `rfcalc draw` (issue 8,
pictures) fills them in: a layer conv_arithmetic style (padded input, kernel footprint with
dilation holes, output grid), a unit's receptive field on the input grid, the RF growth of a
network, the picture an exercise needs. Until then they return None, and no page depends on them.
"""
from __future__ import annotations

from typing import Any, Optional

from ..report import Report
from ..spec import Spec


def layer_picture(spec: Spec, report: Report, layer: str) -> Optional[str]:
    """An SVG of one layer (its windows over the padded input), or None."""
    return None


def receptive_field_picture(spec: Spec, report: Report, layer: str) -> Optional[str]:
    """An SVG of what a unit of `layer` sees on the input grid (holes, path counts), or None."""
    return None


def network_picture(spec: Spec, report: Report) -> Optional[str]:
    """An SVG of the RF growth (r and j per layer) of the whole network, or None."""
    return None


def exercise_picture(exercise: Any) -> Optional[str]:
    """An SVG that an exercise's statement shows (a worksheet exercise), or None."""
    return None
