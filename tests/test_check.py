"""`rfcalc check`: budgets from the spec, a budget file and flags; exit codes; JSON, JUnit XML and
GitHub annotations; errors with file:line."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from rfcalc.check.budgets import Budgets
from rfcalc.check.outputs import annotation, annotations
from rfcalc.check.results import SpecResult, check_budget
from rfcalc.check.sources import Budget
from rfcalc.errors import Location

# 3x32x32 -> conv 8 out, 3x3, pad 1 (params 8 x 3 x 9 + 8 = 224; MACs 8 x 32 x 32 x 27 = 221,184;
# r = 3) -> maxpool 2 (8x16x16; r = 3 + 1 = 4).
TINY = """\
name: tiny
input: {shape: [3, 32, 32]}
budgets:
  max_params: 1K
  max_macs: 5M
  min_rf: 3
  output_shape: 8x16x16
layers:
  - {name: c1, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
  - {name: p1, type: maxpool2d, kernel_size: 2}
"""


@pytest.fixture
def specs(tmp_path, monkeypatch):
    """A folder with the tiny spec (with budgets) and a copy without budgets; cwd is that folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "tiny.yaml").write_text(TINY)
    bare = TINY.replace("budgets:\n  max_params: 1K\n  max_macs: 5M\n  min_rf: 3\n  output_shape: 8x16x16\n", "")
    (tmp_path / "bare.yaml").write_text(bare.replace("name: tiny", "name: bare"))
    return tmp_path


def test_spec_budgets_pass_exit_0(specs, run_cli):
    code, out, err = run_cli("check", "tiny.yaml")
    assert code == 0, err
    assert "4 passed, 0 exceeded" in out


def test_exceeded_exit_1_and_exit_zero(specs, run_cli):
    code, out, err = run_cli("check", "tiny.yaml", "--max-params", "200")
    assert code == 1
    assert "FAIL" in out and "budget exceeded" in err and "224" in err
    code, _, _ = run_cli("check", "tiny.yaml", "--max-params", "200", "--exit-zero")
    assert code == 0


def test_invalid_spec_exit_2_even_with_exit_zero(specs, run_cli):
    (specs / "broken.yaml").write_text("input: {shape: [3, 8, 8]}\nlayers:\n  - {type: conv2d, kernel_size: 3}\n")
    code, _, err = run_cli("check", "tiny.yaml", "broken.yaml", "--exit-zero")
    assert code == 2
    assert "broken.yaml:3:" in err and "out_channels" in err


def test_bad_flag_unit_is_usage_error(specs, run_cli):
    code, _, err = run_cli("check", "tiny.yaml", "--max-params", "5X")
    assert code == 2
    assert "--max-params: '5X' is not a count" in err


@pytest.mark.parametrize("flag, value, passes", [
    ("--max-params", "224", True),            # exactly at the limit passes
    ("--max-params", "223", False),
    ("--max-params", "0.224K", True),
    ("--max-macs", "221_184", True),
    ("--max-macs", "0.22M", False),           # 220,000 < 221,184
    ("--max-activation-memory", "52KiB", True),   # input 3x32x32 + 8x32x32 + 8x16x16 floats = 12 + 32 + 8 KiB
    ("--max-activation-memory", "53KB", False),   # 53,000 bytes < 53,248
    ("--max-param-memory", "896B", True),     # 224 params x 4 bytes = 896
    ("--max-param-memory", "895", False),
    ("--min-rf", "4", True),
    ("--min-rf", "4x5", False),
    ("--max-rf", "3", False),
    ("--output-shape", "8x16x16", True),
    ("--output-shape", "8,16,16", True),
    ("--output-shape", "16x8x8", False),
])
def test_flag_units(specs, run_cli, flag, value, passes):
    code, _, err = run_cli("check", "bare.yaml", flag, value)
    assert code == (0 if passes else 1), err


def test_budget_file_governs_several_specs(specs, run_cli):
    (specs / "budgets.yaml").write_text("max_params: 100\nmax_macs: 1G\n")
    code, out, _ = run_cli("check", "tiny.yaml", "bare.yaml", "--budget", "budgets.yaml", "--format", "json")
    assert code == 1
    data = json.loads(out)
    by_spec = {r["spec"]: {c["budget"]: c for c in r["checks"]} for r in data["results"]}
    # The file overrides the spec's own max_params (1K) and max_macs; the spec keeps min_rf etc.
    assert by_spec["tiny"]["max_params"]["limit"] == 100 and by_spec["tiny"]["max_params"]["source"] == "file"
    assert by_spec["tiny"]["max_params"]["location"] == "budgets.yaml:1:13"
    assert by_spec["tiny"]["min_rf"]["source"] == "spec"
    assert set(by_spec["bare"]) == {"max_params", "max_macs"}
    assert data["summary"] == {"specs": 2, "budgets": 6, "passed": 4, "exceeded": 2, "invalid_specs": 0}


def test_budget_file_under_budgets_key(specs, run_cli):
    (specs / "b.yaml").write_text("budgets:\n  max_params: 300\n")
    assert run_cli("check", "bare.yaml", "--budget", "b.yaml")[0] == 0


def test_flags_override_file_override_spec(specs, run_cli):
    (specs / "budgets.yaml").write_text("max_params: 100\n")
    code, out, _ = run_cli("check", "tiny.yaml", "--budget", "budgets.yaml", "--max-params", "300",
                           "--format", "json")
    check = next(c for c in json.loads(out)["results"][0]["checks"] if c["budget"] == "max_params")
    assert (code, check["limit"], check["source"], check["passed"]) == (0, 300, "flag", True)


def test_glob_expands(specs, run_cli):
    code, out, _ = run_cli("check", "*.yaml", "--max-params", "1M", "--format", "json")
    assert code == 0
    assert sorted(r["source"] for r in json.loads(out)["results"]) == ["bare.yaml", "tiny.yaml"]
    code, _, err = run_cli("check", "nothing/*.yaml")
    assert code == 2 and "no file matches" in err


def test_no_warnings_budget(specs, run_cli):
    # 3x7x7 with a 3x3 stride-3 conv: the last pixel of each axis is never read -> warnings.
    (specs / "drop.yaml").write_text("input: {shape: [1, 7, 7]}\nlayers:\n"
                                     "  - {type: conv2d, out_channels: 1, kernel_size: 3, stride: 3}\n")
    assert run_cli("check", "drop.yaml", "--no-warnings")[0] == 1
    assert run_cli("check", "tiny.yaml", "--no-warnings")[0] == 0


def test_profile_from_budget_section(specs, run_cli):
    # thop counts the conv without bias (221,184) and the maxpool as 0: the same as rfcalc's MACs;
    # under torchinfo the bias adds 8 x 1024 output positions = 8,192 -> 229,376.
    (specs / "p.yaml").write_text(TINY.replace("budgets:\n", "budgets:\n  profile: torchinfo\n")
                                  .replace("max_macs: 5M", "max_macs: 229_375"))
    code, out, _ = run_cli("check", "p.yaml", "--format", "json")
    result = json.loads(out)["results"][0]
    assert result["profile"] == "torchinfo"
    macs = next(c for c in result["checks"] if c["budget"] == "max_macs")
    assert (code, macs["actual"]) == (1, 229_376)
    # --profile on the command line wins over the budget's.
    assert run_cli("check", "p.yaml", "--profile", "thop")[0] == 0


# --- errors with file:line -----------------------------------------------------------------------

def test_unknown_budget_in_spec_names_line(specs, run_cli):
    (specs / "bad.yaml").write_text(TINY.replace("max_params: 1K", "max_parms: 1K"))
    code, _, err = run_cli("check", "bad.yaml")
    assert code == 2
    assert "bad.yaml:4:" in err and "unknown budget 'max_parms'; did you mean 'max_params'?" in err


def test_bad_value_in_spec_names_line(specs, run_cli):
    (specs / "bad.yaml").write_text(TINY.replace("max_macs: 5M", "max_macs: 5 lots"))
    code, _, err = run_cli("check", "bad.yaml")
    assert code == 2
    assert "bad.yaml:5:13: budget max_macs: '5 lots' is not a count" in err


def test_bad_value_in_budget_file_names_line(specs, run_cli):
    (specs / "budgets.yaml").write_text("# budgets\nmax_params: 5M\nmin_rf: big\n")
    code, _, err = run_cli("check", "tiny.yaml", "--budget", "budgets.yaml")
    assert code == 2
    assert "budgets.yaml:3:9: budget min_rf:" in err


# --- limits that are not whole, bounded numbers --------------------------------------------------

@pytest.mark.parametrize("flag, value, message", [
    # 10^400 params: more than any budget can mean; it used to overflow the margin's float.
    ("--max-params", "1e400", "exponent may have at most 2 digits"),
    # 2^63 = 9,223,372,036,854,775,808 < 9.3 x 10^18.
    ("--max-params", "9.3e18", "too large: at most 2**63"),
    ("--max-params", "9223372036854775809", "too large: at most 2**63"),
    # 1.5 parameters is not a count (it used to become 1 and fail the budget).
    ("--max-params", "1.5", "'1.5' is not a whole number (1.5)"),
    # 0.1 KiB = 102.4 bytes.
    ("--max-activation-memory", "0.1KiB", "'0.1KiB' is not a whole number (102.4)"),
    ("--max-param-memory", "1e400GiB", "exponent may have at most 2 digits"),
    ("--min-rf", "1" + "0" * 30, "sizes must be at most 2**63"),
], ids=["exponent", "above-2**63", "2**63+1", "fraction", "fraction-bytes", "bytes-exponent", "huge-rf"])
def test_unbounded_or_fractional_limit_is_usage_error(specs, run_cli, flag, value, message):
    code, out, err = run_cli("check", "bare.yaml", flag, value)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"rfcalc: error: {flag}: ")
    assert message in err


def test_limit_at_2_pow_63_is_accepted(specs, run_cli):
    assert run_cli("check", "bare.yaml", "--max-params", "9223372036854775808")[0] == 0
    assert run_cli("check", "bare.yaml", "--max-params", "9.2e18")[0] == 0
    # A fraction that scales to a whole number is fine: 10^-3 x 10^3 = 1 MAC (exceeded: 221,184).
    code, _, err = run_cli("check", "bare.yaml", "--max-macs", "1e-3K")
    assert code == 1 and "exceeds max_macs 1 " in err


@pytest.mark.parametrize("line, message", [
    ("max_params: 1e400", "budget max_params: '1e400': the exponent may have at most 2 digits"),
    ("max_params: 1.5", "budget max_params: '1.5' is not a whole number"),
    ("max_params: 1" + "0" * 400, "(401 characters) is too large: at most 2**63"),
    ("max_params: -5", "budget max_params: '-5' is negative"),
    ("min_rf: 1" + "0" * 400, "budget min_rf: sizes must be at most 2**63"),
], ids=["exponent", "fraction", "huge-count", "negative", "huge-rf"])
def test_unbounded_limit_in_spec_names_line(specs, run_cli, line, message):
    (specs / "big.yaml").write_text(TINY.replace("  min_rf: 3\n", "").replace("max_params: 1K", line))
    code, _, err = run_cli("check", "big.yaml")
    assert code == 2 and err.count("\n") == 1
    assert "big.yaml:4:" in err and message in err


def test_huge_exponent_does_not_hang(specs):
    # 10^99999999 as an exact number has 100 million digits: building it took minutes.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "rfcalc", "check", "bare.yaml", "--max-params", "1e99999999",
                          "--max-peak-memory", "1e99999999KiB"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr == "rfcalc: error: --max-params: '1e99999999': the exponent may have at most 2 digits\n"


def test_units_parse_exactly():
    from rfcalc.units import parse_bytes, parse_count

    assert parse_count("25_557_032") == 25_557_032
    assert parse_count("1.2G") == 1_200_000_000
    assert parse_count("12e+02") == 1200
    assert parse_count(" 300 k ") == 300_000
    assert parse_bytes("1.5KiB") == 1536
    assert parse_bytes("512 KiB") == 524_288
    assert parse_bytes(2048) == 2048


def test_input_override_empty_is_usage_error(specs, run_cli):
    # --input-size '' used to be ignored (tested for truth, not for None).
    code, _, err = run_cli("check", "tiny.yaml", "--input-size", "")
    assert code == 2 and "--input-size '' must look like 224 or 512x384" in err


def test_input_override_applies(specs, run_cli):
    # 64x64 input: conv keeps 64, pool halves it: output 8x32x32, not the spec's 8x16x16.
    code, out, _ = run_cli("check", "tiny.yaml", "--input-size", "64", "--format", "json")
    shape = next(c for c in json.loads(out)["results"][0]["checks"] if c["budget"] == "output_shape")
    assert (code, shape["actual"]) == (1, [8, 32, 32])


def test_rf_axes_mismatch_is_invalid(specs, run_cli):
    code, _, err = run_cli("check", "tiny.yaml", "--min-rf", "3x3x3")
    assert code == 2 and "gives 3 sizes; the network has 2 spatial axes" in err


# --- machine output ------------------------------------------------------------------------------

def test_junit_xml_well_formed(specs, run_cli):
    code, _, _ = run_cli("check", "tiny.yaml", "bare.yaml", "--max-macs", "100K", "--junit-xml", "out.xml")
    assert code == 1
    root = ET.parse(specs / "out.xml").getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    # tiny: its 4 budgets with max_macs replaced by the flag (still 4); bare: max_macs only.
    assert len(cases) == 5
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == 2 and root.get("failures") == "2" and root.get("tests") == "5"
    tiny_macs = next(c for c in cases if c.get("classname") == "rfcalc.tiny" and c.get("name") == "max_macs")
    assert tiny_macs.find("failure").get("message").startswith("MACs 221K exceeds max_macs 100K")


def test_junit_xml_invalid_spec_is_an_error_case(specs, run_cli):
    (specs / "broken.yaml").write_text("input: {shape: [3, 8, 8]}\nlayers: []\n")
    run_cli("check", "broken.yaml", "--junit-xml", "out.xml")
    root = ET.parse(specs / "out.xml").getroot()
    assert root.get("errors") == "1"
    assert root.find("./testsuite/testcase/error") is not None


def test_json_format(specs, run_cli):
    code, out, _ = run_cli("check", "tiny.yaml", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["passed"] is True
    checks = {c["budget"]: c for c in data["results"][0]["checks"]}
    assert checks["max_params"] == {
        "budget": "max_params", "limit": 1000, "actual": 224, "margin_percent": 77.6, "passed": True,
        "message": "params 224 within max_params 1K", "source": "spec", "location": "tiny.yaml:4:15"}
    assert checks["output_shape"]["actual"] == [8, 16, 16]


# --- GitHub Actions annotations -------------------------------------------------------------------

def test_annotation_points_at_budget_line(specs, run_cli, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (specs / "over.yaml").write_text(TINY.replace("max_params: 1K", "max_params: 100"))
    code, out, _ = run_cli("check", "over.yaml")
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("::")]
    assert lines == ["::error file=over.yaml,line=4,col=15,title=rfcalc budget max_params::"
                     "tiny: params 224 exceeds max_params 100 (-124.0%25)"]


def test_annotations_off_without_github_or_with_json(specs, run_cli, monkeypatch):
    assert "::error" not in run_cli("check", "tiny.yaml", "--max-params", "1")[1]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_cli("check", "tiny.yaml", "--max-params", "1", "--format", "json")
    json.loads(out)  # stdout stays pure JSON
    assert "::error" in run_cli("check", "tiny.yaml", "--max-params", "1", "--format", "json",
                                "--github-annotations")[1]


def test_annotation_escaping():
    line = annotation("error", "50% over\nnext", Location("a,b:c.yaml", 3, 1), title="t: x")
    assert line == "::error title=t%3A x::50%25 over%0Anext"  # no such file: no file property


def _failing(n: int) -> list[SpecResult]:
    budget = Budget("max_params", 1, "flag")
    results = []
    for i in range(n):
        result = SpecResult(f"s{i}.yaml", f"s{i}")
        result.checks = check_budget(budget, _FakeReport(params=2))
        results.append(result)
    return results


class _FakeReport:
    def __init__(self, params):
        self.totals = type("T", (), {"params": params})()


def test_annotations_capped_at_10_per_type():
    lines = annotations(_failing(12))
    assert len(lines) == 10
    assert all(line.startswith("::error ") for line in lines)
    assert "s8: params 2 exceeds max_params 1" in lines[8]
    assert "and 3 more budget failures" in lines[9]
    assert len(annotations(_failing(10))) == 10
    assert "more" not in annotations(_failing(10))[-1]


def test_every_flag_has_a_budget_kind():
    KINDS = Budgets.model_fields
    assert {"max_params", "max_trainable_params", "max_macs", "max_flops", "max_activation_memory",
            "max_peak_memory", "max_param_memory", "min_rf", "max_rf", "output_shape", "no_warnings"} <= set(KINDS)


def test_pre_commit_hook_file():
    import pathlib

    import yaml

    hooks = yaml.safe_load((pathlib.Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "rfcalc-check")
    assert hook["entry"] == "rfcalc check" and hook["language"] == "python" and hook["name"]


def test_pre_commit_hook_file_points_at_existing_docs():
    import pathlib
    import re

    root = pathlib.Path(__file__).parent.parent
    text = (root / ".pre-commit-hooks.yaml").read_text()
    for path in re.findall(r"[\w./-]+\.md", text):
        assert (root / path).is_file(), f".pre-commit-hooks.yaml refers to a missing {path}"
    assert "README.md" in text


# --- the budgets model: generated flags, JSON Schema of a budget file ------------------------------

BUDGET_FILE = """\
# every budget, written as people write them
max_params: 5M
max_trainable_params: 25_557_032
max_macs: 1.2G
max_flops: 2400000000
max_activation_memory: 200MiB
max_peak_memory: 50MiB
max_param_memory: 100MB
min_rf: 3
max_rf: [500, 400]
output_shape: 8x16x16
no_warnings: true
ignore: [RF201, rf102]
profile: fvcore
"""


def test_every_budget_field_is_a_flag_with_its_description_as_help():
    from rfcalc.check.command import check

    options = {param.name: param for param in check.params}
    for name, field in Budgets.model_fields.items():
        option = options[name]
        assert option.opts == ["--" + name.replace("_", "-")] and option.help == field.description
    assert options["no_warnings"].is_flag and not options["max_params"].is_flag


@pytest.fixture
def budget_schema(run_cli):
    """The validator of `rfcalc schema --budgets`."""
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = run_cli("schema", "--budgets")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_budget_file_schema_accepts_a_real_budget_file(specs, run_cli, budget_schema):
    import yaml

    (specs / "budgets.yaml").write_text(BUDGET_FILE)
    assert run_cli("check", "bare.yaml", "--budget", "budgets.yaml")[0] in (0, 1)  # rfcalc takes it
    budgets = yaml.safe_load(BUDGET_FILE)
    assert set(budgets) == set(Budgets.model_fields)
    budget_schema.validate(budgets)
    budget_schema.validate({"budgets": budgets})
    budget_schema.validate(yaml.safe_load(TINY)["budgets"])


@pytest.mark.parametrize("document", [
    {"max_parms": 1},
    {"budgets": {"max_parms": 1}},
    {"budgets": {"max_params": 1}, "max_macs": 1},
    {"no_warnings": "yes"},
    {"profile": "nope"},
    {"max_params": -5},
    {"min_rf": [0]},
    {"max_params": None},
], ids=["unknown-key", "unknown-key-nested", "both-forms", "flag", "profile", "negative", "zero-rf", "null"])
def test_budget_file_schema_rejects_what_rfcalc_rejects(specs, run_cli, budget_schema, document):
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        budget_schema.validate(document)
    (specs / "bad.yaml").write_text(json.dumps(document))
    assert run_cli("check", "bare.yaml", "--budget", "bad.yaml")[0] == 2


def test_no_budgets_at_all_is_usage_error(specs, run_cli):
    code, out, err = run_cli("check", "bare.yaml")
    assert code == 2 and out == ""
    assert "no budgets: give --budget, a budgets: section or flags" in err
    code, out, _ = run_cli("check", "bare.yaml", "--allow-no-budgets")
    assert code == 0 and "0 budget(s)" in out


def test_one_spec_with_budgets_is_enough(specs, run_cli):
    code, out, _ = run_cli("check", "tiny.yaml", "bare.yaml")
    assert code == 0 and "2 spec(s), 4 budget(s)" in out


def test_no_budgets_but_an_invalid_spec_reports_the_spec(specs, run_cli):
    (specs / "broken.yaml").write_text("name: x\ninput: {shape: [3, 8, 8]}\nlayers:\n  - {type: nonsense}\n")
    code, _, err = run_cli("check", "broken.yaml")
    assert code == 2 and "no budgets" not in err and "nonsense" in err
