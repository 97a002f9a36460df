"""`rfcalc profiles SPEC` / `analyze --profile all`: every tool's totals side by side, and each MACs
difference from rfcalc's traced to the rule and the layers that cause it."""
from __future__ import annotations

import json
from math import prod

import rfcalc
from rfcalc.profiles import PROFILE_NAMES
from rfcalc.profiles.compare import compare_profiles


def _comparison(name):
    return compare_profiles(rfcalc.load_spec(name))


def test_every_profile_has_a_row_and_its_differences_add_up_to_its_total():
    comparison = _comparison("resnet50")
    assert [t.profile for t in comparison.totals] == list(PROFILE_NAMES)
    base = comparison.report.totals.macs
    assert base == 4_089_184_256  # torchvision's table: ResNet50 4.09 GFLOPS
    for total in comparison.totals:
        explained = sum(d.delta for d in comparison.differences if d.profile == total.profile)
        assert explained == total.macs - base, total.profile
    assert not [d for d in comparison.differences if d.profile in ("rfcalc", "torchvision")]


def test_fvcore_on_resnet50_adds_batch_norm_and_the_adaptive_pool():
    comparison = _comparison("resnet50")
    fvcore = {d.family: d for d in comparison.differences if d.profile == "fvcore"}
    assert set(fvcore) == {"batchnorm", "adaptive_avg"}
    # fvcore's batchnorm_flop_jit counts 2 per element of an affine batch norm in eval mode.
    bn_elements = sum(prod(layer.output_shape) for layer in comparison.report.layers if layer.type == "batchnorm2d")
    assert fvcore["batchnorm"].delta == 2 * bn_elements and fvcore["batchnorm"].layers == 53
    assert fvcore["batchnorm"].per_element() == "+2 per input element"
    assert fvcore["batchnorm"].rule.startswith("batchnorm_flop_jit: in eval mode input numel")
    # The adaptive average pool reads 2048 x 7 x 7 elements, one flop each.
    assert fvcore["adaptive_avg"].delta == 2048 * 7 * 7


def test_a_conv_with_string_padding_is_a_negative_difference_under_fvcore():
    spec = rfcalc.load_spec("input: {shape: [3, 8, 8]}\nlayers:\n"
                            "  - {type: conv2d, out_channels: 4, kernel_size: 3, padding: same}\n")
    (difference,) = [d for d in compare_profiles(spec).differences if d.profile == "fvcore"]
    assert difference.delta == -(4 * 8 * 8 * 3 * 3 * 3) and difference.types == ("conv2d",)
    assert "conv_shape" in difference.rule


def test_profiles_command_and_analyze_profile_all_print_the_same(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, profiles_out, _ = run_cli("profiles", "resnet50")
    code2, analyze_out, _ = run_cli("analyze", "resnet50", "--profile", "all")
    assert code == code2 == 0 and profiles_out == analyze_out
    assert "│ fvcore      │ 4,111,512,576 │ +22.3M │ +0.55% │" in profiles_out
    assert all(len(line) <= 80 for line in profiles_out.splitlines())
    code, out, _ = run_cli("profiles", "resnet50", "--format", "json")
    data = json.loads(out)
    assert data["baseline"] == "rfcalc" and {p["profile"] for p in data["profiles"]} == set(PROFILE_NAMES)
    code, out, err = run_cli("analyze", "resnet50", "--profile", "all", "--format", "csv")
    assert code == 2 and "--profile all" in err
    code, out, _ = run_cli("profiles", "resnet18", "--format", "markdown")
    assert out.startswith("## resnet18: every counting profile") and "| thop |" in out
