"""RF growth: r and j layer by layer (log scale), the input size as a line, the fraction of the input
covered, downsampling layers marked; several specs on one plot. Drawn with matplotlib (the [draw] extra).
"""
from __future__ import annotations

from dataclasses import dataclass

from .plotting import pyplot, save_figure

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class GrowthStep:
    """One layer that changes the RF: its name, r and j per axis, and whether it downsamples."""

    name: str
    r: tuple[int, ...]
    j: tuple[float, ...]
    downsamples: bool


def growth_steps(report) -> list[GrowthStep]:
    """The layers where r or j changes (the others add nothing to the plot), while outputs are spatial;
    a layer whose r is smaller than the previous one's is a side branch (a 1x1 shortcut) and is left out."""
    steps: list[GrowthStep] = []
    previous_r, previous_j = (1,) * (len(report.input_shape) - 1), (1.0,) * (len(report.input_shape) - 1)
    for layer in report.layers:
        if not layer.rf or any(a.whole_input or a.jump is None for a in layer.rf):
            continue
        r = tuple(a.size_max for a in layer.rf)
        j = tuple(float(a.jump) for a in layer.rf)
        if (r, j) == (previous_r, previous_j) or any(b < a for a, b in zip(previous_r, r)):
            continue
        steps.append(GrowthStep(layer.name, r, j, any(b > a for a, b in zip(previous_j, j))))
        previous_r, previous_j = r, j
    return steps


def draw_growth(reports, suffix: str) -> bytes:
    """The growth plot of one or more analyzed specs, as PNG or SVG bytes (by `suffix`)."""
    plt = pyplot()
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 6.2), sharex=False,
                                         gridspec_kw={"height_ratios": [3, 1.4]})
    longest = 1
    for number, report in enumerate(reports):
        colour = COLOURS[number % len(COLOURS)]
        steps = growth_steps(report)
        sizes = report.input_shape[1:]
        if not steps:
            continue
        xs = list(range(1, len(steps) + 1))
        longest = max(longest, len(steps))
        axes_shown = range(len(sizes)) if len(set(sizes)) > 1 or any(
            len(set(s.r)) > 1 for s in steps) else range(1)
        for axis in axes_shown:
            suffix_axis = f" (axis {axis})" if len(axes_shown) > 1 else ""
            top.plot(xs, [s.r[axis] for s in steps], "-o", color=colour, markersize=3, linewidth=1.6,
                     label=f"{report.name}: r{suffix_axis}")
            top.plot(xs, [s.j[axis] for s in steps], "--", color=colour, linewidth=1.2,
                     label=f"{report.name}: j{suffix_axis}")
            bottom.plot(xs, [min(s.r[axis], sizes[axis]) / sizes[axis] for s in steps], "-", color=colour,
                        linewidth=1.6, label=f"{report.name}{suffix_axis}")
        top.axhline(max(sizes), color=colour, linestyle=":", linewidth=1.2,
                    label=f"{report.name}: input size {'x'.join(map(str, sizes))}")
        down = [x for x, s in zip(xs, steps) if s.downsamples]
        top.plot(down, [steps[x - 1].j[0] for x in down], "v", color=colour, markersize=6, linestyle="none",
                 label=f"{report.name}: downsampling layer")
        for x in down:
            bottom.axvline(x, color=colour, linestyle=":", linewidth=0.8, alpha=0.6)
        if len(reports) == 1 and len(steps) <= 24:
            bottom.set_xticks(xs)
            bottom.set_xticklabels([s.name for s in steps], rotation=60, ha="right", fontsize=7)
            top.set_xticks(xs)
            top.set_xticklabels([])
    from matplotlib.ticker import FuncFormatter

    top.set_yscale("log", base=2)
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    top.set_ylabel("pixels of the input (log scale)")
    top.set_title("Receptive field growth: r (solid) and jump j (dashed) per layer")
    top.grid(True, which="major", alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=COLOURS[n % len(COLOURS)], linewidth=2, label=r.name)
               for n, r in enumerate(reports)]
    handles += [Line2D([], [], color="#444", marker="o", markersize=3, label="r (RF size)"),
                Line2D([], [], color="#444", linestyle="--", label="j (jump)"),
                Line2D([], [], color="#444", linestyle=":", label="input size"),
                Line2D([], [], color="#444", marker="v", linestyle="none", label="downsampling layer")]
    top.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("fraction of the\ninput covered")
    bottom.set_xlabel("layers that change r or j (in order)" if len(reports) > 1 or longest > 24 else "")
    bottom.grid(True, alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    for axes in (top, bottom):
        axes.set_xlim(0.5, longest + 0.5)
        if len(reports) > 1 or longest > 24:  # else the ticks name the layers
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    data = save_figure(figure, suffix)
    plt.close(figure)
    return data
