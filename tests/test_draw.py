"""rfcalc draw: layer diagrams (SVG structure counted against hand-derived values for the lecture
notes' examples), path counts (against brute-force path enumeration and the numpy backend run with
every weight 1), receptive-field pictures, RF growth, and the command line."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

from rfcalc.analyzer import analyze
from rfcalc.draw.canvas import to_svg
from rfcalc.draw.fields import draw_fields, unit_fields
from rfcalc.draw.paths import path_counts
from rfcalc.draw.windows import draw_layer, layer_drawing
from rfcalc.spec import INPUT, parse_spec

from conftest import sequential

SVG = "{http://www.w3.org/2000/svg}"


def spec_of(text):
    spec = parse_spec(text, "<test>")
    return spec, analyze(spec)


def roles(svg: str) -> Counter:
    """How many SVG elements carry each class (a class list counts once per word)."""
    root = ET.fromstring(svg)
    counted = Counter()
    for element in root.iter():
        for word in element.get("class", "").split():
            counted[word] += 1
    return counted


def layer_svg(shape, layer, animate=False):
    spec, report = spec_of(sequential(shape, "{name: l, type: %s}" % layer))
    return to_svg(draw_layer(layer_drawing(spec, report, "l"), animate), animate)


# -- layer diagrams ------------------------------------------------------------------------------

def test_notes_5x5_kernel_3_stride_2_padding_1():
    # seeds/004: 5x5 image, 3x3 filter; stride 2 and padding 1 give (5 + 2 - 3)/2 + 1 = 3 per axis.
    counted = roles(layer_svg([1, 5, 5], "conv2d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1"))
    panels = 9  # every one of the 3x3 output positions
    assert counted["position"] == panels
    assert counted["input"] == 25 * panels and counted["pad"] == (49 - 25) * panels
    assert counted["output"] == 9 * panels and counted["current"] == panels
    # per axis the windows read padded rows {0,1,2}, {2,3,4}, {4,5,6}; real rows are 1..5, so they hold
    # 2, 3 and 2 real rows: (2+3+2)^2 = 49 taps on pixels, 9 * 9 - 49 = 32 on the padding
    assert counted["tap"] == 81 and counted["on-zero"] == 32
    assert counted["hole"] == 0 and counted["unread"] == 0


def test_dilation_2_leaves_16_holes_in_each_footprint():
    # 7x7 input, 3x3 kernel, dilation 2: k_eff = 5, output 3x3; a 5x5 footprint with 9 taps, 16 holes.
    counted = roles(layer_svg([1, 7, 7], "conv2d, out_channels: 1, kernel_size: 3, dilation: 2"))
    assert counted["position"] == 9
    assert counted["tap"] == 81 and counted["on-zero"] == 0
    assert counted["hole"] == 16 * 9
    assert counted["pad"] == 0 and counted["input"] == 49 * 9


def test_the_cannot_case_shows_the_pixels_never_read():
    # seeds/001: 7x7 input, 3x3 filter, stride 3: (7 - 3)/3 + 1 = 2.33, "Cannot": PyTorch floors to 2,
    # and the last row and column (7 + 7 - 1 = 13 pixels) are never read.
    counted = roles(layer_svg([1, 7, 7], "conv2d, out_channels: 1, kernel_size: 3, stride: 3"))
    assert counted["position"] == 4
    assert counted["unread"] == 13 * 4
    assert counted["input"] == 49 * 4


def test_transposed_conv_is_drawn_over_the_stretched_input():
    # seeds/004: a 4x4 input and a 3x3 kernel give 6x6; the view is the input padded by k - 1 - p = 2.
    svg = layer_svg([1, 4, 4], "conv_transpose2d, out_channels: 1, kernel_size: 3, bias: false", animate=True)
    counted = roles(svg)
    assert counted["input"] == 16 and counted["pad"] == 64 - 16 and counted["zero"] == 0
    assert counted["output"] == 36 and counted["frame"] == 36 and counted["tap"] == 36 * 9
    # stride 2: 3x3 input stretched to 5x5 (16 inserted zeros), padded by 2: a 9x9 view, output 7x7
    counted = roles(layer_svg([1, 3, 3], "conv_transpose2d, out_channels: 1, kernel_size: 3, stride: 2",
                              animate=True))
    assert counted["input"] == 9 and counted["zero"] == 16 and counted["pad"] == 81 - 25
    assert counted["output"] == 49 and counted["frame"] == 49


def test_animation_shows_one_frame_at_a_time():
    svg = layer_svg([1, 5, 5], "conv2d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1", animate=True)
    root = ET.fromstring(svg)
    frames = [g for g in root.iter(SVG + "g") if g.get("class") == "frame"]
    assert len(frames) == 9
    assert [g.get("visibility") for g in frames] == [None] + ["hidden"] * 8
    animations = [g.find(SVG + "animate") for g in frames]
    assert all(a is not None and a.get("values").split(";").count("visible") == 1 for a in animations)
    assert [a.get("values").split(";").index("visible") for a in animations] == list(range(9))


def test_one_dimensional_layer_is_one_row():
    counted = roles(layer_svg([1, 8], "conv1d, out_channels: 1, kernel_size: 3, stride: 2"))
    assert counted["position"] == 3  # (8 - 3)/2 + 1 = 3.5 -> 3
    assert counted["input"] == 8 * 3 and counted["unread"] == 1 * 3 and counted["tap"] == 3 * 3


def test_drawing_refuses_what_it_cannot_draw(run_cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(sequential([1, 8, 8], "{name: c, type: conv2d, out_channels: 1, kernel_size: 3}",
                               "{name: act, type: relu}"))
    code, _, err = run_cli("draw", str(spec), "--layer", "act", "-o", str(tmp_path / "a.svg"))
    assert code == 2 and err.count("\n") == 1 and "layer 'act' (relu) slides no window" in err
    code, _, err = run_cli("draw", str(spec), "--layer", "nope", "-o", str(tmp_path / "a.svg"))
    assert code == 2 and "no layer named 'nope'" in err
    code, _, err = run_cli("draw", str(spec), "--layer", "c", "-o", str(tmp_path / "a.gif"))
    assert code == 2 and "must be a .svg or .png file" in err
    code, _, err = run_cli("draw", str(spec), "--layer", "c", "--animate", "-o", str(tmp_path / "a.svg"),
                           "--input-size", "200")
    assert code == 2 and "more than the 48 an animation draws" in err
    code, _, err = run_cli("draw", str(spec), "--layer", "c", "-o", str(tmp_path / "a.svg"), "--input-size", "5000")
    assert code == 2 and "more than the 4,096 a layer diagram draws (MAX_DRAWN_EXTENT)" in err
    code, _, err = run_cli("draw", str(spec), "--what", "rf", "--layer", "c", "-o", str(tmp_path / "a.svg"),
                           "--input-size", "2049")  # 2049^2 = 4,198,401 > 2^22 = 4,194,304
    assert code == 2 and "more than the 4,194,304 a receptive-field picture covers" in err
    units = [arg for i in range(10) for arg in ("--unit", f"{i},0")]
    code, _, err = run_cli("draw", str(spec), "--what", "rf", "--layer", "c", "-o", str(tmp_path / "a.svg"), *units)
    assert code == 2 and "10 units asked for; a picture shows at most 9" in err
    code, _, err = run_cli("draw", str(spec), "--what", "rf", "--layer", "c", "--unit", "6,0", "-o",
                           str(tmp_path / "a.svg"))
    assert code == 2 and "unit [6, 0] is not a position of 'c'" in err  # c's output is 6x6
    assert not list(tmp_path.glob("a.*"))


def test_existing_file_is_refused_without_force(run_cli, tmp_path):
    out = tmp_path / "c.svg"
    out.write_text("keep")
    code, _, err = run_cli("draw", "cifar10_walkthrough", "--layer", "conv1", "-o", str(out))
    assert code == 2 and "the file exists; give --force" in err and out.read_text() == "keep"
    code, _, err = run_cli("draw", "cifar10_walkthrough", "--layer", "conv1", "-o", str(out), "--force")
    assert code == 0 and ET.fromstring(out.read_text()).tag == SVG + "svg"


# -- path counts -----------------------------------------------------------------------------------

def brute_force(graph, sizes, layer, unit):
    """Enumerate every path from `unit` of `layer` to the input, one step at a time.
    graph: name -> (inputs, per input a function from an output position to the positions read)."""
    counts = Counter()

    def walk(name, position):
        if name == INPUT:
            counts[position] += 1
            return
        inputs, readers = graph[name]
        for source, reads in zip(inputs, readers):
            for p in reads(position):
                if all(0 <= v < n for v, n in zip(p, sizes[source])):
                    walk(source, p)

    walk(layer, tuple(unit))
    array = np.zeros(sizes[INPUT])
    for position, count in counts.items():
        array[position] = count
    return array


def window(k, s=1, p=0, d=1):
    return lambda o: [o * s - p + t * d for t in range(k)]


def transposed(k, s=1, p=0, n_in=0):
    return lambda o: [i for i in range(n_in) for t in range(k) if i * s - p + t == o]


def per_axis(*axis_readers):
    return lambda position: list(itertools.product(*(r(o) for r, o in zip(axis_readers, position))))


def shapes_of(spec, report):
    return {INPUT: tuple(spec.input.shape), **{layer.name: layer.output_shape for layer in report.layers}}


CHAIN = sequential([1, 13, 11],
                   "{name: a, type: conv2d, out_channels: 1, kernel_size: 3, padding: 1}",
                   "{name: b, type: conv2d, out_channels: 1, kernel_size: [3, 2], stride: 2, dilation: [1, 2]}",
                   "{name: c, type: conv_transpose2d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1}",
                   "{name: d, type: conv2d, out_channels: 1, kernel_size: 2, stride: 1, padding: [1, 0]}")


def chain_graph(report):
    sizes = {INPUT: (13, 11), **{layer.name: layer.output_shape[1:] for layer in report.layers}}
    graph = {"a": ([INPUT], [per_axis(window(3, p=1), window(3, p=1))]),
             "b": (["a"], [per_axis(window(3, s=2), window(2, s=2, d=2))]),
             "c": (["b"], [per_axis(transposed(3, 2, 1, sizes["b"][0]), transposed(3, 2, 1, sizes["b"][1]))]),
             "d": (["c"], [per_axis(window(2, p=1), window(2, p=0))])}
    return graph, sizes


def test_path_counts_equal_brute_force_on_a_chain():
    spec, report = spec_of(CHAIN)
    graph, sizes = chain_graph(report)
    for layer in "abcd":
        for unit in itertools.product(*(range(n) for n in sizes[layer])):
            counted = path_counts(spec, shapes_of(spec, report), layer, unit)
            assert np.array_equal(counted, brute_force(graph, sizes, layer, unit)), (layer, unit)


RESIDUAL = """
input: {shape: [1, 9, 9]}
layers:
  - {name: a, type: conv2d, out_channels: 1, kernel_size: 3, padding: 1}
  - {name: b, type: conv2d, out_channels: 1, kernel_size: 3, padding: 2, dilation: 2}
  - {name: sum, type: add, inputs: [b, input]}
  - {name: up, type: upsample, scale_factor: 2, mode: nearest}
  - {name: e, type: conv2d, out_channels: 1, kernel_size: 3, stride: 2}
"""


def test_path_counts_equal_brute_force_through_merges_and_upsampling():
    spec, report = spec_of(RESIDUAL)
    same = lambda position: [position]  # noqa: E731
    graph = {"a": ([INPUT], [per_axis(window(3, p=1), window(3, p=1))]),
             "b": (["a"], [per_axis(window(3, p=2, d=2), window(3, p=2, d=2))]),
             "sum": (["b", INPUT], [same, same]),
             "up": (["sum"], [per_axis(lambda o: [o // 2], lambda o: [o // 2])]),
             "e": (["up"], [per_axis(window(3, s=2), window(3, s=2))])}
    sizes = {INPUT: (9, 9), **{layer.name: layer.output_shape[1:] for layer in report.layers}}
    for layer in ("sum", "up", "e"):
        for unit in itertools.product(*(range(n) for n in sizes[layer])):
            counted = path_counts(spec, shapes_of(spec, report), layer, unit)
            assert np.array_equal(counted, brute_force(graph, sizes, layer, unit)), (layer, unit)


def test_path_counts_equal_the_backend_gradient_with_every_weight_one():
    # A linear network with one channel, every weight 1 and no bias: d unit / d pixel = number of paths.
    from rfcalc.backend.engine import Network

    for text, layer in ((CHAIN, "d"), (RESIDUAL, "e")):
        spec, report = spec_of(text)
        network = Network(spec)
        weights = network.instantiate(0)
        for node, kernel in zip(spec.nodes, network.kernels):
            ones = {key: np.ones_like(value) if key != "bias" else np.zeros_like(value)
                    for key, value in weights.params[node.name].items()}
            weights.prepared[node.name] = kernel.prepare(ones, weights.buffers[node.name])
        x = network.random_input(0).astype(np.float64)
        run = network.forward(weights, x, keep=True)
        out = run.outputs[layer]
        for unit in [(0, 0), tuple((n - 1) // 2 for n in out.shape[1:-1]), tuple(n - 1 for n in out.shape[1:-1])]:
            seed = np.zeros_like(out)
            seed[(0,) + unit + (0,)] = 1.0
            gradient = network.backward(weights, run, {layer: seed})[0, ..., 0]
            counted = path_counts(spec, shapes_of(spec, report), layer, unit)
            assert np.allclose(gradient, counted), (layer, unit)


def test_pixels_with_paths_are_exactly_the_pixels_seen():
    spec, report = spec_of(RESIDUAL)
    for field in unit_fields(spec, report, "e", [(0, 0), (3, 5), (7, 7)]):
        assert np.array_equal(field.counts > 0, field.seen)


# -- receptive-field pictures ----------------------------------------------------------------------

def test_rf_picture_of_a_dilated_unit_marks_its_holes():
    # 3x3 kernel with dilation 2: the unit sees 9 pixels of a 5x5 box, 16 holes, one path each.
    spec, report = spec_of(sequential([1, 5, 5], "{name: l, type: conv2d, out_channels: 1, kernel_size: 3, "
                                                 "dilation: 2, padding: 2}"))
    svg = to_svg(draw_fields(spec.name, "l", unit_fields(spec, report, "l", [(2, 2)])))
    counted = roles(svg)
    assert counted["seen"] == 9 and counted["hole"] == 16 and counted["bbox"] == 1 and counted["outside"] == 0
    counts = [t.text for t in ET.fromstring(svg).iter(SVG + "text") if t.get("class") == "count"]
    assert counts == ["1"] * 9


def test_stride_makes_holes_for_the_next_layer():
    # a 1x1 conv at stride 2, then a 3x3 conv: a unit reads layer-1 units 0..2 = input pixels 0, 2, 4.
    spec, report = spec_of(sequential([1, 7, 7], "{name: s, type: conv2d, out_channels: 1, kernel_size: 1, "
                                                 "stride: 2}", "{name: l, type: conv2d, out_channels: 1, "
                                                               "kernel_size: 3}"))
    field, = unit_fields(spec, report, "l", [(0, 0)])
    assert field.box == ((0, 4), (0, 4)) and field.holes() == 16 and int(field.seen.sum()) == 9
    counted = roles(to_svg(draw_fields(spec.name, "l", [field])))
    assert counted["seen"] == 9 and counted["hole"] == 16 and counted["outside"] == 11  # 6x6 crop - 5x5 box


def test_non_uniform_layer_shows_units_side_by_side():
    # nearest 2x upsampling: period 2 per axis, so the centre unit and its neighbours (4 panels)
    spec, report = spec_of(sequential([1, 4, 4], "{name: up, type: upsample, scale_factor: 2, mode: nearest}"))
    fields = unit_fields(spec, report, "up")
    assert [f.unit for f in fields] == [(3, 3), (3, 4), (4, 3), (4, 4)]
    assert [tuple(map(tuple, np.argwhere(f.seen))) for f in fields] == [((1, 1),), ((1, 2),), ((2, 1),), ((2, 2),)]
    assert roles(to_svg(draw_fields(spec.name, "up", fields)))["unit"] == 4


def test_rf_of_a_layer_without_spatial_output_is_refused(run_cli, tmp_path):
    code, _, err = run_cli("draw", "lenet5", "--what", "rf", "--layer", "flatten", "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "has no spatial output" in err


# -- growth and PNG (matplotlib, the [draw] extra) -------------------------------------------------

def test_growth_steps_follow_the_recurrence():
    # three 3x3 convs then a 2x2 pool: r = 3, 5, 7, 8 (the pool doubles the jump, not r: not 14)
    from rfcalc.draw.growth import growth_steps

    spec, report = spec_of(sequential([1, 32, 32], *("{type: conv2d, out_channels: 1, kernel_size: 3}",) * 3,
                                      "{type: relu}", "{name: pool, type: maxpool2d, kernel_size: 2, stride: 2}"))
    steps = growth_steps(report)
    assert [s.r[0] for s in steps] == [3, 5, 7, 8]
    assert [s.j[0] for s in steps] == [1, 1, 1, 2]
    assert [s.downsamples for s in steps] == [False, False, False, True] and steps[-1].name == "pool"


def test_growth_plot_of_several_specs(run_cli, tmp_path):
    pytest.importorskip("matplotlib", reason="the growth plot needs matplotlib (pip install 'rfcalc[draw]')")
    out = tmp_path / "g.svg"
    code, _, err = run_cli("draw", "cifar10_walkthrough", "vgg16", "--what", "growth", "-o", str(out))
    assert code == 0, err
    texts = {t.text for t in ET.fromstring(out.read_text()).iter(SVG + "text")}
    assert {"cifar10_walkthrough", "vgg16", "downsampling layer", "input size"} <= texts
    png = tmp_path / "g.png"
    assert run_cli("draw", "vgg16", "--what", "growth", "-o", str(png))[0] == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_png_and_png_frames(run_cli, tmp_path):
    pytest.importorskip("matplotlib", reason="PNG pictures are rasterised by matplotlib (pip install 'rfcalc[draw]')")
    out = tmp_path / "c.png"
    assert run_cli("draw", "transposed_example", "--layer", "transposed", "-o", str(out))[0] == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    spec = tmp_path / "s.yaml"
    spec.write_text(sequential([1, 4, 4], "{name: c, type: conv2d, out_channels: 1, kernel_size: 3}"))
    code, _, err = run_cli("draw", str(spec), "--layer", "c", "--animate", "-o", str(tmp_path / "f.png"))
    assert code == 0 and "wrote 4 frames" in err  # a 2x2 output: one frame per position
    assert sorted(p.name for p in tmp_path.glob("f-*.png")) == [f"f-00{i}.png" for i in range(4)]


def test_png_without_matplotlib_names_the_extra(run_cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    code, _, err = run_cli("draw", "cifar10_walkthrough", "--layer", "conv1", "-o", str(tmp_path / "c.png"))
    assert code == 2 and "pip install 'rfcalc[draw]'" in err and not (tmp_path / "c.png").exists()


# -- the ERF picture of rfcalc erf -------------------------------------------------------------------

ERF_2D = sequential([1, 17, 17], "{name: c1, type: conv2d, out_channels: 2, kernel_size: 3}",
                    "{name: c2, type: conv2d, out_channels: 2, kernel_size: 3, stride: 2}")
ERF_1D = sequential([1, 200], "{name: c1, type: conv1d, out_channels: 2, kernel_size: 5}",
                    "{name: c2, type: conv1d, out_channels: 2, kernel_size: 5, dilation: 2}")


def svg_texts(path) -> list[str]:
    return [t.text or "" for t in ET.fromstring(path.read_text()).iter(SVG + "text")]


def test_erf_picture_has_axes_title_colour_bar_and_legend(run_cli, tmp_path):
    pytest.importorskip("matplotlib", reason="the ERF picture is a matplotlib plot (pip install 'rfcalc[draw]')")
    spec = tmp_path / "s.yaml"
    spec.write_text(ERF_2D)
    out = tmp_path / "e.svg"
    code, stdout, err = run_cli("erf", str(spec), "--samples", "1", "--out", str(out))
    assert code == 0, err
    texts = svg_texts(out)
    # c2's centre unit (3, 3) sees input rows and columns 6..10: r = 3 + 2 = 5
    assert "Effective receptive field of 'c2' unit (3,3)" in texts
    assert "theoretical RF (5x5 pixels, clipped to the input)" in texts
    assert {"input row", "input column", "|d unit / d pixel|, relative to the strongest pixel"} <= set(texts)
    assert "0.0" in texts and "1.0" in texts  # the colour bar's ends
    assert len(list(ET.fromstring(out.read_text()).iter(SVG + "image"))) == 2  # the map and the colour bar


def test_erf_of_a_1d_network_is_a_line_plot(run_cli, tmp_path):
    pytest.importorskip("matplotlib", reason="the ERF picture is a matplotlib plot (pip install 'rfcalc[draw]')")
    spec = tmp_path / "s.yaml"
    spec.write_text(ERF_1D)
    out = tmp_path / "e.svg"
    code, _, err = run_cli("erf", str(spec), "--samples", "1", "--out", str(out))
    assert code == 0, err
    texts = svg_texts(out)
    # r = 5 + (5 - 1) * 2 = 13; 13 * 4 < 200, so the plot zooms on the RF and says the rest is 0
    assert "theoretical RF (13 pixels, clipped to the input)" in texts
    assert "|d unit / d input| (relative to the strongest)" in texts and "relative |gradient|" in texts
    assert any(t.startswith("input position (of 200; the gradient is 0 outside") for t in texts)
    assert not list(ET.fromstring(out.read_text()).iter(SVG + "image"))  # no one-pixel strip


def test_erf_picture_refusals_come_before_the_work(run_cli, tmp_path, monkeypatch):
    import sys

    spec = tmp_path / "s.yaml"
    spec.write_text(ERF_2D)
    out = tmp_path / "e.png"
    out.write_bytes(b"keep")
    code, _, err = run_cli("erf", str(spec), "--out", str(out))
    assert code == 2 and "the file exists; give --force" in err and out.read_bytes() == b"keep"
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, stdout, err = run_cli("erf", str(spec), "--out", str(tmp_path / "new.png"))
    assert code == 2 and "pip install 'rfcalc[draw]'" in err and stdout == ""


# -- the picture a worksheet exercise shows ---------------------------------------------------------

def exercise(topic, yaml):
    """A stand-in with the fields of a worksheet Exercise that exercise_picture reads."""
    from types import SimpleNamespace

    return SimpleNamespace(topic=topic, networks=(SimpleNamespace(name="ex", yaml=yaml),))


def test_exercise_picture_shows_the_question_not_the_answer():
    from rfcalc.teach.pictures import exercise_picture

    # seeds/001's "Cannot" case: 7x7 input, 3x3 filter, stride 3
    svg = exercise_picture(exercise("valid", sequential([3, 7, 7], "{name: c, type: conv2d, out_channels: 5, "
                                                                   "kernel_size: 3, stride: 3}")))
    counted = roles(svg)
    assert counted["position"] == 2 and counted["tap"] == 2 * 9  # the first two positions: the stride
    assert counted["output"] == counted["current"] == counted["unread"] == 0  # the answers are not drawn
    assert "output" not in ET.fromstring(svg).find(SVG + "title").text
    # cropped one cell past the footprints: rows 0..3 (the footprint is rows 0..2), columns 0..6 (the
    # second footprint is columns 3..5): 4 x 7 pixels per panel
    assert counted["input"] == 2 * 4 * 7


def test_exercise_picture_only_for_questions_it_cannot_answer():
    from rfcalc.teach.pictures import exercise_picture

    conv = sequential([1, 8, 8], "{name: c, type: conv2d, out_channels: 1, kernel_size: 3, padding: 1}")
    assert exercise_picture(exercise("padding-same", conv)) is None  # the padding is the answer
    two = sequential([1, 8, 8], "{type: conv2d, out_channels: 1, kernel_size: 3}", "{type: relu}")
    assert exercise_picture(exercise("output-size", two)) is None
    transposed = sequential([1, 4, 4], "{type: conv_transpose2d, out_channels: 1, kernel_size: 3, stride: 2}")
    assert exercise_picture(exercise("output-size", transposed)) is None  # its stretched view shows o
    assert exercise_picture(exercise("output-size", conv)).startswith("<svg")
