"""matplotlib, the optional [draw] extra: imported here only, when a plot or a PNG is asked for."""
from __future__ import annotations

from ..errors import UsageError

INSTALL_HINT = "pip install 'rfcalc[draw]'"


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend, set up for reproducible files; a one-line
    error naming the extra when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError(f"this picture needs matplotlib, which is not installed: {INSTALL_HINT}") from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "rfcalc"  # the same ids in every SVG of the same plot
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (small, searchable)
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path_suffix: str) -> bytes:
    """A matplotlib figure as PNG or SVG bytes, without a creation date (same plot, same bytes)."""
    import io

    buffer = io.BytesIO()
    if path_suffix == ".svg":
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    else:
        figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()
