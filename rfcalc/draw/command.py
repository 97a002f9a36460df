"""`rfcalc draw`: a layer conv_arithmetic style, a unit's receptive field on the input grid, or the
RF growth of one or more networks, as SVG or PNG."""
from __future__ import annotations

from pathlib import Path

import click

from ..commands import load_specs, spec_options
from ..errors import UsageError

WHATS = ("window", "rf", "growth")
SUFFIXES = (".svg", ".png")


def parse_unit(text: str) -> tuple[int, ...]:
    """'3,4' -> (3, 4)."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--unit '{text}': give the unit's position as integers separated by commas, "
                         f"e.g. 3,4") from None


@click.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--what", type=click.Choice(WHATS), default="window", show_default=True,
              help="window: a layer's windows over its padded (or, transposed, stretched) input; rf: what "
                   "units of a layer see of the input, with path counts; growth: r and j per layer.")
@click.option("--layer", "layer", help="The layer drawn (window, rf); rf defaults to the last spatial layer.")
@click.option("--unit", "units", multiple=True, metavar="I,J",
              help="rf: the unit's position in the layer's output (repeat for several side by side); default "
                   "the centre unit, and its neighbours within one period for non-uniform layers.")
@click.option("--animate", is_flag=True, help="window: one frame per output position (an animated SVG, or "
                                              "numbered PNG files OUT-000.png, ...).")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The .svg or .png file to write (atomically; an existing file needs --force).")
@click.option("--force", is_flag=True, help="Overwrite the output file(s) if they exist.")
def draw(specs, input_size, batch, dtype, what, layer, units, animate, output, force):
    """Draw SPECS: a layer conv_arithmetic style (--what window), the receptive field of units on the
    input grid with their path-count heatmap (--what rf), or RF growth, several specs on one plot
    (--what growth). SVG is written directly; PNG and growth plots need matplotlib
    (pip install 'rfcalc[draw]')."""
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"'{output}': the picture must be a .svg or .png file")
    if what != "growth" and len(specs) > 1:
        raise UsageError(f"--what {what} draws one spec; several specs are compared with --what growth")
    if animate and what != "window":
        raise UsageError("--animate animates the windows of a layer (--what window)")
    if units and what != "rf":
        raise UsageError("--unit chooses the units of --what rf")
    if layer is None and what == "window":
        raise UsageError("--what window needs --layer NAME (a convolution, transposed convolution or pooling)")
    from ..files import check_output

    check_output(output, force)
    from ..analyzer import analyze

    loaded = load_specs(specs, input_size, batch, dtype)
    reports = [analyze(spec) for spec in loaded]
    if what == "growth":
        from .growth import draw_growth

        _write(output, draw_growth(reports, suffix), force)
        return
    spec, report = loaded[0], reports[0]
    if what == "window":
        from .windows import draw_layer, layer_drawing

        picture = draw_layer(layer_drawing(spec, report, layer), animate)
    else:
        from .fields import draw_fields, unit_fields

        name = layer or _last_spatial(report)
        picture = draw_fields(spec.name, name, unit_fields(spec, report, name, [parse_unit(u) for u in units]))
    write_picture(picture, output, force, animate)


def _last_spatial(report) -> str:
    """The last layer whose output is a spatial map (more than one unit per axis, as Luo et al. study)."""
    axes = len(report.input_shape)
    spatial = [layer for layer in report.layers if len(layer.output_shape) == axes and layer.fields is not None]
    maps = [layer for layer in spatial if min(layer.output_shape[1:]) > 1]
    if not spatial:
        raise UsageError(f"{report.name}: no layer has a spatial output to draw")
    return (maps or spatial)[-1].name


def write_picture(picture, output: str, force: bool, animate: bool = False) -> None:
    """An SVG (animated when asked), a PNG, or with --animate numbered PNG frames next to OUT."""
    from .canvas import to_png, to_svg

    if output.lower().endswith(".svg"):
        _write(output, to_svg(picture, animate), force)
        return
    if not animate:
        _write(output, to_png(picture), force)
        return
    stem = output[:-len(".png")]
    names = [f"{stem}-{index:03d}.png" for index in range(len(picture.frames))]
    from ..files import check_output

    for name in names:
        check_output(name, force)
    for index, name in enumerate(names):
        _write(name, to_png(picture, index), force, quiet=True)
    click.echo(f"wrote {len(names)} frames {names[0]} .. {names[-1]}", err=True)


def _write(path: str, data, force: bool, quiet: bool = False) -> None:
    from ..files import write_output

    write_output(path, data, force)
    if not quiet:
        click.echo(f"wrote {path}", err=True)
