"""The backend's kernel registry: one Kernel class per layer model class (rfcalc.layers).

A kernel names the layer model it runs in its class statement, `class ReLUKernel(PointwiseKernel,
model=ReLU)`, which sets its `layer_model` and files it in `KERNELS` (model class -> kernel class);
`bind` looks a layer's own class up, so a kernel's type names are its model's and no kernel
dispatches on type-name strings.

A kernel is bound to one layer and its input shapes (channels first, batch excluded, as in the
spec). It works its own geometry out when bound, allocates its own parameters, and runs on
channels-last arrays with a batch axis: (batch, *spatial, channels), or (batch, features) when flat.
It never calls the layer model's facts(): the backend must be able to disagree with the analyzer.

Every kernel implements:
- `forward(xs, params, ops)`: the layer's output, computed through the counted operations of `ops`
  (counting.py) so that what it counts is what it executed;
- `backward(grad, xs, y, params)`: gradients with respect to its inputs (for the effective RF);
- `depends(mask)`: receptive-field propagation on bit-packed masks, shaped (*spatial, words) or
  (words,) when flat: bit q of mask[p] says "query q depends on position p"; returns the masks of
  the inputs, so that a unit's dependency set is the exact set of input positions that can change
  it (nonlinearities active, max pooling as its whole window, zero-weight taps excluded).
"""
from __future__ import annotations

from math import prod
from typing import Any, ClassVar, Optional

import numpy as np

from ..layers import LayerModel
from .counting import CountedOps, OpCounter
from .geometry import KernelError

Shape = tuple[int, ...]
Params = dict[str, np.ndarray]

KERNELS: dict[type[LayerModel], type["Kernel"]] = {}


def kernel_class(model: type[LayerModel]) -> type["Kernel"]:
    """The kernel class of a layer model class."""
    try:
        return KERNELS[model]
    except KeyError:
        names = ", ".join(model.type_names())
        raise KernelError(f"the numpy backend has no kernel for {model.__name__} (layer types {names})") from None


def bind(layer: LayerModel, in_shapes: list[Shape]) -> "Kernel":
    """A kernel bound to one layer and its input shapes."""
    return kernel_class(type(layer))(layer, [tuple(s) for s in in_shapes])


class Kernel:
    """Base of every kernel: bound to a layer and its input shapes; computes its output shape."""

    layer_model: ClassVar[type[LayerModel]]  # the layer model class this kernel runs

    def __init_subclass__(cls, model: Optional[type[LayerModel]] = None, **kwargs: Any):
        """A subclass given `model=` runs that layer model: it is filed in KERNELS under it, once."""
        super().__init_subclass__(**kwargs)
        if model is None:
            return  # a shared base, not a kernel of its own
        if model in KERNELS:
            raise RuntimeError(f"two kernels for {model.__name__}: {KERNELS[model].__name__} and {cls.__name__}")
        cls.layer_model = model
        KERNELS[model] = cls

    def __init__(self, layer: Any, in_shapes: list[Shape]):
        self.layer = layer
        self.in_shapes = in_shapes
        self.out_shape: Shape = self.setup()

    @classmethod
    def type_names(cls) -> tuple[str, ...]:
        """The `type:` values this kernel runs: its layer model's."""
        return cls.layer_model.type_names()

    # -- shapes and parameters ---------------------------------------------------------------
    def setup(self) -> Shape:
        """Check the inputs, work out the geometry, return the output shape (channels first)."""
        raise NotImplementedError

    def param_shapes(self) -> dict[str, Shape]:
        """Learnable arrays this kernel allocates, with their shapes."""
        return {}

    def buffer_shapes(self) -> dict[str, Shape]:
        """Non-learnable state (batch-norm running statistics)."""
        return {}

    def init_params(self, rng: np.random.Generator, dtype: np.dtype) -> tuple[Params, Params]:
        """Random parameters and buffers (He-style scale by fan-in for weights)."""
        params = {name: self.init_array(name, shape, rng).astype(dtype, copy=False)
                  for name, shape in self.param_shapes().items()}
        buffers = {name: self.init_array(name, shape, rng).astype(dtype, copy=False)
                   for name, shape in self.buffer_shapes().items()}
        return params, buffers

    def init_array(self, name: str, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        """One random parameter array; weights scaled by sqrt(2 / fan_in)."""
        if name == "bias":
            return normal(rng, shape, 0.1)
        return normal(rng, shape, np.sqrt(2.0 / max(self.fan_in(), 1)))

    def fan_in(self) -> int:
        """Inputs feeding one output (for weight scaling)."""
        return 1

    def prepare(self, params: Params, buffers: Params) -> Params:
        """Arrays the forward pass uses, derived once from parameters and buffers (not counted)."""
        return {**params, **buffers}

    # -- computation ---------------------------------------------------------------------------
    def forward(self, xs: list[np.ndarray], p: Params, ops: OpCounter) -> np.ndarray:
        """The layer's output for channels-last inputs with a batch axis."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray, xs: list[np.ndarray], y: np.ndarray, p: Params) -> list[np.ndarray]:
        """Gradients of a scalar with respect to each input, given its gradient `grad` w.r.t. the output."""
        raise NotImplementedError(f"no backward pass for {self.layer.type}")

    def depends(self, mask: np.ndarray) -> list[np.ndarray]:
        """Masks of the inputs that the output mask depends on (see module docstring)."""
        raise NotImplementedError

    def pointwise(self) -> bool:
        """True when `depends` is the identity: each unit sees exactly what its input's unit sees."""
        return False

    # -- helpers -------------------------------------------------------------------------------
    @property
    def spatial_in(self) -> Shape:
        """Spatial sizes of the first input."""
        return self.in_shapes[0][1:]

    def wanted_dims(self) -> int | None:
        """Spatial dimensionality its type name demands (conv2d -> 2), or None."""
        # The backend's own copy of the analyzer's rule (LayerModel.spatial_dims), on purpose: it reads
        # the trailing "Nd" of the type name to check the input's rank, and never dispatches on it.
        name = self.layer.type
        if len(name) > 2 and name[-1] == "d" and name[-2] in "123":
            return int(name[-2])
        return None

    def need_spatial(self, minimum: int = 1) -> None:
        """Reject flat inputs and inputs whose spatial rank does not match the type name."""
        shape = self.in_shapes[0]
        wanted = self.wanted_dims()
        if len(shape) - 1 < minimum:
            raise KernelError(f"{self.layer.type} needs an input with spatial axes; got shape {list(shape)}")
        if wanted is not None and len(shape) - 1 != wanted:
            raise KernelError(f"{self.layer.type} needs {wanted} spatial axes; got shape {list(shape)}")


class SameShapeKernel(Kernel):
    """A kernel whose output has its input's shape and whose units read only their own position."""

    def setup(self) -> Shape:
        self.need_spatial(minimum=0)
        return self.in_shapes[0]

    def depends(self, mask):
        return [mask]

    def pointwise(self) -> bool:
        return True


def add_bias(y: np.ndarray, bias: Optional[np.ndarray], ops: CountedOps) -> np.ndarray:
    """y + bias in place, one add per element of y (nothing without a bias)."""
    if bias is not None:
        ops.add(y, bias, out=y)
    return y


def normal(rng: np.random.Generator, shape: Shape, scale: float) -> np.ndarray:
    """Zero-mean normal values (drawn in float32: fast for the large weight arrays)."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)


def elements(shape: Shape) -> int:
    """Number of elements of a shape."""
    return prod(shape)


def whole(mask: np.ndarray, in_spatial: Shape) -> np.ndarray:
    """Every input position depends on every query that touches any output position."""
    reduced = mask.reshape(-1, mask.shape[-1])
    any_bits = np.bitwise_or.reduce(reduced, axis=0)
    return np.broadcast_to(any_bits, (*in_spatial, mask.shape[-1]))


def reduce_or(mask: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """A mask OR-reduced along spatial axes and broadcast back: those axes are read whole."""
    if not axes:
        return mask
    reduced = np.bitwise_or.reduce(mask, axis=axes, keepdims=True)
    return np.broadcast_to(reduced, mask.shape)
