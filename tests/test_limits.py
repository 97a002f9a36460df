"""Issue 12's classes of bad input, each reproduced as it was found: every one now gets one located
line and exit code 2 (or a result), in time and memory, with the limit it hits named in the message;
and the README's limits table is rfcalc/bounds.py's.

Inputs that used to hang or blow up run in a child process capped in time and memory (test_errors'
run_isolated), so that a regression fails instead of freezing the suite.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from rfcalc import bounds
from test_errors import SPEC, analyze, analyze_isolated, assert_bad_input, assert_refused_in_child, run_isolated, sequential  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def nested_blocks(depth: int) -> str:
    """A spec whose block b0 calls b1, which calls b2, ... down to a relu: `depth` nested block calls."""
    lines = ["input: {shape: [3, 8, 8]}", "blocks:"]
    for i in range(depth):
        body = "{type: relu}" if i == depth - 1 else f"{{block: b{i + 1}}}"
        lines += [f"  b{i}:", "    layers:", f"      - {body}"]
    return "\n".join(lines + ["layers: [{name: top, block: b0}]"]) + "\n"


# --- 1. a failing ${...} in vars ---------------------------------------------------------------------

def test_a_var_of_two_to_the_63_is_refused_at_its_line(analyze):
    text = 'input: {shape: [3, 8, 8]}\nvars: {big: "${2 ** 63}"}\nlayers: [{type: relu}]\n'
    assert_bad_input(analyze(text), "vars.big: in expression", "too large", line=2)


# --- 2. a derived value beyond a bound ---------------------------------------------------------------

def test_depthwise_out_channels_derived_beyond_the_bound(analyze):
    # 1,073,741,825 x 2 = 2,147,483,650 > 2^31 = 2,147,483,648 (it raised pydantic's ValidationError)
    text = sequential("{name: d, type: depthwise_conv, kernel_size: 3, depth_multiplier: 2}", shape=(1073741825, 8, 8))
    assert_bad_input(analyze(text), "out_channels = in_channels 1,073,741,825 x depth_multiplier 2 = 2,147,483,650",
                     "at most 2,147,483,648", layer="d", line=3)


def test_depthwise_after_a_concat_past_the_bound(analyze):
    text = sequential("{name: a, type: identity}", "{name: b, type: concat, inputs: [a, a]}",
                      "{name: d, type: depthwise_conv, kernel_size: 3}", shape=(2 ** 31, 8, 8))
    assert_bad_input(analyze(text), "4,294,967,296 is too large", layer="d", line=5)


# --- 3. deep nesting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [65, 330, 990])  # from 1,000 levels on, libyaml refuses them itself
def test_deeply_nested_yaml_is_refused_at_the_limit(analyze, depth):
    text = "input: {shape: [3, 8, 8]}\nvars: {a: " + "[" * depth + "]" * depth + "}\nlayers: [{type: relu}]\n"
    message = assert_bad_input(analyze(text), f"nested more than {bounds.MAX_NESTING} levels", line=2)
    assert f":2:{11 + bounds.MAX_NESTING - 2}:" in message  # the bracket that opens level 65 (line 2, after 'vars: {a: ')


def test_yaml_nested_to_the_limit_is_read(analyze):
    depth = bounds.MAX_NESTING - 3  # the document mapping, vars and its mapping are three levels
    text = "input: {shape: [3, 8, 8]}\nvars: {a: " + "[" * depth + "]" * depth + "}\nlayers: [{type: relu}]\n"
    code, _out, err = analyze(text, "--format", "json")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("depth", [bounds.MAX_NESTING + 1, 330])
def test_deeply_nested_block_calls_are_refused(analyze, depth):
    message = assert_bad_input(analyze(nested_blocks(depth)), f"nested more than {bounds.MAX_NESTING} levels")
    assert "RecursionError" not in message


def test_block_calls_nested_to_the_limit_are_expanded(analyze):
    code, out, err = analyze(nested_blocks(bounds.MAX_NESTING), "--format", "csv", "--columns", "name")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "top" + ".0" * bounds.MAX_NESTING  # block calls named by index, 64 deep


def test_deeply_nested_groups_are_refused(analyze):
    # Groups nest two YAML levels each (mapping, list), so the YAML limit is reached first.
    text = "input: {shape: [3, 8, 8]}\nlayers: [" + "{layers: [" * 40 + "{type: relu}" + "]}" * 40 + "]\n"
    assert_bad_input(analyze(text), f"nested more than {bounds.MAX_NESTING} levels", line=2)


def test_aliases_nesting_values_deeply_are_refused(analyze):
    # Each anchor wraps the previous one: written 3 levels deep, expanded 101 deep.
    anchors = ["  a0: &a0 [1]"] + [f"  a{i}: &a{i} [*a{i - 1}]" for i in range(1, 101)]
    text = "input: {shape: [3, 8, 8]}\nvars:\n" + "\n".join(anchors) + "\nlayers: [{type: relu}]\n"
    assert_bad_input(analyze(text), f"aliases nest values more than {bounds.MAX_NESTING} levels")


# --- 4. very large files: limits checked while loading ------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    (tmp_path / SPEC).write_bytes(b"input: {shape: [3, 8, 8]}\nlayers:\n" + b"  - {type: relu}\n" * 1_300_000)  # 22 MB
    assert_refused_in_child(run_isolated("analyze", SPEC, cwd=tmp_path), "larger than 16 MiB")


def test_standard_input_over_the_size_limit_is_refused(tmp_path):
    code, _out, err = run_isolated("analyze", "-", stdin=b"#" * (bounds.MAX_FILE_BYTES + 1), cwd=tmp_path)
    assert code == 2 and err == f"rfcalc: error: <stdin>:1:{bounds.MAX_FILE_BYTES + 1}: standard input is larger than " \
                                "16 MiB; refusing to read it\n"


def test_200000_layers_are_refused_while_loading(tmp_path):
    # Refused at the 10,001st item of the list, without composing the other 190,000.
    (tmp_path / SPEC).write_text("input: {shape: [3, 8, 8]}\nlayers:\n" + "  - {type: relu}\n" * 200_000)
    assert_refused_in_child(run_isolated("analyze", SPEC, cwd=tmp_path), "a YAML list of more than 10,000 items",
                            line=3 + bounds.MAX_ITEMS)


def test_too_many_yaml_nodes_are_refused_while_loading(analyze):
    # In process: composing 250,000 nodes takes about 2 s, too close to the child's hang guard on a busy machine.
    rows = "\n".join(f"  v{i}: [{', '.join(['1'] * 9_999)}]" for i in range(26))  # 26 x 10,001 nodes
    text = "input: {shape: [3, 8, 8]}\nvars:\n" + rows + "\nlayers: [{type: relu}]\n"
    assert_bad_input(analyze(text), "more than 250,000 nodes", line=27)


def test_a_string_over_the_limit_is_refused_at_its_place(analyze):
    text = "input: {shape: [3, 8, 8]}\ndescription: " + "x" * (bounds.MAX_ITEMS + 1) + "\nlayers: [{type: relu}]\n"
    assert_bad_input(analyze(text), "a string of 10,001 characters", "at most 10,000", line=2)


# --- 5. the environment: file names, closed and failing standard streams -------------------------------

def test_a_file_name_too_long_for_the_system(run_cli):
    code, _out, err = run_cli("analyze", "a" * 300 + ".yaml")
    assert code == 2 and err.startswith("rfcalc: error: aaaa") and err.endswith(
        ".yaml: cannot read the spec: File name too long\n")


# --- 8. expressions that build unbounded values ------------------------------------------------------

@pytest.mark.parametrize("expression", ["[[0] * 10000] * 10000", "[[[0] * 10000] * 10000] * 10000",
                                        "[[0] * 100] * 100 + [1]", "'ab' * 5000 + 'c'"])
def test_expressions_building_more_than_the_item_limit(analyze_isolated, expression):
    # [[0]*10000]*10000 is 10,000 references to one list: cheap to build, 10^8 items to every reader of it
    # (15.8 s and 1.2 GiB); one more level never ended.
    text = f'input: {{shape: [3, 8, 8]}}\nvars: {{v: "${{{expression}}}"}}\nlayers: [{{type: relu}}]\n'
    assert_refused_in_child(analyze_isolated(text), "would build a value of more than 10,000 items", line=2)


def test_templates_joined_into_a_text_over_the_limit(analyze):
    text = ('input: {shape: [3, 8, 8]}\nvars: {s: "${\'x\' * 9000}", t: "${s}${s}"}\n'
            'layers: [{type: relu}]\n')
    assert_bad_input(analyze(text), "vars.t: in expression", "a text of more than 10,000 characters", line=2)


def test_round_with_a_huge_number_of_digits(analyze_isolated):
    # round(5, -10**9) computes 10**(10**9): it never returned.
    text = 'input: {shape: [3, 8, 8]}\nvars: {v: "${round(5, -10**9)}"}\nlayers: [{type: relu}]\n'
    assert_refused_in_child(analyze_isolated(text), "round takes at most 64 digits", line=2)


def test_an_expression_nested_past_the_limit(analyze):
    text = 'input: {shape: [3, 8, 8]}\nvars: {v: "${' + " + ".join(["1"] * 70) + '}"}\nlayers: [{type: relu}]\n'
    assert_bad_input(analyze(text), f"nested more than {bounds.MAX_NESTING} levels", line=2)


# --- 9. a name too long for the table ------------------------------------------------------------------

def test_a_ten_megabyte_name_is_refused_while_loading(tmp_path):
    (tmp_path / SPEC).write_text("name: " + "n" * 10_000_000 + "\ninput: {shape: [3, 8, 8]}\nlayers: [{type: relu}]\n")
    assert_refused_in_child(run_isolated("analyze", SPEC, cwd=tmp_path), "a string of 10,000,000 characters", line=1)


def test_a_spec_name_over_the_name_limit(analyze):
    text = "name: " + "n" * (bounds.MAX_NAME + 1) + "\ninput: {shape: [3, 8, 8]}\nlayers: [{type: relu}]\n"
    assert_bad_input(analyze(text), "at most 256 characters", line=1)


def test_a_full_dotted_name_over_the_name_limit(analyze):
    group = "g" * 200
    text = sequential(f"{{name: {group}, layers: [{{name: {'r' * 60}, type: relu}}]}}")
    assert_bad_input(analyze(text), f"has {200 + 1 + 60} characters", "at most 256")


# --- 13. YAML 1.1 numbers that are not what they look like ---------------------------------------------

@pytest.mark.parametrize("written, value", [("1:30", 90), ("0x10", 16), ("010", 8), ("0b11", 3), ("-0x1_0", -16)])
def test_yaml_1_1_integers_are_refused(analyze, written, value):
    text = sequential(f"{{name: c, type: conv2d, out_channels: {written}, kernel_size: 1}}")
    assert_bad_input(analyze(text), f"YAML 1.1 reads {written} as the number {value}", f"write {value}",
                     f"quote '{written}'", line=3)


def test_yaml_1_1_sexagesimal_float_is_refused(analyze):
    text = sequential("{name: d, type: dropout, p: 1:30.5}")
    assert_bad_input(analyze(text), "YAML 1.1 reads 1:30.5 as the number 90.5 (base 60)", line=3)


def test_ordinary_and_quoted_numbers_are_read_as_written(analyze):
    text = sequential("{name: '1:30', type: conv2d, out_channels: 1_000, kernel_size: 1, padding: 0}")
    code, out, err = analyze(text, "--format", "csv", "--columns", "name,output")
    assert (code, err) == (0, "") and out.splitlines()[1] == "1:30,1000x32x32"


# --- the README documents every limit -------------------------------------------------------------------

def test_the_readme_limits_table_is_bounds_py():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- limits -->", 1)[1].split("<!-- /limits -->", 1)[0]
    rows = {m.group(1): (m.group(2).strip(), m.group(3).strip())
            for m in re.finditer(r"^\| `(MAX_[A-Z_]+)` \| ([^|]+) \| (.+) \|$", table, re.M)}
    assert set(rows) == set(bounds.LIMITS)
    for name, limit in bounds.LIMITS.items():
        value, what = rows[name]
        assert value in _spellings(limit.value) and what == limit.bounds, name


def _spellings(value: int) -> set[str]:
    """How the README may write a limit: 10,000; 2^31; 16 MiB."""
    spellings = {f"{value:,}"}
    if value & (value - 1) == 0:
        spellings.add(f"2^{value.bit_length() - 1}")
    if value % 2**20 == 0:
        spellings.add(f"{value // 2**20} MiB")
    return spellings
