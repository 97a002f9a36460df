"""The numpy backend: kernels, counts, gradients, dependency masks, memory limits, the ERF pictures.

Reference values come from the lecture notes (../shared/seeds), from naive loops written here, and
from finite differences; never from the analyzer."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfcalc.backend import KERNELS, KernelError, OpCounter, bind
from rfcalc.backend.engine import MemoryLimitError, Network
from rfcalc.draw.canvas import png_bytes
from rfcalc.backend.rf import AxisHint, check_receptive_fields, intervals_of, select_positions
from rfcalc.backend.window import Grid, correlate, pad_spatial, scatter_correlate
from rfcalc.layers import LAYER_TYPES, type_names, validate_layer
from rfcalc.spec import parse_spec
from rfcalc.verify.compare import effective_rf_of


def kernel_for(fields: dict, *shapes):
    """A kernel bound to a layer given as a dict and its channels-first input shapes."""
    return bind(validate_layer(fields), list(shapes))


def run_cf(kernel, xs_cf, params=None, seed=0):
    """Run a kernel on channels-first inputs (batch first); returns (channels-first output, ops, params)."""
    if params is None:
        raw, buffers = kernel.init_params(np.random.default_rng(seed), np.float64)
        params = kernel.prepare(raw, buffers)
    ops = OpCounter()
    xs = [np.moveaxis(x, 1, -1) if x.ndim > 2 else x for x in xs_cf]
    y = kernel.forward(xs, params, ops)
    return (np.moveaxis(y, -1, 1) if y.ndim > 2 else y), ops, params


def test_every_layer_type_has_a_kernel():
    missing = [cls.__name__ for cls in LAYER_TYPES if cls not in KERNELS]
    assert not missing, f"layer model classes without a numpy kernel: {missing}"
    assert not set(KERNELS) - set(LAYER_TYPES), "kernels for layer models that LAYER_TYPES does not list"
    kernel_type_names = {name for kernel in KERNELS.values() for name in kernel.type_names()}
    missing = sorted(set(type_names()) - kernel_type_names)
    assert not missing, f"layer types without a numpy kernel: {missing}"
    assert not kernel_type_names - set(type_names()), "kernels for types the spec format does not know"


def test_kernels_are_filed_under_the_layer_model_they_name_and_bound_by_class():
    for model, kernel in KERNELS.items():
        assert kernel.layer_model is model, f"{kernel.__name__} is filed under {model.__name__}"
        assert kernel.type_names() == model.type_names()
    for fields, shape, kernel in (
            ({"type": "conv2d", "out_channels": 2, "kernel_size": 3}, (2, 5, 5), "ConvKernel"),
            ({"type": "depthwise_conv2d", "kernel_size": 3}, (2, 5, 5), "DepthwiseConvKernel"),
            ({"type": "adaptive_maxpool1d", "output_size": 2}, (2, 5), "AdaptiveMaxPoolKernel"),
            ({"type": "global_avgpool"}, (2, 5), "GlobalAvgPoolKernel"),
            ({"type": "dense", "out_features": 2}, (5,), "LinearKernel"),
            ({"type": "hardswish"}, (5,), "HardswishKernel"),
            ({"type": "log_softmax"}, (5,), "LogSoftmaxKernel"),
            ({"type": "multiply"}, (5,), "MultiplyKernel")):
        assert type(kernel_for(fields, shape)).__name__ == kernel


def test_a_layer_model_without_a_kernel_is_refused_by_name():
    from rfcalc.layers.activation import ReLU

    class Unregistered(ReLU):  # a subclass is a model of its own: it does not inherit ReLU's kernel
        pass

    with pytest.raises(KernelError, match=r"no kernel for Unregistered \(layer types relu\)"):
        bind(Unregistered(type="relu"), [(1, 2)])
    with pytest.raises(RuntimeError, match="two kernels for ReLU"):
        class Again(type(kernel_for({"type": "relu"}, (2,))), model=ReLU):  # noqa: F841
            pass


# -- the lecture notes' examples (004_8a6805dfbc660e54.txt) ---------------------------------------

IMAGE_5X5 = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]


def test_lecture_5x5_image_with_3x3_filter():
    kernel = kernel_for({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "bias": False}, (1, 5, 5))
    weight = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], float).reshape(1, 3, 3, 1, 1)
    y, ops, _ = run_cf(kernel, [np.array(IMAGE_5X5, float)[None, None]], {"weight": weight})
    assert y[0, 0].tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert ops.core == {"mac": 9 * 9}


def test_lecture_transposed_convolution_of_ones():
    kernel = kernel_for({"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 3, "bias": False},
                        (1, 4, 4))
    y, ops, _ = run_cf(kernel, [np.ones((1, 1, 4, 4))], {"weight": np.ones((1, 3, 3, 1, 1))})
    assert y[0, 0].astype(int).tolist() == [
        [1, 2, 3, 3, 2, 1], [2, 4, 6, 6, 4, 2], [3, 6, 9, 9, 6, 3],
        [3, 6, 9, 9, 6, 3], [2, 4, 6, 6, 4, 2], [1, 2, 3, 3, 2, 1]]
    assert ops.core == {"mac": 16 * 9}  # every input pixel scatters 9 products


def test_lecture_max_pool_2x2_stride_2():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)[None, None]
    y, ops, _ = run_cf(kernel_for({"type": "maxpool2d", "kernel_size": 2, "stride": 2}, (1, 4, 4)), [x])
    assert y[0, 0].tolist() == [[6, 8], [3, 4]]
    assert ops.core == {"cmp": 4 * 3}


def test_lecture_nearest_neighbour_upsampling():
    x = np.array([[1, 2], [3, 4]], float)[None, None]
    y, ops, _ = run_cf(kernel_for({"type": "upsample2d", "scale_factor": 2}, (1, 2, 2)), [x])
    assert y[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert not ops.core


# -- kernels against naive loops ---------------------------------------------------------------------

def naive_conv2d(x, w, stride, pad, dilation):
    """x (C, H, W), w (O, C, kh, kw): the textbook six nested loops."""
    c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), pad[0], pad[1]))
    oh = (h + sum(pad[0]) - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + sum(pad[1]) - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((o, oh, ow))
    for f in range(o):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    for a in range(kh):
                        for b in range(kw):
                            out[f, i, j] += w[f, ch, a, b] * xp[ch, i * stride[0] + a * dilation[0],
                                                                  j * stride[1] + b * dilation[1]]
    return out


@settings(max_examples=25, deadline=None)
@given(h=st.integers(3, 9), w=st.integers(3, 9), k=st.integers(1, 3), s=st.integers(1, 3),
       d=st.integers(1, 2), pads=st.tuples(*[st.integers(0, 2)] * 4), c=st.integers(1, 3), o=st.integers(1, 3))
def test_correlate_matches_naive_loops(h, w, k, s, d, pads, c, o):
    extent = d * (k - 1) + 1
    if h + pads[0] + pads[1] < extent or w + pads[2] + pads[3] < extent:
        return
    rng = np.random.default_rng(h * 100 + w)
    x = rng.standard_normal((c, h, w))
    weight = rng.standard_normal((o, c, k, k))
    pad = ((pads[0], pads[1]), (pads[2], pads[3]))
    expected = naive_conv2d(x, weight, (s, s), pad, (d, d))
    grid = Grid(expected.shape[1:], (k, k), (s, s), (d, d))
    ours = correlate(pad_spatial(np.moveaxis(x, 0, -1)[None], pad), grid,
                     np.moveaxis(weight, (0, 1), (-1, -2))[None], OpCounter())
    np.testing.assert_allclose(np.moveaxis(ours[0], -1, 0), expected, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 7), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3), groups=st.sampled_from([1, 2]))
def test_scatter_is_the_adjoint_of_correlate(n, k, s, d, groups):
    """<correlate(x), y> = <x, scatter(y)>: the transposed convolution is the exact transpose."""
    rng = np.random.default_rng(n * 7 + k)
    grid = Grid((n, n + 1), (k, k), (s, s), (d, d))
    size = tuple(grid.span(a) for a in range(2))
    x = rng.standard_normal((1, *size, 2 * groups))
    weight = rng.standard_normal((groups, k, k, 2, 3))
    y = rng.standard_normal((1, n, n + 1, 3 * groups))
    back = np.zeros_like(x)
    scatter_correlate(y, grid, weight, back)
    assert np.vdot(correlate(x, grid, weight, OpCounter()), y) == pytest.approx(np.vdot(x, back))


def test_correlate_chunks_give_the_same_result(monkeypatch):
    import rfcalc.backend.window as window

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 12, 11, 5))
    weight = rng.standard_normal((1, 3, 3, 5, 4))
    grid = Grid((10, 9), (3, 3), (1, 1), (1, 1))
    whole = correlate(x, grid, weight, OpCounter())
    monkeypatch.setattr(window, "CHUNK_BYTES", 300)  # about one output row per piece
    ops = OpCounter()
    np.testing.assert_allclose(correlate(x, grid, weight, ops), whole)
    assert ops.core["mac"] == 2 * 10 * 9 * 9 * 5 * 4


def test_locally_connected_matches_loops():
    kernel = kernel_for({"type": "locally_connected2d", "out_channels": 2, "kernel_size": 2, "stride": 1}, (3, 4, 5))
    x = np.random.default_rng(0).standard_normal((1, 3, 4, 5))
    y, ops, p = run_cf(kernel, [x])
    w = p["weight"].reshape(3, 4, 2, 2, 3, 2)  # (oh, ow, kh, kw, c, o)
    for i in range(3):
        for j in range(4):
            window = x[0, :, i:i + 2, j:j + 2]  # (c, kh, kw)
            expected = np.einsum("cab,abco->o", window, w[i, j]) + p["bias"].reshape(3, 4, 2)[i, j]
            np.testing.assert_allclose(y[0, :, i, j], expected)
    assert ops.core == {"mac": 3 * 4 * 2 * 3 * 4, "add": 3 * 4 * 2}
    assert sum(a.size for a in p.values()) == 12 * (12 * 2) + 12 * 2


def test_tiled_conv_rotates_filter_banks():
    kernel = kernel_for({"type": "tiled_conv1d", "out_channels": 1, "kernel_size": 2, "tile_size": 3}, (1, 8))
    x = np.arange(8.0)[None, None]
    weight = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).reshape(3, 2, 1, 1)
    y, ops, _ = run_cf(kernel, [x], {"weight": weight, "bias": np.array([[0.0], [10.0], [100.0]])})
    # output o uses bank o mod 3: x[o], x[o+1] + 10, x[o] + x[o+1] + 100
    assert y[0, 0].tolist() == [0, 12, 105, 3, 15, 111, 6]
    assert ops.core == {"mac": 7 * 2, "add": 7}


def test_spatially_separable_equals_its_two_convolutions():
    kernel = kernel_for({"type": "spatially_separable_conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1,
                         "bias": False}, (1, 5, 5))
    x = np.random.default_rng(2).standard_normal((1, 1, 5, 5))
    y, ops, p = run_cf(kernel, [x])
    first = naive_conv2d(x[0], np.moveaxis(p["weight0"][0], (-1, -2), (0, 1)), (1, 1), ((1, 1), (0, 0)), (1, 1))
    second = naive_conv2d(first, np.moveaxis(p["weight1"][0], (-1, -2), (0, 1)), (1, 1), ((0, 0), (1, 1)), (1, 1))
    np.testing.assert_allclose(y[0], second)
    assert ops.core == {"mac": 2 * 25 * 1 * 3 + 2 * 25 * 2 * 3}


# -- counts -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, shape, expected", [
    ({"type": "conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2}, (4, 5, 5), {"mac": 4 * 9 * 2 * 9, "add": 36}),
    ({"type": "depthwise_conv2d", "kernel_size": 3, "padding": 1}, (3, 4, 4), {"mac": 48 * 9, "add": 48}),
    ({"type": "avgpool2d", "kernel_size": 2}, (1, 4, 4), {"add": 4 * 3, "div": 4}),
    ({"type": "lppool1d", "kernel_size": 2, "stride": 1}, (1, 5), {"mul": 5, "add": 4, "exp": 4}),
    ({"type": "adaptive_avgpool1d", "output_size": 3}, (1, 5), {"add": (2 - 1) + (3 - 1) + (2 - 1), "div": 3}),
    ({"type": "global_maxpool"}, (2, 3, 3), {"cmp": 2 * 8}),
    ({"type": "batchnorm2d"}, (2, 3, 3), {"mul": 18, "add": 18}),
    ({"type": "layernorm"}, (2, 3), {"add": 3 * 6 - 1 + 6, "mul": 6 + 6, "div": 6 + 2, "exp": 1}),
    # 2 groups of 2 channels x 3 positions (g = 6): per group adds 5 + 6 + 5 + 1 + 6 (bias), muls 6 + 6,
    # divs 1 + 1 + 6, one square root.
    ({"type": "group_norm", "num_groups": 2}, (4, 3), {"add": 2 * 23, "mul": 2 * 12, "div": 2 * 8, "exp": 2}),
    ({"type": "relu6"}, (2, 3), {"cmp": 12}),
    ({"type": "sigmoid"}, (2, 3), {"exp": 6, "add": 6, "div": 6}),
    ({"type": "gelu"}, (1, 4), {"exp": 4, "add": 4, "mul": 12}),
    ({"type": "gelu", "approximate": "tanh"}, (1, 4), {"exp": 4, "add": 8, "mul": 24}),
    ({"type": "softmax"}, (4, 2), {"exp": 8, "add": 2 * 3, "div": 8}),
    ({"type": "log_softmax"}, (4, 2), {"exp": 8 + 2, "add": 2 * 3 + 8}),
    ({"type": "upsample2d", "scale_factor": 2, "mode": "bilinear"}, (1, 2, 2), {"mul": 16 * 4, "add": 16 * 3}),
    ({"type": "linear", "out_features": 3}, (5,), {"mac": 15, "add": 3}),
    ({"type": "dropout"}, (2, 3), {}),
])
def test_counts_of_what_kernels_do(fields, shape, expected):
    kernel = kernel_for(fields, shape)
    _, ops, _ = run_cf(kernel, [np.random.default_rng(0).standard_normal((1, *shape))])
    assert dict(ops.core) == expected


@pytest.mark.parametrize("fields, shapes, out, expected", [
    # [3, 4, 5] x [3, 1, 1]: one multiplication per output element, 60.
    ({"type": "multiply"}, [(3, 4, 5), (3, 1, 1)], (3, 4, 5), {"mul": 60}),
    # three inputs folded: [1, 4, 5] + [3, 4, 5] + [3, 4, 1]: two adds per output element, 120.
    ({"type": "add"}, [(1, 4, 5), (3, 4, 5), (3, 4, 1)], (3, 4, 5), {"add": 120}),
    ({"type": "subtract"}, [(2, 3, 3), (2, 1, 3)], (2, 3, 3), {"add": 18}),
    ({"type": "divide"}, [(2, 3, 3), (1, 1, 1)], (2, 3, 3), {"div": 18}),
    ({"type": "maximum"}, [(2, 3), (2, 1), (1, 3)], (2, 3), {"cmp": 12}),
])
def test_broadcasting_merges_count_one_operation_per_output_element_and_input(fields, shapes, out, expected):
    kernel = kernel_for(fields, *shapes)
    assert kernel.out_shape == out
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, *s)) + 3 for s in shapes]
    y, ops, _ = run_cf(kernel, xs)
    assert {k: v // 2 for k, v in ops.core.items()} == expected  # batch of 2
    fold = {"multiply": np.multiply, "add": np.add, "subtract": np.subtract, "divide": np.divide,
            "maximum": np.maximum}[fields["type"]]
    reference = xs[0]
    for x in xs[1:]:
        reference = fold(reference, x)  # numpy's own broadcasting on the channels-first arrays
    np.testing.assert_allclose(y, reference)


def test_merges_refuse_shapes_that_do_not_broadcast():
    with pytest.raises(KernelError, match="do not broadcast"):
        kernel_for({"type": "add"}, (3, 4, 4), (3, 2, 4))
    with pytest.raises(KernelError, match="one rank"):
        kernel_for({"type": "multiply"}, (3, 4, 4), (3,))


@pytest.mark.parametrize("fields, shapes", [
    ({"type": "multiply"}, [(2, 3, 4), (2, 1, 1)]),
    ({"type": "add"}, [(1, 3, 4), (2, 3, 1)]),
    ({"type": "maximum"}, [(2, 1, 4), (2, 3, 4)]),
])
def test_broadcast_merge_dependencies_match_perturbation(fields, shapes):
    """Per input, which of its positions each output position depends on: from the masks and by nudging."""
    kernel = kernel_for(fields, *shapes)
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((1, *s[1:], s[0])) for s in shapes]
    base = kernel.forward(xs, {}, OpCounter())
    out_spatial = kernel.out_shape[1:]
    count = int(np.prod(out_spatial))
    mask = np.zeros((count, -(-count // 8)), np.uint8)
    for o in range(count):
        mask[o, o // 8] |= 1 << (o % 8)
    needed = kernel.depends(mask.reshape(*out_spatial, -1))
    for index, shape in enumerate(shapes):
        bits = np.unpackbits(needed[index].reshape(-1, needed[index].shape[-1]), axis=1, bitorder="little")
        measured = bits[:, :count].T.astype(bool)  # (output position, input position)
        spatial_in = int(np.prod(shape[1:]))
        perturbed = np.zeros((count, spatial_in), bool)
        for i in range(spatial_in):
            nudged = [x.copy() for x in xs]
            flat = nudged[index].reshape(1, spatial_in, shape[0])
            flat[0, i] += 10.0  # large enough to change a maximum it takes part in
            changed = kernel.forward(nudged, {}, OpCounter()) != base
            perturbed[:, i] = changed.reshape(-1, kernel.out_shape[0]).any(axis=1)
        if fields["type"] == "maximum":
            assert (perturbed <= measured).all()
        else:
            np.testing.assert_array_equal(measured, perturbed)


def test_counted_ops_count_what_they_compute():
    ops = OpCounter()
    x = np.ones((2, 3, 4))
    np.testing.assert_array_equal(ops.add(x, np.ones(4)), 2 * x)  # broadcast: the output's 24 elements
    assert ops.sum(x, axis=(1, 2)).tolist() == [12, 12]  # 2 sums of 12 values: 11 adds each
    assert ops.mean(x, axis=-1, keepdims=True).shape == (2, 3, 1)  # 6 groups of 4: 3 adds and 1 div each
    ops.clip(x, 0, 6)  # a clip is two comparisons
    ops.max(x, axis=None)  # 24 values: 23 comparisons
    ops.where(x > 0, x, 0)  # a select is free
    out = np.zeros_like(x)
    assert ops.mul(x, 3, out=out) is out
    assert dict(ops.core) == {"add": 24 + 22 + 18, "div": 6, "cmp": 48 + 23, "mul": 24}
    ops.extra_ops("a reason").sub(x, 1)
    assert ops.overhead == {"a reason": {"add": 24}} and ops.core["add"] == 64


def test_softmax_stability_shift_is_overhead_not_core():
    _, ops, _ = run_cf(kernel_for({"type": "softmax"}, (4, 2)), [np.ones((1, 4, 2))])
    [(reason, counts)] = ops.overhead.items()
    assert "numerical stability" in reason
    assert dict(counts) == {"cmp": 2 * 3, "add": 8}


def test_batchnorm_without_running_stats_uses_batch_statistics():
    kernel = kernel_for({"type": "batchnorm2d", "track_running_stats": False, "affine": False}, (2, 3, 3))
    x = np.random.default_rng(0).standard_normal((4, 2, 3, 3)) * 3 + 5
    y, _, _ = run_cf(kernel, [x])
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-10)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)


# -- gradients (for the effective receptive field) -------------------------------------------------

GRADIENT_CASES = [
    ({"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": [[1, 0], [2, 1]], "dilation": [1, 2]}, [(2, 7, 8)]),
    ({"type": "conv2d", "out_channels": 4, "kernel_size": 2, "groups": 2}, [(2, 5, 5)]),
    ({"type": "depthwise_conv2d", "kernel_size": 3, "padding": 1, "depth_multiplier": 2}, [(2, 5, 4)]),
    ({"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [(3, 3, 4)]),
    ({"type": "separable_conv2d", "out_channels": 2, "kernel_size": 3}, [(2, 5, 5)]),
    ({"type": "spatially_separable_conv2d", "out_channels": 2, "kernel_size": 3, "stride": [2, 1]}, [(1, 7, 6)]),
    ({"type": "locally_connected1d", "out_channels": 2, "kernel_size": 3}, [(2, 6)]),
    ({"type": "tiled_conv2d", "out_channels": 2, "kernel_size": 2, "tile_size": 2}, [(2, 5, 5)]),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 6, 7)]),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [(2, 6, 7)]),
    ({"type": "lppool2d", "kernel_size": 2}, [(2, 4, 4)]),
    ({"type": "adaptive_avgpool2d", "output_size": [3, 2]}, [(2, 5, 7)]),
    ({"type": "adaptive_maxpool1d", "output_size": 4}, [(2, 7)]),
    ({"type": "global_avgpool"}, [(2, 3, 3)]),
    ({"type": "global_maxpool"}, [(2, 3, 3)]),
    ({"type": "batchnorm2d"}, [(2, 3, 3)]),
    ({"type": "layernorm", "normalized_shape": [3, 3]}, [(2, 3, 3)]),
    ({"type": "group_norm", "num_groups": 2}, [(4, 3, 2)]),
    ({"type": "silu"}, [(2, 3, 3)]),
    ({"type": "gelu"}, [(2, 3, 3)]),
    ({"type": "gelu", "approximate": "tanh"}, [(2, 3, 3)]),
    ({"type": "elu"}, [(2, 3, 3)]),
    ({"type": "hardswish"}, [(2, 3, 3)]),
    ({"type": "softmax", "dim": 1}, [(2, 3, 3)]),
    ({"type": "log_softmax"}, [(3, 2, 2)]),
    ({"type": "flatten"}, [(2, 3, 3)]),
    ({"type": "linear", "out_features": 3}, [(4,)]),
    ({"type": "pad", "padding": [[1, -1], [2, 0]]}, [(2, 3, 3)]),
    ({"type": "upsample2d", "scale_factor": 2}, [(2, 3, 3)]),
    ({"type": "upsample2d", "size": [5, 7], "mode": "bilinear", "align_corners": True}, [(2, 3, 3)]),
    ({"type": "multiply"}, [(2, 3, 3), (2, 3, 3)]),
    ({"type": "multiply"}, [(2, 3, 3), (2, 1, 1), (1, 3, 1)]),
    ({"type": "add"}, [(2, 1, 3), (2, 3, 3)]),
    ({"type": "subtract"}, [(2, 3, 3), (2, 1, 3)]),
    ({"type": "divide"}, [(2, 3, 3), (2, 1, 1)]),
    ({"type": "maximum"}, [(2, 3, 3), (1, 3, 3)]),
    ({"type": "concat"}, [(2, 3, 3), (1, 3, 3)]),
]


@pytest.mark.parametrize("fields, shapes", GRADIENT_CASES, ids=[c[0]["type"] for c in GRADIENT_CASES])
def test_backward_matches_finite_differences(fields, shapes):
    kernel = kernel_for(fields, *shapes)
    rng = np.random.default_rng(5)
    raw, buffers = kernel.init_params(rng, np.float64)
    p = kernel.prepare(raw, buffers)
    xs = [rng.standard_normal((1, *s[1:], s[0])) if len(s) > 1 else rng.standard_normal((1, *s)) for s in shapes]
    if fields["type"] == "lppool2d":
        xs = [np.abs(x) + 0.5 for x in xs]
    y = kernel.forward(xs, p, OpCounter())
    probe = rng.standard_normal(y.shape)
    grads = kernel.backward(probe, xs, y, p)
    eps = 1e-6
    for x, g in zip(xs, grads):
        for flat in rng.choice(x.size, size=min(x.size, 12), replace=False):
            index = np.unravel_index(flat, x.shape)
            saved = x[index]
            x[index] = saved + eps
            up = np.vdot(probe, kernel.forward(xs, p, OpCounter()))
            x[index] = saved - eps
            down = np.vdot(probe, kernel.forward(xs, p, OpCounter()))
            x[index] = saved
            assert g[index] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-6)


# -- dependency masks against the forward pass ------------------------------------------------------

DEPENDENCY_CASES = [
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": [[2, 0], [1, 1]], "dilation": [2, 1]}, (2, 7, 6)),
    ({"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "dilation": 2, "padding": 1, "output_padding": 1}, (1, 4, 3)),
    ({"type": "conv_transpose1d", "out_channels": 1, "kernel_size": 2, "stride": 3}, (1, 5)),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 6, 7)),
    ({"type": "avgpool1d", "kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 8)),
    ({"type": "adaptive_avgpool2d", "output_size": [3, 4]}, (1, 7, 5)),
    ({"type": "upsample2d", "scale_factor": 2, "mode": "bilinear", "align_corners": True}, (1, 3, 4)),
    ({"type": "upsample1d", "size": 7, "mode": "linear"}, (1, 3)),
    ({"type": "upsample2d", "size": [5, 2], "mode": "nearest"}, (1, 3, 4)),
    ({"type": "spatially_separable_conv2d", "out_channels": 1, "kernel_size": [2, 3], "stride": 2}, (1, 7, 7)),
    ({"type": "tiled_conv1d", "out_channels": 1, "kernel_size": 2, "dilation": 3}, (1, 9)),
    ({"type": "pad", "padding": [[-1, 2], [2, -1]]}, (1, 4, 4)),
    ({"type": "softmax", "dim": 2}, (1, 3, 4)),
    ({"type": "layernorm", "normalized_shape": [4]}, (1, 3, 4)),
    ({"type": "group_norm", "num_groups": 1}, (2, 3, 4)),
    ({"type": "global_avgpool", "keepdims": True}, (1, 3, 4)),
]


def _dependency_by_perturbation(kernel, shape, rng) -> np.ndarray:
    """dep[o, i] for flattened output and input positions: does nudging input position i (all channels)
    change output position o (any channel)? Max pooling is linearised first (its whole window counts)."""
    p = kernel.prepare(*kernel.init_params(rng, np.float64))
    x = rng.standard_normal((1, *shape[1:], shape[0]))
    base = kernel.forward([x], p, OpCounter())
    spatial_in = int(np.prod(shape[1:]))
    dep = np.zeros((int(np.prod(kernel.out_shape[1:])), spatial_in), bool)
    for i in range(spatial_in):
        nudged = x.copy().reshape(1, spatial_in, shape[0])
        nudged[0, i] += rng.uniform(0.5, 1.0, shape[0])
        changed = kernel.forward([nudged.reshape(x.shape)], p, OpCounter()) != base
        dep[:, i] = changed.reshape(-1, kernel.out_shape[0]).any(axis=1)
    return dep


def _dependency_by_masks(kernel) -> np.ndarray:
    """The same relation from kernel.depends, one query bit per output position."""
    out_spatial = kernel.out_shape[1:]
    count = int(np.prod(out_spatial))
    mask = np.zeros((count, -(-count // 8)), np.uint8)
    for o in range(count):
        mask[o, o // 8] |= 1 << (o % 8)
    needed = kernel.depends(mask.reshape(*out_spatial, -1))[0]
    bits = np.unpackbits(needed.reshape(-1, needed.shape[-1]), axis=1, bitorder="little")[:, :count]
    return bits.T.astype(bool)


@pytest.mark.parametrize("fields, shape", DEPENDENCY_CASES, ids=[c[0]["type"] for c in DEPENDENCY_CASES])
def test_dependency_masks_match_what_changes_the_output(fields, shape):
    kernel = kernel_for(fields, shape)
    measured = _dependency_by_masks(kernel)
    perturbed = _dependency_by_perturbation(kernel, shape, np.random.default_rng(4))
    if fields["type"].startswith("maxpool"):
        assert (perturbed <= measured).all()  # a nudge moves only the maximum; the window is the RF
        linear = kernel_for({**fields, "type": "avgpool2d"}, shape)
        perturbed = _dependency_by_perturbation(linear, shape, np.random.default_rng(4))
    np.testing.assert_array_equal(measured, perturbed)


def test_rf_check_catches_a_wrong_claim():
    spec = parse_spec("input: {shape: [1, 12, 12]}\nlayers:\n  - {type: conv2d, out_channels: 1, kernel_size: 3}\n")
    network = Network(spec)

    def claim(shift):
        def expected(index, position):  # one box: a 3x3 window, shifted by `shift`
            return (tuple(((max(0, o + shift), min(11, o + 2 + shift)),) for o in position),)
        return expected

    right = check_receptive_fields(network, claim(0), lambda i: (AxisHint(), AxisHint()))
    assert right["0"].ok and right["0"].checked == 100 and right["0"].every_position is True
    wrong = check_receptive_fields(network, claim(1), lambda i: (AxisHint(), AxisHint()))
    assert wrong["0"].mismatch_count == wrong["0"].checked
    assert "axis 0: measured 0-2 vs analyzed 1-3" in wrong["0"].mismatches[0].describe()


def test_position_selection_covers_corners_centre_and_every_phase():
    positions, every = select_positions((40, 30), (AxisHint(period=3), AxisHint(head=2, tail=1)))
    assert len(positions) < 40 * 30
    chosen = {tuple(p) for p in positions}
    assert not every
    for corner in ((0, 0), (0, 29), (39, 0), (39, 29), (19, 14)):
        assert corner in chosen
    assert {p[0] % 3 for p in chosen} == {0, 1, 2}
    small, every = select_positions((4, 5), (AxisHint(), AxisHint()))
    assert every and len(small) == 20


def test_intervals_of_flags():
    assert intervals_of(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == ((1, 2), (4, 4), (7, 7))
    assert intervals_of(np.zeros(3, bool)) == ()


# -- the engine: parameters, sharing, memory ----------------------------------------------------------

def spec_of(text: str):
    return parse_spec(textwrap.dedent(text), "test.yaml")


def test_parameters_are_the_arrays_allocated_and_sharing_counts_once():
    spec = spec_of("""
        input: {shape: [3, 8, 8]}
        layers:
          - {name: a, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
          - {name: bn, type: batchnorm2d}
          - {name: b, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, inputs: [a], trainable: false}
          - {name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, inputs: [bn], share_params_with: b}
        """)
    network = Network(spec)
    weights = network.instantiate(0)
    run = network.forward(weights, network.random_input(0))
    by_name = {m.name: m for m in run.measures}
    assert by_name["a"].params == 3 * 4 * 9 + 4
    assert by_name["bn"].params == 8 and by_name["bn"].buffers == 8
    assert by_name["b"].params == 4 * 4 * 9 + 4 and by_name["b"].trainable_params == 0
    assert by_name["c"].params == 0
    assert weights.prepared["c"]["weight"] is weights.params["b"]["weight"]


def test_runs_over_the_memory_limit_are_refused_before_allocating():
    spec = spec_of("""
        input: {shape: [3, 1024, 1024], batch: 8}
        layers:
          - {name: wide, type: conv2d, out_channels: 256, kernel_size: 3, padding: 1}
        """)
    with pytest.raises(MemoryLimitError, match=r"needs about .* over --max-memory 1 GiB"):
        Network(spec).check_memory(1 << 30)


def test_kernel_errors_name_the_layer():
    spec = spec_of("""
        input: {shape: [3, 8, 8]}
        layers:
          - {name: flat, type: flatten}
          - {name: bad, type: upsample1d, scale_factor: 2}
        """)
    with pytest.raises(Exception, match="layer 'bad'.*numpy backend"):
        Network(spec)
    with pytest.raises(KernelError):
        kernel_for({"type": "conv_transpose1d", "out_channels": 1, "kernel_size": 3, "padding": 5}, (1, 2))


def test_float64_specs_compute_in_float64_and_memory_follows_the_dtype():
    spec = spec_of("""
        input: {shape: [2, 4, 4], dtype: float16, batch: 3}
        layers:
          - {name: a, type: conv2d, out_channels: 5, kernel_size: 3}
        """)
    run = Network(spec).forward(Network(spec).instantiate(0), Network(spec).random_input(0))
    assert run.measures[0].activation_bytes == 3 * 5 * 2 * 2 * 2
    double = Network(spec_of("input: {shape: [1, 4], dtype: float64}\nlayers:\n  - {type: relu}\n"))
    assert double.random_input(0).dtype == np.float64


def test_network_outputs_stay_live_in_the_measured_peak():
    # float32, batch 1: input 3*16*16*4 = 3072 B, each conv's output 4*16*16*4 = 4096 B; c reads b reads a.
    # a freed after b reads it: peak 2 x 4096 while b or c runs; a held as an output: a, b and c, 3 x 4096.
    text = """
        input: {shape: [3, 16, 16]}
        OUTPUTS
        layers:
          - {name: a, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
          - {name: b, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
          - {name: c, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
        """
    for outputs, peak in (("", 2 * 4096), ("outputs: [a, c]", 3 * 4096)):
        network = Network(spec_of(text.replace("OUTPUTS", outputs)))
        run = network.forward(network.instantiate(0), network.random_input(0))
        assert run.peak_bytes == peak, outputs


# -- effective receptive field ------------------------------------------------------------------------

def test_erf_is_zero_outside_the_theoretical_rf():
    spec = spec_of("""
        input: {shape: [1, 33, 33]}
        layers:
          - {name: c1, type: conv2d, out_channels: 4, kernel_size: 3}
          - {name: r1, type: relu}
          - {name: p1, type: maxpool2d, kernel_size: 2}
          - {name: c2, type: conv2d, out_channels: 4, kernel_size: 3, dilation: 2}
        """)
    result = effective_rf_of(spec, samples=2)
    assert result.layer == "c2" and result.unit == (5, 5)
    assert result.box == ((10, 21), (10, 21))
    assert result.mass_inside == pytest.approx(1.0)
    outside = result.erf.copy()
    outside[10:22, 10:22] = 0
    assert not outside.any()
    assert 0 < result.area_for_mass(0.5) < result.area_for_mass(0.9) <= 1


def test_png_writer_round_trips_pixels():
    import struct
    import zlib

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = png_bytes(rgb)
    width, height = struct.unpack(">II", data[16:24])
    length = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41:41 + length])
    assert (width, height) == (3, 2)
    assert raw == b"\x00" + rgb[0].tobytes() + b"\x00" + rgb[1].tobytes()
