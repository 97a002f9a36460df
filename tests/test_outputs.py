"""Several network outputs (`outputs: [p3, p4, p5]`): resolution, totals, budgets, memory, errors.

Expected values are derived by hand in the comments (3x3 convs, stride 2, padding 1: r += 2 j, j *= 2,
start stays 0.5 since (k - 1)/2 - p = 0)."""
from __future__ import annotations

import json

import pytest

from rfcalc.analyzer import analyze
from rfcalc.errors import SpecError
from rfcalc.spec import parse_spec

# c1: 8x32x32 r 3 j 2; p3: 8x16x16 r 7 j 4; head.p5: 8x8x8 r 15 j 8; a later layer reads p3.
DETECTOR = """\
name: det
input: {shape: [3, 64, 64]}
outputs: [p3, head]
layers:
  - {name: c1, type: conv2d, out_channels: 8, kernel_size: 3, stride: 2, padding: 1}
  - {name: p3, type: conv2d, out_channels: 8, kernel_size: 3, stride: 2, padding: 1}
  - name: head
    layers:
      - {name: p5, type: conv2d, out_channels: 8, kernel_size: 3, stride: 2, padding: 1}
"""


@pytest.fixture
def run(tmp_path, run_cli):
    """Write the spec text to spec.yaml and run a command on it: (exit code, stdout, stderr)."""
    def invoke(text: str, command: str, *args: str):
        path = tmp_path / "spec.yaml"
        path.write_text(text)
        return run_cli(command, str(path), *args)

    return invoke


def test_outputs_resolve_top_level_names_and_groups():
    report = analyze(parse_spec(DETECTOR, "det.yaml"))
    assert report.outputs == ("p3", "head.p5")  # a group's name stands for its last layer
    assert [(layer.name, layer.output_shape, layer.rf[0].size, layer.rf[0].jump)
            for layer in report.output_layers] == [("p3", (8, 16, 16), 7, 4), ("head.p5", (8, 8, 8), 15, 8)]


def test_default_output_is_the_last_layer():
    spec = parse_spec(DETECTOR.replace("outputs: [p3, head]\n", ""), "det.yaml")
    assert spec.outputs == () and spec.output_names == ("head.p5",)
    report = analyze(spec)
    assert [layer.name for layer in report.output_layers] == ["head.p5"]


def test_totals_show_every_output(run):
    code, output, errors = run(DETECTOR, "analyze", "--format", "markdown")
    assert code == 0, output
    assert "- **output p3**: 8x16x16: r 7, j 4, start 0.5" in output
    assert "- **output head.p5**: 8x8x8: r 15, j 8, start 0.5" in output
    assert "output RF" not in output
    data = json.loads(run(DETECTOR, "analyze", "--format", "json")[1])
    assert data["outputs"] == ["p3", "head.p5"]


def test_a_layer_nobody_reads_is_a_warning_unless_it_is_an_output(run):
    spec = DETECTOR.replace("outputs: [p3, head]\n", "").replace(
        "  - name: head\n", "  - {name: side, type: conv2d, out_channels: 4, kernel_size: 1}\n"
                            "  - name: head\n    inputs: [p3]\n")
    report = analyze(parse_spec(spec, "det.yaml"))
    unused = report.select("RF105")
    assert [(f.layer, f.outputs) for f in unused] == [("side", ("head.p5",))]
    declared = analyze(parse_spec(spec.replace("layers:\n  - {name: c1", "outputs: [side, head]\nlayers:\n"
                                                                       "  - {name: c1", 1), "det.yaml"))
    assert declared.select("RF105") == []
    code, output, errors = run(spec, "analyze", "--strict")
    assert code == 2 and "--strict: layer 'side': no layer reads this output" in errors


@pytest.mark.parametrize("name", ["conv_examples", "padding_examples", "transposed_example"])
def test_bundled_examples_declare_their_outputs(name):
    from rfcalc.sources import load_spec

    report = analyze(load_spec(name))
    assert report.select("RF105") == []
    assert len(report.output_layers) == len(report.layers)  # every example layer reads the input


def test_an_output_read_by_a_later_layer_stays_live():
    # float32, batch 1: input 3*16*16*4 = 3072 B; a: 4*16*16*4 = 4096; b reads a: 4096.
    text = """\
input: {shape: [3, 16, 16]}
outputs: [a, b]
layers:
  - {name: a, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: b, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
"""
    # a is an output: it stays after b reads it (input freed after a): peak = 3072 + 4096 then 4096 + 4096.
    assert analyze(parse_spec(text, "s.yaml")).totals.peak_activation_bytes == 8192
    # Without `outputs`, a is freed once b has read it, but both are live while b is computed: 8192 too;
    # a third layer makes the difference: c reads b, a is still held only when it is an output.
    third = text + "  - {name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}\n"
    held = analyze(parse_spec(third.replace("[a, b]", "[a, c]"), "s.yaml")).totals.peak_activation_bytes
    freed = analyze(parse_spec(third.replace("outputs: [a, b]\n", ""), "s.yaml")).totals.peak_activation_bytes
    assert (held, freed) == (3 * 4096, 2 * 4096)


@pytest.mark.parametrize("outputs, message", [
    ("[p4]", "det.yaml:3:11: unknown output 'p4': outputs must name layers of the network (a top-level name or a "
             "full dotted name)"),
    ("[p3, p3]", "det.yaml:3:15: output 'p3' is named twice (it is layer 'p3')"),
    ("[input]", "det.yaml:3:11: unknown output 'input': outputs must name layers of the network (a top-level name "
                "or a full dotted name) (the input is not a layer)"),
    ("[]", "det.yaml:3:10: outputs: List should have at least 1 item after validation, not 0 (got [])"),
])
def test_bad_outputs_are_located_errors(outputs, message):
    with pytest.raises(SpecError) as info:
        parse_spec(DETECTOR.replace("[p3, head]", outputs), "det.yaml")
    assert str(info.value) == message


BUDGETS = DETECTOR.replace("layers:\n  - {name: c1", "budgets:\n  BUDGET\nlayers:\n  - {name: c1", 1)


@pytest.mark.parametrize("budget, expected, lines", [
    # per output: p3 has r 7, head.p5 has r 15
    ("min_rf: {p3: 7, head.p5: 16}", 1, ["min_rf (p3)", "min_rf (head.p5)", "1 passed, 1 exceeded"]),
    ("min_rf: {head.p5: 15}", 0, ["min_rf (head.p5)", "1 passed, 0 exceeded"]),
    # one limit applies to every output
    ("max_rf: 10", 1, ["max_rf (p3)", "max_rf (head.p5)", "1 passed, 1 exceeded"]),
    ("output_shape: {p3: 8x16x16, head.p5: [8, 8, 8]}", 0, ["2 passed, 0 exceeded"]),
])
def test_budgets_per_output(run, budget, expected, lines):
    code, output, errors = run(BUDGETS.replace("BUDGET", budget), "check")
    assert code == expected, output + errors
    for line in lines:
        assert line in output


def test_budget_failure_message_names_the_output(run):
    code, output, errors = run(BUDGETS.replace("BUDGET", "min_rf: {head.p5: 16}"), "check", "--format", "json")
    check = json.loads(output)["results"][0]["checks"][0]
    assert (check["budget"], check["output"], check["actual"], check["passed"]) == ("min_rf", "head.p5", [15, 15],
                                                                                    False)
    assert check["message"] == "RF (min) of head.p5 15x15 is below min_rf 16 (-6.2%)"


def test_a_budget_naming_an_unknown_output_is_a_located_error(run):
    code, output, errors = run(BUDGETS.replace("BUDGET", "min_rf: {p6: 100}"), "check")
    assert code == 2
    assert "budget min_rf names 'p6', which is not an output of the network (outputs: p3, head.p5)" in errors
    assert "spec.yaml:5:11" in errors


def test_single_output_budgets_read_as_before(run):
    single = BUDGETS.replace("outputs: [p3, head]\n", "").replace("BUDGET", "min_rf: 15")
    code, output, errors = run(single, "check", "--format", "json")
    check = json.loads(output)["results"][0]["checks"][0]
    assert "output" not in check and check["message"] == "RF (min) 15x15 within min_rf 15"


@pytest.mark.parametrize("flags, expected, lines", [
    # p3 has r 7, head.p5 has r 15 and shape 8x8x8 (see DETECTOR)
    (["--min-rf", "p3=7,head.p5=16"], 1, ["min_rf (p3)", "min_rf (head.p5)", "1 passed, 1 exceeded"]),
    (["--max-rf", "head.p5=15", "--output-shape", "p3=8x16x16"], 0, ["max_rf (head.p5)", "output_shape (p3)",
                                                                     "2 passed, 0 exceeded"]),
])
def test_budget_flags_name_an_output(run, flags, expected, lines):
    code, output, errors = run(DETECTOR, "check", *flags)
    assert code == expected, output + errors
    for line in lines:
        assert line in output


@pytest.mark.parametrize("value", ["=16", "p3=", "p3=7,"])
def test_a_malformed_named_flag_is_a_usage_error(run, value):
    code, output, errors = run(DETECTOR, "check", "--min-rf", value)
    assert (code, output) == (2, "")
    assert errors == f"rfcalc: error: --min-rf: expected output=limit pairs separated by commas (p4=200,p5=400); " \
                     f"got {value.split(',')[-1]!r}\n"
