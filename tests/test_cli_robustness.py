"""Command-line robustness and rules fixed after review: usage errors, pipes, environment, and
semantics where PyTorch is the reference (its documented checks quoted in each test)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import rfcalc
from conftest import analyze_yaml, sequential
from rfcalc.errors import SpecError


@pytest.mark.parametrize("args", [["diff", "only-one.yaml"], ["analyze", "lenet5", "--format", "xml"],
                                  ["analyze", "lenet5", "--batch", "0"], ["no-such-command"],
                                  ["verify", "lenet5", "--seed", "-1"]])
def test_usage_errors_are_one_line_with_exit_2(run_cli, args):
    code, out, err = run_cli(*args)
    assert code == 2
    assert err.startswith("rfcalc: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_broken_pipe_is_not_an_error():
    # `rfcalc analyze resnet50 | head -1`: the reader stops early; rfcalc must exit 0 quietly.
    result = subprocess.run(f"{sys.executable} -m rfcalc analyze resnet50 | head -1; exit ${{PIPESTATUS[0]}}",
                            shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


@pytest.mark.parametrize("columns", ["abc", "-5", ""])
def test_unusable_columns_variable_is_ignored(columns):
    env = {**os.environ, "COLUMNS": columns}
    result = subprocess.run([sys.executable, "-m", "rfcalc", "analyze", "lenet5"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "c1" in result.stdout or "conv" in result.stdout


def test_linear_mode_needs_one_spatial_axis():
    # torch.nn.functional.interpolate: "Got 4D input, but linear mode needs 3D input".
    with pytest.raises(SpecError, match="mode 'linear' needs 1 spatial axes"):
        analyze_yaml(sequential([1, 8, 8], "{type: upsample, scale_factor: 2, mode: linear}"))


def test_max_pool_padding_is_checked_against_the_undilated_kernel():
    # PyTorch's pool2d_shape_check: kW / 2 >= padW, with kW the kernel size before dilation.
    with pytest.raises(SpecError, match="at most half the kernel size 3"):
        analyze_yaml(sequential([1, 16, 16], "{type: maxpool2d, kernel_size: 3, dilation: 2, padding: 2}"))
    report = analyze_yaml(sequential([1, 16, 16], "{type: maxpool2d, kernel_size: 3, dilation: 2, padding: 1}"))
    assert report.layers[0].output_shape == (1, 5, 5)  # floor((16 + 2 - 5) / 3) + 1 = 5, stride = kernel = 3


@pytest.mark.parametrize("layer", ["{type: upsample, scale_factor: 2}", "{type: adaptive_avgpool, output_size: 2}",
                                   "{type: pad, padding: 1}"])
def test_spatial_layers_refuse_flat_input(layer):
    with pytest.raises(SpecError, match="needs spatial axes"):
        analyze_yaml(sequential([3, 8, 8], "{type: flatten}", layer))


def test_vars_and_share_params_with_take_expressions():
    report = analyze_yaml("""
        input: {shape: [4, 8, 8]}
        vars: {width: 4, double: "${width * 2}", first: "c0"}
        layers:
          - {name: c0, type: conv2d, out_channels: "${width}", kernel_size: 3, padding: 1}
          - {name: c1, type: conv2d, out_channels: "${width}", kernel_size: 3, padding: 1, share_params_with: "${first}"}
          - {name: c2, type: conv2d, out_channels: "${double}", kernel_size: 1}
        """)
    assert [layer.params for layer in report.layers] == [4 * 4 * 9 + 4, 0, 4 * 8 + 8]


def test_string_formatting_is_refused_in_expressions():
    with pytest.raises(SpecError, match="string formatting with % is not allowed"):
        analyze_yaml(sequential([1, 8, 8], '{name: "${\'%9d\' % 1}", type: relu}'))


def test_no_zero_op_kinds_are_reported():
    report = analyze_yaml(sequential([2, 8, 8], "{type: conv_transpose2d, out_channels: 2, kernel_size: 2, stride: 2, bias: false}",
                                     "{type: global_avgpool, keepdims: true}"))
    assert all(count for layer in report.layers for count in layer.flops_by_kind.values())


def test_huge_input_sizes_stay_fast():
    # Analysis cost follows the number of layers and RF periods, not the input size.
    spec = rfcalc.load_spec("resnet50").with_input([1_000_000])
    report = rfcalc.analyze(spec)
    assert report.layers[0].output_shape == (64, 500_000, 500_000)
