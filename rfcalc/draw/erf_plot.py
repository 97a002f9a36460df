"""The picture of `rfcalc erf`: the effective receptive field as a matplotlib plot (the [draw] extra),
with axes in input pixels, a title naming the unit, a colour bar and a legend for what is drawn over
it (the theoretical RF); a 1-D network is a line plot over the input positions."""
from __future__ import annotations

from .plotting import pyplot, save_figure

RF_COLOUR = "#28c8ff"


def _title(result, where: str = "") -> str:
    unit = ",".join(str(u) for u in result.unit)
    return (f"Effective receptive field of '{result.layer}' unit ({unit}){where}\n{result.spec_name}, "
            f"mean |gradient| over {result.samples} random draw(s) of weights and input")


def _rf_label(box) -> str:
    sizes = "x".join(str(hi - lo + 1) for lo, hi in box)
    return f"theoretical RF ({sizes} pixels, clipped to the input)"


def _mass_note(result) -> str:
    return (f"{result.area_for_mass(0.5):.1%} of the theoretical RF's area holds half the gradient mass, "
            f"{result.area_for_mass(0.9):.1%} holds 90%")


def erf_picture(result, suffix: str) -> bytes:
    """The ERF of an ERFResult (backend/erf.py) as PNG or SVG bytes (by `suffix`: '.png' or '.svg')."""
    plt = pyplot()
    erf, box = result.erf, result.box
    top = float(erf.max()) or 1.0
    if erf.ndim == 1:
        figure, axes = plt.subplots(figsize=(8, 3.6))
        positions = range(erf.size)
        axes.fill_between(positions, erf / top, step="mid", color="#fdae6b", alpha=0.6)
        axes.step(positions, erf / top, where="mid", color="#d94801", linewidth=1.4,
                  label="|d unit / d input| (relative to the strongest)")
        (lo, hi), = box
        axes.axvspan(lo - 0.5, hi + 0.5, color=RF_COLOUR, alpha=0.18, label=_rf_label(box))
        width = hi - lo + 1
        first, last = 0, erf.size - 1
        if width * 4 < erf.size:  # a long signal: show the RF and as much again around it
            first, last = max(lo - width // 2, 0), min(hi + width // 2, erf.size - 1)
        axes.set_xlim(first - 0.5, last + 0.5)
        axes.set_ylim(0, 1.3)
        hidden = erf[:first].any() or erf[last + 1:].any()
        axes.set_xlabel("input position" if (first, last) == (0, erf.size - 1) else
                        f"input position (of {erf.size:,}; the gradient is {'not ' if hidden else ''}0 outside "
                        f"{first:,}..{last:,})")
        axes.set_ylabel("relative |gradient|")
        axes.legend(fontsize=8, loc="upper left")
        axes.set_title(_title(result), fontsize=10)
    else:
        where = ""
        while erf.ndim > 2:  # a 3-D input: the slice through the RF's centre along the first axis
            centre = (box[0][0] + box[0][1]) // 2
            where += f", slice {centre} of the first axis"
            erf, box = erf[centre], box[1:]
        rows, cols = erf.shape
        figure, axes = plt.subplots(figsize=(7, 6.2))
        image = axes.imshow(erf / top, cmap="inferno", vmin=0, vmax=1, interpolation="nearest",
                            extent=(-0.5, cols - 0.5, rows - 0.5, -0.5))
        from matplotlib.patches import Rectangle

        (r0, r1), (c0, c1) = box
        axes.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False, edgecolor=RF_COLOUR,
                                 linewidth=2, label=_rf_label(box)))
        axes.set_xlabel("input column")
        axes.set_ylabel("input row")
        axes.legend(fontsize=8, loc="upper right", framealpha=0.85)
        bar = figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        bar.set_label("|d unit / d pixel|, relative to the strongest pixel")
        axes.set_title(_title(result, where), fontsize=10)
    figure.text(0.01, 0.01, _mass_note(result), fontsize=8, color="#444")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    data = save_figure(figure, suffix)
    plt.close(figure)
    return data
