"""Activation kernels: one per layer model of rfcalc/layers/activation.py, softmax and log-softmax included."""
from __future__ import annotations

import numpy as np

from ...layers import (ELU, GELU, Hardsigmoid, Hardswish, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6, Sigmoid, SiLU,
                       Softmax, Tanh)
from ..counting import CountedOps, OpCounter, erf
from ..geometry import KernelError
from ..registry import SameShapeKernel, Shape, reduce_or


class PointwiseKernel(SameShapeKernel):
    """A parameter-free activation: `apply` computes it, `derivative` is its slope at x (output y)."""

    def apply(self, x: np.ndarray, ops: OpCounter) -> np.ndarray:
        """The activation of x, counted as evaluated."""
        raise NotImplementedError

    def derivative(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """d activation / dx at x, given the output y."""
        raise NotImplementedError

    def forward(self, xs, p, ops):
        return self.apply(xs[0], ops)

    def backward(self, grad, xs, y, p):
        return [grad * self.derivative(xs[0], y)]


def sigmoid(x: np.ndarray, ops: CountedOps) -> np.ndarray:
    """1 / (1 + exp(-x)): one exp, one add, one division (negation is free)."""
    with np.errstate(over="ignore"):
        e = ops.exp(-x)
    ops.add(e, 1, out=e)
    return ops.div(1, e, out=e)


def hardsigmoid(x: np.ndarray, ops: CountedOps) -> np.ndarray:
    """relu6(x + 3) / 6."""
    out = ops.clip(ops.add(x, 3), 0, 6)
    return ops.div(out, 6, out=out)


def _sigmoid_of(x: np.ndarray) -> np.ndarray:
    """Uncounted sigmoid, for derivatives."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


class ReLUKernel(PointwiseKernel, model=ReLU):
    """max(x, 0)."""

    def apply(self, x, ops):
        return ops.maximum(x, 0)

    def derivative(self, x, y):
        return (x > 0).astype(x.dtype)


class ReLU6Kernel(PointwiseKernel, model=ReLU6):
    """min(max(x, 0), 6)."""

    def apply(self, x, ops):
        return ops.clip(x, 0, 6)

    def derivative(self, x, y):
        return ((x > 0) & (x < 6)).astype(x.dtype)


class SigmoidKernel(PointwiseKernel, model=Sigmoid):
    """1 / (1 + exp(-x))."""

    def apply(self, x, ops):
        return sigmoid(x, ops)

    def derivative(self, x, y):
        return y * (1 - y)


class TanhKernel(PointwiseKernel, model=Tanh):
    """tanh(x)."""

    def apply(self, x, ops):
        return ops.tanh(x)

    def derivative(self, x, y):
        return 1 - y * y


class SiLUKernel(PointwiseKernel, model=SiLU):
    """x sigmoid(x)."""

    def apply(self, x, ops):
        return ops.mul(x, sigmoid(x, ops))

    def derivative(self, x, y):
        return _sigmoid_of(x) * (1 + x * (1 - _sigmoid_of(x)))


class HardsigmoidKernel(PointwiseKernel, model=Hardsigmoid):
    """relu6(x + 3) / 6."""

    def apply(self, x, ops):
        return hardsigmoid(x, ops)

    def derivative(self, x, y):
        return ((x > -3) & (x < 3)) / 6.0


class HardswishKernel(PointwiseKernel, model=Hardswish):
    """x hardsigmoid(x)."""

    def apply(self, x, ops):
        return ops.mul(x, hardsigmoid(x, ops))

    def derivative(self, x, y):
        return np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6))


class SlopeKernel(SameShapeKernel):
    """where(x > 0, x, slope x): one comparison and one multiplication per element."""

    def slope(self, p) -> float | np.ndarray:
        """The slope of the negative side."""
        raise NotImplementedError

    def forward(self, xs, p, ops):
        x = xs[0]
        return ops.where(ops.greater(x, 0), x, ops.mul(self.slope(p), x))

    def backward(self, grad, xs, y, p):
        return [grad * np.where(xs[0] > 0, 1.0, self.slope(p))]


class LeakyReLUKernel(SlopeKernel, model=LeakyReLU):
    """Leaky ReLU: the layer's fixed negative_slope."""

    def slope(self, p):
        return self.layer.negative_slope


class PReLUKernel(SlopeKernel, model=PReLU):
    """Leaky ReLU with a learned slope, shared or one per channel (initialised to 0.25 as PyTorch)."""

    def setup(self) -> Shape:
        shape = super().setup()
        if self.layer.num_parameters not in (1, shape[0]):
            raise KernelError(f"num_parameters {self.layer.num_parameters} must be 1 or the channels {shape[0]}")
        return shape

    def param_shapes(self):
        return {"weight": (self.layer.num_parameters,)}

    def init_array(self, name, shape, rng):
        return 0.25 + rng.normal(0, 0.05, shape)

    def slope(self, p):
        return p["weight"]


class ELUKernel(SameShapeKernel, model=ELU):
    """where(x > 0, x, alpha (exp(x) - 1)): cmp, exp, add, mul per element (exp may overflow where
    x > 0; the select drops those values)."""

    def forward(self, xs, p, ops):
        x = xs[0]
        positive = ops.greater(x, 0)
        with np.errstate(over="ignore", invalid="ignore"):
            e = ops.exp(x)
            ops.sub(e, 1, out=e)
            ops.mul(self.layer.alpha, e, out=e)
        return ops.where(positive, x, e)

    def backward(self, grad, xs, y, p):
        x = xs[0]
        return [grad * np.where(x > 0, 1.0, self.layer.alpha * np.exp(np.minimum(x, 0)))]


_TANH_C = float(np.sqrt(2.0 / np.pi))
_RSQRT2 = float(1 / np.sqrt(2.0))


class GELUKernel(SameShapeKernel, model=GELU):
    """x Phi(x): exact, 0.5 x (1 + erf(x / sqrt 2)) (1 erf, 3 mul, 1 add per element), or the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (1 tanh, 6 mul, 2 add: x^3 is two multiplications)."""

    def forward(self, xs, p, ops):
        x = xs[0]
        if self.layer.approximate == "tanh":
            gate = ops.mul(ops.mul(x, x), x)  # x^3: two multiplications; then, in place:
            ops.mul(0.044715, gate, out=gate)
            ops.add(x, gate, out=gate)
            ops.mul(_TANH_C, gate, out=gate)
            ops.tanh(gate, out=gate)
        else:
            gate = ops.erf(ops.mul(x, _RSQRT2))
        ops.add(1, gate, out=gate)
        return ops.mul(ops.mul(0.5, x), gate, out=gate)

    def backward(self, grad, xs, y, p):
        x = xs[0].astype(np.float64)
        if self.layer.approximate == "tanh":
            inner = _TANH_C * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_C * (1 + 3 * 0.044715 * x * x)
        else:
            d = 0.5 * (1 + erf(x / np.sqrt(2))) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
        return [(grad * d).astype(grad.dtype)]


def internal_axis(dim: int, shape: Shape) -> int:
    """Axis of a channels-last array (batch first) holding dimension `dim` of the channels-first shape."""
    if not -len(shape) <= dim < len(shape):
        raise KernelError(f"dim {dim} is out of range for shape {list(shape)}")
    dim %= len(shape)
    return -1 if dim == 0 else dim


STABILITY = "max subtracted before exp for numerical stability (softmax is shift-invariant)"


class NormalisedExpKernel(SameShapeKernel):
    """Shared by softmax and log-softmax: exponentials of x along `dim`, shifted by their max first
    (overhead: softmax is shift-invariant)."""

    def setup(self) -> Shape:
        shape = super().setup()
        self.axis = internal_axis(self.layer.dim, shape)
        return shape

    def exponentials(self, x: np.ndarray, ops: OpCounter) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x - max, exp(x - max), its sum) along the axis; the max and its subtraction are overhead."""
        stable = ops.extra_ops(STABILITY)
        shifted = stable.sub(x, stable.max(x, axis=self.axis, keepdims=True))
        e = ops.exp(shifted)
        return shifted, e, ops.sum(e, axis=self.axis, keepdims=True)

    def depends(self, mask):
        if self.axis == -1:
            return [mask]
        return [reduce_or(mask, (self.axis - 1,))]

    def pointwise(self) -> bool:
        return self.axis == -1


class SoftmaxKernel(NormalisedExpKernel, model=Softmax):
    """exp(x) / sum exp(x) along `dim`: per group of g, g exps, g - 1 adds, g divisions."""

    def forward(self, xs, p, ops):
        _, e, total = self.exponentials(xs[0], ops)
        return ops.div(e, total)

    def backward(self, grad, xs, y, p):
        return [y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))]


class LogSoftmaxKernel(NormalisedExpKernel, model=LogSoftmax):
    """x - log(sum exp(x)) along `dim`: per group of g, g + 1 exp-kind ops and 2g - 1 adds."""

    def forward(self, xs, p, ops):
        shifted, _, total = self.exponentials(xs[0], ops)
        return ops.sub(shifted, ops.log(total))

    def backward(self, grad, xs, y, p):
        return [grad - np.exp(y) * grad.sum(axis=self.axis, keepdims=True)]
