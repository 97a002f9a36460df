"""analyze A B --compare: one row per spec after the per-spec tables (table, JSON, CSV, Markdown).
Expected values: published parameter counts (torchvision: resnet18 11,689,512, resnet50 25,557,032)
and hand counts of the tiny specs below."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

# conv 3->8, 3x3, pad 1 on 3x16x16: 8 x 27 + 8 = 224 params, 8 x 16 x 16 x 27 = 55,296 MACs, r 3;
# the second adds a 3x3 conv 8->8 (584 params, 147,456 MACs): r 5.
ONE = """\
name: one
input: {shape: [3, 16, 16]}
layers:
  - {name: c1, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
"""
TWO = ONE.replace("name: one", "name: two") + "  - {name: c2, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}\n"


@pytest.fixture
def two_specs(tmp_path):
    (tmp_path / "one.yaml").write_text(ONE)
    (tmp_path / "two.yaml").write_text(TWO)
    return str(tmp_path / "one.yaml"), str(tmp_path / "two.yaml")


def test_json_rows_by_hand(run_cli, two_specs):
    code, out, err = run_cli("analyze", *two_specs, "--compare", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["name"] for r in data["reports"]] == ["one", "two"]
    one, two = data["comparison"]
    assert (one["spec"], one["params"], one["macs"], one["output_rf"]) == ("one", 224, 55_296, "3")
    assert (two["spec"], two["params"], two["macs"], two["output_rf"]) == ("two", 224 + 584, 55_296 + 147_456, "5")
    # input 3x16x16 and each 8x16x16 output, float32
    assert two["activation_bytes"] == (768 + 2 * 2048) * 4
    assert one["param_bytes"] == 224 * 4


def test_csv_is_the_comparison(run_cli, two_specs):
    code, out, _ = run_cli("analyze", *two_specs, "--compare", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["spec"], r["params"], r["macs"]) for r in rows] == [
        ("one", "224", "55296"), ("two", "808", "202752")]


def test_table_after_the_per_spec_tables(run_cli):
    code, out, _ = run_cli("analyze", "resnet18", "resnet50", "--compare", "--summary")
    assert code == 0
    tail = out[out.index("comparison of 2 specs"):]
    assert out.index("resnet50  (") < out.index("comparison of 2 specs")
    assert re.search(r"│ resnet18 +│ +11\.7M │ +1\.81G │", tail) and re.search(r"│ resnet50 +│ +25\.6M │ +4\.09G │", tail)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_table_fits_and_never_cuts_a_number(run_cli, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run_cli("analyze", "resnet18", "resnet50", "mobilenet_v2", "--compare", "--summary")
    table = out[out.index("comparison of 3 specs"):].splitlines()
    assert code == 0 and all(len(line) <= width for line in table)
    assert "…" not in "".join(table[:8]) and "11.7M" in out and "3.5M" in out


def test_markdown_gets_a_comparison_table(run_cli, two_specs):
    code, out, _ = run_cli("analyze", *two_specs, "--compare", "--format", "markdown", "--summary")
    assert code == 0 and "## comparison" in out
    assert "| two | 808 | 203K |" in out


def test_training_total_joins_the_comparison(run_cli, two_specs):
    code, out, _ = run_cli("analyze", *two_specs, "--compare", "--training", "--optimizer", "sgd", "--format", "json")
    one = json.loads(out)["comparison"][0]
    # params 224 x 4 + grads 224 x 4 + activations (768 + 2048) x 4
    assert code == 0 and one["training_bytes"] == 224 * 4 * 2 + (768 + 2048) * 4


def test_profile_all_with_compare_is_refused(run_cli):
    code, _, err = run_cli("analyze", "resnet18", "--profile", "all", "--compare")
    assert code == 2 and "--compare" in err
