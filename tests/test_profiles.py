"""Counting profiles. Every expected number is derived by hand, in the comments, from the rule the
tool's source states (the file is named in rfcalc/profiles.py next to each rule); none is pasted
from rfcalc's output."""
from __future__ import annotations

import json
import textwrap

import pytest

from conftest import SQUEEZE_EXCITE_LAYERS

from rfcalc.analyzer import analyze
from rfcalc.profiles import PROFILE_NAMES, apply_profile, profile_counts
from rfcalc.spec import parse_spec

# Spec A: input 3x8x8.
#   conv   conv2d 4 out, 3x3, pad 1, bias -> 4x8x8 = 256 outputs; MACs 256 x 3 x 9 = 6912;
#          weights 4 x 3 x 9 = 108, bias 4
#   bn     batchnorm2d on 4x8x8 = 256 elements, affine (8 params)
#   relu   256 elements
#   pool   maxpool 2 -> 4x4x4 = 64
#   avg    avgpool 2 on 64 elements -> 4x2x2 = 16 outputs
#   gap    adaptive_avgpool2d to 1 on 16 elements -> 4x1x1 = 4 outputs (window 2x2 = 4)
#   flat   flatten -> 4
#   fc     linear 4 -> 10 with bias: MACs 40, bias 10
SPEC_A = """
name: a
input: {shape: [3, 8, 8]}
layers:
  - {name: conv, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: bn, type: batchnorm2d}
  - {name: relu, type: relu}
  - {name: pool, type: maxpool2d, kernel_size: 2}
  - {name: avg, type: avgpool2d, kernel_size: 2}
  - {name: gap, type: adaptive_avgpool2d, output_size: 1}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 10}
"""

# Spec B: input 2x4x4.
#   up     conv_transpose2d 3 out, 2x2, stride 2, bias -> 3x8x8 (= (4-1)*2 + 2); 192 outputs, 64
#          output positions, 16 input positions; weights 2 x 3 x 4 = 24, bias 3.
#          True MACs: every input element (32) times 3 outputs x 4 taps = 384.
#   near   upsample nearest x2 -> 3x16x16 = 768 outputs (input 192)
#   act    prelu, one slope: 768 elements, 1 parameter
#   soft   softmax over channels (dim 0): 768 elements in 256 groups of 3
#   norm   layernorm over the whole sample [3, 16, 16] = 768 elements, affine: 2 x 768 = 1536 params
SPEC_B = """
name: b
input: {shape: [2, 4, 4]}
layers:
  - {name: up, type: conv_transpose2d, out_channels: 3, kernel_size: 2, stride: 2}
  - {name: near, type: upsample, scale_factor: 2}
  - {name: act, type: prelu}
  - {name: soft, type: softmax, dim: 0}
  - {name: norm, type: layernorm}
"""

# Spec C: input 4x10x10.
#   dw     depthwise_conv2d 3x3, pad 1, no bias -> 4x10x10 = 400 outputs, 1 input channel per
#          group: MACs 400 x 9 = 3600; weights 4 x 9 = 36
#   ada    adaptive_avgpool2d to 3x3 on 400 elements -> 4x3x3 = 36 outputs
#   gap    global_avgpool on 4x3x3 (36 elements) -> 4
SPEC_C = """
name: c
input: {shape: [4, 10, 10]}
layers:
  - {name: dw, type: depthwise_conv2d, kernel_size: 3, padding: 1, bias: false}
  - {name: ada, type: adaptive_avgpool2d, output_size: 3}
  - {name: gap, type: global_avgpool}
"""


def profiled(text: str, profile: str):
    spec = parse_spec(textwrap.dedent(text), "test.yaml")
    return apply_profile(analyze(spec), spec, profile)


def per_layer(text: str, profile: str) -> dict[str, int]:
    report = profiled(text, profile)
    return {layer.name: layer.macs for layer in report.layers}


# --- torchvision: conv/linear multiply-accumulates only, bias excluded; FLOPs 2x ------------------

def test_torchvision_counts_conv_and_linear_macs_only():
    # A: conv 6912 + fc 40 = 6952; FLOPs 2 x 6952 = 13904.
    report = profiled(SPEC_A, "torchvision")
    assert report.totals.macs == 6952
    assert report.totals.flops == 13904
    # B: the transposed conv per input element: 384; nothing else counts.
    assert profiled(SPEC_B, "torchvision").totals.macs == 384
    # C: depthwise 3600.
    assert profiled(SPEC_C, "torchvision").totals.macs == 3600


# --- fvcore: conv/linear MACs, BN 2/element, adaptive avg pool 2-D 1/input element, ... ----------

def test_fvcore_spec_a():
    # conv 6912; bn 2 x 256 = 512; relu, maxpool, avgpool 0; adaptive avg pool: 16 input elements;
    # fc 40. Total 6912 + 512 + 16 + 40 = 7480.
    counts = per_layer(SPEC_A, "fvcore")
    assert counts == {"conv": 6912, "bn": 512, "relu": 0, "pool": 0, "avg": 0, "gap": 16, "flat": 0, "fc": 40}
    assert profiled(SPEC_A, "fvcore").totals.macs == 7480


def test_fvcore_spec_b():
    # transposed conv 384 (x_shape-based); upsample_nearest2d 1 x 768 outputs; prelu 0; softmax 0;
    # layer_norm 5 x 768 = 3840. Total 384 + 768 + 3840 = 4992.
    counts = per_layer(SPEC_B, "fvcore")
    assert counts == {"up": 384, "near": 768, "act": 0, "soft": 0, "norm": 3840}


def test_fvcore_spec_c():
    # depthwise 3600; adaptive_avg_pool2d: 400 input elements; global avg pool as
    # AdaptiveAvgPool2d(1): 36 input elements. Total 4036.
    assert profiled(SPEC_C, "fvcore").totals.macs == 4036


def test_fvcore_does_not_count_convs_with_string_padding():
    # nn.Conv2d(padding='same' / 'valid') runs as aten::_convolution_mode, which has no fvcore handle.
    # Input 2x6x6. same: 3 out, 3x3 -> 3x6x6 = 108 outputs x 2 x 9 = 1944 MACs, counted 0 (noted);
    # valid: 2 out, 3x3 -> 2x4x4 = 32 x 3 x 9 = 864, counted 0; pad 1, stride 2: 2x2x2 = 8 x 2 x 9 =
    # 144, counted. Total 144.
    text = textwrap.dedent("""
        input: {shape: [2, 6, 6]}
        layers:
          - {name: same, type: conv2d, out_channels: 3, kernel_size: 3, padding: same}
          - {name: valid, type: conv2d, out_channels: 2, kernel_size: 3, padding: valid}
          - {name: ints, type: conv2d, out_channels: 2, kernel_size: 3, stride: 2, padding: 1}
        """)
    report = profiled(text, "fvcore")
    assert {layer.name: layer.macs for layer in report.layers} == {"same": 0, "valid": 0, "ints": 144}
    assert any("_convolution_mode" in note for note in report.layers[0].notes)


def test_fvcore_batchnorm_without_affine_is_one_per_element():
    # batchnorm2d affine false on 3x8x8 = 192 elements: 192 x 1.
    text = "input: {shape: [3, 8, 8]}\nlayers:\n  - {type: batchnorm2d, affine: false}\n"
    assert profiled(text, "fvcore").totals.macs == 192


# --- ptflops (aten): conv MACs + 1 per output element for a bias; linear MACs --------------------

def test_ptflops():
    # A: conv 6912 + bias 256 output elements + fc 40 + fc bias 10 = 7218. (This test used to expect
    # 7208, from a reading of an older aten_ops.py in which addmm_flop ignored the bias; ptflops
    # 0.7.5's addmm_flop adds batch * output_dim when the bias operand is present, and running
    # ptflops on this network gives 7218: tests/test_profile_tools.py.)
    assert per_layer(SPEC_A, "ptflops")["conv"] == 6912 + 256
    assert per_layer(SPEC_A, "ptflops")["fc"] == 40 + 10
    assert profiled(SPEC_A, "ptflops").totals.macs == 7218
    # B: transposed conv 384 + bias on its 192 outputs = 576; nothing else.
    assert profiled(SPEC_B, "ptflops").totals.macs == 576
    # C: no bias: 3600.
    assert profiled(SPEC_C, "ptflops").totals.macs == 3600


# --- thop ------------------------------------------------------------------------------------------

def test_thop_spec_a():
    # conv 6912 (no bias); bn 2 x 256, doubled for affine = 1024; relu 0 (zero_ops); maxpool 0;
    # avgpool 1 per output = 16; adaptive avg pool: kernel (2/1)(2/1) = 4, (4 + 1) x 4 outputs = 20;
    # flatten 0 (no hook); fc in_features 4 x 10 outputs = 40. Total 8012.
    counts = per_layer(SPEC_A, "thop")
    assert counts == {"conv": 6912, "bn": 1024, "relu": 0, "pool": 0, "avg": 16, "gap": 20, "flat": 0, "fc": 40}
    assert profiled(SPEC_A, "thop").totals.macs == 8012


def test_thop_spec_b():
    # transposed conv per OUTPUT element: 192 x (C_in 2 // 1) x 4 = 1536 (4x the true 384);
    # nearest upsample 1 x 768 = 768; prelu 768 (count_prelu, eval); softmax: nfeatures 3,
    # batch 768 // 3 = 256, 256 x (3 + 2 + 3) = 2048; layer norm 2 x 768 x 2 = 3072.
    counts = per_layer(SPEC_B, "thop")
    assert counts == {"up": 1536, "near": 768, "act": 768, "soft": 2048, "norm": 3072}
    assert profiled(SPEC_B, "thop").totals.macs == 8192


def test_thop_spec_c_adaptive_window_not_integer():
    # depthwise 3600; adaptive 10 -> 3: kernel (10/3)(10/3) = 100/9, int((100/9 + 1) x 36) = 436;
    # global avg pool as AdaptiveAvgPool2d(1) on 3x3: (9 + 1) x 4 = 40. Total 4076.
    counts = per_layer(SPEC_C, "thop")
    assert counts == {"dw": 3600, "ada": 436, "gap": 40}


@pytest.mark.parametrize("mode, per_output", [("nearest", 1), ("bilinear", 11)])
def test_thop_upsample_modes(mode, per_output):
    # calculate_upsample: nearest 1, bilinear 11 ops per output; 1x4x4 -> 1x8x8 = 64 outputs.
    text = f"input: {{shape: [1, 4, 4]}}\nlayers:\n  - {{type: upsample, scale_factor: 2, mode: {mode}}}\n"
    assert profiled(text, "thop").totals.macs == 64 * per_output


# --- calflops: MACs of conv/linear; FLOPs 2 x MACs + bias + per-element ops -----------------------

def test_calflops_spec_a():
    # MACs: conv 6912 + fc 40 = 6952.
    # FLOPs: conv 2 x 6912 + bias 4 x 64 positions = 13824 + 256 = 14080; bn 2 x 256 = 512; relu
    # 256 (input numel); maxpool 256 (input numel); avgpool 64 (input numel); adaptive 16 (input
    # numel); fc 2 x 40 = 80 (bias not counted). Total 14080 + 512 + 256 + 256 + 64 + 16 + 80 = 15264.
    report = profiled(SPEC_A, "calflops")
    assert report.totals.macs == 6952
    assert report.totals.flops == 15264
    assert {layer.name: layer.flops for layer in report.layers} == {
        "conv": 14080, "bn": 512, "relu": 256, "pool": 256, "avg": 64, "gap": 16, "flat": 0, "fc": 80}


def test_calflops_spec_b():
    # transposed conv: macs = 4 taps x 2 in x ((3 // 1) // 1) x 16 input positions = 384; flops
    # 768 + bias: weight.shape[1] = 3 channels x forward-conv size ((4 + 0 - 2) // 2 + 1 = 2)^2 = 4
    # -> 12; total 780. upsample with a scale factor: the input numel 192. prelu 768. softmax 768.
    # layer norm 5 x 768 = 3840. FLOPs 780 + 192 + 768 + 768 + 3840 = 6348; MACs 384.
    report = profiled(SPEC_B, "calflops")
    assert {layer.name: layer.flops for layer in report.layers} == {
        "up": 780, "near": 192, "act": 768, "soft": 768, "norm": 3840}
    assert report.totals.macs == 384


def test_calflops_same_padding_with_an_even_kernel():
    # _conv_flops_compute reads padding='same' as d * (k - 1) // 2 = 1 on both sides for k = 4, so
    # its output size is (9 + 2 - 4) // 1 + 1 = 8, not PyTorch's 9: MACs 16 taps x 2 in x 3 out x
    # 8 x 8 = 6144 (true: 7776); FLOPs 2 x 6144 + bias 3 x 64 = 12480.
    text = "input: {shape: [2, 9, 9]}\nlayers:\n  - {type: conv2d, out_channels: 3, kernel_size: 4, padding: same}\n"
    report = profiled(text, "calflops")
    assert report.totals.macs == 6144
    assert report.totals.flops == 12480


def test_calflops_lppool():
    # F.lp_pool2d = avg_pool2d(x.pow(2)) (input numel 4 x 8 x 8 = 256), then relu and Tensor.mul on
    # the 4 x 4 x 4 = 64 outputs: 256 + 64 + 64 = 384.
    text = textwrap.dedent("""
        input: {shape: [4, 8, 8]}
        layers:
          - {name: lp, type: lppool2d, kernel_size: 2}
        """)
    assert profiled(text, "calflops").totals.flops == 384


def test_calflops_skips_sigmoid_relu6_and_plus():
    # sigmoid (torch.sigmoid), relu6 (nn.ReLU6 calls F.hardtanh), add written as a + b: 0 each;
    # relu 1 per element: 1x4x4 = 16.
    text = textwrap.dedent("""
        input: {shape: [1, 4, 4]}
        layers:
          - {name: s, type: sigmoid}
          - {name: r6, type: relu6}
          - {name: r, type: relu}
          - {name: sum, type: add, inputs: [s, r]}
        """)
    report = profiled(text, "calflops")
    assert {layer.name: layer.flops for layer in report.layers} == {"s": 0, "r6": 0, "r": 16, "sum": 0}


# --- torchinfo: parameters x output positions for Conv, x batch otherwise ------------------------

def test_torchinfo_spec_a():
    # conv (108 weights + 4 bias) x 64 output positions = 7168; bn 8 params; fc 40 + 10 = 50.
    counts = per_layer(SPEC_A, "torchinfo")
    assert counts == {"conv": 7168, "bn": 8, "relu": 0, "pool": 0, "avg": 0, "gap": 0, "flat": 0, "fc": 50}
    assert profiled(SPEC_A, "torchinfo").totals.macs == 7226


def test_torchinfo_spec_b_transposed_per_output_position():
    # transposed conv: (24 weights + 3 bias) x 64 OUTPUT positions = 1728 (true MACs: 384);
    # prelu 1 parameter; layer norm 1536 parameters. Total 1728 + 1 + 1536 = 3265.
    counts = per_layer(SPEC_B, "torchinfo")
    assert counts == {"up": 1728, "near": 0, "act": 1, "soft": 0, "norm": 1536}


# --- the profile is recorded; rfcalc's own numbers are untouched ----------------------------------

def test_rfcalc_profile_is_the_identity():
    spec = parse_spec(textwrap.dedent(SPEC_A), "a.yaml")
    report = analyze(spec)
    assert apply_profile(report, spec, "rfcalc") is report
    assert [c.macs for c in profile_counts(report, spec, "rfcalc")] == [layer.macs for layer in report.layers]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_profile_keeps_everything_but_costs(profile):
    spec = parse_spec(textwrap.dedent(SPEC_B), "b.yaml")
    plain, counted = analyze(spec), profiled(SPEC_B, profile)
    assert counted.profile == profile
    assert counted.totals.params == plain.totals.params
    assert counted.totals.activation_bytes == plain.totals.activation_bytes
    assert [layer.rf for layer in counted.layers] == [layer.rf for layer in plain.layers]


def test_fallback_for_layers_without_a_torch_module_is_noted():
    # locally connected: no PyTorch module, so every tool profile keeps rfcalc's MACs and notes it.
    text = "input: {shape: [1, 4, 4]}\nlayers:\n  - {name: lc, type: locally_connected2d, out_channels: 2, kernel_size: 3}\n"
    spec = parse_spec(text, "lc.yaml")
    plain = analyze(spec)
    counted = apply_profile(plain, spec, "thop")
    assert counted.layers[0].macs == plain.layers[0].macs
    assert any("no counterpart" in note for note in counted.layers[0].notes)


def test_cli_profile_in_json_and_table(run_cli, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(textwrap.dedent(SPEC_A))
    code, out, _ = run_cli("analyze", str(path), "--profile", "fvcore", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["profile"] == "fvcore"
    assert data["totals"]["macs"] == 7480
    assert any("fvcore" in c for c in data["conventions"])
    code, out, _ = run_cli("analyze", str(path), "--profile", "thop")
    assert code == 0 and "thop" in out
    code, _, err = run_cli("analyze", str(path), "--profile", "nope")
    assert code == 2 and "nope" in err


def test_profiled_conventions_replace_rfcalcs_counting_lines():
    from rfcalc.report import CONVENTIONS

    report = profiled(SPEC_A, "fvcore")
    texts = [c.text for c in report.conventions]
    rfcalc_counting = [c.text for c in CONVENTIONS if c.text.startswith(("MACs:", "FLOPs"))]
    assert rfcalc_counting and not set(rfcalc_counting) & set(texts)
    assert any(c.startswith("profile fvcore") for c in texts)
    assert any("input pixel i spans" in c for c in texts)  # the RF conventions stay


def test_profiled_conventions_drop_exactly_rfcalcs_macs_and_flops_lines():
    from rfcalc.report import CONVENTIONS

    # The profile replaces the third and fourth lines: they must be the MACs and FLOPs rules.
    assert CONVENTIONS[2].text.startswith("MACs") and CONVENTIONS[3].text.startswith("FLOPs")
    for profile in PROFILE_NAMES[1:]:
        kept = profiled(SPEC_A, profile).conventions
        assert [c for c in CONVENTIONS if c in kept] == [c for i, c in enumerate(CONVENTIONS) if i not in (2, 3)]


def test_conventions_reworded_or_moved_are_still_replaced(monkeypatch):
    # A report whose rfcalc counting lines no longer start with "MACs:" / "FLOPs" (the old prefix
    # test kept both beside the profile's own rules).
    import dataclasses

    import rfcalc.report

    from rfcalc.report import Convention

    reworded = tuple(Convention(c.id, text) for c, text in zip(rfcalc.report.CONVENTIONS, (
        "input pixel i spans [i, i+1)", "r, j, start ignore borders",
        "Multiply-accumulates: conv and linear", "Floating-point operations: 2 x MACs + the rest",
        "batch norm in its inference form")))
    monkeypatch.setattr(rfcalc.report, "CONVENTIONS", reworded)
    spec = parse_spec(textwrap.dedent(SPEC_A), "a.yaml")
    report = dataclasses.replace(analyze(spec), conventions=reworded)
    kept = apply_profile(report, spec, "thop").conventions
    assert [c for c in reworded if c in kept] == [reworded[0], reworded[1], reworded[4]]


def _view(layer, type_name="mystery"):
    from dataclasses import replace

    from rfcalc.profiles.base import LayerView

    # A real result retyped: a padded 3x3 conv on 1x4x4, 2 channels of 4x4 = 16 positions, 9 taps
    # each: 2 x 16 x 9 = 288 MACs (576 FLOPs as 'mac', no bias).
    spec = parse_spec("input: {shape: [1, 4, 4]}\nlayers:\n  - {type: conv2d, out_channels: 2, kernel_size: 3, "
                      "padding: 1, bias: false}\n", "m.yaml")
    result = replace(analyze(spec).layers[0], type=type_name)
    return LayerView(result, layer, ((1, 4, 4),))


@pytest.mark.parametrize("profile", PROFILE_NAMES[1:])
def test_a_layer_class_no_family_lists_keeps_rfcalcs_count_with_a_note(profile):
    from types import SimpleNamespace

    from rfcalc.profiles import PROFILES

    count = PROFILES[profile].count(_view(SimpleNamespace(type="mystery")))
    assert count.macs == 288 and dict(count.flops) == {"mac": 576}
    assert count.note.message() == f"{profile}: the {profile} profile has no rule for mystery; rfcalc's count kept"


def test_the_family_comes_from_the_layer_class_not_from_its_type_name():
    # A max-pooling model whose result claims an average-pooling type name counts as max pooling
    # (thop: nothing), not as the average its name says (no substring of a name is read).
    from rfcalc.layers.pool import AdaptiveMaxPool
    from rfcalc.profiles import PROFILES

    layer = AdaptiveMaxPool.model_construct(type="adaptive_maxpool2d", output_size=1)
    view = _view(layer, "adaptive_avgpool2d")
    assert view.family is AdaptiveMaxPool.family
    assert PROFILES["thop"].count(view).macs == 0 and PROFILES["thop"].count(view).note is None


def test_every_layer_class_declares_a_family_that_every_profile_covers():
    from rfcalc.layers import LAYER_TYPES, Family
    from rfcalc.profiles import PROFILES

    for cls in LAYER_TYPES:
        declared = [base for base in cls.__mro__ if "family" in vars(base)]
        assert declared and isinstance(cls.family, Family), f"{cls.__name__} declares no family"
        missing = [name for name, profile in PROFILES.items() if not profile.covers(cls.family)]
        assert not missing, (f"{cls.__name__} (family {cls.family.value}): no rule, zero entry or "
                             f"no-counterpart entry in profile(s) {missing}")


# Every layer type, at least once, on 4x12x12 (sizes only need to be valid here).
EVERY_TYPE = """
input: {shape: [4, 12, 12]}
layers:
  - {name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: dw, type: depthwise_conv2d, kernel_size: 3, padding: 1}
  - {name: sep, type: separable_conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: ss, type: spatially_separable_conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: tr, type: conv_transpose2d, out_channels: 4, kernel_size: 1}
  - {name: bn, type: batchnorm2d}
  - {name: ln, type: layernorm}
  - {name: gn, type: group_norm, num_groups: 2}
  - {name: do, type: dropout}
  - {name: a1, type: relu}
  - {name: a2, type: relu6}
  - {name: a3, type: sigmoid}
  - {name: a4, type: tanh}
  - {name: a5, type: silu}
  - {name: a6, type: hardswish}
  - {name: a7, type: hardsigmoid}
  - {name: a8, type: leaky_relu}
  - {name: a9, type: elu}
  - {name: a10, type: gelu}
  - {name: a11, type: prelu}
  - {name: s1, type: softmax}
  - {name: s2, type: log_softmax}
  - {name: pad, type: pad, padding: 1}
  - {name: mp, type: maxpool2d, kernel_size: 2}
  - {name: ap, type: avgpool2d, kernel_size: 1}
  - {name: lp, type: lppool2d, kernel_size: 1}
  - {name: up, type: upsample, scale_factor: 2}
  - {name: am, type: adaptive_maxpool2d, output_size: 6}
  - {name: aa, type: adaptive_avgpool2d, output_size: 6}
  - {name: id, type: identity}
  - {name: add, type: add, inputs: [aa, id]}
  - {name: mul, type: multiply, inputs: [add, id]}
  - {name: sub, type: subtract, inputs: [mul, id]}
  - {name: dv, type: divide, inputs: [sub, id]}
  - {name: mx, type: maximum, inputs: [dv, id]}
  - {name: cat, type: concat, inputs: [mx, id]}
  - {name: gm, type: global_maxpool, keepdims: true, inputs: [cat]}
  - {name: ga, type: global_avgpool, inputs: [cat]}
  - {name: fl, type: flatten}
  - {name: fc, type: linear, out_features: 2}
"""


@pytest.mark.parametrize("profile", PROFILE_NAMES[1:])
def test_every_layer_type_has_a_rule_or_is_listed_as_nothing(profile):
    from rfcalc.layers import TYPE_NAMES

    report = profiled(EVERY_TYPE, profile)
    classes = {TYPE_NAMES[layer.type] for layer in report.layers}
    assert classes == set(TYPE_NAMES.values()) - {TYPE_NAMES["locally_connected2d"], TYPE_NAMES["tiled_conv2d"]}
    assert [(layer.name, note) for layer in report.layers for note in layer.notes if "rfcalc's count kept" in note] \
        == []


# --- group norm (the type docs/adding-a-layer.md adds) -------------------------------------------------
# 4x3x3 = 36 elements in 2 groups of 18, affine (weight and bias per channel: 8 parameters).
# rfcalc, per group of 18: adds 17 (mean) + 18 (centring) + 17 (variance) + 1 (eps) + 18 (bias) = 71,
# muls 18 (squares) + 18 (weight) = 36, divs 1 + 1 + 18 = 20, 1 square root: x 2 groups.
GROUP_NORM = """
input: {shape: [4, 3, 3]}
layers:
  - {name: gn, type: group_norm, num_groups: 2}
"""


def test_group_norm_under_rfcalc_and_every_profile():
    from rfcalc.findings import ProfileFallback

    own = profiled(GROUP_NORM, "rfcalc").layers[0]
    assert own.params == 8 and own.macs == 0
    assert own.flops_by_kind == {"add": 142, "mul": 72, "div": 40, "exp": 2}
    # fvcore aten::group_norm norm_flop_counter: 5 per element with affine: 180 "flops" (MAC units);
    # calflops _group_norm_flops_compute: the same 180 as FLOPs, 0 MACs; torchinfo: its 8 parameters;
    # torchvision / ptflops (aten: no group_norm op) and thop (no nn.GroupNorm hook): nothing.
    assert profiled(GROUP_NORM, "fvcore").totals.macs == 180
    calflops = profiled(GROUP_NORM, "calflops").totals
    assert (calflops.macs, calflops.flops) == (0, 180)
    assert profiled(GROUP_NORM, "torchinfo").totals.macs == 8
    for profile in ("torchvision", "ptflops", "thop"):
        report = profiled(GROUP_NORM, profile)
        assert report.totals.macs == 0 and not report.select(ProfileFallback.code), profile


# --- broadcasting merges: a squeeze-and-excitation block -----------------------------------------------
# Input 4x6x6. conv 3x3 pad 1, 4 -> 8, bias: 8x6x6 = 288 outputs, MACs 288 x 36 = 10368, 296 params.
# pool adaptive avg to 1: 8 windows of 36 (35 adds + 1 div each); fc1 1x1 8 -> 2 with bias: MACs 16,
# 18 params; relu 2; fc2 1x1 2 -> 8: MACs 16, 24 params; gate sigmoid on 8; scale: [8, 6, 6] x [8, 1, 1]
# = 288 muls; shift: scale - pool, [8, 6, 6] - [8, 1, 1]: 288 adds; top: maximum(shift, conv): 288 cmp;
# ratio: top / gate: 288 divs.
SQUEEZE_EXCITE = "input: {shape: [4, 6, 6]}" + SQUEEZE_EXCITE_LAYERS


def test_broadcasting_merges_under_rfcalc_and_every_profile():
    own = {layer.name: layer for layer in profiled(SQUEEZE_EXCITE, "rfcalc").layers}
    assert [own[n].flops_by_kind for n in ("scale", "shift", "top", "ratio")] == [
        {"mul": 288}, {"add": 288}, {"cmp": 288}, {"div": 288}]
    assert [own[n].output_shape for n in ("scale", "shift", "top", "ratio")] == [(8, 6, 6)] * 4
    # torchvision / ptflops: conv MACs only, 10368 + 16 + 16 = 10400; no tool counts `a * b`, `a - b`,
    # torch.maximum or `a / b` (fvcore: no handle for aten::mul/sub/maximum/div; thop and torchinfo:
    # not modules; calflops wraps torch.mul / Tensor.mul, not the operators).
    merges = ("scale", "shift", "top", "ratio")
    for profile in ("torchvision", "fvcore", "ptflops", "thop", "calflops", "torchinfo"):
        counts = {layer.name: (layer.macs, layer.flops) for layer in profiled(SQUEEZE_EXCITE, profile).layers}
        assert all(counts[n] == (0, 0) for n in merges), profile
    assert profiled(SQUEEZE_EXCITE, "torchvision").totals.macs == 10400
    # fvcore also counts aten::adaptive_avg_pool2d at one per input element: 288.
    assert profiled(SQUEEZE_EXCITE, "fvcore").totals.macs == 10400 + 288
