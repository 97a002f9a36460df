"""Element-wise kernels: activations, softmax, batch and layer normalisation, dropout, identity."""
from __future__ import annotations

from math import prod

import numpy as np

from ..counting import OpCounter, erf
from ..geometry import KernelError
from ..registry import Kernel, Shape, register


class _SameShape(Kernel):
    """A kernel whose output has its input's shape and whose units read only their own position."""

    def setup(self) -> Shape:
        self.need_spatial(minimum=0)
        return self.in_shapes[0]

    def need_spatial(self, minimum: int = 1) -> None:
        wanted = self.wanted_dims()
        shape = self.in_shapes[0]
        if wanted is not None and len(shape) - 1 != wanted:
            raise KernelError(f"{self.layer.type} needs {wanted} spatial axes; got shape {list(shape)}")

    def depends(self, mask):
        return [mask]

    def pointwise(self) -> bool:
        return True


def _sigmoid(x: np.ndarray, ops: OpCounter) -> np.ndarray:
    """1 / (1 + exp(-x)): one exp, one add, one division (negation is free)."""
    with np.errstate(over="ignore"):
        e = np.exp(-x)
    ops.count("exp", x.size)
    e += 1
    ops.count("add", x.size)
    ops.count("div", x.size)
    return np.reciprocal(e, out=e)


def _relu6(x: np.ndarray, ops: OpCounter) -> np.ndarray:
    ops.count("cmp", 2 * x.size)
    return np.clip(x, 0, 6)


def _forward_relu(x, ops):
    ops.count("cmp", x.size)
    return np.maximum(x, 0)


def _forward_tanh(x, ops):
    ops.count("exp", x.size)
    return np.tanh(x)


def _forward_silu(x, ops):
    s = _sigmoid(x, ops)
    ops.count("mul", x.size)
    return x * s


def _forward_hardsigmoid(x, ops):
    shifted = x + 3
    ops.count("add", x.size)
    out = _relu6(shifted, ops)
    out /= 6
    ops.count("div", x.size)
    return out


def _forward_hardswish(x, ops):
    gate = _forward_hardsigmoid(x, ops)
    ops.count("mul", x.size)
    return x * gate


def _sig(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


_ACTIVATIONS = {
    "relu": (_forward_relu, lambda x, y: (x > 0).astype(x.dtype)),
    "relu6": (_relu6, lambda x, y: ((x > 0) & (x < 6)).astype(x.dtype)),
    "sigmoid": (_sigmoid, lambda x, y: y * (1 - y)),
    "tanh": (_forward_tanh, lambda x, y: 1 - y * y),
    "silu": (_forward_silu, lambda x, y: _sig(x) * (1 + x * (1 - _sig(x)))),
    "hardswish": (_forward_hardswish, lambda x, y: np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6))),
    "hardsigmoid": (_forward_hardsigmoid, lambda x, y: ((x > -3) & (x < 3)) / 6.0),
}


@register
class ActivationKernel(_SameShape):
    """Parameter-free activations, each counted as its formula is evaluated."""

    types = tuple(_ACTIVATIONS)

    def forward(self, xs, p, ops):
        return _ACTIVATIONS[self.layer.type][0](xs[0], ops)

    def backward(self, grad, xs, y, p):
        return [grad * _ACTIVATIONS[self.layer.type][1](xs[0], y)]


@register
class LeakyReLUKernel(_SameShape):
    """where(x > 0, x, slope x): one comparison and one multiplication per element."""

    types = ("leaky_relu",)

    def forward(self, xs, p, ops):
        x = xs[0]
        ops.count("cmp", x.size)
        ops.count("mul", x.size)
        return np.where(x > 0, x, self.layer.negative_slope * x)

    def backward(self, grad, xs, y, p):
        return [grad * np.where(xs[0] > 0, 1.0, self.layer.negative_slope)]


@register
class ELUKernel(_SameShape):
    """where(x > 0, x, alpha (exp(x) - 1)): cmp, exp, add, mul per element."""

    types = ("elu",)

    def forward(self, xs, p, ops):
        x = xs[0]
        for kind in ("cmp", "exp", "add", "mul"):
            ops.count(kind, x.size)
        with np.errstate(over="ignore"):
            return np.where(x > 0, x, self.layer.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, grad, xs, y, p):
        x = xs[0]
        return [grad * np.where(x > 0, 1.0, self.layer.alpha * np.exp(np.minimum(x, 0)))]


@register
class PReLUKernel(_SameShape):
    """Leaky ReLU with a learned slope, shared or one per channel (initialised to 0.25 as PyTorch)."""

    types = ("prelu",)

    def setup(self) -> Shape:
        shape = super().setup()
        if self.layer.num_parameters not in (1, shape[0]):
            raise KernelError(f"num_parameters {self.layer.num_parameters} must be 1 or the channels {shape[0]}")
        return shape

    def param_shapes(self):
        return {"weight": (self.layer.num_parameters,)}

    def init_array(self, name, shape, rng):
        return 0.25 + rng.normal(0, 0.05, shape)

    def forward(self, xs, p, ops):
        x = xs[0]
        ops.count("cmp", x.size)
        ops.count("mul", x.size)
        return np.where(x > 0, x, p["weight"] * x)

    def backward(self, grad, xs, y, p):
        return [grad * np.where(xs[0] > 0, 1.0, p["weight"])]


_TANH_C = float(np.sqrt(2.0 / np.pi))
_RSQRT2 = float(1 / np.sqrt(2.0))


@register
class GELUKernel(_SameShape):
    """x Phi(x): exact, 0.5 x (1 + erf(x / sqrt 2)) (erf counted as one exp-kind op; 3 mul, 1 add), or
    the tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (6 mul, 2 add, 1 exp)."""

    types = ("gelu",)

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


def reduce_or(mask: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """A mask OR-reduced along spatial axes and broadcast back: those axes are read whole."""
    if not axes:
        return mask
    reduced = np.bitwise_or.reduce(mask, axis=axes, keepdims=True)
    return np.broadcast_to(reduced, mask.shape)


@register
class SoftmaxKernel(_SameShape):
    """Softmax or log-softmax along `dim`, computed stably: the max subtracted first is overhead
    (softmax is shift-invariant); per group of g: g exps, g - 1 adds, g divisions (log_softmax:
    g + 1 exp-kind, 2g - 1 adds)."""

    types = ("softmax", "log_softmax")

    def setup(self) -> Shape:
        shape = super().setup()
        self.axis = internal_axis(self.layer.dim, shape)
        return shape

    def forward(self, xs, p, ops):
        x = xs[0]
        n = x.size
        group = x.shape[self.axis]
        groups = n // group
        reason = "max subtracted before exp for numerical stability (softmax is shift-invariant)"
        top = x.max(axis=self.axis, keepdims=True)
        ops.extra("cmp", groups * (group - 1), reason)
        shifted = x - top
        ops.extra("add", n, reason)
        e = np.exp(shifted)
        ops.count("exp", n)
        total = e.sum(axis=self.axis, keepdims=True)
        ops.count("add", groups * (group - 1))
        if self.layer.type == "softmax":
            ops.count("div", n)
            return e / total
        ops.count("exp", groups)  # the log
        ops.count("add", n)
        return shifted - np.log(total)

    def backward(self, grad, xs, y, p):
        if self.layer.type == "softmax":
            return [y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))]
        return [grad - np.exp(y) * grad.sum(axis=self.axis, keepdims=True)]

    def depends(self, mask):
        if self.axis == -1:
            return [mask]
        return [reduce_or(mask, (self.axis - 1,))]

    def pointwise(self) -> bool:
        return self.axis == -1


@register
class BatchNormKernel(_SameShape):
    """Batch norm in inference form: running statistics folded once into y = x a + b (1 mul, 1 add per
    element). Without running statistics (track_running_stats false) PyTorch normalises with the batch's
    own statistics even in eval mode, and so does this kernel, counting that work."""

    types = ("batchnorm", "batchnorm1d", "batchnorm2d", "batchnorm3d")

    def setup(self) -> Shape:
        shape = super().setup()
        wanted = self.layer.num_features
        if wanted is not None and wanted != shape[0]:
            raise KernelError(f"num_features {wanted} but the input has {shape[0]} channels")
        return shape

    def param_shapes(self):
        c = self.in_shapes[0][0]
        return {"weight": (c,), "bias": (c,)} if self.layer.affine else {}

    def buffer_shapes(self):
        c = self.in_shapes[0][0]
        return {"running_mean": (c,), "running_var": (c,)} if self.layer.track_running_stats else {}

    def init_array(self, name, shape, rng):
        if name in ("weight", "running_var"):
            return rng.uniform(0.5, 1.5, shape)
        return rng.normal(0.0, 0.1, shape)

    def prepare(self, params, buffers):
        if not self.layer.track_running_stats:
            return dict(params)
        gamma = params.get("weight", 1.0)
        beta = params.get("bias", 0.0)
        scale = gamma / np.sqrt(buffers["running_var"] + self.layer.eps)
        shift = beta - buffers["running_mean"] * scale
        return {**params, **buffers, "scale": scale.astype(buffers["running_var"].dtype),
                "shift": np.asarray(shift, dtype=buffers["running_var"].dtype)}

    def forward(self, xs, p, ops):
        x = xs[0]
        if "scale" in p:
            ops.count("mul", x.size)
            ops.count("add", x.size)
            out = np.multiply(x, p["scale"])
            out += p["shift"]
            return out
        axes = tuple(range(x.ndim - 1))
        per_channel = x.size // x.shape[-1]
        channels = x.shape[-1]
        mean = x.sum(axis=axes) / per_channel
        centred = x - mean
        var = (centred * centred).sum(axis=axes) / per_channel
        scale = 1 / np.sqrt(var + self.layer.eps)
        ops.count("add", 2 * channels * (per_channel - 1) + x.size + channels)
        ops.count("mul", x.size)
        ops.count("div", 3 * channels)
        ops.count("exp", channels)
        if "weight" in p:
            scale = scale * p["weight"]
            ops.count("mul", channels)
        out = centred * scale
        ops.count("mul", x.size)
        if "bias" in p:
            out += p["bias"]
            ops.count("add", x.size)
        return out

    def backward(self, grad, xs, y, p):
        # Running statistics: the affine map's gradient. Batch statistics: treated as constants.
        if "scale" in p:
            return [grad * p["scale"]]
        x = xs[0]
        axes = tuple(range(x.ndim - 1))
        scale = 1 / np.sqrt(x.var(axis=axes) + self.layer.eps) * p.get("weight", 1.0)
        return [grad * scale]


@register
class LayerNormKernel(Kernel):
    """Layer norm over the trailing normalized_shape of the channels-first shape. Per group of g:
    mean (g - 1 adds, 1 div), centring (g adds), variance (g muls, g - 1 adds, 1 div), + eps (1 add),
    square root (1 exp-kind), g divisions; the affine part g muls and g adds."""

    types = ("layernorm",)

    def setup(self) -> Shape:
        shape = self.in_shapes[0]
        norm = tuple(self.layer.normalized_shape or shape)
        if len(norm) > len(shape) or tuple(shape[len(shape) - len(norm):]) != norm:
            raise KernelError(f"normalized_shape {list(norm)} is not the trailing part of {list(shape)}")
        self.norm = norm
        self.first = len(shape) - len(norm)  # first normalised dimension (channels-first, batch excluded)
        return shape

    def param_shapes(self):
        return {"weight": self.norm, "bias": self.norm} if self.layer.elementwise_affine else {}

    def init_array(self, name, shape, rng):
        return rng.uniform(0.5, 1.5, shape) if name == "weight" else rng.normal(0.0, 0.1, shape)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(1 + self.first, ndim))

    def forward(self, xs, p, ops):
        x = np.moveaxis(xs[0], -1, 1)  # channels-first view
        axes = self._axes(x.ndim)
        g = prod(self.norm)
        groups = x.size // g
        mean = x.sum(axis=axes, keepdims=True) / g
        centred = x - mean
        var = (centred * centred).sum(axis=axes, keepdims=True) / g
        std = np.sqrt(var + self.layer.eps)
        out = centred / std
        ops.count("add", groups * (g - 1) + x.size + groups * (g - 1) + groups)
        ops.count("mul", x.size)
        ops.count("div", 2 * groups + x.size)
        ops.count("exp", groups)
        if "weight" in p:
            out = out * p["weight"] + p["bias"]
            ops.count("mul", x.size)
            ops.count("add", x.size)
        return np.ascontiguousarray(np.moveaxis(out, 1, -1))

    def backward(self, grad, xs, y, p):
        x = np.moveaxis(xs[0], -1, 1)
        gy = np.moveaxis(grad, -1, 1)
        axes = self._axes(x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        std = np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + self.layer.eps)
        xhat = (x - mean) / std
        if "weight" in p:
            gy = gy * p["weight"]
        gx = (gy - gy.mean(axis=axes, keepdims=True) - xhat * (gy * xhat).mean(axis=axes, keepdims=True)) / std
        return [np.ascontiguousarray(np.moveaxis(gx, 1, -1))]

    def _spatial_axes(self) -> tuple[int, ...]:
        """Spatial axes (0-based) inside normalized_shape: read whole."""
        return tuple(axis for axis in range(len(self.in_shapes[0]) - 1) if 1 + axis >= self.first)

    def depends(self, mask):
        return [reduce_or(mask, self._spatial_axes())]

    def pointwise(self) -> bool:
        return not self._spatial_axes()


@register
class DropoutKernel(_SameShape):
    """Dropout at inference: the identity, no operations."""

    types = ("dropout", "dropout1d", "dropout2d", "dropout3d")

    def setup(self) -> Shape:
        if not 0 <= self.layer.p < 1:
            raise KernelError(f"p must be in [0, 1); got {self.layer.p}")
        return self.in_shapes[0]

    def forward(self, xs, p, ops):
        return xs[0]

    def backward(self, grad, xs, y, p):
        return [grad]


@register
class IdentityKernel(_SameShape):
    """The identity."""

    types = ("identity",)

    def forward(self, xs, p, ops):
        return xs[0]

    def backward(self, grad, xs, y, p):
        return [grad]
