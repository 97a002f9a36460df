"""Normalisation and regularisation kernels: batch norm, layer norm, group norm, dropout (rfcalc/layers/norm.py)."""
from __future__ import annotations

import numpy as np

from ...layers import BatchNorm, Dropout, GroupNorm, LayerNorm
from ..counting import CountedOps
from ..geometry import KernelError
from ..registry import Kernel, SameShapeKernel, Shape, add_bias, reduce_or


def centred_and_variance(x: np.ndarray, axes: tuple[int, ...], ops: CountedOps) -> tuple[np.ndarray, np.ndarray]:
    """x minus its mean along axes, and its (biased) variance there, with 1-sized axes kept."""
    centred = ops.sub(x, ops.mean(x, axes, keepdims=True))
    return centred, ops.mean(ops.mul(centred, centred), axes, keepdims=True)


def normalised_gradient(x: np.ndarray, gy: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    """Gradient through (x - mean) / sqrt(var + eps) over `axes`, given the gradient gy of its output."""
    mean = x.mean(axis=axes, keepdims=True)
    std = np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    xhat = (x - mean) / std
    return (gy - gy.mean(axis=axes, keepdims=True) - xhat * (gy * xhat).mean(axis=axes, keepdims=True)) / std


def affine_init(name: str, shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """A normalisation's affine parameters: weights around 1, biases around 0."""
    return rng.uniform(0.5, 1.5, shape) if name == "weight" else rng.normal(0.0, 0.1, shape)


class BatchNormKernel(SameShapeKernel, model=BatchNorm):
    """Batch norm in inference form: running statistics folded once into y = x a + b (1 mul, 1 add per
    element). Without running statistics (track_running_stats false) PyTorch normalises with the batch's
    own statistics even in eval mode, and so does this kernel, counting that work."""

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
            return add_bias(ops.mul(x, p["scale"]), p["shift"], ops)
        centred, var = centred_and_variance(x, tuple(range(x.ndim - 1)), ops)
        scale = ops.div(1, ops.sqrt(ops.add(var, self.layer.eps)))
        if "weight" in p:
            scale = ops.mul(scale, p["weight"])
        return add_bias(ops.mul(centred, scale), p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        # Running statistics: the affine map's gradient. Batch statistics: treated as constants.
        if "scale" in p:
            return [grad * p["scale"]]
        x = xs[0]
        axes = tuple(range(x.ndim - 1))
        scale = 1 / np.sqrt(x.var(axis=axes) + self.layer.eps) * p.get("weight", 1.0)
        return [grad * scale]


class LayerNormKernel(Kernel, model=LayerNorm):
    """Layer norm over the trailing normalized_shape of the channels-first shape. Per group of g:
    mean (g - 1 adds, 1 div), centring (g adds), variance (g muls, g - 1 adds, 1 div), + eps (1 add),
    square root (1 exp-kind), g divisions; the affine part g muls and g adds."""

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
        return affine_init(name, shape, rng)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(1 + self.first, ndim))

    def forward(self, xs, p, ops):
        x = np.moveaxis(xs[0], -1, 1)  # channels-first view
        centred, var = centred_and_variance(x, self._axes(x.ndim), ops)
        out = ops.div(centred, ops.sqrt(ops.add(var, self.layer.eps)))
        if "weight" in p:
            out = add_bias(ops.mul(out, p["weight"]), p["bias"], ops)
        return np.ascontiguousarray(np.moveaxis(out, 1, -1))

    def backward(self, grad, xs, y, p):
        x = np.moveaxis(xs[0], -1, 1)
        gy = np.moveaxis(grad, -1, 1)
        if "weight" in p:
            gy = gy * p["weight"]
        gx = normalised_gradient(x, gy, self._axes(x.ndim), self.layer.eps)
        return [np.ascontiguousarray(np.moveaxis(gx, 1, -1))]

    def _spatial_axes(self) -> tuple[int, ...]:
        """Spatial axes (0-based) inside normalized_shape: read whole."""
        return tuple(axis for axis in range(len(self.in_shapes[0]) - 1) if 1 + axis >= self.first)

    def depends(self, mask):
        return [reduce_or(mask, self._spatial_axes())]

    def pointwise(self) -> bool:
        return not self._spatial_axes()


class GroupNormKernel(Kernel, model=GroupNorm):
    """Group norm: the channels in num_groups groups, each normalised over its channels and every
    position of a sample, then a per-channel affine map. Counted as executed: per group of g, the mean
    (g - 1 adds, 1 div), centring (g adds), variance (g muls, g - 1 adds, 1 div), + eps, square root,
    g divisions; the affine part g muls and g adds."""

    def setup(self) -> Shape:
        shape = self.in_shapes[0]
        channels, wanted = shape[0], self.layer.num_channels
        if wanted is not None and wanted != channels:
            raise KernelError(f"num_channels {wanted} but the input has {channels} channels")
        if channels % self.layer.num_groups:
            raise KernelError(f"num_groups {self.layer.num_groups} does not divide the {channels} channels")
        return shape

    def param_shapes(self):
        channels = self.in_shapes[0][0]
        return {"weight": (channels,), "bias": (channels,)} if self.layer.affine else {}

    def init_array(self, name, shape, rng):
        return affine_init(name, shape, rng)

    def _grouped(self, x: np.ndarray) -> np.ndarray:
        """A channels-last array (batch, *spatial, C) viewed as (batch, *spatial, groups, C / groups)."""
        return x.reshape(*x.shape[:-1], self.layer.num_groups, -1)

    @staticmethod
    def _axes(ndim: int) -> tuple[int, ...]:
        """The axes of a grouped view that one group spans: every spatial axis and its channels."""
        return (*range(1, ndim - 2), ndim - 1)

    def forward(self, xs, p, ops):
        grouped = self._grouped(xs[0])
        centred, var = centred_and_variance(grouped, self._axes(grouped.ndim), ops)
        out = ops.div(centred, ops.sqrt(ops.add(var, self.layer.eps))).reshape(xs[0].shape)
        if "weight" in p:
            out = add_bias(ops.mul(out, p["weight"]), p["bias"], ops)
        return out

    def backward(self, grad, xs, y, p):
        gy = grad * p["weight"] if "weight" in p else grad
        grouped = self._grouped(xs[0])
        gx = normalised_gradient(grouped, self._grouped(gy), self._axes(grouped.ndim), self.layer.eps)
        return [gx.reshape(xs[0].shape)]

    def depends(self, mask):
        return [reduce_or(mask, tuple(range(len(self.spatial_in))))]

    def pointwise(self) -> bool:
        return not self.spatial_in


class DropoutKernel(SameShapeKernel, model=Dropout):
    """Dropout at inference: the identity, no operations."""

    def setup(self) -> Shape:
        if not 0 <= self.layer.p < 1:
            raise KernelError(f"p must be in [0, 1); got {self.layer.p}")
        return self.in_shapes[0]

    def forward(self, xs, p, ops):
        return xs[0]

    def backward(self, grad, xs, y, p):
        return [grad]
