"""The command line and the Python API: formats, sources, overrides, the JSON contract, the README."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rfcalc
from rfcalc.schema import spec_json_schema

ROOT = Path(__file__).resolve().parent.parent
TINY = """\
input: {shape: [3, 32, 32]}
layers:
  - {name: conv, type: conv2d, out_channels: 10, kernel_size: 5}
  - {name: pool, type: maxpool2d, kernel_size: 2}
"""


def test_json_contract(run_cli, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    code, out, err = run_cli("analyze", str(spec), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == 1
    layer = data["layers"][0]
    for key in ("name", "type", "inputs", "output_shape", "rf", "params", "trainable_params", "macs", "flops",
                "activation_bytes", "warnings"):
        assert key in layer
    assert set(layer["rf"][0]) >= {"size", "jump", "start", "effective_padding"}
    for key in ("params", "trainable_params", "non_trainable_params", "macs", "flops", "activation_bytes",
                "peak_activation_bytes", "param_bytes"):
        assert key in data["totals"]
    # The 001 Example 1 figures: 28x28x10, 760 params; then a 2x2 pool to 14x14.
    assert layer["output_shape"] == [10, 28, 28] and layer["params"] == 760
    assert data["layers"][1]["output_shape"] == [10, 14, 14]
    assert layer["inputs"] == ["input"] and data["layers"][1]["inputs"] == ["conv"]


def test_csv_and_columns(run_cli, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    code, out, _ = run_cli("analyze", str(spec), "--format", "csv", "--columns", "name,output,rf,params")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert rows[0] == {"name": "conv", "output": "10x28x28", "rf": "5", "params": "760"}
    assert rows[1]["rf"] == "6"  # 5 + (2 - 1) * 1


def test_markdown(run_cli):
    code, out, _ = run_cli("analyze", "cifar10_walkthrough", "--format", "markdown")
    assert code == 0
    assert out.startswith("## cifar10_walkthrough")
    assert "| conv1 | conv2d | 10x32x32 |" in out


def test_table_names_every_layer(run_cli):
    code, out, _ = run_cli("analyze", "keras_mnist")
    assert code == 0
    assert "max_pooling2d_2" in out and "totals" in out and "warning:" in out


def test_stdin_and_several_specs(run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(TINY))
    code, out, _ = run_cli("analyze", "-", "lenet5", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [d["source"] for d in data] == ["<stdin>", "lenet5.yaml (bundled)"]


def test_input_overrides(run_cli):
    code, out, _ = run_cli("analyze", "resnet50", "--input-size", "512", "--batch", "2", "--dtype", "float16",
                           "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["input"] == {"shape": [3, 512, 512], "batch": 2, "dtype": "float16"}
    assert data["layers"][0]["output_shape"] == [64, 256, 256]
    assert data["layers"][0]["activation_bytes"] == 64 * 256 * 256 * 2 * 2


def test_strict_turns_warnings_into_errors(run_cli):
    code, _, err = run_cli("analyze", "keras_mnist", "--strict")
    assert code == 2
    assert "--strict" in err and "never" in err


def test_zoo_lists_bundled_specs(run_cli):
    code, out, _ = run_cli("zoo")
    assert code == 0
    for name in ("resnet50", "vgg16", "unet", "keras_mnist"):
        assert name in out


def test_layers_lists_every_type(run_cli):
    from rfcalc.layers import type_names

    code, out, _ = run_cli("layers")
    assert code == 0
    for name in type_names():
        assert name in out
    code, out, _ = run_cli("layers", "conv_transpose2d")
    assert code == 0 and "output_padding" in out


def test_schema_is_json_schema_of_the_format(run_cli):
    code, out, _ = run_cli("schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "input" in schema["properties"] and "layers" in schema["properties"]
    layer_item = json.dumps(schema["$defs"]["LayerItem"])
    assert "conv_transpose2d" in layer_item and "maxpool2d" in layer_item


def test_schema_accepts_the_bundled_specs():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema not installed: schema validation skipped")
    import yaml

    schema = spec_json_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        validator.validate(yaml.safe_load(path.read_text()))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"input": {"shape": [3, 8, 8]}, "layers": [{"type": "conv2d", "kernel_sise": 3}]})


def test_schema_rejects_unknown_keys_in_groups_and_block_calls():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema not installed: schema validation skipped")
    schema = spec_json_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    spec = {"input": {"shape": [3, 8, 8]}, "blocks": {"unit": {"params": {"w": 4}, "layers": [{"type": "relu"}]}}}
    group = {"name": "g", "layers": [{"type": "relu"}], "repeat": 2}
    call = {"name": "u", "block": "unit", "args": {"w": 8}, "repeat": "${1 + 1}"}
    validator.validate({**spec, "layers": [group, call]})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**spec, "layers": [{**group, "repat": 2}]})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**spec, "layers": [{**call, "arg": {"w": 8}}]})


def test_schema_of_groups_block_calls_and_node_keys_comes_from_their_models():
    from rfcalc.document import BlockCall, GroupItem, NodeKeys

    defs = spec_json_schema()["$defs"]
    assert tuple(defs["GroupItem"]["properties"]) == GroupItem.keys()
    assert tuple(defs["BlockCall"]["properties"]) == BlockCall.keys()
    assert set(NodeKeys.keys()) <= set(defs["Conv"]["properties"])


def test_python_api():
    report = rfcalc.analyze(rfcalc.load_spec(TINY))
    assert isinstance(report, rfcalc.Report)
    assert report.totals.params == 760
    assert report.layers[0].rf[0].size == 5


def test_readme_spec_example_analyzes():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Spec format\n\n```yaml\n(.*?)```", text, re.S).group(1)
    report = rfcalc.analyze(rfcalc.load_spec(block))
    names = [layer.name for layer in report.layers]
    assert "layer1.0.downsample.0" in names and "layer1.1.downsample.0" not in names
    assert report.layers[-1].output_shape == (10,)


def test_readme_real_outputs_are_what_rfcalc_prints(run_cli, monkeypatch):
    """Console blocks marked <!-- real-output: COLUMNS=N --> show the command's first lines as printed
    at N columns (up to a '...' line)."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- real-output: COLUMNS=(\d+) -->\n```console\n\$ rfcalc (.*?)\n(.*?)```", readme, re.S)
    assert blocks
    for width, command, shown in blocks:
        monkeypatch.setenv("COLUMNS", width)
        code, out, _ = run_cli(*command.split())
        lines = shown.rstrip("\n").split("\n")
        if lines[-1] == "...":
            lines = lines[:-1]
        assert code == 0 and out.split("\n")[:len(lines)] == lines, command


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- test-command -->\n```sh\n(.*?)\n```", readme).group(1)
    assert "pytest" in command and "pip install '.[test]'" in command
    assert "test-command" in (ROOT / ".ci" / "run").read_text()


def test_no_traceback_and_no_numpy_on_the_analyze_path():
    """analyze imports neither numpy nor an optional extra (matplotlib: rfcalc[draw]), installed or not."""
    code = ("import sys, runpy; sys.argv = ['rfcalc', 'analyze', 'resnet50', '--format', 'json'];"
            "from rfcalc.cli import main; rc = main(sys.argv[1:]);"
            "loaded = [m for m in ('numpy', 'matplotlib') if m in sys.modules];"
            "print('LOADED ' + ','.join(loaded) if loaded else 'NO-NUMPY', file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0
    assert "NO-NUMPY" in result.stderr


def test_module_entry_point_reports_errors_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: {shape: [3, 8, 8]}\nlayers:\n  - {type: conv2d, out_channels: 4, kernel_size: 9}\n")
    result = subprocess.run([sys.executable, "-m", "rfcalc", "analyze", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(r"bad\.yaml:3:5: layer '0' \(#0, conv2d\): effective kernel 9 is larger", result.stderr)
