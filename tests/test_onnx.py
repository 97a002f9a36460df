"""Reading ONNX models: the nine real models shipped in the onnx wheel, small graphs built here, and errors.

Expected figures come from the ONNX graphs themselves (the shapes of the weights their operators
consume, read with onnx, never with rfcalc's reader), from published tables, and from ONNX shape
inference. Without onnx installed these tests skip (`.ci/run` installs it), except the ones that
check what happens without it.
"""
from __future__ import annotations

import subprocess
import sys
from math import prod
from pathlib import Path

import pytest

from rfcalc.analyzer import analyze
from rfcalc.sources import load_spec_source

MODELS = ("resnet50", "vgg19", "squeezenet", "inception_v2", "densenet121")

# Published weight totals (parameters, batch-norm statistics): torchvision's tables for resnet50, vgg19 and
# densenet121; the Caffe models' own counts for the others (shared/references/onnx-and-torch.md).
PUBLISHED = {"resnet50": (25_557_032, 53_120), "densenet121": (7_978_856, 83_648), "vgg19": (143_667_240, 0),
             "bvlc_alexnet": (60_965_224, 0), "inception_v1": (6_998_552, 0), "squeezenet": (1_235_496, 0),
             "zfnet512": (87_250_536, 0)}


def onnx_module():
    return pytest.importorskip("onnx", reason="reading ONNX models needs onnx (pip install 'rfcalc[onnx]')")


def model_path(name: str) -> Path:
    onnx = onnx_module()
    return Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"light_{name}.onnx"


def weights_consumed(path: Path) -> tuple[int, int]:
    """(parameters, running statistics) of a model, from the shapes of the constant tensors its operators
    read: conv, gemm and prelu weights and biases, batch-norm scale and B (parameters) and mean and var
    (statistics), and the per-channel constants of Mul and Add. A batch norm followed by a per-channel Mul
    and Add (Caffe's BatchNorm + Scale) has one affine part: its scale and B are not counted twice."""
    onnx = onnx_module()
    from onnx import numpy_helper, shape_inference

    model = shape_inference.infer_shapes(onnx.load(str(path)))
    graph = model.graph
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    shapes.update({v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim) for v in graph.value_info})
    constant = set(shapes) - {v.name for v in graph.value_info}
    for node in graph.node:  # weights built from constants (ConstantOfShape, Unsqueeze, Reshape of them)
        if all(name in constant for name in node.input if name):
            constant.update(node.output)
            if node.op_type == "ConstantOfShape":
                value = numpy_helper.to_array(next(t for t in graph.initializer if t.name == node.input[0]))
                shapes[node.output[0]] = tuple(int(n) for n in value)
    size = lambda name: prod(shapes[name])  # noqa: E731
    readers = {name: [n for n in graph.node if name in n.input] for n in graph.node for name in n.output}
    params = stats = 0
    for node in graph.node:
        operands = [name for name in node.input if name in constant]
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "PRelu"):
            params += sum(size(name) for name in operands)
        elif node.op_type == "BatchNormalization":
            stats += size(node.input[3]) + size(node.input[4])
            scaled = [r for r in readers[node.output[0]] if r.op_type == "Mul" and set(r.input) & constant]
            params += 0 if scaled else size(node.input[1]) + size(node.input[2])
        elif node.op_type in ("Mul", "Add") and operands and len(operands) < len(node.input):
            params += sum(size(name) for name in operands)
    return params, stats


@pytest.mark.parametrize("name", MODELS)
def test_real_model_weights_and_shapes(name):
    onnx = onnx_module()
    from onnx import shape_inference

    path = model_path(name)
    spec = load_spec_source(str(path))
    report = analyze(spec)
    totals = report.totals
    assert (totals.params, totals.buffers) == weights_consumed(path)
    if name in PUBLISHED:
        assert (totals.params, totals.buffers) == PUBLISHED[name]
    # Every layer's shape is ONNX shape inference's for the node it is named after (batch dropped).
    model = shape_inference.infer_shapes(onnx.load(str(path)))
    inferred = {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
                for v in [*model.graph.value_info, *model.graph.output]}
    outputs = {node.name: node.output[0] for node in model.graph.node}
    for layer in report.layers:
        assert (1, *layer.output_shape) == inferred[outputs[layer.name]], layer.name
    assert (1, *report.layers[-1].output_shape) == inferred[model.graph.output[0].name]


def test_imported_layers_restate_the_onnx_attributes():
    spec = load_spec_source(str(model_path("resnet50")))
    first = {node.name: node.layer for node in spec.nodes[:4]}
    conv, bn, pool = first["n0"], first["n1"], first["n3"]
    assert (conv.type, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.bias) == \
        ("conv", 64, 7, 2, 3, False)  # Conv pads [3, 3, 3, 3], strides [2, 2], no B input
    assert (bn.type, bn.num_features, bn.affine) == ("batchnorm", 64, True)
    assert (pool.type, pool.kernel_size, pool.stride, pool.padding) == ("maxpool", 3, 2, 1)
    last = spec.nodes[-1].layer
    assert (last.type, last.dim) == ("softmax", 0)


def tiny_model(nodes, input_shape=(1, 3, 8, 8), initializers=(), opset=17, output="y"):
    """A model of the given nodes reading 'x' of `input_shape` (dims may be names: dynamic)."""
    onnx = onnx_module()
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "tiny", [x], [y], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def write(tmp_path, model, name="tiny.onnx") -> str:
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return str(path)


def test_an_operator_rfcalc_cannot_model_is_a_located_error_naming_it(tmp_path, run_cli):
    onnx_module()
    from onnx import helper

    model = tiny_model([helper.make_node("Relu", ["x"], ["r"], name="act"),
                        helper.make_node("Erf", ["r"], ["y"], name="mystery")])
    code, out, err = run_cli("analyze", write(tmp_path, model))
    assert code == 2 and out == ""
    assert err.startswith(f"rfcalc: error: {tmp_path / 'tiny.onnx'}: node 'mystery' (Erf, opset 17): "
                          "rfcalc cannot model this operator; it reads: ")
    assert "Conv" in err and "LRN" in err and err.count("\n") == 1


def test_dynamic_sizes_are_fixed_from_input_size(tmp_path, run_cli):
    onnx_module()
    from onnx import helper

    model = tiny_model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], name="p")],
                       input_shape=("N", 3, "H", "W"))
    path = write(tmp_path, model)
    code, _out, err = run_cli("analyze", path)
    assert code == 2 and "input 'x' has a dynamic dimension 'H' (axis 2); give its size with --input-size" in err
    spec = load_spec_source(path, [10, 6])
    assert list(spec.input.shape) == [3, 10, 6] and analyze(spec).layers[0].output_shape == (3, 5, 3)


def test_same_lower_and_upper_put_the_odd_pixel_where_onnx_does(tmp_path):
    onnx_module()
    from onnx import helper, numpy_helper
    import numpy as np

    weight = numpy_helper.from_array(np.zeros((4, 3, 4, 4), np.float32), "w")
    for mode, pads in (("SAME_UPPER", [1, 2]), ("SAME_LOWER", [2, 1])):
        # 8 wide, kernel 4, stride 1: total padding 3, the odd pixel at the end (UPPER) or the start (LOWER)
        model = tiny_model([helper.make_node("Conv", ["x", "w"], ["y"], auto_pad=mode, name="c")],
                           initializers=[weight])
        layer = load_spec_source(write(tmp_path, model, f"{mode}.onnx")).nodes[0].layer
        assert layer.padding == [pads, pads] and layer.bias is False


def test_without_onnx_an_onnx_file_gives_one_line_saying_how_to_install_it(tmp_path, run_cli, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07")
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now fails as when it is not installed
    monkeypatch.delitem(sys.modules, "rfcalc.importers.onnx", raising=False)
    code, out, err = run_cli("analyze", str(path))
    assert (code, out) == (2, "")
    assert err == f"rfcalc: error: {path}: reading ONNX models needs the onnx package: pip install 'rfcalc[onnx]'\n"


def test_analyzing_a_yaml_spec_never_imports_onnx():
    code = ("import sys; from rfcalc.cli import main; rc = main(['analyze', 'resnet50', '--format', 'json']);"
            "print('ONNX' if 'onnx' in sys.modules else 'NO-ONNX', file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and "NO-ONNX" in result.stderr
