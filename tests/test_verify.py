"""`rfcalc verify` and `rfcalc erf`: verdicts, JSON, exit codes, memory refusal, interruption, and the
whole zoo verified against the analyzer."""
from __future__ import annotations

import json
import textwrap

import pytest

from rfcalc.sources import bundled_specs, load_spec_source
from rfcalc.spec import parse_spec
from rfcalc.verify import LazyProgress, verify_spec

SMALL_SPEC = textwrap.dedent("""
    name: small
    input: {shape: [2, 17, 15]}
    layers:
      - {name: conv, type: conv2d, out_channels: 4, kernel_size: 3, stride: 2, padding: 1}
      - {name: bn, type: batchnorm2d}
      - {name: act, type: relu}
      - {name: up, type: upsample2d, scale_factor: 2, mode: bilinear}
      - {name: pool, type: maxpool2d, kernel_size: 3, stride: 2, ceil_mode: true}
      - {name: sm, type: softmax}
      - {name: gap, type: global_avgpool}
      - {name: fc, type: linear, out_features: 3}
    """)


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SPEC)
    return str(path)


def test_verify_table_says_verified(run_cli, small):
    code, out, err = run_cli("verify", small)
    assert code == 0, err
    assert "numpy backend vs analyzer" in out
    assert "small: verified: 8 layers" in out
    assert "MISMATCH" not in out
    assert "numerical stability" in out  # softmax's max subtraction is reported as overhead


def test_verify_json(run_cli, small):
    code, out, _ = run_cli("verify", small, "--format", "json", "--seed", "3")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["seed"] == 3 and data["schema_version"] == 1
    conv = data["layers"][0]
    assert conv["checks"]["shape"] == {"measured": [4, 9, 8], "analyzed": [4, 9, 8], "ok": True}
    assert conv["checks"]["macs"]["measured"] == 4 * 9 * 8 * 2 * 9
    assert conv["rf"]["every_position"] is True and conv["rf"]["checked"] == 9 * 8
    upsampled = data["layers"][3]["rf"]  # 18 x 16 positions: borders, centre, both phases, a sample
    assert upsampled["every_position"] is False and 0 < upsampled["checked"] < 18 * 16
    assert data["summary"]["failed_layers"] == 0


def test_input_overrides_apply(run_cli, small):
    code, out, _ = run_cli("verify", small, "--input-size", "9x7", "--batch", "2", "--format", "json", "--no-rf")
    assert code == 0
    data = json.loads(out)
    assert data["input"] == {"shape": [2, 9, 7], "batch": 2, "dtype": "float32"}
    assert data["layers"][0]["checks"]["memory"]["measured"] == 2 * 4 * 5 * 4 * 4
    assert "rf" not in data["layers"][0]
    code, out, _ = run_cli("verify", small, "--dtype", "int8", "--batch", "3", "--format", "json", "--no-rf")
    data = json.loads(out)
    assert code == 0 and data["totals"]["peak memory"]["ok"]
    assert data["layers"][0]["checks"]["memory"]["measured"] == 3 * 4 * 9 * 8  # one byte per element


def test_a_wrong_count_fails_with_exit_1(run_cli, small, monkeypatch):
    from rfcalc.backend.kernels.conv import ConvKernel

    original = ConvKernel.forward

    def miscounting(self, xs, p, ops):
        ops.count("mac", 1)
        return original(self, xs, p, ops)

    monkeypatch.setattr(ConvKernel, "forward", miscounting)
    code, out, err = run_cli("verify", small)
    assert code == 1
    assert "MISMATCH macs" in out
    assert "#0 'conv' (conv2d): macs: measured 5,185, analyzed 5,184" in out
    assert "totals: macs: measured 5,197, analyzed 5,196" in out  # 1 + 4 * 9 * 8 * 2 * 9 + fc's 12
    assert err.startswith("rfcalc: error: 3 mismatch(es) in small; first: #0 'conv'")
    assert "Traceback" not in err


def test_a_wrong_receptive_field_fails_with_details(run_cli, small, monkeypatch):
    import numpy as np

    from rfcalc.backend.kernels.conv import ConvKernel

    original = ConvKernel.depends

    def shifted(self, mask):
        needed = original(self, mask)[0]
        return [np.roll(needed, 1, axis=0)]

    monkeypatch.setattr(ConvKernel, "depends", shifted)
    code, out, _ = run_cli("verify", small, "--format", "json")
    assert code == 1
    data = json.loads(out)
    rf = data["layers"][0]["rf"]
    assert not rf["ok"] and rf["mismatches"] > 0
    assert "measured" in rf["examples"][0] and "vs analyzed" in rf["examples"][0]
    assert "receptive field differs" in data["findings"][0]


def test_runs_too_big_for_max_memory_are_refused(run_cli, small):
    code, _, err = run_cli("verify", small, "--input-size", "4000", "--max-memory", "64MiB")
    assert code == 2
    assert "over --max-memory 64 MiB" in err and "raise --max-memory" in err
    code, _, err = run_cli("verify", small, "--max-memory", "lots")
    assert code == 2 and "not a memory size" in err


def test_ctrl_c_ends_cleanly(run_cli, small, monkeypatch):
    from rfcalc.backend.engine import Network

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Network, "forward", interrupted)
    code, out, err = run_cli("verify", small)
    assert code == 130
    assert err.strip() == "rfcalc: interrupted"


def test_progress_bar_starts_only_after_a_moment():
    quiet = LazyProgress(enabled=True, delay=3600)
    quiet.update("forward", 1, 10)
    assert quiet.progress is None
    with LazyProgress(enabled=True, delay=0) as shown:
        shown.update("forward", 1, 10)
        shown.update("forward", 2, 10)
        assert shown.progress is not None
    assert shown.progress is None


def test_erf_command_draws_and_writes(run_cli, tmp_path, small):
    code, out, err = run_cli("erf", small, "--layer", "pool", "--samples", "2")
    assert code == 0, err
    assert "Effective receptive field: small" in out
    assert "theoretical RF" in out and "holds half the gradient mass" in out
    code, _, err = run_cli("erf", small, "--layer", "fc")
    assert code == 2 and "has no spatial output" in err
    code, _, err = run_cli("erf", small, "--out", str(tmp_path / "erf.gif"))
    assert code == 2 and ".png or .svg" in err


def test_verify_with_erf(run_cli, small, tmp_path):
    pytest.importorskip("matplotlib", reason="the ERF picture is a matplotlib plot (pip install 'rfcalc[draw]')")
    png = tmp_path / "e.png"
    code, out, _ = run_cli("verify", small, "--erf", "--erf-out", str(png))
    assert code == 0
    assert "Effective receptive field" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


# -- the zoo ------------------------------------------------------------------------------------------

# Reduced inputs keep the test fast; every layer type and connection still runs.
ZOO_SIZES = {"alexnet": [64], "densenet121": [64], "googlenet": [64], "inception_v3": [96], "mobilenet_v2": [64],
             "resnet152": [64], "resnet18": [64], "resnet50": [64], "squeezenet1_0": [64], "unet": [64],
             "unet_original": [188], "vgg16": [64], "audio1d": [4000]}

# Every bundled spec, at the sizes above (a reduced input where the full one is slow in numpy).
# Earlier analyzer findings fixed here: flatten/linear/global pooling after dropped pixels (keras_mnist,
# squeezenet1_0, volumetric3d, audio1d, inception_v3 at 96) now claim only the pixels really reached.
def _zoo_params():
    return [pytest.param(name, id=name) for name in bundled_specs()]


@pytest.mark.parametrize("name", list(_zoo_params()))
def test_every_zoo_spec_verifies_clean(name):
    spec = load_spec_source(name)
    if ZOO_SIZES.get(name):
        spec = spec.with_input(ZOO_SIZES[name])
    result = verify_spec(spec, seed=1)
    assert result.ok, "\n".join(result.mismatch_lines())


def test_misaligned_merges_and_dilation_holes_verify():
    spec = parse_spec(textwrap.dedent("""
        input: {shape: [1, 23, 21]}
        layers:
          - {name: holes, type: conv2d, out_channels: 2, kernel_size: 3, dilation: 3, padding: 3}
          - {name: dense, type: conv2d, out_channels: 2, kernel_size: 13, padding: 6, inputs: [input]}
          - {name: merged, type: add, inputs: [holes, dense]}
          - {name: down, type: conv2d, out_channels: 2, kernel_size: 2, stride: 2, inputs: [input]}
          - {name: back, type: upsample2d, size: [23, 21], mode: nearest}
          - {name: skewed, type: concat, inputs: [merged, back]}
          - {name: t, type: conv_transpose2d, out_channels: 2, kernel_size: 3, stride: 3, dilation: 2}
          - {name: g, type: adaptive_maxpool2d, output_size: [7, 9]}
          - {name: h, type: upsample2d, size: [11, 10], mode: bilinear, align_corners: true}
        """), "holes.yaml")
    result = verify_spec(spec)
    assert result.ok, "\n".join(result.mismatch_lines())
    assert result.layers[0].rf.checked > 0 and result.layers[6].rf.checked > 0


def test_merge_of_crossing_branches_is_a_cross_not_a_box():
    spec = parse_spec(textwrap.dedent("""
        input: {shape: [1, 9, 9]}
        layers:
          - {name: wide, type: conv2d, out_channels: 1, kernel_size: [1, 5], padding: [0, 2]}
          - {name: tall, type: conv2d, out_channels: 1, kernel_size: [5, 1], padding: [2, 0], inputs: [input]}
          - {name: cross, type: add, inputs: [wide, tall]}
        """), "cross.yaml")
    result = verify_spec(spec)
    rf = result.layers[2].rf
    centre = next(m for m in rf.mismatches) if rf.mismatches else None
    assert rf.ok, centre.describe() if centre else ""


def test_group_norm_verifies_against_the_backend():
    # The numpy kernel normalises each group over its channels and positions; the analyzer's counts,
    # parameters and receptive fields (every unit sees the whole map) must match what it executes.
    spec = parse_spec(textwrap.dedent("""
        input: {shape: [4, 9, 7], batch: 2}
        layers:
          - {name: conv, type: conv2d, out_channels: 8, kernel_size: 3, stride: 2}
          - {name: gn, type: group_norm, num_groups: 4}
          - {name: act, type: silu}
          - {name: gn2, type: groupnorm, num_groups: 2, affine: false, inputs: [conv]}
          - {name: sum, type: add, inputs: [act, gn2]}
        """), "gn.yaml")
    result = verify_spec(spec)
    assert result.ok, "\n".join(result.mismatch_lines())
    gn = result.layers[1]
    assert gn.checks["params"].measured == 16 and gn.rf.every_position


# A squeeze-and-excitation block (torchvision's SqueezeExcitation) and coordinate-attention-like gates
# pooled along one axis only, merged by broadcasting.
GATED = textwrap.dedent("""
    input: {shape: [3, 13, 11], batch: 2}
    layers:
      - {name: conv, type: conv2d, out_channels: 6, kernel_size: 3, stride: 2, padding: 1}
      - {name: pool, type: global_avgpool, keepdims: true}
      - {name: fc1, type: conv2d, out_channels: 2, kernel_size: 1, bias: false}
      - {name: act, type: silu}
      - {name: fc2, type: conv2d, out_channels: 6, kernel_size: 1, bias: false}
      - {name: gate, type: hardsigmoid}
      - {name: scale, type: multiply, inputs: [conv, gate]}
      - {name: rows, type: adaptive_maxpool2d, output_size: [7, 1], inputs: [scale]}
      - {name: cols, type: adaptive_avgpool2d, output_size: 1, inputs: [conv]}
      - {name: mixed, type: add, inputs: [scale, rows, cols]}
      - {name: less, type: subtract, inputs: [mixed, cols]}
      - {name: most, type: maximum, inputs: [less, rows]}
      - {name: ratio, type: divide, inputs: [most, gate]}
      - {name: conv2, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
    """)


def test_broadcasting_merges_verify_against_the_backend():
    # Every unit of `scale` sees the whole input (the gate is a global average): the backend measures it.
    result = verify_spec(parse_spec(GATED, "gated.yaml"))
    assert result.ok, "\n".join(result.mismatch_lines())
    assert all(layer.rf.every_position for layer in result.layers)


def _strip_gates(text: str) -> str:
    """The same network with the gated merges replaced by identities (their first input only)."""
    keep = []
    for line in text.splitlines():
        for merge in ("multiply", "add", "subtract", "maximum", "divide"):
            if f"type: {merge}" in line:
                first = line.split("inputs: [")[1].split(",")[0]
                name = line.split("name: ")[1].split(",")[0]
                indent = line[:len(line) - len(line.lstrip())]
                line = f"{indent}- {{name: {name}, type: identity, inputs: [{first}]}}"
        keep.append(line)
    return "\n".join(keep)


def test_local_rf_is_the_rf_of_the_network_without_its_gates():
    # The local RF follows paths through no global reduction: along them the gates are absent, so it
    # must equal the (true) RF of the same network with every gated merge replaced by its first input,
    # an RF the backend measures.
    from rfcalc.analyzer import analyze

    gated = {layer.name: layer for layer in analyze(parse_spec(GATED, "gated.yaml")).layers}
    plain_spec = parse_spec(_strip_gates(GATED), "plain.yaml")
    plain_result = verify_spec(plain_spec)
    assert plain_result.ok, "\n".join(plain_result.mismatch_lines())
    plain = {layer.name: layer for layer in analyze(plain_spec).layers}
    for name in ("scale", "mixed", "less", "most", "ratio", "conv2"):
        assert gated[name].local_rf == plain[name].rf, name
        assert gated[name].rf != plain[name].rf, name  # the true RF is the whole input
    assert gated["conv2"].local_rf[0].size == 3 + 2 * 2  # conv 3x3 stride 2, then a 3x3 conv: 3 + 2 x 2
    # Gates and global poolings have no local path; `rows` pools axis 1 only, so axis 0 keeps one.
    assert gated["gate"].local_rf == (None, None) and gated["cols"].local_rf == (None, None)
    assert gated["rows"].local_rf[1] is None and gated["rows"].local_rf[0] is not None
    assert not gated["conv"].local_rf  # before any global reduction: the same as the RF


def test_broadcast_gates_raise_no_misalignment_warning():
    from rfcalc.analyzer import analyze

    report = analyze(parse_spec(GATED, "gated.yaml"))
    assert report.select("RF201") == []
