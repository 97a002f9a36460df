"""`rfcalc diff`: layers aligned by name, added/removed/changed, per-layer and total deltas."""
from __future__ import annotations

import json

import pytest

# old: conv 3->8 3x3 pad 1 (params 8 x 27 + 8 = 224), relu, maxpool 2 -> 8x16x16.
OLD = """\
name: old
input: {shape: [3, 32, 32]}
layers:
  - {name: c1, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
  - {name: r1, type: relu}
  - {name: p1, type: maxpool2d, kernel_size: 2}
  - {name: tail, type: identity}
"""
# new: conv 3->16 (params 16 x 27 + 16 = 448), batch norm (32 params) instead of relu, maxpool,
# and the same identity tail.
NEW = """\
name: new
input: {shape: [3, 32, 32]}
layers:
  - {name: c1, type: conv2d, out_channels: 16, kernel_size: 3, padding: 1}
  - {name: bn, type: batchnorm2d}
  - {name: p1, type: maxpool2d, kernel_size: 2}
  - {name: tail, type: identity}
"""


@pytest.fixture
def pair(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    return tmp_path


def diff_json(run_cli, *args):
    code, out, err = run_cli("diff", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_alignment_added_removed_changed(pair, run_cli):
    data = diff_json(run_cli, "old.yaml", "new.yaml")
    # New order, with the removed r1 right after c1, the last old layer before it that survives.
    assert [(layer["name"], layer["status"]) for layer in data["layers"]] == [
        ("c1", "changed"), ("r1", "removed"), ("bn", "added"), ("p1", "changed"), ("tail", "changed")]
    assert data["layer_counts"] == {"added": 1, "removed": 1, "changed": 3, "unchanged": 0}
    c1 = next(layer for layer in data["layers"] if layer["name"] == "c1")
    assert c1["changes"] == ["output", "params", "macs", "flops", "memory"]
    assert c1["fields"]["params"] == {"old": 224, "new": 448, "delta": 224, "percent": 100.0}
    assert c1["fields"]["output"] == {"old": "8x32x32", "new": "16x32x32", "changed": True}
    removed = next(layer for layer in data["layers"] if layer["name"] == "r1")
    assert removed["fields"]["type"] == {"old": "relu", "new": None, "changed": True}


def test_total_deltas(pair, run_cli):
    totals = diff_json(run_cli, "old.yaml", "new.yaml")["totals"]
    # params 224 -> 448 + 32 (bn gamma, beta for 16 channels) = 480.
    assert totals["params"] == {"old": 224, "new": 480, "delta": 256, "percent": 114.286}
    # MACs: 8 x 1024 x 27 = 221,184 -> 16 x 1024 x 27 = 442,368.
    assert totals["macs"]["old"] == 221_184 and totals["macs"]["new"] == 442_368
    assert totals["output"] == {"old": "8x16x16", "new": "16x16x16", "changed": True}
    assert totals["output_rf"] == {"old": "4", "new": "4", "changed": False}


def test_removed_first_layer_and_unchanged(tmp_path, run_cli):
    (tmp_path / "a.yaml").write_text("input: {shape: [1, 8]}\nlayers:\n  - {name: x, type: relu}\n"
                                     "  - {name: y, type: identity}\n")
    (tmp_path / "b.yaml").write_text("input: {shape: [1, 8]}\nlayers:\n  - {name: y, type: identity}\n")
    data = diff_json(run_cli, str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert [(layer["name"], layer["status"]) for layer in data["layers"]] == [("x", "removed"), ("y", "unchanged")]


def test_identical_specs(pair, run_cli):
    data = diff_json(run_cli, "old.yaml", "old.yaml")
    assert {layer["status"] for layer in data["layers"]} == {"unchanged"}
    assert all(t.get("delta", 0) == 0 and not t.get("changed") for t in data["totals"].values())


def test_table_hides_unchanged_unless_all(pair, run_cli):
    code, out, _ = run_cli("diff", "old.yaml", "old.yaml")
    assert code == 0 and "4 unchanged hidden" in out and "tail" not in out
    code, out, _ = run_cli("diff", "old.yaml", "old.yaml", "--all")
    assert "tail" in out


def test_table_shows_marks_and_arrows(pair, run_cli):
    code, out, _ = run_cli("diff", "old.yaml", "new.yaml")
    assert code == 0
    assert "224 → 448 (+224)" in out
    assert "1 added, 1 removed, 3 changed, 0 unchanged" in out


def test_markdown(pair, run_cli):
    code, out, _ = run_cli("diff", "old.yaml", "new.yaml", "--format", "markdown")
    assert code == 0
    assert out.startswith("### rfcalc diff: `old` → `new`")
    assert "| params | 224 | 480 | +256 | +114.3% |" in out
    assert "| - | `r1` | relu |" in out and "| + | `bn` | batchnorm2d |" in out


def test_profile_applies_to_both(pair, run_cli):
    # torchinfo adds the conv bias per output element: old 221,184 + 8 x 1024 = 229,376; new
    # 442,368 + 16 x 1024 = 458,752, plus batch norm's 32 parameters = 458,784.
    data = diff_json(run_cli, "old.yaml", "new.yaml", "--profile", "torchinfo")
    assert data["profile"] == "torchinfo"
    assert (data["totals"]["macs"]["old"], data["totals"]["macs"]["new"]) == (229_376, 458_784)


def test_invalid_spec_exit_2(pair, run_cli):
    (pair / "bad.yaml").write_text("input: {shape: [3, 8, 8]}\nlayers:\n  - {type: nope}\n")
    code, _, err = run_cli("diff", "old.yaml", "bad.yaml")
    assert code == 2 and "bad.yaml:3:" in err


# Only j differs at `a` and `x`: old: 8 pixels, a 2-tap stride-2 conv -> 4 outputs, r = 2, j = 2;
# new: 5 pixels, a 2-tap stride-1 conv -> 4 outputs, r = 2, j = 1. Both convs have 2 + 1 = 3 params
# and 4 x 2 = 8 MACs; the identity x copies a: the same 1x4 output (16 B), r = 2, only j differs.
JUMP_OLD = """\
input: {shape: [1, 8]}
layers:
  - {name: a, type: conv1d, out_channels: 1, kernel_size: 2, stride: 2}
  - {name: x, type: identity}
"""
JUMP_NEW = JUMP_OLD.replace("[1, 8]", "[1, 5]").replace("stride: 2", "stride: 1")


def test_jump_only_change_is_visible(tmp_path, run_cli):
    (tmp_path / "a.yaml").write_text(JUMP_OLD)
    (tmp_path / "b.yaml").write_text(JUMP_NEW)
    old, new = str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")
    data = diff_json(run_cli, old, new)
    assert [(layer["name"], layer["changes"]) for layer in data["layers"]] == [("a", ["jump"]), ("x", ["jump"])]
    code, out, _ = run_cli("diff", old, new)
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("│ ~")]
    assert len(rows) == 2 and all("2 → 1" in row for row in rows)
    code, out, _ = run_cli("diff", old, new, "--format", "markdown")
    assert "| | layer | type | output | r | j | params | MACs | FLOPs | memory |" in out
    assert "| ~ | `x` | identity | 1x4 | 2 | 2 → 1 | 0 | 0 | 0 | 16 B |" in out


# ConvTranspose1d k = 3, s = 2 on 8 pixels: (8 - 1) x 2 + 3 = 17 outputs; output 2i + t reads input
# i through tap t, so an even output reads two input pixels (taps 0 and 2: inputs o/2 - 1, o/2), an
# odd one a single pixel: r = 1..2, varying with position (the table's "*"). Global pooling then
# sees the whole 8-pixel input: "all (8)".
RESAMPLED = """\
input: {shape: [1, 8]}
layers:
  - {name: up, type: conv_transpose1d, out_channels: 1, kernel_size: 3, stride: 2}
  - {name: gp, type: global_avgpool}
"""


def test_rf_text_is_the_analyze_table_s(tmp_path, run_cli):
    (tmp_path / "a.yaml").write_text(RESAMPLED)
    (tmp_path / "b.yaml").write_text(RESAMPLED.replace("stride: 2", "stride: 1"))
    data = diff_json(run_cli, str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    up = next(layer for layer in data["layers"] if layer["name"] == "up")
    # stride 1: an ordinary 3-tap window, r = 3 everywhere; j 1/2 -> 1.
    assert up["fields"]["rf"] == {"old": "1..2*", "new": "3", "changed": True}
    assert up["fields"]["jump"] == {"old": "0.5", "new": "1", "changed": True}
    assert data["totals"]["output_rf"] == {"old": "all (8)", "new": "all (8)", "changed": False}


def test_empty_input_override_is_usage_error(pair, run_cli):
    # --input-size '' used to be ignored (tested for truth, not for None).
    code, out, err = run_cli("diff", "old.yaml", "new.yaml", "--input-size", "")
    assert (code, out) == (2, "")
    assert err == "rfcalc: error: --input-size '' must look like 224 or 512x384\n"


def test_input_override_applies_to_both(pair, run_cli):
    # 64x64: c1 keeps 64, p1 halves it: old 8x32x32, new 16x32x32.
    totals = diff_json(run_cli, "old.yaml", "new.yaml", "--input-size", "64")["totals"]
    assert totals["output"] == {"old": "8x32x32", "new": "16x32x32", "changed": True}


def test_profile_option_is_the_shared_one(run_cli):
    code, out, _ = run_cli("diff", "--help")
    assert code == 0
    assert "Counting conventions of MACs/FLOPs" in out and "[default: rfcalc]" in out


def test_percent_from_zero_and_table_matches_json(pair, run_cli):
    # bn is added: its params go 0 -> 32 (no percentage: "new" in the table, null in JSON); totals
    # 224 -> 480 is +114.2857...% (+114.3% in the table, 114.286 in JSON).
    data = diff_json(run_cli, "old.yaml", "new.yaml")
    assert data["totals"]["params"]["percent"] == 114.286
    old_only = diff_json(run_cli, "old.yaml", "old.yaml")["totals"]["params"]
    assert old_only == {"old": 224, "new": 224, "delta": 0, "percent": 0.0}
    code, out, _ = run_cli("diff", "old.yaml", "new.yaml")
    assert "+256" in out and "+114.3%" in out
