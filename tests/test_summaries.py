"""One-line summaries that never mislead: memory totals, RF summaries over the units that exist, the
findings' stated causes, and the misalignment policy (issue 9)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rfcalc.analyzer import analyze
from rfcalc.sources import bundled_specs, load_spec_source

from conftest import analyze_yaml, sequential


def test_memory_total_and_peak_both_count_the_input():
    # Input 1x4x4 float32 = 64 B; conv 2x4x4 = 128 B; relu 2x4x4 = 128 B (by hand).
    # total: 64 + 128 + 128 = 320; peak: input + conv live at once (192), then conv + relu (256).
    report = analyze_yaml(sequential([1, 4, 4], "{name: conv, type: conv2d, out_channels: 2, kernel_size: 3, padding: 1}",
                                     "{name: relu, type: relu}"))
    assert report.totals.input_bytes == 64
    assert report.totals.activation_bytes == 320
    assert report.totals.peak_activation_bytes == 256


@pytest.mark.parametrize("name", sorted(bundled_specs()))
def test_peak_memory_never_exceeds_the_total(name):
    totals = analyze(load_spec_source(name)).totals
    assert totals.peak_activation_bytes <= totals.activation_bytes


# --- adaptive pooling: summaries over the units that exist -------------------------------------------

def adaptive_sets(n: int, m: int) -> list[set[int]]:
    """PyTorch's documented adaptive window of output o: [floor(o n / m), ceil((o + 1) n / m))."""
    return [set(range((o * n) // m, -(-((o + 1) * n) // m))) for o in range(m)]


def summary_of(sets: list[set[int]]) -> tuple:
    """(r_min, r_max, j, start, uniform) of units given by their sets, over these units only: j is the
    spacing of the smallest period that describes them, or their centres' average spacing."""
    from fractions import Fraction
    extents = [max(s) - min(s) + 1 for s in sets]
    centres = [Fraction(min(s) + max(s) + 1, 2) for s in sets]
    shapes = [frozenset(i - min(s) for i in s) for s in sets]
    m = len(sets)
    period = next((c for c in range(1, m) if all(
        shapes[i + c] == shapes[i] and min(sets[i + c]) - min(sets[i]) == min(sets[c]) - min(sets[0])
        for i in range(m - c))), m)
    jump = (Fraction(min(sets[period]) - min(sets[0]), period) if period < m
            else (centres[-1] - centres[0]) / (m - 1) if m > 1 else None)
    return min(extents), max(extents), jump, centres[0], period == 1 or m == 1


def test_adaptive_pooling_7_to_3_is_a_uniform_window_at_stride_2():
    # Windows 0-2, 2-4, 4-6 (PyTorch's rule): r 3, j 2, start 1.5, the same at every position; the 3x3
    # padded conv after it sees 0-6 from its middle unit: r 3 + 2 x 2 = 7, j 2.
    report = analyze_yaml(sequential([1, 7], "{name: pool, type: adaptive_avgpool1d, output_size: 3}",
                                     "{name: conv, type: conv1d, out_channels: 1, kernel_size: 3, padding: 1}"))
    pool, conv = (layer.rf[0] for layer in report.layers)
    assert (pool.size_min, pool.size_max, pool.jump, pool.start, pool.uniform) == (3, 3, 2, 1.5, True)
    assert (conv.size_min, conv.size_max, conv.jump, conv.start, conv.uniform) == (7, 7, 2, 1.5, True)
    assert [report.layers[1].fields[0].sees(o) for o in range(3)] == [((0, 4),), ((0, 6),), ((2, 6),)]


@pytest.mark.parametrize("n, m", [(7, 3), (10, 3), (11, 3), (5, 3), (6, 4), (9, 4), (13, 5), (7, 2), (3, 7),
                                  (5, 8), (224, 7), (17, 6), (8, 1)])
def test_adaptive_pooling_summary_describes_the_units_that_exist(n, m):
    report = analyze_yaml(sequential([1, n], f"{{type: adaptive_maxpool1d, output_size: {m}}}"))
    rf = report.layers[0].rf[0]
    r_min, r_max, jump, start, uniform = summary_of(adaptive_sets(n, m))
    assert (rf.size_min, rf.size_max, rf.start, rf.uniform) == (r_min, r_max, start, uniform)
    assert rf.jump == jump  # None for one unit: pooling to 1 is a whole-input reduction


@pytest.mark.parametrize("n, m", [(7, 3), (10, 3), (13, 4), (31, 5), (16, 3)])
def test_a_conv_after_uniform_adaptive_pooling_reports_the_r_of_units_that_exist(n, m):
    # The conv's interior units (those reading no padding) have the r the summary reports.
    pooled = adaptive_sets(n, m)
    assert summary_of(pooled)[4], "the case is meant to be uniform"
    report = analyze_yaml(sequential([1, n], f"{{type: adaptive_avgpool1d, output_size: {m}}}",
                                     "{type: conv1d, out_channels: 1, kernel_size: 3, padding: 1}"))
    interior = [pooled[o - 1] | pooled[o] | pooled[o + 1] for o in range(1, m - 1)]
    rf = report.layers[1].rf[0]
    assert rf.uniform and rf.size_min == rf.size_max == summary_of(interior)[0]
    assert rf.jump == summary_of(pooled)[2]


def test_adaptive_pooling_summaries_verify_against_the_numpy_backend(tmp_path, run_cli):
    # Every position's set measured by the backend's own dependency rules (not rfcalc.axis).
    path = tmp_path / "adaptive.yaml"
    path.write_text(sequential([2, 11, 7], "{name: pool, type: adaptive_avgpool2d, output_size: [3, 3]}",
                               "{name: conv, type: conv2d, out_channels: 2, kernel_size: 3, padding: 1}",
                               "{name: pool2, type: adaptive_maxpool2d, output_size: [2, 2]}"))
    code, out, err = run_cli("verify", str(path))
    assert code == 0, out + err
    assert "verified: 3 layers" in out


# --- merges of branches with different jumps ---------------------------------------------------------

MIXED_JUMPS = sequential([1, 16], "{name: a, type: conv1d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1}",
                         "{name: b, type: conv1d, out_channels: 1, kernel_size: 9, inputs: [input]}",
                         "{name: sum, type: add, inputs: [a, b]}")


def test_a_merge_of_different_jumps_reports_the_branches_and_the_centres_actual_spacing():
    # By hand: unit o of 'a' reads 2o-1..2o+1 (j 2), of 'b' o..o+8 (j 1). Their union: -1..8 at o = 0
    # (centre 4, r 10), o..o+8 for o = 1..6 (centre o + 4.5, r 9), 7..15 at o = 7 (centre 11.5, r 9):
    # centres 1.5 then 1 apart, (11.5 - 4) / 7 = 15/14 on average.
    report = analyze_yaml(MIXED_JUMPS)
    merged = report.layers[-1]
    rf = merged.rf[0]
    assert (rf.size_min, rf.size_max, rf.jump, rf.start, rf.uniform) == (9, 10, Fraction(15, 14), 4, False)
    (finding,) = merged.findings
    assert [(b.branch, b.jump) for b in finding.jumps] == [("a", 2), ("b", 1)]
    assert (finding.spacing_min, finding.spacing_max, finding.spacing_mean) == (1, Fraction(3, 2), Fraction(15, 14))
    assert (finding.size_min, finding.size_max) == (9, 10)
    message = finding.message()
    assert "'a' j=2 vs 'b' j=1" in message and "1..1.5 pixels apart (15/14 on average)" in message
    assert "windows that advance at different rates" in message


def test_the_legend_names_the_merge_not_a_resampling_layer(tmp_path, run_cli):
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED_JUMPS)
    code, out, _ = run_cli("analyze", str(path))
    legend = " ".join(out.split("legend:")[1].split("totals")[0].split())
    assert "from 'sum', merging branches that advance at different rates" in legend
    assert "resampl" not in legend
    assert " j 0" not in out


def test_the_legend_names_the_resampling_layer_where_one_is():
    from rfcalc.report_table import legend
    report = analyze_yaml(sequential([1, 8], "{name: up, type: upsample1d, scale_factor: 2}",
                                     "{name: conv, type: conv1d, out_channels: 1, kernel_size: 3}"))
    (entry,) = [e for e in legend(report, {"rf"}) if e.startswith("*")]
    assert entry.endswith("(from 'up', which resamples)")


# --- misalignment policy: up-sampling shifts are notes, systematic offsets warnings --------------------

def tiny_unet(skip_padding: str) -> str:
    """A 1-D U-Net level: skip conv (padding as given) beside pool -> conv -> 2x up-conv."""
    return sequential([1, 16], "{name: e1, type: conv1d, out_channels: 2, kernel_size: 3, padding: 1}",
                      "{name: p1, type: maxpool1d, kernel_size: 2}",
                      "{name: e2, type: conv1d, out_channels: 2, kernel_size: 3, padding: 1}",
                      "{name: up, type: conv_transpose1d, out_channels: 2, kernel_size: 2, stride: 2}",
                      f"{{name: skip, type: conv1d, out_channels: 2, kernel_size: 3, padding: {skip_padding}, "
                      f"inputs: [e1]}}",
                      "{name: cat, type: concat, inputs: [skip, up]}")


def test_an_up_conv_beside_its_skip_is_a_note_with_mean_zero():
    # By hand: skip unit o is centred at o + 0.5; p1/e2 unit u at 2u + 1; the up-conv's units 2u and 2u+1
    # both at 2u + 1: shifts +0.5 and -0.5, mean 0.
    from rfcalc.findings import MisalignedMerge, UpsamplingShift
    report = analyze_yaml(tiny_unet("1"))
    (finding,) = report.layers[-1].findings
    assert isinstance(finding, UpsamplingShift) and not finding.is_warning
    (offset,) = finding.offsets
    assert (offset.low, offset.high, offset.mean) == (Fraction(-1, 2), Fraction(1, 2), 0)
    assert "inherent to the architecture" in finding.message()
    assert not report.select(MisalignedMerge.code)


def test_a_missing_pad_on_the_skip_still_warns():
    # padding [[2, 0]] moves every skip centre left by one pixel: shifts 1.5 and 0.5, never zero.
    from rfcalc.findings import MisalignedMerge
    report = analyze_yaml(tiny_unet("[[2, 0]]"))
    (finding,) = report.layers[-1].findings
    assert type(finding) is MisalignedMerge and finding.is_warning
    (offset,) = finding.offsets
    assert (offset.low, offset.high, offset.mean) == (Fraction(1, 2), Fraction(3, 2), 1)
    assert "systematic offset" in finding.message()


FPN = """
name: fpn
input: {shape: [3, 64, 64]}
layers:
  - {name: c2, type: conv2d, out_channels: 8, kernel_size: 3, stride: 2, padding: 1}
  - {name: c3, type: conv2d, out_channels: 16, kernel_size: 3, stride: 2, padding: 1}
  - {name: c4, type: conv2d, out_channels: 32, kernel_size: 3, stride: 2, padding: 1}
  - {name: lat4, type: conv2d, out_channels: 8, kernel_size: 1}
  - {name: up4, type: upsample2d, scale_factor: 2}
  - {name: lat3, type: conv2d, out_channels: 8, kernel_size: 1, inputs: [c3]}
  - {name: p3, type: add, inputs: [lat3, up4]}
  - {name: up3, type: upsample2d, scale_factor: 2}
  - {name: lat2, type: conv2d, out_channels: 8, kernel_size: 1, inputs: [c2]}
  - {name: p2, type: add, inputs: [lat2, up3]}
  - {name: out, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
"""


@pytest.mark.parametrize("spec", ["unet", "unet_original", "fpn"])
def test_textbook_unets_and_an_fpn_pass_strict(spec, tmp_path, run_cli):
    if spec == "fpn":
        (tmp_path / "fpn.yaml").write_text(FPN)
        spec = str(tmp_path / "fpn.yaml")
    code, out, err = run_cli("analyze", spec, "--strict", "--format", "csv")
    assert code == 0, err
    report = analyze(load_spec_source(spec))
    assert report.select("RF203") and not report.select("RF201")


# --- ignore: findings silenced by code, per spec, per layer, per budget --------------------------------

IGNORABLE = """
name: ign
input: {shape: [1, 16]}
ignore: [RF102]
layers:
  - {name: a, type: conv1d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1}
  - {name: b, type: conv1d, out_channels: 1, kernel_size: 9, inputs: [input]}
  - {name: sum, type: add, inputs: [a, b], ignore: [rf201]}
  - {name: p, type: maxpool1d, kernel_size: 3, stride: 2}
"""


def test_ignore_per_spec_and_per_layer_leaves_those_findings_out():
    # Without ignore: RF201 at sum (jumps 2 vs 1), RF101 at p (8 + 0 - 3 = 5 is odd), RF102 (pixel 15 unseen).
    plain = analyze_yaml(IGNORABLE.replace("ignore: [RF102]\n", "").replace(", ignore: [rf201]", ""))
    assert sorted({f.code for f in plain.all_findings() if f.is_warning}) == ["RF101", "RF102", "RF201"]
    report = analyze_yaml(IGNORABLE)
    assert sorted({f.code for f in report.all_findings() if f.is_warning}) == ["RF101"]


def test_check_no_warnings_honours_spec_and_budget_ignores(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "ign.yaml").write_text(IGNORABLE)
    assert run_cli("check", "ign.yaml", "--no-warnings")[0] == 1  # RF101 left
    assert run_cli("check", "ign.yaml", "--no-warnings", "--ignore", "RF101")[0] == 0
    (tmp_path / "budget.yaml").write_text("no_warnings: true\nignore: [RF101]\n")
    assert run_cli("check", "ign.yaml", "--budget", "budget.yaml")[0] == 0
    code, _, err = run_cli("check", "ign.yaml", "--no-warnings", "--ignore", "RF109")
    assert code == 2 and "unknown finding code 'RF109'" in err


@pytest.mark.parametrize("where, text, message", [
    ("spec", "ignore: [RF777]", "ign.yaml:4:9: ignore: Value error, unknown finding code 'RF777'; codes are: RF101"),
    ("layer", "ignore: [RF102]", "ign.yaml:8:52: layer 'sum' (#2, add): unknown finding code 'RF1'"),
])
def test_unknown_codes_are_located_errors(where, text, message, tmp_path, run_cli):
    spec = IGNORABLE.replace("ignore: [RF102]", text)
    if where == "layer":
        spec = spec.replace("ignore: [rf201]", "ignore: [RF1]")
    (tmp_path / "ign.yaml").write_text(spec)
    code, _, err = run_cli("analyze", str(tmp_path / "ign.yaml"))
    assert code == 2 and message in err and "Traceback" not in err


def test_the_schemas_cover_ignore(run_cli):
    import json
    spec_schema = json.loads(run_cli("schema")[1])
    assert spec_schema["properties"]["ignore"]["anyOf"][0]["items"]["pattern"] == "^[Rr][Ff][0-9]{3}$"
    assert "ignore" in spec_schema["$defs"]["Conv"]["properties"]
    budget_schema = json.loads(run_cli("schema", "--budgets")[1])
    ignore = budget_schema["$defs"]["Budgets"]["properties"]["ignore"]
    assert ignore["type"] == "array" and ignore["items"]["pattern"] == "^[Rr][Ff][0-9]{3}$"


# --- jump is null exactly when the RF is the whole input -----------------------------------------------

def test_jump_is_null_exactly_when_every_unit_sees_the_whole_input():
    report = analyze_yaml(sequential(
        [4, 8, 8], "{name: conv, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}",
        "{name: g, type: global_avgpool, keepdims: true}",
        "{name: ln, type: layernorm, normalized_shape: [4, 8, 8], inputs: [conv]}",
        "{name: sm, type: softmax, dim: 1, inputs: [conv]}",
        "{name: ap, type: adaptive_avgpool2d, output_size: 1, inputs: [conv]}",
        "{name: gate, type: sigmoid}",
        "{name: se, type: multiply, inputs: [conv, gate]}",
        "{name: single, type: conv2d, out_channels: 1, kernel_size: 8, inputs: [input]}"))
    rf = {layer.name: layer.rf for layer in report.layers}
    whole = [(8, None, True)] * 2
    for name in ("g", "ln", "ap", "gate", "se"):
        assert [(r.size, r.jump, r.whole_input) for r in rf[name]] == whole, name
    # softmax over dim 1 (the first spatial axis) reduces that axis only
    assert [(r.size, r.jump, r.whole_input) for r in rf["sm"]] == [(8, None, True), (3, 1, False)]
    # one 8x8 window on the 8x8 input sees it all, but it is a window: j 1, its r 8
    assert [(r.size, r.jump, r.whole_input) for r in rf["single"]] == [(8, 1, False)] * 2
    assert [(r.size, r.jump) for r in report.layers[-2].local_rf] == [(3, 1)] * 2  # se's local RF: the conv's


# --- inplace: true activations reuse their input's buffer in the peak ---------------------------------

@pytest.mark.parametrize("inplace, other_reader, peak", [
    # input 1x4x4 float32 = 64 B, conv 2x4x4 = 128 B, relu 128 B, by hand:
    (False, False, 256),  # conv + relu live at once
    (True, False, 192),   # relu overwrites conv's buffer: the peak is input + conv
    (True, True, 384),    # 'sum' also reads conv: relu needs its own buffer (conv + relu + sum = 384)
])
def test_inplace_activation_in_peak_memory(inplace, other_reader, peak, tmp_path, run_cli):
    layers = ["{name: conv, type: conv2d, out_channels: 2, kernel_size: 3, padding: 1}",
              f"{{name: relu, type: relu, inplace: {str(inplace).lower()}}}"]
    if other_reader:
        layers.append("{name: sum, type: add, inputs: [conv, relu]}")
    text = sequential([1, 4, 4], *layers)
    report = analyze_yaml(text)
    assert report.totals.peak_activation_bytes == peak
    assert report.totals.activation_bytes == 64 + 128 + 128 + (128 if other_reader else 0)
    path = tmp_path / "inplace.yaml"
    path.write_text(text)
    code, out, err = run_cli("verify", str(path))  # the numpy backend measures the same peak
    assert code == 0, out + err
