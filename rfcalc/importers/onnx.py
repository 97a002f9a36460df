"""ONNX models as rfcalc specs (the optional extra rfcalc[onnx]: the `onnx` package only, no runtime).

The model is read with `onnx`, its dynamic dimensions fixed (from --input-size), and its shapes
inferred with `onnx.shape_inference`. Weights (initializers, Constant nodes, or computed, e.g. by
ConstantOfShape) are dropped: only their shapes matter, and they come from shape inference. Every
operator node becomes one rfcalc layer with PyTorch-style parameters (a few known patterns become
one layer: BatchNormalization followed by a per-channel Mul and Add). The result is the spec text
`rfcalc import` writes; loading it is parsing that text, so `analyze model.onnx` and analyzing the
imported YAML give the same numbers. Every shape rfcalc computes is then checked against ONNX's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any, Callable, Optional

import numpy as np
import onnx
import yaml
from onnx import helper, numpy_helper, shape_inference

from ..errors import Location, SpecError
from ..graph import INPUT
from ..spec import Spec, parse_spec

# Constants (shape vectors, pads, scales) are computed when they have at most this many elements;
# larger ones (weights) are kept as shapes only.
MAX_FOLDED_ELEMENTS = 1 << 16


@dataclass(frozen=True)
class Constant:
    """A tensor known without running the network: its shape, and its value when small."""

    shape: Optional[tuple[int, ...]]
    value: Optional[np.ndarray] = None

    @property
    def size(self) -> int:
        """Elements (the shape must be known)."""
        return prod(self.shape)


class OnnxError(SpecError):
    """A model that cannot be read as a spec: names the node, its op type and the opset."""


def load_onnx_spec(path: str, data: bytes, input_size: Optional[list[int]] = None) -> Spec:
    """The Spec of an ONNX model (its bytes), checked against ONNX shape inference."""
    text, expected = onnx_spec_text(path, data, input_size)
    spec = parse_spec(text, path)
    check_shapes(spec, expected, path)
    return spec


def onnx_spec_text(path: str, data: bytes, input_size: Optional[list[int]] = None) -> tuple[str, dict]:
    """(the spec as YAML text, {layer name: ONNX's output shape without batch})."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends: not an ONNX file
        raise SpecError(f"not a readable ONNX model ({type(exc).__name__}: {str(exc)[:200]})",
                        Location(path)) from None
    reader = GraphReader(model, path, input_size)
    reader.read()
    return reader.spec_text(), reader.expected


def check_shapes(spec: Spec, expected: dict[str, tuple[int, ...]], path: str) -> None:
    """Every layer's output shape as rfcalc computes it equals ONNX shape inference's, or an error naming both."""
    from ..analyzer import analyze

    for layer in analyze(spec).layers:
        onnx_shape = expected.get(layer.name)
        if onnx_shape is not None and tuple(layer.output_shape) != onnx_shape:
            raise SpecError(f"rfcalc computes the output shape {list(layer.output_shape)} where ONNX shape "
                            f"inference gives {list(onnx_shape)} (batch excluded); please report this model",
                            Location(path), f"'{layer.name}' (#{layer.index}, {layer.type})")


def _attributes(node) -> dict[str, Any]:
    """A node's attributes as Python values (strings decoded)."""
    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _float(value: float) -> float:
    """A float32 attribute as the shortest decimal that reads back to it (1e-4, not 9.9999997e-05)."""
    return float(str(np.float32(value)))


HANDLERS: dict[str, Callable] = {}


def handles(*op_types: str):
    """Register a GraphReader method as the reader of these ONNX op types."""
    def register(method):
        for op_type in op_types:
            HANDLERS[op_type] = method
        return method
    return register


# Ops whose outputs are computed while reading when all their inputs are constants (shape arithmetic,
# weight construction); any op with constant inputs is folded, these are the ones named as supported.
FOLDED_OPS = ("Constant", "ConstantOfShape", "Shape", "Gather", "Cast", "Range", "Expand", "Tile")


def supported_ops() -> list[str]:
    """The ONNX op types rfcalc reads."""
    return sorted(set(HANDLERS) | set(FOLDED_OPS))


class GraphReader:
    """Reads one ONNX graph, node by node in its (topological) order, into spec layers."""

    def __init__(self, model, path: str, input_size: Optional[list[int]]):
        self.path = path
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.graph = model.graph
        self.name = self.graph.name or None
        self.inits = {t.name: t for t in self.graph.initializer}
        self.input = self._network_input()
        self._fix_input(model, input_size)
        self.shapes = self._infer(model)
        self.consts: dict[str, Constant] = {}
        self.producer: dict[str, str] = {self.input.name: INPUT}  # data tensor -> the layer making it
        self.layers: list[dict[str, Any]] = []
        self.expected: dict[str, tuple[int, ...]] = {}
        self.readers: dict[str, list] = {}
        for node in self.graph.node:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)
        self.done: set[int] = set()  # nodes already read as part of a pattern
        self.folds: dict[str, list[str]] = {}  # layer -> the op types folded into it (and "layer names": theirs)

    # -- the model's input and shapes -------------------------------------------------------------

    def _network_input(self):
        data = [i for i in self.graph.input if i.name not in self.inits]
        if len(data) != 1:
            names = ", ".join(f"'{i.name}'" for i in data) or "none"
            raise SpecError(f"rfcalc reads models with one input tensor; this graph has {len(data)} ({names})",
                            Location(self.path))
        return data[0]

    def _fix_input(self, model, input_size: Optional[list[int]]) -> None:
        """Fix the input's batch and dynamic dimensions (spatial sizes from --input-size)."""
        dims = self.input.type.tensor_type.shape.dim
        if len(dims) < 2:
            raise SpecError(f"input '{self.input.name}' has {len(dims)} dimensions; rfcalc reads "
                            f"[N, C, ...] inputs", Location(self.path))
        spatial = len(dims) - 2
        if input_size is not None and len(input_size) == 1 and spatial > 1:
            input_size = input_size * spatial
        if input_size is not None and len(input_size) != spatial:
            raise SpecError(f"--input-size gives {len(input_size)} sizes; input '{self.input.name}' has "
                            f"{spatial} spatial axes", Location(self.path))
        changed = False
        for axis, dim in enumerate(dims):
            wanted = None
            if axis >= 2 and input_size is not None:
                wanted = input_size[axis - 2]
            elif not dim.HasField("dim_value") and axis == 0:
                wanted = 1
            if wanted is None and not dim.HasField("dim_value"):
                what = f"'{dim.dim_param}'" if dim.dim_param else "unnamed"
                raise SpecError(f"input '{self.input.name}' has a dynamic dimension {what} (axis {axis}); "
                                f"give its size with --input-size", Location(self.path))
            if wanted is not None and (not dim.HasField("dim_value") or dim.dim_value != wanted):
                dim.Clear()
                dim.dim_value = wanted
                changed = True
        if changed:  # shapes recorded for the old size no longer hold
            del self.graph.value_info[:]
            for output in self.graph.output:
                output.type.tensor_type.ClearField("shape")

    def _infer(self, model) -> dict[str, Optional[tuple[int, ...]]]:
        """Tensor name -> its shape from ONNX shape inference (None where unknown or dynamic)."""
        try:
            inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
        except Exception as exc:  # onnx raises InferenceError, ValidationError, RuntimeError
            message = " ".join(str(exc).split())[:300]
            raise SpecError(f"ONNX shape inference fails on this model: {message}", Location(self.path)) from None
        shapes = {}
        graph = inferred.graph
        for info in [*graph.input, *graph.value_info, *graph.output]:
            if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
                dims = info.type.tensor_type.shape.dim
                shape = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
                shapes[info.name] = None if None in shape else shape
        for tensor in graph.initializer:
            shapes[tensor.name] = tuple(tensor.dims)
        return shapes

    # -- reading nodes ------------------------------------------------------------------------------

    def read(self) -> None:
        """Read every node into layers (or constants)."""
        for tensor in self.graph.initializer:
            self.consts[tensor.name] = self._initializer(tensor)
        for index, node in enumerate(self.graph.node):
            if index in self.done:
                continue
            present = [name for name in node.input if name]
            if all(name in self.consts for name in present) and node.op_type not in ("RandomNormal", "RandomUniform"):
                self._fold(node)
            elif node.op_type == "Shape" and self.shape_of(node.input[0]) is not None:
                shape = np.array(self.shape_of(node.input[0]), dtype=np.int64)
                start, end = _attributes(node).get("start", 0), _attributes(node).get("end", None)
                self.consts[node.output[0]] = Constant(shape[start:end].shape, shape[start:end])
            else:
                handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
                if handler is None:
                    raise self.error(node, "rfcalc cannot model this operator; it reads: "
                                     + ", ".join(supported_ops()))
                handler(self, node, _attributes(node))
        for output in self.graph.output:
            if output.name not in self.producer:
                raise SpecError(f"graph output '{output.name}' is a constant or is not computed from the input",
                                Location(self.path))

    def _initializer(self, tensor) -> Constant:
        shape = tuple(tensor.dims)
        if prod(shape) <= MAX_FOLDED_ELEMENTS and tensor.data_location != onnx.TensorProto.EXTERNAL:
            return Constant(shape, numpy_helper.to_array(tensor))
        return Constant(shape)

    def _fold(self, node) -> None:
        """Compute a node whose inputs are all constants (or record the shapes of its outputs)."""
        attributes = _attributes(node)
        if node.op_type == "Constant":
            value = self._constant_value(node, attributes)
            self.consts[node.output[0]] = Constant(value.shape, value)
            return
        if node.op_type == "ConstantOfShape":
            shape_value = self.consts[node.input[0]].value
            if shape_value is None:
                raise self.error(node, "the shape input is not a known constant")
            shape = tuple(int(n) for n in shape_value)
            if prod(shape) > MAX_FOLDED_ELEMENTS:
                self.consts[node.output[0]] = Constant(shape)
                return
        inputs = [self.consts[name] for name in node.input if name]
        if all(c.value is not None for c in inputs) and sum(c.size for c in inputs) <= MAX_FOLDED_ELEMENTS:
            outputs = self._evaluate(node)
            for name, value in zip(node.output, outputs):
                value = np.asarray(value)
                self.consts[name] = Constant(value.shape, value if value.size <= MAX_FOLDED_ELEMENTS else None)
            return
        for name in node.output:
            self.consts[name] = Constant(self.shapes.get(name))

    def _constant_value(self, node, attributes: dict) -> np.ndarray:
        for key in ("value", "sparse_value"):
            if key in attributes:
                tensor = attributes[key]
                return numpy_helper.to_array(tensor if key == "value" else tensor.values)
        kinds = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64,
                 "value_ints": np.int64}
        for key, kind in kinds.items():
            if key in attributes:
                return np.array(attributes[key], dtype=kind)
        raise self.error(node, "a Constant without a value rfcalc can read")

    def _evaluate(self, node) -> list:
        """Run one node on constant inputs with onnx's reference evaluator (at the model's opset)."""
        from onnx.reference import ReferenceEvaluator

        names = [name for name in node.input if name]
        feeds = {name: self.consts[name].value for name in names}
        inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                  for n, v in feeds.items()]
        outputs = [helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None) for n in node.output if n]
        graph = helper.make_graph([node], "fold", inputs, outputs)
        try:
            return ReferenceEvaluator(graph, opsets={"": self.opset}).run(None, feeds)
        except Exception as exc:
            raise self.error(node, f"cannot compute it from its constant inputs ({type(exc).__name__}: "
                                   f"{str(exc)[:200]})") from None

    # -- helpers for the op readers ------------------------------------------------------------------

    def error(self, node, message: str) -> SpecError:
        """A located error naming the node, its op type and the opset."""
        label = node.name or (node.output[0] if node.output else "?")
        domain = f"{node.domain} " if node.domain not in ("", "ai.onnx") else ""
        return OnnxError(f"node '{label}' ({domain}{node.op_type}, opset {self.opset}): {message}", Location(self.path))

    def shape_of(self, name: str) -> Optional[tuple[int, ...]]:
        """The full ONNX shape (batch first) of a tensor, None when shape inference does not know it."""
        if name in self.consts:
            return self.consts[name].shape
        return self.shapes.get(name)

    def data_shape(self, node, name: str) -> tuple[int, ...]:
        """The shape of a data tensor, or an error saying shape inference did not find it."""
        shape = self.shapes.get(name)
        if shape is None:
            raise self.error(node, f"ONNX shape inference gives no static shape for '{name}' (fix dynamic sizes "
                                   f"with --input-size)")
        return shape

    def constant(self, node, index: int, what: str, need_value: bool = False) -> Optional[Constant]:
        """Input `index` of a node as a constant (None when the input is absent)."""
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        found = self.consts.get(name)
        if found is None:
            raise self.error(node, f"its {what} '{name}' is computed from the network input; rfcalc needs it "
                                   f"constant")
        if found.shape is None or (need_value and found.value is None):
            raise self.error(node, f"the {'value' if need_value else 'shape'} of its {what} '{name}' is unknown")
        return found

    def values(self, node, index: int, what: str) -> Optional[list]:
        """The value of a constant input as a list (None when absent or empty)."""
        found = self.constant(node, index, what, need_value=True)
        if found is None or found.size == 0:
            return None
        return found.value.reshape(-1).tolist()

    def data_inputs(self, node) -> list[str]:
        """The inputs of a node computed from the network input."""
        return [name for name in node.input if name and name not in self.consts]

    def layer_name(self, node) -> str:
        """A unique layer name from the node's name (or its first output's)."""
        base = (node.name or node.output[0]).strip() or node.op_type.lower()
        if base == INPUT:
            base = f"{INPUT}_"
        name, count = base, 1
        taken = {layer["name"] for layer in self.layers}
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        return name

    def emit(self, node, layer: dict[str, Any], inputs: Optional[list[str]] = None,
             output: Optional[str] = None) -> str:
        """Add a layer reading `inputs` (data tensors; default: the node's) for the node's output."""
        inputs = self.data_inputs(node) if inputs is None else inputs
        output = output or node.output[0]
        name = self.layer_name(node)
        sources = [self.producer[t] for t in inputs]
        previous = self.layers[-1]["name"] if self.layers else INPUT
        entry = {"name": name, **layer}
        if sources != [previous]:
            entry["inputs"] = sources[0] if len(sources) == 1 else sources
        self.layers.append(entry)
        self.producer[output] = name
        shape = self.shapes.get(output)
        if shape is not None:
            self.expected[name] = tuple(shape[1:])
        return name

    def single_reader(self, tensor: str):
        """The one node reading a tensor (None when several or none do, or it is a graph output)."""
        readers = self.readers.get(tensor, [])
        if len(readers) != 1 or any(o.name == tensor for o in self.graph.output):
            return None
        return readers[0]

    def spatial_attributes(self, node, a: dict, spatial: int, kernel: list[int]) -> dict[str, Any]:
        """stride, padding and dilation of a window op (auto_pad resolved against the input size)."""
        strides = list(a.get("strides", [1] * spatial))
        dilations = list(a.get("dilations", [1] * spatial))
        auto_pad = a.get("auto_pad", "NOTSET")
        sizes = self.data_shape(node, node.input[0])[2:]
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            pairs = []
            for n, k, s, d in zip(sizes, kernel, strides, dilations):
                total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
                small, large = total // 2, total - total // 2
                pairs.append([small, large] if auto_pad == "SAME_UPPER" else [large, small])
        elif auto_pad == "VALID":
            pairs = [[0, 0]] * spatial
        elif auto_pad == "NOTSET":
            pads = list(a.get("pads", [0] * 2 * spatial))
            if len(pads) != 2 * spatial:
                raise self.error(node, f"pads {pads} must have 2 x {spatial} values")
            pairs = [[pads[i], pads[i + spatial]] for i in range(spatial)]
        else:
            raise self.error(node, f"auto_pad '{auto_pad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        return {"stride": _compact(strides), "padding": _compact_pairs(pairs), "dilation": _compact(dilations)}

    def spec_text(self) -> str:
        """The spec as readable YAML: one layer a line."""
        shape = self.shapes[self.input.name]
        header = {"name": self.name or None, "description": self._description(),
                  "input": {"shape": list(shape[1:]), **({"batch": shape[0]} if shape[0] != 1 else {})}}
        lines = [yaml.safe_dump({k: v for k, v in header.items() if v is not None}, sort_keys=False,
                                default_flow_style=None, width=100, allow_unicode=True).rstrip(), "layers:"]
        for layer in self.layers:
            flow = yaml.safe_dump(layer, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True)
            lines.append(f"  - {flow.strip()}{self._comment(layer['name'])}")
        return "\n".join(lines) + "\n"

    def _comment(self, name: str) -> str:
        """What a layer stands for when it is more than its node (a comment after it)."""
        folded = self.folds.get(f"{name} names")
        if not folded:
            return ""
        ops = " and ".join(f"{op} '{other}'" for op, other in zip(self.folds[name], folded))
        return f"  # affine: the {ops} after it"

    def _description(self) -> str:
        text = f"Imported from {self.path.rsplit('/', 1)[-1]} (ONNX opset {self.opset}) by rfcalc import."
        if self.folds:
            text += (" A BatchNormalization followed by a per-channel Mul and Add (Caffe's BatchNorm + Scale) is "
                     "one batchnorm whose affine weight and bias are those of the Mul and Add (its own scale and B "
                     "folded into them).")
        return text

    # -- the operators -------------------------------------------------------------------------------

    @handles("Conv")
    def _conv(self, node, a):
        weight = self.constant(node, 1, "weight W")
        bias = self.constant(node, 2, "bias B")
        x = self.data_shape(node, node.input[0])
        spatial = len(x) - 2
        kernel = list(a.get("kernel_shape", weight.shape[2:]))
        group = a.get("group", 1)
        layer = {"type": "conv", "in_channels": weight.shape[1] * group, "out_channels": weight.shape[0],
                 "kernel_size": _compact(kernel), **self.spatial_attributes(node, a, spatial, kernel)}
        if group != 1:
            layer["groups"] = group
        if bias is None:
            layer["bias"] = False
        self.emit(node, _drop_defaults(layer), [node.input[0]])

    @handles("ConvTranspose")
    def _conv_transpose(self, node, a):
        weight = self.constant(node, 1, "weight W")
        bias = self.constant(node, 2, "bias B")
        x = self.data_shape(node, node.input[0])
        spatial = len(x) - 2
        kernel = list(a.get("kernel_shape", weight.shape[2:]))
        group = a.get("group", 1)
        strides = list(a.get("strides", [1] * spatial))
        dilations = list(a.get("dilations", [1] * spatial))
        extra = list(a.get("output_padding", [0] * spatial))
        auto_pad = a.get("auto_pad", "NOTSET")
        if "output_shape" in a or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            if "pads" in a and auto_pad == "NOTSET":
                raise self.error(node, "both pads and output_shape are given; ONNX uses only one of them")
            sizes = list(a["output_shape"])[-spatial:] if "output_shape" in a else [n * s for n, s in zip(x[2:], strides)]
            pairs = []
            for axis in range(spatial):
                natural = strides[axis] * (x[2 + axis] - 1) + extra[axis] + (kernel[axis] - 1) * dilations[axis] + 1
                total = natural - sizes[axis]
                small, large = total // 2, total - total // 2
                before, after = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
                if after < 0:  # the output is longer than the kernel reaches: output_padding makes it
                    extra[axis] -= after
                    after = 0
                if before < 0:
                    raise self.error(node, f"output_shape {sizes} needs padding {before} before axis {axis}")
                pairs.append([before, after])
        elif auto_pad == "VALID":
            pairs = [[0, 0]] * spatial
        else:
            pads = list(a.get("pads", [0] * 2 * spatial))
            pairs = [[pads[i], pads[i + spatial]] for i in range(spatial)]
        layer = {"type": "conv_transpose", "in_channels": weight.shape[0], "out_channels": weight.shape[1] * group,
                 "kernel_size": _compact(kernel), "stride": _compact(strides), "padding": _compact_pairs(pairs),
                 "output_padding": _compact(extra), "dilation": _compact(dilations)}
        if group != 1:
            layer["groups"] = group
        if bias is None:
            layer["bias"] = False
        self.emit(node, _drop_defaults(layer), [node.input[0]])

    def _pool(self, node, a, kind: str) -> dict[str, Any]:
        if len(node.output) > 1 and node.output[1] and self.readers.get(node.output[1]):
            raise self.error(node, "its Indices output is read; rfcalc models the pooled values only")
        spatial = len(self.data_shape(node, node.input[0])) - 2
        kernel = list(a["kernel_shape"])
        layer = {"type": kind, "kernel_size": _compact(kernel), **self.spatial_attributes(node, a, spatial, kernel)}
        layer["stride"] = layer.get("stride", 1)  # ONNX's default stride is 1, PyTorch's the kernel size
        if a.get("ceil_mode", 0):
            layer["ceil_mode"] = True
        return _drop_defaults(layer, keep=("stride",))

    @handles("MaxPool")
    def _maxpool(self, node, a):
        self.emit(node, self._pool(node, a, "maxpool"))

    @handles("AveragePool")
    def _avgpool(self, node, a):
        layer = self._pool(node, a, "avgpool")
        if layer.get("padding", 0) != 0:
            layer["count_include_pad"] = bool(a.get("count_include_pad", 0))
        self.emit(node, layer)

    @handles("LpPool")
    def _lppool(self, node, a):
        self.emit(node, {**self._pool(node, a, "lppool"), "norm_type": float(a.get("p", 2))})

    @handles("GlobalAveragePool", "GlobalMaxPool")
    def _global_pool(self, node, a):
        kind = "global_avgpool" if node.op_type == "GlobalAveragePool" else "global_maxpool"
        self.emit(node, {"type": kind, "keepdims": True})

    @handles("BatchNormalization")
    def _batchnorm(self, node, a):
        if len([o for o in node.output if o]) > 1 or a.get("training_mode", 0):
            raise self.error(node, "training mode (running statistics as outputs) is not modelled")
        channels = self.constant(node, 1, "scale").size
        layer = {"type": "batchnorm", "num_features": channels, "eps": _float(a.get("epsilon", 1e-5)),
                 "momentum": round(1 - _float(a.get("momentum", 0.9)), 6)}  # ONNX keeps the old share, PyTorch the new
        self.emit(node, {k: v for k, v in layer.items() if (k, v) not in (("eps", 1e-5), ("momentum", 0.1))},
                  [node.input[0]])

    @handles("InstanceNormalization")
    def _instance_norm(self, node, a):
        channels = self.data_shape(node, node.input[0])[1]
        self.emit(node, {"type": "group_norm", "num_groups": channels, "eps": _float(a.get("epsilon", 1e-5))},
                  [node.input[0]])

    @handles("LayerNormalization")
    def _layer_norm(self, node, a):
        shape = self.data_shape(node, node.input[0])
        axis = a.get("axis", -1) % len(shape)
        if axis == 0:
            raise self.error(node, "normalising over the batch axis (axis 0) is not modelled")
        if self.constant(node, 2, "bias B") is None:
            raise self.error(node, "a LayerNormalization without bias B has no rfcalc layernorm (it has both or neither)")
        self.emit(node, {"type": "layernorm", "normalized_shape": list(shape[axis:]),
                         "eps": _float(a.get("epsilon", 1e-5))}, [node.input[0]])

    @handles("LRN")
    def _lrn(self, node, a):
        self.emit(node, {"type": "lrn", "size": a["size"], "alpha": _float(a.get("alpha", 1e-4)),
                         "beta": _float(a.get("beta", 0.75)), "k": _float(a.get("bias", 1.0))})

    @handles("Gemm")
    def _gemm(self, node, a):
        if a.get("transA", 0):
            raise self.error(node, "transA = 1 (the input transposed) is not modelled")
        weight = self.constant(node, 1, "weight B")
        bias = self.constant(node, 2, "bias C")
        self._linear(node, weight.shape[0] if a.get("transB", 0) else weight.shape[1], bias)

    @handles("MatMul")
    def _matmul(self, node, a):
        weight = self.constant(node, 1, "second operand B")
        if len(weight.shape) != 2:
            raise self.error(node, f"a MatMul by a {len(weight.shape)}-D constant is not modelled (2-D only)")
        self._linear(node, weight.shape[1], None)

    def _linear(self, node, out_features: int, bias: Optional[Constant]) -> None:
        x = self.data_shape(node, node.input[0])
        if len(x) != 2:
            raise self.error(node, f"its input has shape {list(x)}; rfcalc's linear reads [N, features]")
        if bias is not None and bias.size not in (out_features,):
            raise self.error(node, f"bias C of shape {list(bias.shape)} is not one value per output ({out_features})")
        layer = {"type": "linear", "in_features": x[1], "out_features": out_features}
        if bias is None:
            layer["bias"] = False
        self.emit(node, layer, [node.input[0]])

    @handles("Flatten")
    def _flatten(self, node, a):
        shape = self.data_shape(node, node.input[0])
        axis = a.get("axis", 1) % max(len(shape), 1)
        if axis != 1:
            raise self.error(node, f"flattening from axis {axis} is not modelled (axis 1 only: keep the batch)")
        self.emit(node, {"type": "flatten"} if len(shape) > 2 else {"type": "identity"})

    @handles("Reshape")
    def _reshape(self, node, a):
        source = self.data_shape(node, node.input[0])
        target = self.data_shape(node, node.output[0])
        if self._channel_shuffle(node, source, target):
            return
        if target == source:
            self.emit(node, {"type": "identity"}, [node.input[0]])
        elif len(target) == 2 and target[0] == source[0]:
            self.emit(node, {"type": "flatten"}, [node.input[0]])
        else:
            raise self.error(node, f"reshaping {list(source)} to {list(target)} is not modelled (only flattening "
                                   f"to [N, features], or a channel shuffle)")

    def _channel_shuffle(self, node, source, target) -> bool:
        """Reshape [N, C, H, W] -> [N, g, C/g, H, W], Transpose (0, 2, 1, 3, 4), Reshape back: ShuffleNet's shuffle."""
        if len(target) != len(source) + 1 or target[0] != source[0] or target[1] * target[2] != source[1] \
                or target[3:] != source[2:]:
            return False
        transpose = self.single_reader(node.output[0])
        if transpose is None or transpose.op_type != "Transpose":
            return False
        perm = list(_attributes(transpose).get("perm", []))
        if perm != [0, 2, 1, *range(3, len(target))]:
            return False
        back = self.single_reader(transpose.output[0])
        if back is None or back.op_type != "Reshape" or self.shapes.get(back.output[0]) != source:
            return False
        self.done.update(i for i, n in enumerate(self.graph.node) if n is transpose or n is back)
        self.emit(node, {"type": "channel_shuffle", "groups": target[1]}, [node.input[0]], output=back.output[0])
        return True

    @handles("Add", "Sum", "Mul", "Sub", "Div", "Max")
    def _elementwise(self, node, a):
        kinds = {"Add": "add", "Sum": "add", "Mul": "multiply", "Sub": "subtract", "Div": "divide", "Max": "maximum"}
        data = self.data_inputs(node)
        constants = [name for name in node.input if name and name in self.consts]
        if constants:
            if self._fold_into_batchnorm(node, data, constants):
                return
            raise self.error(node, f"an operand ('{constants[0]}') is a constant; rfcalc's {kinds[node.op_type]} "
                                   f"merges tensors computed from the input (a per-channel Mul and Add right "
                                   f"after BatchNormalization become its affine part)")
        shapes = [self.data_shape(node, name) for name in data]
        if len({len(s) for s in shapes}) > 1:
            raise self.error(node, f"operands of different ranks {[list(s) for s in shapes]} are not modelled")
        self.emit(node, {"type": kinds[node.op_type]})

    def _fold_into_batchnorm(self, node, data: list[str], constants: list[str]) -> bool:
        """Mul then Add of per-channel constants right after a BatchNormalization (Caffe's BatchNorm +
        Scale): one batchnorm whose affine weight and bias stand for them."""
        if node.op_type not in ("Mul", "Add") or len(data) != 1 or len(constants) != 1:
            return False
        layer = self.layers[-1] if self.layers else None
        if layer is None or layer["type"] != "batchnorm" or self.producer.get(data[0]) != layer["name"]:
            return False
        folded = self.folds.setdefault(layer["name"], [])
        wanted = "Mul" if not folded else "Add" if folded == ["Mul"] else None
        channels = layer["num_features"]
        shape = self.consts[constants[0]].shape
        per_channel = shape is not None and prod(shape) == channels and (
            len(shape) <= 1 or list(shape).index(channels) == len(shape) - (len(self.data_shape(node, data[0])) - 1))
        if node.op_type != wanted or not per_channel or len(self.readers.get(data[0], [])) != 1:
            return False
        folded.append(node.op_type)
        self.folds.setdefault(f"{layer['name']} names", []).append(node.name or node.output[0])
        self.producer[node.output[0]] = layer["name"]
        return True

    @handles("Concat")
    def _concat(self, node, a):
        rank = len(self.data_shape(node, node.output[0]))
        if a["axis"] % rank != 1:
            raise self.error(node, f"concatenating along axis {a['axis']} is not modelled (axis 1, channels, only)")
        if len(self.data_inputs(node)) != len([n for n in node.input if n]):
            raise self.error(node, "a constant operand of Concat is not modelled")
        self.emit(node, {"type": "concat"})

    @handles("Pad")
    def _pad(self, node, a):
        shape = self.data_shape(node, node.input[0])
        rank = len(shape)
        mode = a.get("mode", "constant")
        if mode != "constant":
            raise self.error(node, f"mode '{mode}' reads mirrored or repeated pixels; rfcalc models constant padding")
        pads = list(a["pads"]) if self.opset < 11 else self.values(node, 1, "pads")
        value = a.get("value", 0.0) if self.opset < 11 else (self.values(node, 2, "constant_value") or [0.0])[0]
        axes = list(range(rank))
        if self.opset >= 18 and len(node.input) > 3 and node.input[3]:
            axes = [axis % rank for axis in self.values(node, 3, "axes")]
        if pads is None or len(pads) != 2 * len(axes):
            raise self.error(node, f"pads {pads} must have 2 x {len(axes)} values")
        pairs = {axis: [pads[i], pads[i + len(axes)]] for i, axis in enumerate(axes)}
        if any(pairs.get(axis, [0, 0]) != [0, 0] for axis in (0, 1)):
            raise self.error(node, f"padding the batch or channel axis ({pads}) is not modelled; rfcalc pads spatial axes")
        spatial = [pairs.get(axis, [0, 0]) for axis in range(2, rank)]
        layer = {"type": "pad", "padding": _compact_pairs(spatial)}
        if value:
            layer["value"] = float(value)
        self.emit(node, layer, [node.input[0]])

    @handles("Resize", "Upsample")
    def _resize(self, node, a):
        shape = self.data_shape(node, node.input[0])
        out = self.data_shape(node, node.output[0])
        mode = a.get("mode", "nearest")
        transform = a.get("coordinate_transformation_mode", "half_pixel" if node.op_type == "Resize" and self.opset >= 11
                          else "asymmetric")
        if out[:2] != shape[:2]:
            raise self.error(node, f"resizing the batch or channel axis ({list(shape)} to {list(out)}) is not modelled")
        if a.get("antialias", 0) or a.get("exclude_outside", 0) or "axes" in a \
                or a.get("keep_aspect_ratio_policy", "stretch") != "stretch":
            raise self.error(node, "antialias, exclude_outside, axes and keep_aspect_ratio_policy are not modelled")
        spatial = len(shape) - 2
        layer: dict[str, Any] = {"type": "upsample"}
        if mode == "nearest":
            nearest = a.get("nearest_mode", "round_prefer_floor") if node.op_type == "Resize" else "floor"
            if (transform, nearest) != ("asymmetric", "floor"):
                raise self.error(node, f"nearest resizing with coordinate_transformation_mode '{transform}' and "
                                       f"nearest_mode '{nearest}' is not modelled (rfcalc's nearest is PyTorch's: "
                                       f"asymmetric, floor)")
        elif mode == "linear":
            layer["mode"] = {1: "linear", 2: "bilinear", 3: "trilinear"}.get(spatial, "linear")
            if transform == "align_corners":
                layer["align_corners"] = True
            elif transform not in ("half_pixel", "pytorch_half_pixel") or \
                    (transform == "pytorch_half_pixel" and min(out[2:]) == 1):
                raise self.error(node, f"linear resizing with coordinate_transformation_mode '{transform}' is not "
                                       f"modelled (half_pixel or align_corners, as PyTorch's align_corners)")
        else:
            raise self.error(node, f"mode '{mode}' is not modelled (nearest or linear)")
        scales = self._resize_scales(node)
        if scales is not None:
            if scales[:2] != [1.0, 1.0]:
                raise self.error(node, f"scales {scales} resize the batch or channel axis")
            layer["scale_factor"] = _compact([_float(s) for s in scales[2:]])
        else:
            layer["size"] = _compact(list(out[2:]))
        self.emit(node, layer, [node.input[0]])

    def _resize_scales(self, node) -> Optional[list[float]]:
        """The scales input (or Upsample's), None when the output sizes are given instead."""
        if node.op_type == "Upsample":
            scales = _attributes(node).get("scales") if self.opset < 9 else self.values(node, 1, "scales")
            return [float(s) for s in scales]
        index = 1 if self.opset == 10 else 2
        scales = self.values(node, index, "scales")
        return None if scales is None else [float(s) for s in scales]

    @handles("Relu", "Sigmoid", "Tanh", "Softsign", "HardSwish", "Gelu", "Elu", "LeakyRelu", "HardSigmoid", "Clip")
    def _activation(self, node, a):
        simple = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish"}
        if node.op_type in simple:
            layer = {"type": simple[node.op_type]}
        elif node.op_type == "Gelu":
            layer = {"type": "gelu", **({"approximate": "tanh"} if a.get("approximate") == "tanh" else {})}
        elif node.op_type == "Elu":
            layer = {"type": "elu", "alpha": _float(a.get("alpha", 1.0))}
        elif node.op_type == "LeakyRelu":
            layer = {"type": "leaky_relu", "negative_slope": _float(a.get("alpha", 0.01))}
        elif node.op_type == "HardSigmoid" and abs(a.get("alpha", 0.2) - 1 / 6) < 1e-6 and a.get("beta", 0.5) == 0.5:
            layer = {"type": "hardsigmoid"}
        elif node.op_type == "Clip":
            low, high = (a.get("min"), a.get("max")) if self.opset < 11 else (
                (self.values(node, 1, "min") or [None])[0], (self.values(node, 2, "max") or [None])[0])
            if low == 0 and high is None:
                layer = {"type": "relu"}
            elif low == 0 and high == 6:
                layer = {"type": "relu6"}
            else:
                raise self.error(node, f"Clip to [{low}, {high}] is not modelled (only [0, 6] as relu6, [0, inf) as relu)")
        else:
            raise self.error(node, f"attributes {a} have no rfcalc counterpart (hardsigmoid is alpha 1/6, beta 0.5)")
        self.emit(node, layer, [node.input[0]])

    @handles("PRelu")
    def _prelu(self, node, a):
        slope = self.constant(node, 1, "slope")
        self.emit(node, {"type": "prelu", "num_parameters": slope.size}, [node.input[0]])

    @handles("Softmax", "LogSoftmax")
    def _softmax(self, node, a):
        shape = self.data_shape(node, node.input[0])
        axis = a.get("axis", 1 if self.opset < 13 else -1) % len(shape)
        if self.opset < 13:  # one softmax over axes axis.. together: one axis when the others have size 1
            longer = [i for i in range(axis, len(shape)) if shape[i] > 1]
            if len(longer) > 1:
                raise self.error(node, f"before opset 13, softmax over axes {axis}.. of shape {list(shape)} is one "
                                       f"softmax over all of them; rfcalc's softmax reads one axis")
            axis = longer[0] if longer else axis
        if axis == 0:
            raise self.error(node, "softmax over the batch axis is not modelled")
        self.emit(node, {"type": "softmax" if node.op_type == "Softmax" else "log_softmax", "dim": axis - 1})

    @handles("Dropout")
    def _dropout(self, node, a):
        if len(node.output) > 1 and node.output[1] and self.readers.get(node.output[1]):
            raise self.error(node, "its mask output is read; rfcalc models dropout at inference")
        ratio = a.get("ratio", 0.5) if self.opset < 12 else (self.values(node, 1, "ratio") or [0.5])[0]
        self.emit(node, {"type": "dropout", "p": _float(ratio)}, [node.input[0]])

    @handles("Identity")
    def _identity(self, node, a):
        self.emit(node, {"type": "identity"})


def _compact(values: list) -> Any:
    """A per-axis list as one value when all are equal (kernel_size: 3, not [3, 3])."""
    values = [int(v) if isinstance(v, (int, np.integer)) else v for v in values]
    return values[0] if len(set(values)) == 1 else values


def _compact_pairs(pairs: list[list[int]]) -> Any:
    """Per-axis [before, after] pads as PyTorch writes them when symmetric (padding: 1), pairs otherwise."""
    if all(before == after for before, after in pairs):
        return _compact([before for before, _ in pairs])
    return [[int(b), int(e)] for b, e in pairs]


_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0}


def _drop_defaults(layer: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The layer without the keys that only restate rfcalc's defaults."""
    return {k: v for k, v in layer.items() if k in keep or _DEFAULTS.get(k, object()) != v}
