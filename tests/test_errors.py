"""Bad input, adversarially: every bad input gets one clear message naming file:line:column, the layer
and the problem, exits with code 2, and never shows a Python traceback; unknown things are errors.

Inputs that could hang or exhaust memory run in a child process with a memory cap and a time limit,
so a regression fails the test instead of freezing the suite (a hang guard, not a benchmark).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rfcalc.cli import main

# A child that has not answered after this long is hung; one over this much memory is blowing up.
HANG_GUARD_SECONDS = 4
MEMORY_CAP_BYTES = 2 * 1024 ** 3
# A message quoting a bad value should stay readable on a terminal.
MAX_MESSAGE_CHARS = 1000

SPEC = "spec.yaml"


def sequential(*layers: str, shape=(3, 32, 32), extra: str = "") -> str:
    """A spec with flow-style layers: layer k (0-based) is on line 3 + k, its mapping at column 5."""
    lines = [f"input: {{shape: {list(shape)}}}", "layers:"] + [f"  - {layer}" for layer in layers]
    return "\n".join(lines) + "\n" + extra


def conv(*fields: str) -> str:
    """A flow-style conv2d layer named 'c' (4 out channels, 3x3), with fields ('key: value') replaced or added."""
    values = {"name": "c", "type": "conv2d", "out_channels": "4", "kernel_size": "3"}
    for field in fields:
        key, value = field.split(": ", 1)
        values[key] = value
    return "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"


@pytest.fixture
def analyze(run_cli, tmp_path):
    """Write spec text (str, dedented; or bytes, as is) to spec.yaml and run `rfcalc analyze` on it."""

    def run(text, *args):
        path = tmp_path / SPEC
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return run_cli("analyze", str(path), *args)

    return run


def assert_bad_input(result, *words: str, layer: str | None = None, line: int | None = None,
                     file: str = SPEC) -> str:
    """Exit 2, one line 'rfcalc: error: FILE:LINE:COL: ...' naming the layer and the problem's words."""
    code, _out, err = result
    assert "Traceback" not in err
    assert code == 2, f"exit code {code}; stderr: {err[:500]!r}"
    message = err.strip()
    assert message.startswith("rfcalc: error: "), message[:500]
    assert len(message) <= MAX_MESSAGE_CHARS, f"{len(message)}-character message: {message[:300]!r}..."
    assert "\n" not in message, f"more than one line: {message!r}"
    where = re.search(re.escape(file) + r":(\d+):(\d+):", message)
    assert where, f"no {file}:line:column in {message!r}"
    if line is not None:
        assert int(where.group(1)) == line, message
    problem = message[where.end():]  # words are looked for after the location, not in the (test-named) path
    if layer is not None:
        assert f"'{layer}'" in problem, f"layer '{layer}' not named in {message!r}"
    for word in words:
        assert word.lower() in problem.lower(), f"{word!r} not in {message!r}"
    return message


def assert_accepted(result):
    """Exit 0, nothing on stderr."""
    code, _out, err = result
    assert (code, err) == (0, ""), f"exit {code}; stderr: {err[:500]!r}"


def run_isolated(*args: str, stdin: bytes | None = None, cwd=None):
    """`python -m rfcalc ARGS` in a child capped at MEMORY_CAP_BYTES and HANG_GUARD_SECONDS:
    (exit code or 'hang', stdout, stderr)."""

    def cap_memory():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))

    env = {**os.environ, "LC_ALL": "C.UTF-8", "NO_COLOR": "1"}
    try:
        done = subprocess.run([sys.executable, "-m", "rfcalc", *args], input=stdin or b"", capture_output=True,
                              timeout=HANG_GUARD_SECONDS, preexec_fn=cap_memory, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return "hang", "", f"no answer within {HANG_GUARD_SECONDS} s"
    return (done.returncode, done.stdout.decode("utf-8", "replace")[:5000],
            done.stderr.decode("utf-8", "replace"))


@pytest.fixture
def analyze_isolated(tmp_path):
    """Write spec text to spec.yaml and analyze it in a guarded child process."""

    def run(text: str, *args: str):
        (tmp_path / SPEC).write_text(textwrap.dedent(text), encoding="utf-8")
        return run_isolated("analyze", SPEC, *args, cwd=tmp_path)

    return run


# --------------------------------------------------------------------------------------------------
# Invalid YAML, empty and non-mapping documents
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, words", [
    ("input: {shape: [3, 32, 32]\nlayers: [{type: relu}]\n", 2, ["invalid YAML", "flow mapping"]),
    ("input:\n  shape: [3, 32, 32]\n bad: 1\nlayers: [{type: relu}]\n", 3, ["invalid YAML"]),
    ("input:\n\tshape: [3, 32, 32]\nlayers: [{type: relu}]\n", 2, ["invalid YAML"]),
    ('input: {shape: [3, 32, 32]}\nlayers:\n  - {type: "relu}\n', None, ["invalid YAML", "quoted scalar"]),
    ("input: {shape: [3, 32, 32]}\nlayers:\n  - type: relu: x\n", 3, ["invalid YAML", "mapping values"]),
    ("input: {shape: [3, 32, 32]}\nlayers: [{type: relu}]\n---\nname: two\n", 3, ["invalid YAML", "document"]),
    ("input: {shape: [3, 32, 32]}\nlayers: [{type: relu}\n", None, ["invalid YAML"]),
    ("input: {shape: [3, 32, 32]}\nlayers:\n  - {type: relu}\n  -- {type: relu}\n", None, ["invalid YAML"]),
], ids=["unclosed-flow-mapping", "bad-indent", "tab-indent", "unclosed-quote", "colon-in-plain-scalar",
        "two-documents", "unclosed-flow-sequence", "bad-sequence-marker"])
def test_invalid_yaml(analyze, text, line, words):
    assert_bad_input(analyze(text), *words, line=line)


@pytest.mark.parametrize("text, line, column", [
    ("input:\n\tshape: [3, 32, 32]\nlayers: [{type: relu}]\n", 2, 1),
    ("input: {shape: [3, 32, 32]}\nlayers:\n\t- {type: relu}\n", 3, 1),
    ("input: {shape: [3, 32, 32]}\nlayers:\n  - name: a\n  \ttype: relu\n", 4, 3),
], ids=["mapping", "sequence", "after-spaces"])
def test_tab_in_indentation_is_named_with_the_fix(analyze, text, line, column):
    message = assert_bad_input(analyze(text), "a tab character", "replace the tab with spaces", line=line)
    assert f"{SPEC}:{line}:{column}:" in message


def test_tab_inside_a_flow_mapping_is_accepted(analyze):
    assert analyze("input: {shape: [3, 32, 32]}\nlayers:\n  - {name: a,\ttype: relu}\n")[0] == 0


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_spec(analyze, text):
    assert_bad_input(analyze(text), "empty", line=1)


@pytest.mark.parametrize("text", ["~\n", "- conv2d\n- relu\n", "42\n", "just words\n"],
                         ids=["null", "sequence", "number", "string"])
def test_top_level_must_be_a_mapping(analyze, text):
    assert_bad_input(analyze(text), "mapping", "input", "layers", line=1)


def test_unknown_top_level_key_suggests(analyze):
    message = assert_bad_input(analyze(sequential("{type: relu}", extra="layerz: []\n")), line=4)
    assert "unknown top-level key 'layerz'" in message and "did you mean 'layers'" in message


def test_misspelt_input_key(analyze):
    message = assert_bad_input(analyze("inptu: {shape: [3, 32, 32]}\nlayers: [{type: relu}]\n"), line=1)
    assert "'inptu'" in message and "did you mean 'input'" in message


@pytest.mark.parametrize("text, words", [
    ("layers: [{type: relu}]\n", ["input", "required"]),
    ("input: {shape: [3, 32, 32]}\n", ["layers", "required"]),
    ("input: {shape: [3, 32, 32]}\nlayers: []\n", ["layers", "at least 1"]),
    ("input: {shape: [3, 32, 32]}\nlayers: {a: 1}\n", ["layers", "list"]),
    ("input: [3, 32, 32]\nlayers: [{type: relu}]\n", ["input"]),
    ("input: {shape: '3x32x32'}\nlayers: [{type: relu}]\n", ["input.shape", "list"]),
    ("input: {shape: [3, 0, 32]}\nlayers: [{type: relu}]\n", ["input.shape", "greater than 0"]),
    ("input: {shape: [3, 32, 32], dtype: float8}\nlayers: [{type: relu}]\n", ["dtype", "float8"]),
    ("input: {shape: [3, 32, 32], batch: 0}\nlayers: [{type: relu}]\n", ["batch", "greater than 0"]),
    ("input: {shape: [3, 32, 32]}\nvars: [1]\nlayers: [{type: relu}]\n", ["vars", "dictionary"]),
    ("input: {shape: [3, 32, 32]}\nblocks: [1]\nlayers: [{type: relu}]\n", ["blocks", "dictionary"]),
    ("name: 5\ninput: {shape: [3, 32, 32]}\nlayers: [{type: relu}]\n", ["name", "string"]),
], ids=["no-input", "no-layers", "empty-layers", "layers-mapping", "input-list", "shape-string",
        "shape-zero", "unknown-dtype", "batch-zero", "vars-list", "blocks-list", "name-number"])
def test_bad_document_structure(analyze, text, words):
    assert_bad_input(analyze(text), *words)


def test_layer_item_must_be_a_mapping(analyze):
    assert_bad_input(analyze(sequential("relu")), "layers.0", "dictionary", line=3)


# --------------------------------------------------------------------------------------------------
# Unknown things: layer types, fields, inputs, blocks (with "did you mean")
# --------------------------------------------------------------------------------------------------

def test_unknown_layer_type_suggests(analyze):
    message = assert_bad_input(analyze(sequential("{name: c, type: conv2x, out_channels: 4, kernel_size: 3}")),
                               "unknown layer type 'conv2x'", layer="c", line=3)
    assert "did you mean 'conv2d'" in message


def test_swish_is_silu(analyze):
    # x * sigmoid(x) on 3x32x32: 4 operations per element (exp, add, div, mul), as silu.
    reports = [json.loads(analyze(sequential(f"{{name: a, type: {kind}}}"), "--format", "json")[1])
               for kind in ("swish", "silu")]
    assert reports[0]["totals"]["flops"] == reports[1]["totals"]["flops"] == 4 * 3 * 32 * 32


def test_misspelt_swish_suggests_it(analyze):
    message = assert_bad_input(analyze(sequential("{name: a, type: swsh}")), "unknown layer type", layer="a")
    assert "did you mean 'swish'" in message


@pytest.mark.parametrize("kind", ["null", "3", "'${\"rel\" + \"ux\"}'"])
def test_unknown_layer_type_of_other_kinds(analyze, kind):
    assert_bad_input(analyze(sequential(f"{{name: a, type: {kind}}}")), "unknown layer type", layer="a", line=3)


def test_missing_type(analyze):
    assert_bad_input(analyze(sequential("{name: a, out_channels: 4}")), "type", layer="a", line=3)


def test_unknown_field_suggests(analyze):
    message = assert_bad_input(
        analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_sise: 3}")),
        "unknown field 'kernel_sise'", layer="c", line=3)
    assert "did you mean 'kernel_size'" in message


def test_missing_required_field(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, kernel_size: 3}")),
                     "out_channels", "required", layer="c", line=3)


def test_unknown_input_name(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu}", "{name: m, type: relu, inputs: [b]}")),
                     "unknown input 'b'", layer="m", line=4)


def test_unknown_input_suggests_a_close_name(analyze):
    message = assert_bad_input(
        analyze(sequential("{name: conv1, type: relu}", "{name: m, type: relu, inputs: [cnv1]}")),
        "unknown input 'cnv1'", layer="m", line=4)
    assert "did you mean 'conv1'" in message


def test_self_reference_is_a_cycle(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu, inputs: [a]}")), "own output", "cycle",
                     layer="a", line=3)


def test_forward_reference_is_refused(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu, inputs: [b]}", "{name: b, type: relu}")),
                     "unknown input 'b'", "cycle", layer="a", line=3)


def test_two_layer_cycle_is_refused(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: add, inputs: [input, b]}",
                                        "{name: b, type: relu, inputs: a}")),
                     "'b'", "cycle", layer="a", line=3)


@pytest.mark.parametrize("inputs, words", [
    ("[]", ["inputs", "[]"]), ("true", ["inputs", "True"]), ("{x: 1}", ["inputs"]), ("[[input]]", ["inputs"]),
], ids=["empty", "bool", "mapping", "nested-list"])
def test_malformed_inputs(analyze, inputs, words):
    assert_bad_input(analyze(sequential("{name: a, type: relu}", f"{{name: b, type: relu, inputs: {inputs}}}")),
                     *words, layer="b", line=4)


def test_duplicate_layer_names(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu}", "{name: a, type: tanh}")),
                     "duplicate layer name 'a'", layer="a", line=4)


@pytest.mark.parametrize("name", ["''", "a.b"])
def test_bad_layer_names(analyze, name):
    assert_bad_input(analyze(sequential(f"{{name: {name}, type: relu}}")), "layer name", line=3)


BLOCK = """\
input: {shape: [3, 32, 32]}
blocks:
  unit:
    params: {c: 4}
    layers:
      - {name: cv, type: conv2d, out_channels: "${c}", kernel_size: 3, padding: 1}
"""


def test_unknown_block_suggests(analyze):
    message = assert_bad_input(analyze(BLOCK + "layers:\n  - {name: x, block: unti}\n"),
                               "unknown block 'unti'", layer="x", line=8)
    assert "did you mean 'unit'" in message


def test_block_recursion(analyze):
    text = """\
    input: {shape: [3, 32, 32]}
    blocks:
      unit:
        layers: [{type: relu}, {name: again, block: unit}]
    layers:
      - {name: x, block: unit}
    """
    assert_bad_input(analyze(text), "block 'unit' uses itself", layer="x.again")


def test_mutual_block_recursion(analyze):
    text = """\
    input: {shape: [3, 32, 32]}
    blocks:
      a: {layers: [{name: r, block: b}]}
      b: {layers: [{name: r, block: a}]}
    layers:
      - {name: x, block: a}
    """
    assert_bad_input(analyze(text), "block 'a' uses itself", layer="x.r.r")


def test_unknown_block_parameter_suggests(analyze):
    message = assert_bad_input(analyze(BLOCK + "layers:\n  - {name: x, block: unit, args: {cc: 8}}\n"),
                               "no parameter 'cc'", layer="x", line=8)
    assert "did you mean 'c'" in message


def test_block_args_must_be_a_mapping(analyze):
    assert_bad_input(analyze(BLOCK + "layers:\n  - {name: x, block: unit, args: [8]}\n"), "args", layer="x")


def test_bad_block_argument_is_reported_at_the_layer_it_breaks(analyze):
    assert_bad_input(analyze(BLOCK + "layers:\n  - {name: x, block: unit, args: {c: four}}\n"),
                     "out_channels", "four", layer="x.cv")


@pytest.mark.parametrize("extra, words", [
    ("{name: x, block: unit, type: relu}", ["unknown field 'type'", "block call"]),
    ("{name: g, layers: [{type: relu}], type: relu}", ["unknown field 'type'", "group"]),
    ("{name: g, layers: relu}", ["layers", "non-empty list"]),
    ("{name: g, inputs: [input, input], layers: [{type: relu}]}", ["exactly one input"]),
], ids=["block-call-with-type", "group-with-type", "group-layers-string", "group-two-inputs"])
def test_malformed_groups_and_block_calls(analyze, extra, words):
    assert_bad_input(analyze(BLOCK + f"layers:\n  - {extra}\n"), *words, line=8)


@pytest.mark.parametrize("kind", ["[relu]", "{x: 1}"], ids=["list", "mapping"])
def test_unhashable_layer_type(analyze, kind):
    assert_bad_input(analyze(sequential(f"{{name: a, type: {kind}}}")), "type", layer="a", line=3)


def test_unhashable_block_name(analyze):
    assert_bad_input(analyze(BLOCK + "layers:\n  - {name: x, block: [unit]}\n"), "block", layer="x", line=8)


@pytest.mark.parametrize("args", ["{~: 5}", "{3: 5}", "{c: 4, 3: 5}"], ids=["null-key", "int-key", "mixed-keys"])
def test_block_args_with_non_string_keys(analyze, args):
    assert_bad_input(analyze(BLOCK + f"layers:\n  - {{name: x, block: unit, args: {args}}}\n"),
                     "parameter", layer="x", line=8)


def test_unknown_top_level_type_key_with_list_value(analyze):
    assert_bad_input(analyze(sequential("{type: relu}", extra="type: [1]\n")),
                     "unknown top-level key 'type'", line=4)


# --------------------------------------------------------------------------------------------------
# Wrong types and values of fields
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, words", [
    ("out_channels: four", ["out_channels", "valid integer", "four"]),
    ("out_channels: 4.5", ["out_channels", "valid integer", "4.5"]),
    ("out_channels: [4]", ["out_channels", "integer"]),
    ("out_channels: 0", ["out_channels", "greater than 0"]),
    ("out_channels: -4", ["out_channels", "greater than 0"]),
    ("out_channels: null", ["out_channels"]),
    ("bias: 2", ["bias", "boolean"]),
    ("padding: full", ["padding", "full", "unknown padding word", "'same'", "'valid'", "[before, after]"]),
    ("padding_mode: reflect", ["padding_mode", "reflect"]),
    ("kernel_size: 1e30", ["kernel_size", "1e30"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_wrong_typed_conv_field(analyze, field, words):
    assert_bad_input(analyze(sequential(conv(field))), *words, layer="c", line=3)


@pytest.mark.parametrize("field, words", [
    ("kernel_size: 0", ["kernel_size", "positive"]),
    ("kernel_size: -3", ["kernel_size", "positive"]),
    ("kernel_size: [3, 0]", ["kernel_size", "positive"]),
    ("stride: 0", ["stride", "positive"]),
    ("stride: -1", ["stride", "positive"]),
    ("dilation: 0", ["dilation", "positive"]),
    ("groups: 0", ["groups", "greater than 0"]),
    ("padding: -1", ["padding", "negative"]),
    ("padding: [[-1, 1], 0]", ["padding", "negative"]),
    ("padding: [[1, 1, 1], 0]", ["padding", "[before, after]"]),
    ("padding: [1, 1, 1]", ["padding", "3 entries"]),
    ("kernel_size: [3, 3, 3]", ["kernel_size", "3 values", "2 spatial axes"]),
    ("kernel_size: []", ["kernel_size"]),
    ("stride: [1]", ["stride", "1 values"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_window_values(analyze, field, words):
    assert_bad_input(analyze(sequential(conv(field))), *words, layer="c", line=3)


def test_kernel_larger_than_padded_input(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 35, padding: 1}")),
                     "effective kernel 35", "larger than the padded input 34", layer="c", line=3)


def test_dilated_kernel_larger_than_input(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, dilation: 20}")),
                     "effective kernel 41", layer="c", line=3)


def test_very_large_kernel(analyze):
    assert_bad_input(analyze(sequential(f"{{name: c, type: conv2d, out_channels: 4, kernel_size: {10 ** 30}}}")),
                     "kernel_size", "too large", layer="c", line=3)


def test_channel_mismatch(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, in_channels: 4, out_channels: 8, kernel_size: 3}")),
                     "in_channels is 4", "3 channels", layer="c", line=3)


def test_group_mismatch(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, groups: 2}")),
                     "groups=2", "in_channels (3)", layer="c", line=3)


@pytest.mark.parametrize("layer, words", [
    ("{name: c, type: depthwise_conv2d, kernel_size: 3, out_channels: 4}", ["out_channels 4", "depth_multiplier"]),
    ("{name: c, type: depthwise_conv2d, kernel_size: 3, groups: 3}", ["groups"]),
    ("{name: c, type: batchnorm2d, num_features: 4}", ["num_features is 4", "3 channels"]),
    ("{name: c, type: avgpool2d, kernel_size: 2, dilation: 2}", ["dilation"]),
    ("{name: c, type: maxpool2d, kernel_size: 3, padding: 2}", ["padding 2", "half"]),
    ("{name: c, type: maxpool2d, kernel_size: 3, padding: -1}", ["padding", "negative"]),
    ("{name: c, type: concat, dim: 1, inputs: [input, input]}", ["dim"]),
    ("{name: c, type: pad, padding: -16}", ["crops", "nothing"]),
    ("{name: c, type: pad, padding: [1, 1, 1]}", ["3 entries"]),
    ("{name: c, type: tiled_conv2d, out_channels: 4, kernel_size: 3, tile_size: [2, 2, 2]}", ["tile_size"]),
    ("{name: c, type: gelu, approximate: fast}", ["approximate", "fast"]),
], ids=["depthwise-out", "depthwise-groups", "batchnorm-features", "avgpool-dilation", "pool-padding-half",
        "pool-negative-padding", "concat-dim", "pad-crops-all", "pad-wrong-axes", "tile-size-axes",
        "gelu-approximate"])
def test_bad_layer_values(analyze, layer, words):
    assert_bad_input(analyze(sequential(layer)), *words, layer="c", line=3)


def test_conv2d_on_1d_input(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3}", shape=(3, 32))),
                     "conv2d expects an input with 2 spatial axes", "[3, 32]", layer="c", line=3)


@pytest.mark.parametrize("layer", ["{name: c, type: conv3d, out_channels: 4, kernel_size: 3}",
                                   "{name: c, type: batchnorm1d}", "{name: c, type: maxpool1d, kernel_size: 2}",
                                   "{name: c, type: depthwise_conv1d, kernel_size: 3}"])
def test_dimensionality_suffix_mismatch(analyze, layer):
    assert_bad_input(analyze(sequential(layer)), "spatial axes", "[3, 32, 32]", layer="c", line=3)


def test_window_layer_on_flat_input(analyze):
    assert_bad_input(analyze(sequential("{name: f, type: flatten}", "{name: c, type: conv, out_channels: 4, kernel_size: 3}")),
                     "spatial axes", "[3072]", layer="c", line=4)


def test_global_pool_on_flat_input(analyze):
    assert_bad_input(analyze(sequential("{name: f, type: flatten}", "{name: g, type: global_avgpool}")),
                     "spatial axes", layer="g", line=4)


def test_linear_on_unflattened_input(analyze):
    assert_bad_input(analyze(sequential("{name: fc, type: linear, out_features: 10}")),
                     "flat input", "[3, 32, 32]", "flatten", layer="fc", line=3)


def test_linear_in_features_mismatch(analyze):
    assert_bad_input(analyze(sequential("{name: f, type: flatten}", "{name: fc, type: linear, in_features: 100, out_features: 10}")),
                     "in_features is 100", "3072", layer="fc", line=4)


@pytest.mark.parametrize("fields", ["scale_factor: 2, size: 64", "mode: nearest"], ids=["both", "neither"])
def test_upsample_needs_exactly_one_of_scale_and_size(analyze, fields):
    assert_bad_input(analyze(sequential(f"{{name: u, type: upsample, {fields}}}")),
                     "exactly one of scale_factor and size", layer="u", line=3)


@pytest.mark.parametrize("fields, words", [
    ("scale_factor: -2", ["scale_factor", "positive"]),
    ("scale_factor: 1.0e-30", ["scale_factor", "nothing"]),
    ("scale_factor: [2, 2, 2]", ["scale_factor", "per axis"]),
    ("size: [4, 4, 4]", ["size", "per spatial axis"]),
    ("size: 0", ["size"]),
    ("scale_factor: 2, align_corners: true", ["align_corners"]),
    ("scale_factor: 2, mode: trilinear", ["trilinear", "3 spatial axes"]),
], ids=["negative", "shrinks-to-nothing", "too-many-factors", "too-many-sizes", "zero-size",
        "align-corners-nearest", "trilinear-on-2d"])
def test_bad_upsample(analyze, fields, words):
    assert_bad_input(analyze(sequential(f"{{name: u, type: upsample, {fields}}}")), *words, layer="u", line=3)


@pytest.mark.parametrize("dim", [3, -4, 100])
def test_softmax_dim_out_of_range(analyze, dim):
    assert_bad_input(analyze(sequential(f"{{name: s, type: softmax, dim: {dim}}}")),
                     f"dim {dim}", "out of range", "[3, 32, 32]", layer="s", line=3)


def test_prelu_num_parameters_mismatch(analyze):
    assert_bad_input(analyze(sequential("{name: p, type: prelu, num_parameters: 5}")),
                     "num_parameters", "1 or the channel count 3", "got 5", layer="p", line=3)


@pytest.mark.parametrize("shape", ["[16, 16]", "[3, 32, 32, 1]", "[33]"])
def test_layernorm_normalized_shape_mismatch(analyze, shape):
    assert_bad_input(analyze(sequential(f"{{name: n, type: layernorm, normalized_shape: {shape}}}")),
                     "normalized_shape", "trailing dimensions", layer="n", line=3)


@pytest.mark.parametrize("fields, words", [
    ("num_groups: 2", ["num_groups 2", "divide the 3 input channels"]),
    ("num_groups: 3, num_channels: 4", ["num_channels is 4", "3 channels"]),
    ("num_groups: 0", ["num_groups", "greater than 0"]),
], ids=["groups-do-not-divide", "channels-mismatch", "zero-groups"])
def test_bad_group_norm(analyze, fields, words):
    assert_bad_input(analyze(sequential(f"{{name: g, type: group_norm, {fields}}}")), *words, layer="g", line=3)


def test_conv_transpose_output_padding_not_below_stride(analyze):
    assert_bad_input(analyze(sequential("{name: t, type: conv_transpose2d, out_channels: 4, kernel_size: 3, "
                                        "stride: 2, output_padding: 2}")),
                     "output_padding 2", "stride 2", layer="t", line=3)


def test_conv_transpose_negative_output_padding(analyze):
    assert_bad_input(analyze(sequential("{name: t, type: conv_transpose2d, out_channels: 4, kernel_size: 3, "
                                        "stride: 2, output_padding: -1}")),
                     "output_padding", "negative", layer="t", line=3)


@pytest.mark.parametrize("size", ["0", "[-1, 2]", "[2, 0]"])
def test_adaptive_pool_output_size_not_positive(analyze, size):
    assert_bad_input(analyze(sequential(f"{{name: a, type: adaptive_avgpool2d, output_size: {size}}}")),
                     "output_size", "positive", layer="a", line=3)


@pytest.mark.parametrize("p, words", [(".nan", "finite number"), (".inf", "finite number"),
                                      ("-.inf", "finite number"), ("-0.1", "p must be in [0, 1)"),
                                      ("1", "p must be in [0, 1)")])
def test_dropout_probability_out_of_range(analyze, p, words):
    assert_bad_input(analyze(sequential(f"{{name: d, type: dropout, p: {p}}}")), words, layer="d", line=3)


def test_negative_padding_on_conv(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: -1}")),
                     "padding must not be negative", "-1", layer="c", line=3)


def test_share_params_with_mismatch(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: conv2d, out_channels: 3, kernel_size: 3}",
                                        "{name: b, type: conv2d, out_channels: 4, kernel_size: 3, share_params_with: a}")),
                     "share_params_with 'a'", layer="b", line=4)


def test_share_params_with_unknown_layer(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: conv2d, out_channels: 3, kernel_size: 3, share_params_with: zz}")),
                     "share_params_with", "'zz'", layer="a", line=3)


@pytest.mark.parametrize("layer", [
    "{name: c, type: batchnorm2d, eps: .nan}",
    "{name: c, type: batchnorm2d, eps: -1}",
    "{name: c, type: batchnorm2d, momentum: .nan}",
    "{name: c, type: layernorm, eps: .inf}",
    "{name: c, type: leaky_relu, negative_slope: .nan}",
    "{name: c, type: elu, alpha: .inf}",
    "{name: c, type: lppool2d, kernel_size: 2, norm_type: .nan}",
    "{name: c, type: lppool2d, kernel_size: 2, norm_type: 0}",
], ids=["bn-eps-nan", "bn-eps-negative", "bn-momentum-nan", "ln-eps-inf", "leaky-slope-nan", "elu-alpha-inf",
        "lppool-norm-nan", "lppool-norm-zero"])
def test_nonsense_floats_are_refused(analyze, layer):
    assert_bad_input(analyze(sequential(layer)), layer="c", line=3)


@pytest.mark.parametrize("scale", [".nan", ".inf"])
def test_upsample_scale_nan_or_inf(analyze, scale):
    assert_bad_input(analyze(sequential(f"{{name: u, type: upsample, scale_factor: {scale}}}")),
                     "scale_factor", layer="u", line=3)


@pytest.mark.parametrize("tiles", ["0", "-2", "[2, 0]"])
def test_tiled_conv_tile_size_not_positive(analyze, tiles):
    assert_bad_input(analyze(sequential("{name: c, type: tiled_conv2d, out_channels: 4, kernel_size: 3, "
                                        f"tile_size: {tiles}}}")), "tile_size", layer="c", line=3)


# --------------------------------------------------------------------------------------------------
# Booleans are not integers (pydantic's lax mode accepts True as 1)
# --------------------------------------------------------------------------------------------------

BOOL_AS_INT_LAYERS = [
    "{name: c, type: conv2d, out_channels: 4, kernel_size: true}",
    "{name: c, type: conv2d, out_channels: 4, kernel_size: [true, 3]}",
    "{name: c, type: conv2d, out_channels: true, kernel_size: 3}",
    "{name: c, type: conv2d, out_channels: 4, kernel_size: 3, stride: true}",
    "{name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: true}",
    "{name: c, type: conv2d, out_channels: 4, kernel_size: 3, dilation: true}",
    "{name: c, type: conv2d, out_channels: 4, kernel_size: 3, groups: true}",
    "{name: c, type: maxpool2d, kernel_size: true}",
    "{name: c, type: softmax, dim: true}",
    "{name: c, type: adaptive_avgpool2d, output_size: true}",
    "{name: c, type: upsample, size: true}",
    "{name: c, type: upsample, scale_factor: true}",
    "{name: c, type: prelu, num_parameters: true}",
]


@pytest.mark.parametrize("layer", BOOL_AS_INT_LAYERS,
                         ids=[l.split("type: ")[1].split("}")[0].replace(" ", "") for l in BOOL_AS_INT_LAYERS])
def test_boolean_is_not_an_integer(analyze, layer):
    assert_bad_input(analyze(sequential(layer)), "true", layer="c", line=3)


def test_boolean_out_features(analyze):
    assert_bad_input(analyze(sequential("{type: flatten}", "{name: c, type: linear, out_features: true}")),
                     "out_features", layer="c", line=4)


@pytest.mark.parametrize("spec_input", ["{shape: [3, true, 32]}", "{shape: [3, 32, 32], batch: true}"],
                         ids=["shape", "batch"])
def test_boolean_in_input(analyze, spec_input):
    assert_bad_input(analyze(f"input: {spec_input}\nlayers: [{{type: relu}}]\n"), "input", line=1)


def test_boolean_repeat_is_refused(analyze):
    assert_bad_input(analyze(sequential("{name: g, repeat: true, layers: [{type: relu}]}")),
                     "repeat must be an integer from 1 to 10,000", "True", layer="g", line=3)


@pytest.mark.parametrize("repeat", ["0", "-1", "two", "2.5"])
def test_bad_repeat(analyze, repeat):
    assert_bad_input(analyze(sequential(f"{{name: g, repeat: {repeat}, layers: [{{type: relu}}]}}")),
                     "repeat must be an integer from 1 to 10,000", layer="g", line=3)


def test_repeat_on_a_plain_leaf_is_an_unknown_field(analyze):
    assert_bad_input(analyze(sequential("{name: r, repeat: 3, type: relu}")), "unknown field 'repeat'",
                     layer="r", line=3)


def test_trainable_must_be_boolean(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, trainable: maybe}")),
                     "trainable", layer="c", line=3)


def test_if_must_be_boolean(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: relu, if: maybe}")), "'if' must be true or false",
                     line=3)


def test_if_error_names_the_layer(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: relu, if: maybe}")), "'if'", layer="c", line=3)


@pytest.mark.parametrize("name", ["[a]", "null", "{a: 1}"], ids=["list", "null", "mapping"])
def test_layer_name_must_be_a_string(analyze, name):
    assert_bad_input(analyze(sequential(f"{{name: {name}, type: relu}}")), "name", line=3)


def test_layer_named_input_is_refused(analyze):
    assert_bad_input(analyze(sequential("{name: input, type: relu}", "{name: b, type: relu, inputs: input}")),
                     "input", line=3)


# --------------------------------------------------------------------------------------------------
# Merges
# --------------------------------------------------------------------------------------------------

def test_merge_shape_mismatch_names_both_inputs(analyze):
    message = assert_bad_input(analyze(sequential(
        "{name: a, type: conv2d, out_channels: 4, kernel_size: 3}",
        "{name: b, type: conv2d, out_channels: 4, kernel_size: 5, inputs: input}",
        "{name: m, type: add, inputs: [a, b]}")), "one shape", layer="m", line=5)
    assert "'a' [4, 30, 30]" in message and "'b' [4, 28, 28]" in message


def test_concat_spatial_mismatch_names_both_inputs(analyze):
    message = assert_bad_input(analyze(sequential(
        "{name: a, type: maxpool2d, kernel_size: 2}", "{name: m, type: concat, inputs: [a, input]}")),
        "same spatial size", layer="m", line=4)
    assert "'a' [3, 16, 16]" in message and "'input' [3, 32, 32]" in message


def test_merge_flat_with_spatial(analyze):
    message = assert_bad_input(analyze(sequential("{name: f, type: flatten}", "{name: m, type: multiply, inputs: [f, input]}")),
                               layer="m", line=4)
    assert "'f' [3072]" in message and "'input' [3, 32, 32]" in message


def test_merge_of_shapes_that_do_not_broadcast(analyze):
    message = assert_bad_input(analyze(sequential(
        "{name: a, type: adaptive_avgpool2d, output_size: [2, 1]}",
        "{name: m, type: multiply, inputs: [input, a]}")), "one shape", "size 1", "spatial axis 0",
        "sizes 32 and 2", layer="m", line=4)
    assert "'a' [3, 2, 1]" in message and "'input' [3, 32, 32]" in message


def test_merge_of_different_ranks_says_how_to_keep_the_axes(analyze):
    message = assert_bad_input(analyze(sequential(
        "{name: g, type: global_avgpool}", "{name: m, type: multiply, inputs: [input, g]}")),
        "same number of axes", "keepdims", layer="m", line=4)
    assert "[3, 32, 32] and [3]" in message


@pytest.mark.parametrize("kind", ["subtract", "divide"])
def test_two_input_merges_refuse_three(analyze, kind):
    assert_bad_input(analyze(sequential(
        "{name: a, type: relu}", f"{{name: m, type: {kind}, inputs: [a, input, a]}}")),
        f"{kind} takes 2 inputs", "got 3", layer="m", line=4)


@pytest.mark.parametrize("inputs", ["inputs: [a]", "inputs: a", ""], ids=["list-of-one", "one-name", "default"])
def test_merge_with_one_input(analyze, inputs):
    layer = "{name: m, type: add" + (f", {inputs}" if inputs else "") + "}"
    assert_bad_input(analyze(sequential("{name: a, type: relu}", layer)), "two or more inputs", layer="m", line=4)


def test_single_input_layer_given_two_inputs(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu}", "{name: b, type: relu, inputs: [a, input]}")),
                     "takes 1 input", "got 2", layer="b", line=4)


# --------------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------------

def expression_spec(expression: str, where: str = "out_channels") -> str:
    """A spec whose block layer 'cv' has `where: "${EXPRESSION}"` (line 6), called as layer 'x' (line 8)."""
    fields = {"out_channels": "4", "kernel_size": "3"}
    fields[where] = '"${' + expression + '}"'
    body = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return (f"input: {{shape: [3, 32, 32]}}\nblocks:\n  unit:\n    params: {{c: 4}}\n    layers:\n"
            f"      - {{name: cv, type: conv2d, {body}}}\nlayers:\n  - {{name: x, block: unit}}\n")


@pytest.mark.parametrize("expression, words", [
    ("c +", ["cannot parse"]),
    ("(c", ["cannot parse"]),
    ("d", ["unknown variable 'd'", "known: c"]),
    ("c // 0", ["division or modulo by zero"]),
    ("c / 0", ["division by zero"]),
    ("c % 0", ["modulo"]),
    ("__import__('os').getpid()", ["not allowed"]),
    ("c.real", ["not allowed"]),
    ("().__class__", ["not allowed"]),
    ("(lambda: 1)()", ["not allowed"]),
    ("open('/etc/passwd')", ["not allowed"]),
    ("[x for x in [1]]", ["not allowed"]),
    ("(x := 3)", ["not allowed"]),
    ("min(c, key=abs)", ["keyword arguments"]),
    ("c ** 100", ["powers", "exponent of at most 64"]),
    ("[1, 2][5]", ["out of range"]),
    ("c[0]", ["only lists can be indexed"]),
    ("1 < 'a'", ["not supported"]),
    ("min()", ["min"]),
    ("abs([1])", ["abs"]),
    ("int(1e308 * 10)", ["infinity"]),
    ("1e300 ** 2", ["1e300 ** 2"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_expression(analyze, expression, words):
    assert_bad_input(analyze(expression_spec(expression)), "expression", *words, line=6)


def test_expression_error_names_the_layer(analyze):
    assert_bad_input(analyze(expression_spec("d")), "unknown variable 'd'", layer="x.cv", line=6)


@pytest.mark.parametrize("expression", ["int('x')", "int('nan')"])
def test_expression_value_error(analyze, expression):
    assert_bad_input(analyze(expression_spec(expression)), "expression", line=6)


def test_deeply_nested_expression(analyze):
    assert_bad_input(analyze(expression_spec("-" * 5000 + "1")), "expression", line=6)


def test_deeply_parenthesised_expression(analyze):
    assert_bad_input(analyze(expression_spec("(" * 300 + "1" + ")" * 300)), "expression", line=6)


def test_expression_syntax_warning_does_not_leak(analyze_isolated):
    code, _out, err = analyze_isolated(sequential(conv("out_channels: '${4if 1 else 2}'")))
    assert (code, err) == (0, "")


def test_top_level_expression_unknown_variable(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: '${zz}', kernel_size: 3}")),
                     "unknown variable 'zz'", line=3)


def test_templated_name_without_repeat(analyze):
    assert_bad_input(analyze(sequential("{name: 'r${i}', type: relu}")), "unknown variable 'i'", line=3)


def test_expression_producing_a_huge_integer(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: '${((9**64)**64)**64}', "
                                        "kernel_size: 3}")), "out_channels", layer="c", line=3)


def test_yaml_integer_with_thousands_of_digits(analyze):
    assert_bad_input(analyze(sequential("{name: c, type: conv2d, out_channels: " + "9" * 5000 + ", kernel_size: 3}")),
                     line=3)


@pytest.mark.parametrize("expression", ["'a' * 10**6", "[1] * 10**5"], ids=["string", "list"])
def test_huge_expression_value_is_not_echoed_whole(analyze, expression):
    assert_bad_input(analyze(sequential(f'{{name: c, type: conv2d, out_channels: "${{{expression}}}", kernel_size: 3}}')),
                     "out_channels", layer="c", line=3)


# --------------------------------------------------------------------------------------------------
# YAML: tags, aliases, duplicate keys, encodings
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("item", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "{{type: !!python/name:os.system relu}}",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/object:rfcalc.spec.Spec {{name: x}}",
    "{{type: !custom relu}}",
], ids=["object-apply", "python-name", "object-new", "python-object", "custom-tag"])
def test_unsafe_or_unknown_tags_are_refused(analyze, tmp_path, item):
    marker = tmp_path / "pwned"
    assert_bad_input(analyze(sequential(item.format(marker=marker))), "tag", line=3)
    assert not marker.exists()


def test_billion_laughs_is_refused_quickly(analyze):
    anchors = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    text = "input: {shape: [3, 32, 32]}\nvars:\n" + "".join(f"  {a}\n" for a in anchors) + "layers: [{type: relu}]\n"
    assert_bad_input(analyze(text), "aliases expand", "refusing")


def test_aliases_below_the_limit_are_fine(analyze):
    text = "input: {shape: [3, 32, 32]}\nvars:\n  a: &a [1, 2, 3]\n  b: [*a, *a, *a]\nlayers: [{type: relu}]\n"
    assert_accepted(analyze(text))


@pytest.mark.parametrize("text, line", [
    ("input: {shape: [3, 32, 32]}\nlayers: &l\n  - *l\n", None),
    ("input: {shape: [3, 32, 32]}\nvars: &v {self: *v}\nlayers: [{type: relu}]\n", None),
], ids=["sequence", "mapping"])
def test_recursive_alias(analyze, text, line):
    assert_bad_input(analyze(text), "recursive", line=line)


def test_unknown_alias(analyze):
    assert_bad_input(analyze(sequential("*nowhere")), "invalid YAML", line=3)


@pytest.mark.parametrize("text, line, key", [
    (sequential("{name: a, type: relu, type: tanh}"), 3, "type"),
    ("input: {shape: [3, 32, 32]}\ninput: {shape: [3, 8, 8]}\nlayers: [{type: relu}]\n", 2, "input"),
    ("input: {shape: [3, 32, 32], shape: [3, 8, 8]}\nlayers: [{type: relu}]\n", 1, "shape"),
], ids=["in-layer", "top-level", "in-input"])
def test_duplicate_keys(analyze, text, line, key):
    assert_bad_input(analyze(text), f"duplicate key '{key}'", line=line)


def test_unhashable_mapping_key(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: relu, [1]: 4}")), "key", line=3)


@pytest.mark.parametrize("key", ["3", "~"])
def test_non_string_layer_key(analyze, key):
    assert_bad_input(analyze(sequential(f"{{name: a, type: relu, {key}: 4}}")), line=3)


def test_merge_key_override(analyze):
    result = analyze(sequential("&base {name: a, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}",
                                "{<<: *base, name: b}"))
    code, out, err = result
    if code == 0:
        assert "b" in out and err == ""
    else:
        assert_bad_input(result, "merge", line=4)


def test_non_utf8_file_is_refused(analyze):
    code, _out, err = analyze(b"input: {shape: [3, 32, 32]}\nname: caf\xe9\nlayers: [{type: relu}]\n")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("rfcalc: error: ") and SPEC in err and "utf-8" in err.lower()


@pytest.mark.parametrize("data, line", [
    (b"input: {shape: [3, 32, 32]}\nname: caf\xe9\nlayers: [{type: relu}]\n", 2),
    ("input: {shape: [3, 32, 32]}\nlayers: [{type: relu}]\n".encode("utf-16"), 1),
], ids=["latin-1", "utf-16"])
def test_non_utf8_file_names_line_and_column(analyze, data, line):
    assert_bad_input(analyze(data), "utf-8", line=line)


@pytest.mark.parametrize("char", [b"\x00", b"\x07"], ids=["nul", "bell"])
def test_control_character(analyze, char):
    assert_bad_input(analyze(b"input: {shape: [3, 32, 32]}\nname: a" + char + b"b\nlayers: [{type: relu}]\n"),
                     "character", line=2)


def test_utf8_bom_is_accepted(analyze):
    assert_accepted(analyze(b"\xef\xbb\xbfinput: {shape: [3, 32, 32]}\nlayers: [{type: relu}]\n"))


# --------------------------------------------------------------------------------------------------
# Sources and command-line options
# --------------------------------------------------------------------------------------------------

GOOD = sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}")


def test_directory_as_spec(run_cli, tmp_path):
    code, _out, err = run_cli("analyze", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert err.startswith("rfcalc: error: ") and str(tmp_path) in err and "not a regular file" in err


def test_missing_file(run_cli, tmp_path):
    missing = tmp_path / "missing.yaml"
    code, _out, err = run_cli("analyze", str(missing))
    assert code == 2 and "Traceback" not in err
    assert str(missing) in err and "no such file" in err


def test_misspelt_bundled_name_suggests(run_cli):
    code, _out, err = run_cli("analyze", "resnet5")
    assert code == 2 and "did you mean the bundled spec 'resnet50'" in err


@pytest.mark.parametrize("text, line", [("input: {shape: [3, 32", 2), ("", 1), ("- a\n", 1),
                                        ("input: {shape: [3, 32, 32]}\nlayers: [{type: nope}]\n", 2)],
                         ids=["unclosed", "empty", "sequence", "unknown-type"])
def test_malformed_stdin(run_cli, monkeypatch, text, line):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert_bad_input(run_cli("analyze", "-"), line=line, file="<stdin>")


@pytest.mark.parametrize("size, words", [
    ("abc", ["--input-size", "224 or 512x384"]), ("32x", ["--input-size"]), ("x", ["--input-size"]),
    ("1e3", ["--input-size"]), ("0", ["--input-size", "positive"]), ("-5", ["--input-size", "positive"]),
    ("32x0", ["--input-size", "positive"]), ("32x32x32", ["3 sizes", "2 spatial axes"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_input_size(run_cli, tmp_path, size, words):
    (tmp_path / SPEC).write_text(GOOD)
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), "--input-size", size)
    assert code == 2 and "Traceback" not in err
    assert err.startswith("rfcalc: error: ")
    for word in words:
        assert word in err


def test_input_size_too_small_for_the_kernel(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(GOOD.replace("padding: 1", "padding: 0"))
    assert_bad_input(run_cli("analyze", str(tmp_path / SPEC), "--input-size", "2"), "effective kernel 3",
                     layer="c", line=3)


def test_empty_input_size(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(GOOD)
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), "--input-size", "")
    assert code == 2 and "--input-size" in err


@pytest.mark.parametrize("option", [["--batch", "0"], ["--batch", "-1"], ["--batch", "x"], ["--dtype", "float8"],
                                    ["--format", "xml"], ["--profile", "nope"], ["--bogus"]],
                         ids=lambda v: " ".join(v))
def test_bad_options(run_cli, tmp_path, option):
    (tmp_path / SPEC).write_text(GOOD)
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), *option)
    assert code == 2 and "Traceback" not in err
    assert option[0] in err


def test_unknown_column(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(GOOD)
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), "--columns", "name,rff")
    assert code == 2 and "unknown column 'rff'" in err and "rf" in err


def test_columns_without_any_column(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(GOOD)
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), "--columns", ",")
    assert code == 2 and "column" in err


def test_layers_command_unknown_type_suggests(run_cli):
    code, _out, err = run_cli("layers", "conv2x")
    assert code == 2 and "did you mean 'conv2d'" in err


DROPPING = sequential("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, stride: 2}")  # (32 - 3) % 2 = 1


def test_strict_fails_on_a_dropped_pixel_warning(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(DROPPING)
    assert run_cli("analyze", str(tmp_path / SPEC))[0] == 0
    code, _out, err = run_cli("analyze", str(tmp_path / SPEC), "--strict")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("rfcalc: error: ") and "--strict" in err and "'c'" in err


def test_strict_message_locates_the_dropped_pixels(run_cli, tmp_path):
    (tmp_path / SPEC).write_text(DROPPING)
    message = assert_bad_input(run_cli("analyze", str(tmp_path / SPEC), "--strict"), "--strict", layer="c", line=3)
    assert "never read" in message or "dropped" in message


# --------------------------------------------------------------------------------------------------
# Hangs and blow-ups (child process: memory cap and time limit)
# --------------------------------------------------------------------------------------------------

def assert_refused_in_child(result, *words: str, layer: str | None = None, line: int | None = None):
    """The guarded child answered in time, exit 2, one located message, no traceback."""
    code, _out, err = result
    assert code != "hang", err
    assert "Traceback" not in err and "MemoryError" not in err, err[-800:]
    return assert_bad_input((code, "", err), *words, layer=layer, line=line)


def assert_answered_in_child(result):
    """The guarded child answered in time: a result (0) or a clear refusal (2), no traceback."""
    code, _out, err = result
    assert code != "hang", err
    assert "Traceback" not in err and "MemoryError" not in err, err[-800:]
    assert code in (0, 2), f"exit {code}: {err[-800:]}"
    if code == 2:
        assert_bad_input((code, "", err))


def test_cli_subprocess_reports_without_traceback(analyze_isolated):
    result = analyze_isolated(sequential("{name: c, type: conv2d, out_channels: 4, kernel_sise: 3}"))
    assert_refused_in_child(result, "unknown field 'kernel_sise'", layer="c", line=3)


def test_billion_laughs_in_child(analyze_isolated):
    anchors = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    text = "input: {shape: [3, 32, 32]}\nvars:\n" + "".join(f"  {a}\n" for a in anchors) + "layers: [{type: relu}]\n"
    assert_refused_in_child(analyze_isolated(text), "aliases expand")


def test_non_utf8_stdin(tmp_path):
    code, _out, err = run_isolated("analyze", "-", stdin=b"input: {shape: [3, 32, 32]}\nname: caf\xe9\n"
                                                          b"layers: [{type: relu}]\n", cwd=tmp_path)
    assert "Traceback" not in err
    assert code == 2 and err.startswith("rfcalc: error: <stdin>") and "utf-8" in err.lower()


@pytest.mark.parametrize("layer", ["{name: g, repeat: 1000000000, layers: [{type: relu}]}",
                                   "{name: 'r${i}', repeat: 1000000000, type: relu}"], ids=["group", "templated-name"])
def test_huge_repeat_fails_fast(analyze_isolated, layer):
    assert_refused_in_child(analyze_isolated(sequential(layer)), "repeat", line=3)


def test_nested_huge_repeat_fails_fast(analyze_isolated):
    text = sequential("{name: g, repeat: 1000, layers: [{name: h, repeat: 1000, layers: [{type: relu}]}]}")
    assert_refused_in_child(analyze_isolated(text), "layers", line=3)


def test_huge_input_size_override(tmp_path):
    (tmp_path / SPEC).write_text(GOOD)
    assert_answered_in_child(run_isolated("analyze", SPEC, "--input-size", "99999999999999999999999", cwd=tmp_path))


@pytest.mark.parametrize("layer, shape", [
    ("{name: c, type: conv2d, out_channels: 4, kernel_size: 3}", (3, 10 ** 9, 10 ** 9)),
    ("{name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1000000000000000000000000000000}", (3, 32, 32)),
    ("{name: c, type: conv_transpose2d, out_channels: 4, kernel_size: 3, stride: 100000000}", (3, 32, 32)),
    ("{name: c, type: upsample, scale_factor: 1.0e+30}", (3, 32, 32)),
    ("{name: c, type: upsample, scale_factor: 1.0000001}", (3, 32, 32)),
], ids=["input-1e9-squared", "padding-1e30", "transposed-stride-1e8",
        "upsample-1e30", "upsample-1.0000001"])
def test_large_sizes_do_not_hang(analyze_isolated, layer, shape):
    assert_answered_in_child(analyze_isolated(sequential(layer, shape=shape)))


def test_adaptive_pool_with_a_huge_period(analyze):
    assert_bad_input(analyze(sequential("{name: a, type: adaptive_avgpool1d, output_size: 99989}", shape=(3, 99991))),
                     layer="a", line=3)


@pytest.mark.parametrize("value, words", [
    ('"${w * }"', ["vars.c: in expression", "cannot parse 'w *'"]),
    ('"${nope + 1}"', ["vars.c: in expression", "unknown variable 'nope' (known: w)"]),
    ('{deep: [1, "${w // 0}"]}', ["vars.c.deep.1: in expression", "division"]),
], ids=["unparsable", "unknown-variable", "nested"])
def test_failing_expression_in_vars(analyze, value, words):
    text = f"input: {{shape: [3, 32, 32]}}\nvars:\n  w: 8\n  c: {value}\nlayers: [{{type: relu}}]\n"
    assert_bad_input(analyze(text), *words, line=4)


def test_bad_argument_in_a_later_repetition_names_the_call(analyze):
    text = BLOCK + 'layers:\n  - {name: x, block: unit, repeat: 2, args: {c: "${4 // (1 - i)}"}}\n'
    message = assert_bad_input(analyze(text), "args.c: in expression", "division", layer="x", line=8)
    assert "x.0" not in message  # not a layer of the first repetition


# --------------------------------------------------------------------------------------------------
# Property: random damage to a valid spec never produces a traceback
# --------------------------------------------------------------------------------------------------

VALID = """\
input: {shape: [3, 32, 32], batch: 2}
vars: {w: 8}
blocks:
  unit:
    params: {c: 8, s: 1}
    layers:
      - {name: conv, type: conv2d, out_channels: "${c}", kernel_size: 3, stride: "${s}", padding: 1}
      - {name: bn, type: batchnorm2d}
      - {name: add, type: add, inputs: [bn, input]}
layers:
  - {name: stem, type: conv2d, out_channels: "${w}", kernel_size: 3, padding: 1}
  - {name: b, block: unit, repeat: 2, args: {c: "${w}"}}
  - {name: up, type: upsample, scale_factor: 2, mode: bilinear}
  - {name: pool, type: maxpool2d, kernel_size: 2}
  - name: head
    layers:
      - {type: relu}
      - {type: dropout, p: 0.5}
  - {name: cat, type: concat, inputs: [head, stem]}
  - {name: gap, type: adaptive_avgpool2d, output_size: 1}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 10}
"""

TOKENS = ["{", "}", "[", "]", ":", ",", "- ", "\n", "  ", "\t", "'", '"', "#", "&a ", "*a", "<<: ", "!!str ",
          "!!python/object:os.system ", "---\n", "${", "${i}", "${w / 0}", "${zz}", "0", "-1", "true", "null",
          ".nan", "1e3", "input", "name", "type", "inputs", "layers", "block", "repeat", "args", "conv2d", "add",
          "relu", "flatten", "upsample", "\u00e9", "\ufeff", "?"]

edits = st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "insert", "swap"]),
                           st.integers(min_value=0, max_value=len(VALID)),
                           st.one_of(st.sampled_from(TOKENS), st.characters(blacklist_categories=("Cs",)))),
                 min_size=1, max_size=6)


def damage(text: str, changes) -> str:
    """Apply character-level edits: delete, duplicate, insert a token, or swap with the next character."""
    chars = list(text)
    for op, position, token in changes:
        at = position % (len(chars) + 1)
        if op == "delete" and at < len(chars):
            del chars[at]
        elif op == "duplicate" and at < len(chars):
            chars.insert(at, chars[at])
        elif op == "swap" and at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        else:
            chars[at:at] = list(token)
    return "".join(chars)


@contextlib.contextmanager
def hang_guard(seconds: float):
    """Raise TimeoutError if the block runs longer than `seconds` (a hang, not a benchmark)."""
    import signal

    def expire(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_main_on_stdin(text: str) -> tuple[int, str]:
    """main(['analyze', '-']) with `text` on stdin: (exit code, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["analyze", "-", "--format", "json"])
    finally:
        sys.stdin = saved
    return code, err.getvalue()


def test_the_valid_spec_used_for_damage_is_valid():
    assert run_main_on_stdin(VALID) == (0, "")


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_damaged_specs_never_produce_a_traceback(changes):
    text = damage(VALID, changes)
    with hang_guard(HANG_GUARD_SECONDS):
        code, err = run_main_on_stdin(text)
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("rfcalc: error: <stdin>"), err
        assert len(err) <= MAX_MESSAGE_CHARS, err[:300]


# Value-level damage: replace a scalar of VALID, or add a key to the mapping it sits in. Sizes stay small,
# so a failing example fails fast; huge sizes are covered by the guarded child-process tests above.
VALUES = ["0", "-1", "1", "2", "true", "false", "null", "~", ".nan", ".inf", "2.5", "''", "x", "[]", "[1]", "[1, 2]",
          "[1, 2, 3]", "[[1, 2]]", "{}", "{a: 1}", "{~: 1}", "{3: 1}", "[relu]", "input", "[input]", "stem",
          "[stem, stem]", "same", "valid", "relu", "conv2d", "add", "concat", "flatten", "linear", "upsample", "unit",
          "'${i}'", "'${zz}'", "'${w / 0}'", "'${w}'", "'${[1, 2]}'", "'${int(\"x\")}'", "nearest", "bilinear", "*a",
          "!!binary aGk="]
KEYS = ["type", "name", "inputs", "repeat", "block", "args", "layers", "if", "trainable", "share_params_with", "foo",
        "3", "~", "padding", "stride", "kernel_size", "dim", "groups", "output_size", "scale_factor", "size"]
SCALARS = list(re.finditer(r"(?<=: )(?:\"[^\"]*\"|[^,{}\[\]\n]+)|(?<=[\[,] )[^,{}\[\]\n]+", VALID))

value_edits = st.lists(st.one_of(
    st.tuples(st.just("value"), st.integers(0, len(SCALARS) - 1), st.sampled_from(VALUES)),
    st.tuples(st.just("key"), st.integers(0, len(SCALARS) - 1),
              st.builds(lambda k, v: f", {k}: {v}", st.sampled_from(KEYS), st.sampled_from(VALUES)))),
    min_size=1, max_size=3)


def replace_values(changes) -> str:
    """VALID with scalars replaced ('value') or a key added after them ('key'); one change per scalar."""
    text, chosen = VALID, {index: (kind, new) for kind, index, new in changes}
    for index in sorted(chosen, reverse=True):
        spot, (kind, new) = SCALARS[index], chosen[index]
        text = text[:spot.start()] + new + text[spot.end():] if kind == "value" else \
            text[:spot.end()] + new + text[spot.end():]
    return text


@settings(max_examples=200, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(value_edits)
def test_specs_with_wrong_values_never_produce_a_traceback(changes):
    text = replace_values(changes)
    with hang_guard(HANG_GUARD_SECONDS):
        code, err = run_main_on_stdin(text)
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("rfcalc: error: <stdin>"), err
        assert len(err) <= MAX_MESSAGE_CHARS, err[:300]
