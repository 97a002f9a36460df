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
