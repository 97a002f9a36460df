"""Every numpy kernel against torch.nn.functional on random inputs (skipped where PyTorch is missing)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-checks against torch.nn.functional skipped")

from rfcalc.backend import OpCounter, bind  # noqa: E402
from rfcalc.backend.engine import Network  # noqa: E402
from rfcalc.backend.torch_reference import (LAYOUTS, NO_TORCH_REFERENCE, REFERENCES, channels_first,  # noqa: E402
                                            run_layer, run_network, to_torch, torch_params)
from rfcalc.layers import LAYER_TYPES, validate_layer  # noqa: E402
from rfcalc.sources import load_spec_source  # noqa: E402
from rfcalc.spec import parse_spec  # noqa: E402

# (layer fields, input shapes channels first): each case runs in numpy and in torch.
CASES = [
    ({"type": "conv1d", "out_channels": 4, "kernel_size": 3, "padding": 1}, [(3, 11)]),
    ({"type": "conv2d", "out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1}, [(3, 9, 10)]),
    ({"type": "conv2d", "out_channels": 4, "kernel_size": [3, 2], "stride": [2, 1], "padding": [[2, 0], [1, 3]]},
     [(2, 8, 7)]),
    ({"type": "conv2d", "out_channels": 6, "kernel_size": 3, "dilation": 2, "padding": 2, "groups": 3}, [(6, 12, 11)]),
    ({"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": "same", "dilation": [1, 3]}, [(2, 9, 9)]),
    ({"type": "conv2d", "out_channels": 4, "kernel_size": 4, "stride": 3, "padding": "same"}, [(2, 10, 11)]),
    ({"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": "valid", "bias": False}, [(2, 7, 7)]),
    ({"type": "conv2d", "out_channels": 8, "kernel_size": 1, "stride": 2}, [(4, 9, 9)]),
    ({"type": "conv3d", "out_channels": 3, "kernel_size": 3, "stride": [1, 2, 2], "padding": 1}, [(2, 5, 7, 6)]),
    ({"type": "depthwise_conv2d", "kernel_size": 3, "padding": 1, "depth_multiplier": 2}, [(3, 8, 8)]),
    ({"type": "depthwise_conv2d", "kernel_size": 5, "stride": 2, "padding": 2}, [(4, 11, 9)]),
    ({"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 3}, [(2, 4, 4)]),
    ({"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1,
      "output_padding": 1}, [(3, 5, 6)]),
    ({"type": "conv_transpose2d", "out_channels": 6, "kernel_size": 3, "stride": 2, "dilation": 2, "groups": 3,
      "output_padding": 1, "padding": 2}, [(3, 4, 5)]),
    ({"type": "conv_transpose1d", "out_channels": 2, "kernel_size": 4, "stride": 3, "padding": 1,
      "output_padding": 2}, [(3, 6)]),
    ({"type": "conv_transpose3d", "out_channels": 2, "kernel_size": 2, "stride": 2}, [(2, 3, 3, 2)]),
    ({"type": "separable_conv2d", "out_channels": 5, "kernel_size": 3, "padding": 1, "depth_multiplier": 2},
     [(3, 7, 8)]),
    ({"type": "spatially_separable_conv2d", "out_channels": 4, "kernel_size": [3, 5], "stride": [2, 1],
      "padding": [1, 2]}, [(2, 9, 10)]),
    ({"type": "maxpool2d", "kernel_size": 2}, [(2, 6, 7)]),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 8, 9)]),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True}, [(1, 6, 7)]),
    ({"type": "maxpool2d", "kernel_size": 2, "stride": 2, "dilation": 2, "padding": 1}, [(1, 9, 9)]),
    ({"type": "maxpool1d", "kernel_size": 3, "stride": 3, "ceil_mode": True}, [(2, 10)]),
    ({"type": "maxpool1d", "kernel_size": 4, "stride": 3, "padding": 1, "dilation": 2, "ceil_mode": True}, [(1, 3)]),
    ({"type": "avgpool1d", "kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}, [(1, 3)]),
    ({"type": "maxpool3d", "kernel_size": 2, "stride": 2, "ceil_mode": True}, [(2, 5, 4, 3)]),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1}, [(2, 7, 8)]),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
      "ceil_mode": True}, [(2, 8, 8)]),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 8, 8)]),
    ({"type": "avgpool1d", "kernel_size": 4, "stride": 3, "ceil_mode": True}, [(2, 12)]),
    ({"type": "lppool2d", "kernel_size": 2, "norm_type": 2}, [(2, 6, 8)]),
    ({"type": "lppool2d", "kernel_size": 3, "stride": 2, "norm_type": 3}, [(2, 7, 7)]),
    ({"type": "lppool1d", "kernel_size": 2, "norm_type": 1}, [(2, 8)]),
    ({"type": "adaptive_avgpool2d", "output_size": [3, 5]}, [(2, 10, 7)]),
    ({"type": "adaptive_maxpool2d", "output_size": [4, 3]}, [(2, 9, 11)]),
    ({"type": "adaptive_avgpool1d", "output_size": 7}, [(2, 5)]),
    ({"type": "adaptive_maxpool3d", "output_size": 2}, [(2, 5, 3, 4)]),
    ({"type": "adaptive_avgpool2d", "output_size": 1}, [(3, 7, 7)]),
    ({"type": "global_avgpool"}, [(3, 5, 6)]),
    ({"type": "global_maxpool", "keepdims": True}, [(3, 5, 6)]),
    ({"type": "batchnorm2d"}, [(4, 5, 5)]),
    ({"type": "batchnorm2d", "affine": False}, [(4, 5, 5)]),
    ({"type": "batchnorm1d", "track_running_stats": False}, [(3, 7)]),
    ({"type": "layernorm"}, [(3, 4, 5)]),
    ({"type": "layernorm", "normalized_shape": [4, 5]}, [(3, 4, 5)]),
    ({"type": "layernorm", "normalized_shape": [8], "elementwise_affine": False}, [(8,)]),
    ({"type": "group_norm", "num_groups": 2}, [(6, 4, 5)]),
    ({"type": "group_norm", "num_groups": 3, "affine": False}, [(6, 7)]),
    ({"type": "groupnorm", "num_groups": 4}, [(4,)]),
    ({"type": "dropout", "p": 0.3}, [(3, 4)]),
    ({"type": "relu"}, [(3, 4, 4)]),
    ({"type": "relu6"}, [(3, 4, 4)]),
    ({"type": "sigmoid"}, [(3, 4, 4)]),
    ({"type": "tanh"}, [(3, 4, 4)]),
    ({"type": "silu"}, [(3, 4, 4)]),
    ({"type": "hardswish"}, [(3, 4, 4)]),
    ({"type": "hardsigmoid"}, [(3, 4, 4)]),
    ({"type": "leaky_relu", "negative_slope": 0.2}, [(3, 4, 4)]),
    ({"type": "elu", "alpha": 0.7}, [(3, 4, 4)]),
    ({"type": "prelu", "num_parameters": 3}, [(3, 4, 4)]),
    ({"type": "prelu"}, [(3, 4, 4)]),
    ({"type": "gelu"}, [(3, 4, 4)]),
    ({"type": "gelu", "approximate": "tanh"}, [(3, 4, 4)]),
    ({"type": "softmax"}, [(5, 3, 3)]),
    ({"type": "softmax", "dim": -1}, [(2, 3, 6)]),
    ({"type": "log_softmax", "dim": 1}, [(2, 4, 3)]),
    ({"type": "flatten"}, [(3, 4, 5)]),
    ({"type": "linear", "out_features": 7}, [(12,)]),
    ({"type": "pad", "padding": [[1, 2], [0, 3]], "value": 0.5}, [(2, 4, 4)]),
    ({"type": "pad", "padding": [[-1, 2], [1, -2]]}, [(2, 5, 6)]),
    ({"type": "upsample2d", "scale_factor": 2}, [(2, 3, 4)]),
    ({"type": "upsample2d", "scale_factor": 3, "mode": "bilinear"}, [(2, 3, 4)]),
    ({"type": "upsample2d", "scale_factor": 2, "mode": "bilinear", "align_corners": True}, [(2, 3, 4)]),
    ({"type": "upsample2d", "size": [7, 5], "mode": "bilinear", "align_corners": False}, [(2, 3, 4)]),
    ({"type": "upsample2d", "size": [7, 9], "mode": "bilinear", "align_corners": True}, [(2, 4, 4)]),
    ({"type": "upsample2d", "size": [5, 3], "mode": "nearest"}, [(2, 3, 4)]),
    ({"type": "upsample2d", "scale_factor": 1.5}, [(2, 4, 6)]),
    ({"type": "upsample1d", "scale_factor": 2.1}, [(1, 5)]),
    ({"type": "upsample2d", "scale_factor": [1.1, 2.2], "mode": "bilinear"}, [(1, 4, 5)]),
    ({"type": "upsample1d", "scale_factor": 0.29}, [(1, 100)]),
    ({"type": "upsample2d", "scale_factor": 0.5, "mode": "bilinear"}, [(2, 8, 6)]),
    ({"type": "upsample1d", "scale_factor": 2.5, "mode": "linear"}, [(2, 6)]),
    ({"type": "upsample3d", "scale_factor": 2, "mode": "trilinear"}, [(2, 2, 3, 2)]),
    ({"type": "add"}, [(3, 4, 4), (3, 4, 4), (3, 4, 4)]),
    ({"type": "multiply"}, [(3, 4, 4), (3, 4, 4)]),
    ({"type": "multiply"}, [(3, 4, 5), (3, 1, 1)]),
    ({"type": "add"}, [(1, 4, 5), (3, 4, 5), (3, 4, 1)]),
    ({"type": "subtract"}, [(2, 3, 6), (2, 1, 6)]),
    ({"type": "divide"}, [(2, 3, 4), (2, 1, 1)]),
    ({"type": "maximum"}, [(2, 3, 4), (1, 3, 4), (2, 3, 1)]),
    ({"type": "concat"}, [(3, 4, 4), (2, 4, 4)]),
    ({"type": "identity"}, [(3, 4, 4)]),
]


def _case_id(case) -> str:
    fields = {k: v for k, v in case[0].items() if k != "type"}
    return case[0]["type"] + "(" + ",".join(f"{k}={v}" for k, v in fields.items()) + ")"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_kernel_matches_torch(case):
    fields, shapes = case
    kernel = bind(validate_layer(fields), shapes)
    rng = np.random.default_rng(7)
    params, buffers = kernel.init_params(rng, np.float64)
    prepared = kernel.prepare(params, buffers)
    xs = [rng.standard_normal((2, *s[1:], s[0])) for s in shapes]
    if fields["type"].startswith("lppool") and fields.get("norm_type", 2) not in (1, 2):
        xs = [np.abs(x) for x in xs]  # non-integer roots of negative sums are NaN in both
    y = kernel.forward(xs, prepared, OpCounter())
    expected = run_layer(kernel, torch_params(kernel, prepared), [to_torch(x) for x in xs])
    assert tuple(expected.shape[1:]) == kernel.out_shape
    np.testing.assert_allclose(channels_first(y), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_every_kernel_family_is_cross_checked():
    checked = {type(validate_layer(fields)) for fields, _ in CASES}
    for cls in LAYER_TYPES:
        if cls in NO_TORCH_REFERENCE:
            continue
        assert cls in checked, f"no torch cross-check for {cls.__name__} ({', '.join(cls.type_names())})"


def test_every_layer_model_has_a_torch_reference_or_is_listed_without_one():
    for cls in LAYER_TYPES:
        if cls in NO_TORCH_REFERENCE:
            assert cls not in REFERENCES, f"{cls.__name__} has a torch reference but is listed without one"
        else:
            assert cls in REFERENCES, f"no torch reference for {cls.__name__}: add one with @reference"
    assert not set(REFERENCES) - set(LAYER_TYPES), "torch references for layer models LAYER_TYPES does not list"
    assert not set(LAYOUTS) - set(REFERENCES), "parameter layouts for layer models without a torch reference"


def test_lppool_partial_windows_differ_from_torch_by_design():
    """PyTorch rescales LP pooling's partial (ceil_mode) windows by k / held elements; the backend sums
    what the window holds, as the layer is defined."""
    kernel = bind(validate_layer({"type": "lppool1d", "kernel_size": 2, "ceil_mode": True}), [(1, 3)])
    x = np.array([[[1.0], [2.0], [3.0]]])
    y = kernel.forward([x], {}, OpCounter())
    assert y[0, :, 0].tolist() == pytest.approx([5 ** 0.5, 3.0])
    expected = torch.nn.functional.lp_pool1d(to_torch(x), 2, 2, ceil_mode=True)
    assert expected[0, 0].tolist() == pytest.approx([5 ** 0.5, 18 ** 0.5])


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "unet", "audio1d", "volumetric3d"])
def test_zoo_network_matches_torch_layer_by_layer(name):
    try:
        spec = load_spec_source(name)
    except Exception as exc:  # the zoo is written concurrently
        pytest.skip(f"zoo spec {name} unavailable: {exc}")
    small = {"resnet18": [64], "mobilenet_v2": [64], "unet": [64], "audio1d": None, "volumetric3d": None}[name]
    if small:
        spec = spec.with_input(small)
    network = Network(spec)
    network.check_memory(1 << 30)
    weights = network.instantiate(3)
    x = network.random_input(3)
    run = network.forward(weights, x, keep=True)
    reference = run_network(network, weights, x)
    for node in spec.nodes:
        ours = channels_first(run.outputs[node.name])
        theirs = reference[node.name].numpy()
        scale = max(1.0, float(np.abs(theirs).max()))
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * scale, err_msg=node.name)


def test_whole_network_in_float64_matches_tightly():
    spec = parse_spec("""
input: {shape: [3, 20, 18], dtype: float64}
layers:
  - {name: a, type: conv2d, out_channels: 6, kernel_size: 3, stride: 2, padding: [[1, 0], [0, 1]]}
  - {name: b, type: batchnorm2d}
  - {name: c, type: silu}
  - {name: d, type: conv_transpose2d, out_channels: 4, kernel_size: 3, stride: 2, padding: 1, output_padding: 1}
  - {name: e, type: upsample2d, size: [20, 18], mode: bilinear}
  - {name: f, type: conv2d, out_channels: 4, kernel_size: 1, inputs: [input]}
  - {name: g, type: add, inputs: [e, f]}
  - {name: h, type: adaptive_maxpool2d, output_size: [3, 4]}
  - {name: i, type: flatten}
  - {name: j, type: linear, out_features: 5}
  - {name: k, type: softmax}
""")
    network = Network(spec)
    weights = network.instantiate(11)
    x = network.random_input(11)
    run = network.forward(weights, x, keep=True)
    reference = run_network(network, weights, x)
    for node in spec.nodes:
        np.testing.assert_allclose(channels_first(run.outputs[node.name]), reference[node.name].numpy(),
                                   rtol=1e-10, atol=1e-10, err_msg=node.name)


# -- analyzer findings, confirmed by PyTorch ------------------------------------------------------------

def _torch_outputs(spec, x):
    network = Network(spec)
    weights = network.instantiate(5)
    return network, weights, run_network(network, weights, x)


def test_whole_input_layers_do_not_see_dropped_pixels():
    """keras_mnist: 28 -> conv3 26 -> pool2 13 -> conv3 11 -> pool2 5 drops row and column 10 of the
    11x11 map, so input rows/columns 26-27 reach no unit of flatten. The analyzer says flatten and the
    layers after it see the whole input; PyTorch shows those pixels cannot change them."""
    spec = load_spec_source("keras_mnist")
    network = Network(spec)
    x = network.random_input(0)
    _, weights, before = _torch_outputs(spec, x)
    nudged = x.copy()
    nudged[:, 26:, :, :] += 100.0
    nudged[:, :, 26:, :] -= 100.0
    after = run_network(network, weights, nudged)
    flatten = next(node.name for node in spec.nodes if node.layer.type == "flatten")
    assert torch.equal(before[flatten], after[flatten])
    nudged[:, 25, 0, :] += 1.0  # a pixel the backend says flatten sees
    assert not torch.equal(before[flatten], run_network(network, weights, nudged)[flatten])


def test_merge_of_crossing_branches_sees_a_cross():
    """1x5 and 5x1 branches added: a unit sees the 9 pixels of a cross; the analyzer claims the 5x5 box."""
    spec = parse_spec("""
input: {shape: [1, 9, 9], dtype: float64}
layers:
  - {name: wide, type: conv2d, out_channels: 1, kernel_size: [1, 5], padding: [0, 2]}
  - {name: tall, type: conv2d, out_channels: 1, kernel_size: [5, 1], padding: [2, 0], inputs: [input]}
  - {name: cross, type: add, inputs: [wide, tall]}
""")
    network = Network(spec)
    x = network.random_input(0)
    _, weights, before = _torch_outputs(spec, x)
    for (row, col), changes in (((2, 2), False), ((4, 2), True), ((2, 4), True), ((6, 6), False)):
        nudged = x.copy()
        nudged[0, row, col, 0] += 1.0
        after = run_network(network, weights, nudged)["cross"]
        assert bool(after[0, 0, 4, 4] != before["cross"][0, 0, 4, 4]) == changes, (row, col)


# --- analyze --training: optimizer state and gradients as PyTorch holds them after one step --------

TRAINING_SPEC = """\
name: training
input: {shape: [3, 12, 12], batch: 2}
layers:
  - {name: c1, type: conv2d, out_channels: 6, kernel_size: 3, padding: 1, trainable: false}
  - {name: bn, type: batchnorm2d}
  - {name: relu, type: relu}
  - {name: c2, type: conv2d, out_channels: 4, kernel_size: 3, stride: 2, bias: false}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 5}
"""


def _training_module():
    """TRAINING_SPEC as a torch module, c1 frozen as the spec says."""
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.BatchNorm2d(6), torch.nn.ReLU(),
                                 torch.nn.Conv2d(6, 4, 3, stride=2, bias=False), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 5 * 5, 5))
    module[0].requires_grad_(False)
    return module


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


@pytest.mark.parametrize("optimizer, make", [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01)),
])
def test_training_memory_matches_torch_optimizer_state(optimizer, make):
    from rfcalc.analyzer import analyze
    from rfcalc.training import training_memory

    module = _training_module()
    trainable = [p for p in module.parameters() if p.requires_grad]
    step = make(trainable)
    module(torch.randn(2, 3, 12, 12)).square().sum().backward()
    step.step()
    state = [value for per_param in step.state.values() for value in per_param.values()
             if isinstance(value, torch.Tensor)]
    shaped = [t for t in state if t.dim() > 0]  # Adam's `step` counters are 0-d: not counted, as stated
    assert all(t.numel() == 1 for t in state if t.dim() == 0)

    figure = training_memory(analyze(parse_spec(TRAINING_SPEC, "training.yaml")), optimizer)
    assert figure.optimizer_state == _bytes(shaped)
    assert figure.gradients == _bytes(p.grad for p in trainable)
    assert figure.parameters == _bytes(module.parameters()) + _bytes(module.buffers()) - _bytes(
        [module[1].num_batches_tracked])  # BN's step counter is no buffer rfcalc counts
