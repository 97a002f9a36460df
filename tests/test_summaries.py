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
    assert rf.jump == (jump if jump is not None else n)


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
