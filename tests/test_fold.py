"""--depth folds groups, blocks and repeats; --layers filters rows; --summary prints only the totals."""
from __future__ import annotations

import csv
import io

import rfcalc
from rfcalc.fold import RowSelection, fold

# torchvision's published parameter count of resnet152 (torchvision.models.ResNet152_Weights: 60,192,808).
RESNET152_PARAMS = 60_192_808


def _resnet152_rows(depth):
    report = rfcalc.analyze(rfcalc.load_spec("resnet152"))
    return report, {row.name: row for row in fold(report.layers, depth)}


def test_depth_one_folds_each_stage_into_a_row():
    report, rows = _resnet152_rows(1)
    assert list(rows) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool",
                          "flatten", "fc"]
    layer1 = rows["layer1"]
    # Hand count of layer1 (3 bottlenecks of width 64, expansion 4, on 64 input channels):
    # block 0: 1x1 64->64 (4,096) + 3x3 64->64 (36,864) + 1x1 64->256 (16,384) + downsample 1x1 64->256
    #          (16,384) + batch norms 2*(64 + 64 + 256 + 256) = 1,280  -> 75,008
    # blocks 1, 2: 1x1 256->64 (16,384) + 36,864 + 16,384 + batch norms 2*(64 + 64 + 256) = 768 -> 70,400 each
    assert layer1.params == 75_008 + 2 * 70_400
    assert layer1.output_shape == (256, 56, 56)
    # RF: conv1 7 (j 2), maxpool 3x3 stride 2 -> 7 + 2*2 = 11 (j 4); each block's 3x3 conv adds 2*4.
    assert layer1.rf[0].size == 11 + 3 * 8
    assert layer1.type == "32 layers"  # 3 blocks of 10 layers and the downsample's 2
    assert sum(row.params for row in rows.values()) == RESNET152_PARAMS
    assert sum(row.macs for row in rows.values()) == report.totals.macs
    assert sum(row.flops for row in rows.values()) == report.totals.flops
    assert report.totals.input_bytes + sum(row.activation_bytes for row in rows.values()) == \
        report.totals.activation_bytes
    assert rows["fc"] is report.layers[-1]  # a leaf at depth 1 stays itself


def test_depth_two_gives_one_row_per_block_and_its_inputs():
    _, rows = _resnet152_rows(2)
    blocks = [name for name in rows if name.startswith("layer")]
    assert len(blocks) == 3 + 8 + 36 + 3  # resnet152's blocks per stage
    assert rows["layer2.0"].inputs == ("layer1.2.relu_2",)  # what enters the block from outside
    assert rows["layer2.0"].output_shape == (512, 28, 28)


def test_folded_rows_keep_their_layers_findings():
    report = rfcalc.analyze(rfcalc.load_spec("resnet50"))
    rows = {row.name: row for row in fold(report.layers, 1)}
    inside = [f for layer in report.layers if layer.name.startswith("layer3.") for f in layer.findings]
    assert rows["layer3"].findings == tuple(inside) and inside


def test_layers_regex_filters_rows_after_folding():
    report = rfcalc.analyze(rfcalc.load_spec("resnet152"))
    rows = RowSelection.of(2, r"^layer4\.|^fc$").rows(report)
    assert [row.name for row in rows] == ["layer4.0", "layer4.1", "layer4.2", "fc"]
    assert [row.name for row in RowSelection.of(None, "downsample.0").rows(report)] == [
        f"layer{i}.0.downsample.0" for i in range(1, 5)]


def test_cli_depth_in_table_csv_and_markdown(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli("analyze", "resnet152", "--depth", "1")
    assert code == 0 and "│ layer3  " in out and "│ layer3.0" not in out
    assert "folded to depth 1: 11 row(s) for 515 layers; the totals are the whole network's" in " ".join(out.split())
    code, out, _ = run_cli("analyze", "resnet152", "--depth", "1", "--format", "csv", "--columns", "name,params")
    assert list(csv.reader(io.StringIO(out)))[5] == ["layer1", "215808"]
    code, out, _ = run_cli("analyze", "resnet152", "--depth", "1", "--format", "markdown", "--columns", "name,type")
    assert "| layer1 | 32 layers |" in out


def test_summary_prints_only_the_totals(run_cli):
    code, out, _ = run_cli("analyze", "resnet50", "--summary")
    assert code == 0 and "25,557,032" in out and "layer1.0.conv1" not in out and "┏" not in out
    code, out, _ = run_cli("analyze", "resnet50", "--summary", "--format", "markdown")
    assert "- **params**: 25,557,032" in out and "|" not in out


def test_row_options_are_refused_where_they_do_not_apply(run_cli):
    code, _, err = run_cli("analyze", "resnet50", "--depth", "1", "--format", "json")
    assert code == 2 and "the JSON always lists every layer" in err
    code, _, err = run_cli("analyze", "resnet50", "--summary", "--format", "csv")
    assert code == 2 and "--summary has no CSV form" in err
    code, _, err = run_cli("analyze", "resnet50", "--layers", "(")
    assert code == 2 and err.startswith("rfcalc: error: --layers '(' is not a regular expression")
    code, _, err = run_cli("analyze", "resnet50", "--depth", "0")
    assert code == 2 and "--depth" in err


SHARES = """\
input: {shape: [3, 8, 8]}
layers:
  - {name: a, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
  - {name: b, type: conv2d, out_channels: 16, kernel_size: 1, trainable: false}
  - {name: r, type: relu}
"""


def test_share_and_trainable_columns(run_cli, tmp_path):
    spec = tmp_path / "shares.yaml"
    spec.write_text(SHARES)
    code, out, _ = run_cli("analyze", str(spec), "--format", "csv", "--columns", "name,params%,macs%,trainable")
    rows = list(csv.DictReader(io.StringIO(out)))
    # params: a = 8*3*3*3 + 8 = 224, b = 16*8 + 16 = 144 (total 368); MACs: a = 8*8*8 * 27 = 13,824,
    # b = 16*8*8 * 8 = 8,192 (total 22,016).
    assert [(r["params%"], r["macs%"], r["trainable"]) for r in rows] == [
        (str(round(100 * 224 / 368, 4)), str(round(100 * 13824 / 22016, 4)), "yes"),
        (str(round(100 * 144 / 368, 4)), str(round(100 * 8192 / 22016, 4)), "no"),
        ("0.0", "0.0", "")]
    code, out, _ = run_cli("analyze", str(spec), "--columns", "name,params%,macs%,trainable")
    assert "│ a     │   60.9% │ 62.8% │ yes       │" in out
    assert "│ b     │   39.1% │ 37.2% │ no        │" in out


def test_a_folded_group_of_frozen_and_trainable_layers_is_partly_trainable():
    from rfcalc.columns import COLUMNS
    from conftest import analyze_yaml

    report = analyze_yaml("input: {shape: [3, 8, 8]}\nlayers:\n  - name: g\n    layers:\n" + "".join(
        "      " + line + "\n" for line in SHARES.splitlines()[2:4]).replace("  - ", "- "))
    row = fold(report.layers, 1)[0]
    assert COLUMNS["trainable"].human(row) == "partly" and row.params == 368 and row.trainable_params == 224
