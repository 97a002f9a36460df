"""Activation kernels: one per layer model of rfcalc/layers/activation.py, softmax and log-softmax included."""
from __future__ import annotations

import numpy as np

from ...layers import (ELU, GELU, Hardsigmoid, Hardswish, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6, Sigmoid, SiLU,
                       Softmax, Tanh)
from ..counting import OpCounter, erf
from ..geometry import KernelError
from ..registry import SameShapeKernel, Shape, reduce_or, register


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


def sigmoid(x: np.ndarray, ops: OpCounter) -> np.ndarray:
    """1 / (1 + exp(-x)): one exp, one add, one division (negation is free)."""
    with np.errstate(over="ignore"):
        e = np.exp(-x)
    ops.count("exp", x.size)
    e += 1
    ops.count("add", x.size)
    ops.count("div", x.size)
    return np.reciprocal(e, out=e)


def relu6(x: np.ndarray, ops: OpCounter) -> np.ndarray:
    """min(max(x, 0), 6): a clip, two comparisons."""
    ops.count("cmp", 2 * x.size)
    return np.clip(x, 0, 6)


def hardsigmoid(x: np.ndarray, ops: OpCounter) -> np.ndarray:
    """relu6(x + 3) / 6."""
    shifted = x + 3
    ops.count("add", x.size)
    out = relu6(shifted, ops)
    out /= 6
    ops.count("div", x.size)
    return out


def _sigmoid_of(x: np.ndarray) -> np.ndarray:
    """Uncounted sigmoid, for derivatives."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


@register
class ReLUKernel(PointwiseKernel):
    """max(x, 0)."""

    layer_model = ReLU

    def apply(self, x, ops):
        ops.count("cmp", x.size)
        return np.maximum(x, 0)

    def derivative(self, x, y):
        return (x > 0).astype(x.dtype)


@register
class ReLU6Kernel(PointwiseKernel):
    """min(max(x, 0), 6)."""

    layer_model = ReLU6

    def apply(self, x, ops):
        return relu6(x, ops)

    def derivative(self, x, y):
        return ((x > 0) & (x < 6)).astype(x.dtype)


@register
class SigmoidKernel(PointwiseKernel):
    """1 / (1 + exp(-x))."""

    layer_model = Sigmoid

    def apply(self, x, ops):
        return sigmoid(x, ops)

    def derivative(self, x, y):
        return y * (1 - y)


@register
class TanhKernel(PointwiseKernel):
    """tanh(x)."""

    layer_model = Tanh

    def apply(self, x, ops):
        ops.count("exp", x.size)
        return np.tanh(x)

    def derivative(self, x, y):
        return 1 - y * y


@register
class SiLUKernel(PointwiseKernel):
    """x sigmoid(x)."""

    layer_model = SiLU

    def apply(self, x, ops):
        s = sigmoid(x, ops)
        ops.count("mul", x.size)
        return x * s

    def derivative(self, x, y):
        return _sigmoid_of(x) * (1 + x * (1 - _sigmoid_of(x)))


@register
class HardsigmoidKernel(PointwiseKernel):
    """relu6(x + 3) / 6."""

    layer_model = Hardsigmoid

    def apply(self, x, ops):
        return hardsigmoid(x, ops)

    def derivative(self, x, y):
        return ((x > -3) & (x < 3)) / 6.0


@register
class HardswishKernel(PointwiseKernel):
    """x hardsigmoid(x)."""

    layer_model = Hardswish

    def apply(self, x, ops):
        gate = hardsigmoid(x, ops)
        ops.count("mul", x.size)
        return x * gate

    def derivative(self, x, y):
        return np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6))


class SlopeKernel(SameShapeKernel):
    """where(x > 0, x, slope x): one comparison and one multiplication per element."""

    def slope(self, p) -> float | np.ndarray:
        """The slope of the negative side."""
        raise NotImplementedError

    def forward(self, xs, p, ops):
        x = xs[0]
        ops.count("cmp", x.size)
        ops.count("mul", x.size)
        return np.where(x > 0, x, self.slope(p) * x)

    def backward(self, grad, xs, y, p):
        return [grad * np.where(xs[0] > 0, 1.0, self.slope(p))]


@register
class LeakyReLUKernel(SlopeKernel):
    """Leaky ReLU: the layer's fixed negative_slope."""

    layer_model = LeakyReLU

    def slope(self, p):
        return self.layer.negative_slope


@register
class PReLUKernel(SlopeKernel):
    """Leaky ReLU with a learned slope, shared or one per channel (initialised to 0.25 as PyTorch)."""

    layer_model = PReLU

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


@register
class ELUKernel(SameShapeKernel):
    """where(x > 0, x, alpha (exp(x) - 1)): cmp, exp, add, mul per element."""

    layer_model = ELU

    def forward(self, xs, p, ops):
        x = xs[0]
        for kind in ("cmp", "exp", "add", "mul"):
            ops.count(kind, x.size)
        with np.errstate(over="ignore"):
            return np.where(x > 0, x, self.layer.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, grad, xs, y, p):
        x = xs[0]
        return [grad * np.where(x > 0, 1.0, self.layer.alpha * np.exp(np.minimum(x, 0)))]


_TANH_C = float(np.sqrt(2.0 / np.pi))
_RSQRT2 = float(1 / np.sqrt(2.0))


@register
class GELUKernel(SameShapeKernel):
    """x Phi(x): exact, 0.5 x (1 + erf(x / sqrt 2)) (erf counted as one exp-kind op; 3 mul, 1 add), or
    the tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (6 mul, 2 add, 1 exp)."""

    layer_model = GELU

    def forward(self, xs, p, ops):
        x = xs[0]
        n = x.size
        if self.layer.approximate == "tanh":
            inner = x + 0.044715 * (x * x * x)  # x*x*x: 2 mul, times the constant: 1 mul, + x: 1 add
            gate = 1 + np.tanh(_TANH_C * inner)  # 1 mul, 1 exp-kind, 1 add
            ops.count("mul", 4 * n)
            ops.count("add", 2 * n)
            ops.count("exp", n)
        else:
            gate = 1 + erf(x * _RSQRT2)  # 1 mul, 1 exp-kind (erf), 1 add
            ops.count("mul", n)
            ops.count("add", n)
            ops.count("exp", n)
        ops.count("mul", 2 * n)  # 0.5 x, times the gate
        return (0.5 * x) * gate

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

    def exponentials(self, x: np.ndarray, ops: OpCounter) -> tuple[np.ndarray, np.ndarray]:
        """(x - max, the sum of exp(x - max)) along the axis: g exps and g - 1 adds per group of g."""
        n = x.size
        group = x.shape[self.axis]
        groups = n // group
        top = x.max(axis=self.axis, keepdims=True)
        ops.extra("cmp", groups * (group - 1), STABILITY)
        shifted = x - top
        ops.extra("add", n, STABILITY)
        e = np.exp(shifted)
        ops.count("exp", n)
        total = e.sum(axis=self.axis, keepdims=True)
        ops.count("add", groups * (group - 1))
        return shifted, e, total

    def depends(self, mask):
        if self.axis == -1:
            return [mask]
        return [reduce_or(mask, (self.axis - 1,))]

    def pointwise(self) -> bool:
        return self.axis == -1


@register
class SoftmaxKernel(NormalisedExpKernel):
    """exp(x) / sum exp(x) along `dim`: per group of g, g exps, g - 1 adds, g divisions."""

    layer_model = Softmax

    def forward(self, xs, p, ops):
        _, e, total = self.exponentials(xs[0], ops)
        ops.count("div", e.size)
        return e / total

    def backward(self, grad, xs, y, p):
        return [y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))]


@register
class LogSoftmaxKernel(NormalisedExpKernel):
    """x - log(sum exp(x)) along `dim`: per group of g, g + 1 exp-kind ops and 2g - 1 adds."""

    layer_model = LogSoftmax

    def forward(self, xs, p, ops):
        shifted, _, total = self.exponentials(xs[0], ops)
        ops.count("exp", total.size)  # the log
        ops.count("add", shifted.size)
        return shifted - np.log(total)

    def backward(self, grad, xs, y, p):
        return [grad - np.exp(y) * grad.sum(axis=self.axis, keepdims=True)]
