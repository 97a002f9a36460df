"""The lecture notes' worked examples (../shared/seeds), as exact tests. Expected values are quoted
from the notes (file and wording in each test), never computed by rfcalc."""
from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import analyze_yaml, sequential


def conv(c, k, s=1, p=0, name=None):
    named = f"name: {name}, " if name else ""
    return f"{{{named}type: conv2d, out_channels: {c}, kernel_size: {k}, stride: {s}, padding: {p}}}"


# 001: "7x7 input, assume 3x3 connectivity: stride 1 => 5x5 output; stride 2 => 3x3; stride 3? Cannot."
@pytest.mark.parametrize("stride, size", [(1, 5), (2, 3)])
def test_7x7_with_3x3(stride, size):
    report = analyze_yaml(sequential([1, 7, 7], conv(1, 3, stride)))
    assert report.layers[0].output_shape == (1, size, size)
    assert report.layers[0].warnings == ()


def test_7x7_with_3x3_stride_3_cannot():
    report = analyze_yaml(sequential([1, 7, 7], conv(1, 3, 3)))
    layer = report.layers[0]
    assert layer.output_shape == (1, 2, 2)  # PyTorch floors (7 - 3) / 3 + 1 = 2.33
    assert len(layer.warnings) == 2  # both axes
    assert "the last 1 input pixel(s) of 7 are never read" in layer.warnings[0]


# 001 Example 1: 32x32x3, 10 filters 5x5 stride 1 -> 28x28x10; 5*5*3 + 1 = 76 params each, 760 total.
def test_example_1_stride_1():
    layer = analyze_yaml(sequential([3, 32, 32], conv(10, 5))).layers[0]
    assert layer.output_shape == (10, 28, 28)
    assert layer.params == 760
    assert not layer.warnings


# 001 Example 1 cont.: stride 2: "Cannot: (32-5)/2 + 1 = 14.5"; stride 3: 10x10x10, 760 params (unchanged).
def test_example_1_stride_2_cannot():
    layer = analyze_yaml(sequential([3, 32, 32], conv(10, 5, 2))).layers[0]
    assert layer.output_shape == (10, 14, 14)
    assert any("last 1 input pixel(s) of 32 are never read" in w for w in layer.warnings)


def test_example_1_stride_3():
    layer = analyze_yaml(sequential([3, 32, 32], conv(10, 5, 3))).layers[0]
    assert layer.output_shape == (10, 10, 10)
    assert layer.params == 760
    assert not layer.warnings


# 001 Example 2: 30 filters 5x5, stride 1, pad 2 -> 32x32x30 (30720 neurons); (30 * 75) + 30 = 2280.
def test_example_2():
    layer = analyze_yaml(sequential([3, 32, 32], conv(30, 5, 1, 2))).layers[0]
    assert layer.output_shape == (30, 32, 32)
    assert layer.params == 2280


# 001 CIFAR-10 walk-through: conv 10 3x3 pad 1 (280), relu, conv (910), relu, pool 2x2 -> 16x16x10,
# conv (910), relu, conv (910), relu, pool -> 8x8x10.
def test_cifar10_walkthrough():
    report = analyze_yaml(sequential(
        [3, 32, 32], conv(10, 3, 1, 1), "{type: relu}", conv(10, 3, 1, 1), "{type: relu}",
        "{type: maxpool2d, kernel_size: 2, stride: 2}", conv(10, 3, 1, 1), "{type: relu}",
        conv(10, 3, 1, 1), "{type: relu}", "{type: maxpool2d, kernel_size: 2, stride: 2}"))
    shapes = [layer.output_shape for layer in report.layers]
    params = [layer.params for layer in report.layers]
    assert params == [280, 0, 910, 0, 0, 910, 0, 910, 0, 0]
    assert shapes[1] == (10, 32, 32) and shapes[4] == (10, 16, 16) and shapes[-1] == (10, 8, 8)


# 002 Keras MNIST: 1x28x28 -> Conv2D(25, 3, 3) 25x26x26 (9 weights per filter) -> MaxPooling2D 25x13x13
# -> Conv2D(50, 3, 3) 50x11x11 (225 weights per filter) -> MaxPooling2D 50x5x5 -> Flatten 1250 -> Dense 100 -> 10.
def test_keras_mnist():
    report = analyze_yaml(sequential(
        [1, 28, 28], conv(25, 3), "{type: maxpool2d, kernel_size: 2}", conv(50, 3),
        "{type: maxpool2d, kernel_size: 2}", "{type: flatten}", "{type: dense, out_features: 100}",
        "{type: relu}", "{type: dense, out_features: 10}", "{type: softmax}"))
    shapes = [layer.output_shape for layer in report.layers]
    assert shapes[:5] == [(25, 26, 26), (25, 13, 13), (50, 11, 11), (50, 5, 5), (1250,)]
    assert shapes[-1] == (10,)
    conv1, conv2 = report.layers[0], report.layers[2]
    assert conv1.params // 25 - 1 == 9 and conv2.params // 50 - 1 == 225
    # After flatten every unit sees the whole input.
    assert all(r.whole_input for r in report.layers[4].rf)


# 003: 16 filters of 8x5x5 with pad 2 on 8x32x32: 16 x (8x5x5 + 1) = 3,216 params; output 16x32x32 =
# 16,384 values, about 64 KB; flops 16,384 x (8x5x5) x 2 ~ 6.5M, MACs ~ 3.25M.
def test_conv_params_flops_macs():
    report = analyze_yaml(sequential([8, 32, 32], conv(16, 5, 1, 2)))
    layer = report.layers[0]
    assert layer.params == 3216
    assert layer.output_shape == (16, 32, 32)
    assert layer.activation_bytes == 16_384 * 4 == 64 * 1024
    assert layer.macs == 16_384 * 200 == 3_276_800
    assert layer.flops_by_kind["mac"] == 16_384 * 200 * 2 == 6_553_600
    assert round(layer.flops_by_kind["mac"] / 1e6, 1) == 6.6 and round(layer.macs / 1e6, 2) == 3.28
    assert layer.flops_by_kind["add"] == 16_384  # the bias, which the notes' formula leaves out


# 004: MNIST, "CNN layer with 20 feature maps: 520 parameters; fully connected neural net with 30 hidden
# neurons: 23,550 parameters".
def test_shared_weights_vs_fully_connected():
    cnn = analyze_yaml(sequential([1, 28, 28], conv(20, 5)))
    fc = analyze_yaml(sequential([1, 28, 28], "{type: flatten}", "{type: linear, out_features: 30}"))
    assert cnn.totals.params == 520
    assert fc.totals.params == 23_550


# 000 "Math of the receptive fields", initial values n = image size, r = 1, j = 1, start = 0.5; the
# calculator it links (and its source article) works 5x5 input, two 3x3 convs with pad 1 and stride 2:
# layer 1: n 3, j 2, r 3, start 0.5; layer 2: n 2, j 4, r 7, start 0.5.
def test_rf_arithmetic_example():
    report = analyze_yaml(sequential([1, 5, 5], conv(1, 3, 2, 1), conv(1, 3, 2, 1)))
    expected = [(3, 2, 3, Fraction(1, 2)), (2, 4, 7, Fraction(1, 2))]
    for layer, (n, j, r, start) in zip(report.layers, expected):
        assert layer.output_shape[1:] == (n, n)
        assert all((a.jump, a.size, a.start) == (j, r, start) for a in layer.rf)


# 003: "r_L = [1 + L(H_K - 1)] x [1 + L(W_K - 1)]": it grows linearly with the number of layers.
@pytest.mark.parametrize("depth", [1, 2, 5, 10])
def test_rf_grows_linearly(depth):
    report = analyze_yaml(sequential([1, 64, 48], *["{type: conv2d, out_channels: 1, kernel_size: [5, 3]}"] * depth))
    assert [a.size for a in report.layers[-1].rf] == [1 + depth * 4, 1 + depth * 2]


# 003: with strides, r_L = 1 + sum_l (K - 1) prod_{i<l} S_i.
def test_rf_with_strides():
    strides = [2, 1, 2, 2, 1]
    report = analyze_yaml(sequential([1, 256, 256], *[f"{{type: conv2d, out_channels: 1, kernel_size: 3, stride: {s}}}"
                                                      for s in strides]))
    expected, product = 1, 1
    for s in strides:
        expected += (3 - 1) * product
        product *= s
    assert report.layers[-1].rf[0].size == expected == 1 + 2 * (1 + 2 + 2 + 4 + 8)
    assert report.layers[-1].rf[0].jump == 8


# 004: transposed convolution of a 4x4 input with a 3x3 kernel (stride 1) gives a 6x6 output.
# 004: nearest-neighbour upsampling doubles the size; 2x2 max pooling with stride 2 halves it.
def test_transposed_and_upsampling_shapes():
    report = analyze_yaml(sequential([1, 4, 4], "{type: conv_transpose2d, out_channels: 1, kernel_size: 3}",
                                     "{type: upsample, scale_factor: 2}", "{type: maxpool2d, kernel_size: 2}"))
    assert [l.output_shape for l in report.layers] == [(1, 6, 6), (1, 12, 12), (1, 6, 6)]
