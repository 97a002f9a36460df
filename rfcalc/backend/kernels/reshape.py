"""Kernels that move or resample data: flatten, linear, pad, upsample, identity (rfcalc/layers/reshape.py)."""
from __future__ import annotations

import itertools
from fractions import Fraction
from math import floor, prod

import numpy as np

from ...layers import Flatten, Identity, Linear, Pad, Upsample
from ..geometry import KernelError, resampling
from ..registry import Kernel, SameShapeKernel, Shape, add_bias, whole
from .pool import axis_scatter_or


class FlattenKernel(Kernel, model=Flatten):
    """Flatten in channels-first order (PyTorch's): (C, *spatial) -> (C * prod(spatial),)."""

    def setup(self) -> Shape:
        return (prod(self.in_shapes[0]),)

    def forward(self, xs, p, ops):
        x = xs[0]
        if x.ndim == 2:
            return x
        return np.moveaxis(x, -1, 1).reshape(x.shape[0], -1)

    def backward(self, grad, xs, y, p):
        x = xs[0]
        if x.ndim == 2:
            return [grad]
        channels_first = (x.shape[0], x.shape[-1], *x.shape[1:-1])
        return [np.ascontiguousarray(np.moveaxis(grad.reshape(channels_first), 1, -1))]

    def depends(self, mask):
        return [whole(mask, self.spatial_in)]


class LinearKernel(Kernel, model=Linear):
    """y = x W + b on flat inputs: in x out MACs and out bias adds per sample."""

    def setup(self) -> Shape:
        shape = self.in_shapes[0]
        if len(shape) != 1:
            raise KernelError(f"linear needs a flat input; got shape {list(shape)}")
        if self.layer.in_features is not None and self.layer.in_features != shape[0]:
            raise KernelError(f"in_features {self.layer.in_features} but the input has {shape[0]} features")
        return (self.layer.out_features,)

    def param_shapes(self):
        shapes = {"weight": (self.in_shapes[0][0], self.layer.out_features)}
        if self.layer.bias:
            shapes["bias"] = (self.layer.out_features,)
        return shapes

    def fan_in(self) -> int:
        return self.in_shapes[0][0]

    def forward(self, xs, p, ops):
        y = xs[0] @ p["weight"]
        ops.matmul_macs(xs[0].shape, p["weight"].shape)
        return add_bias(y, p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        return [grad @ p["weight"].T]

    def depends(self, mask):
        return [whole(mask, ())]


class PadKernel(Kernel, model=Pad):
    """Constant padding of the spatial axes (a negative amount crops): no arithmetic."""

    def setup(self) -> Shape:
        sizes = self.spatial_in
        padding = self.layer.padding
        entries = [padding] * len(sizes) if isinstance(padding, int) else list(padding)
        if len(entries) != len(sizes):
            raise KernelError(f"padding {padding} needs {len(sizes)} entries")
        self.pads = tuple((e, e) if isinstance(e, int) else (int(e[0]), int(e[1])) for e in entries)
        out = tuple(n + b + a for n, (b, a) in zip(sizes, self.pads))
        if min(out, default=1) < 1:
            raise KernelError(f"padding {padding} crops all of {list(sizes)}")
        # The part of the input that survives, and where it lands in the output.
        self.source = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(sizes, self.pads))
        self.target = tuple(slice(max(b, 0), max(b, 0) + (n - max(-b, 0) - max(-a, 0)))
                            for n, (b, a) in zip(sizes, self.pads))
        return (self.in_shapes[0][0], *out)

    def forward(self, xs, p, ops):
        x = xs[0]
        out = np.full((x.shape[0], *self.out_shape[1:], x.shape[-1]), self.layer.value, dtype=x.dtype)
        out[(slice(None),) + self.target] = x[(slice(None),) + self.source]
        return out

    def backward(self, grad, xs, y, p):
        gx = np.zeros_like(xs[0])
        gx[(slice(None),) + self.source] = grad[(slice(None),) + self.target]
        return [gx]

    def depends(self, mask):
        needed = np.zeros((*self.spatial_in, mask.shape[-1]), dtype=mask.dtype)
        needed[self.source] = mask[self.target]
        return [needed]


class UpsampleKernel(Kernel, model=Upsample):
    """Nearest or (multi)linear resampling with PyTorch's coordinate rules (align_corners, scale
    factor vs size). Linear: per output element, 2^d corner products and 2^d - 1 adds; nearest: a gather."""

    def setup(self) -> Shape:
        layer = self.layer
        self.need_spatial()
        sizes = self.spatial_in
        nd = len(sizes)
        if layer.mode in ("bilinear", "trilinear") and nd != {"bilinear": 2, "trilinear": 3}[layer.mode]:
            raise KernelError(f"mode {layer.mode} does not fit {nd} spatial axes")
        outs, scales = [], []
        for axis, n in enumerate(sizes):
            if layer.size is not None:
                size = layer.size if isinstance(layer.size, int) else layer.size[axis]
                outs.append(int(size))
                scales.append(None)
            else:
                factors = layer.scale_factor if isinstance(layer.scale_factor, list) else [layer.scale_factor] * nd
                if len(factors) != nd:
                    raise KernelError(f"scale_factor {layer.scale_factor} needs {nd} values")
                factor = float(factors[axis])
                outs.append(floor(float(n) * factor))  # PyTorch: floor(float(size) * scale_factor)
                scales.append(1 / Fraction(str(factor)))
        if min(outs) < 1:
            raise KernelError(f"output size {outs} is empty")
        self.axes = [resampling(n, m, layer.mode, layer.align_corners, s)
                     for n, m, s in zip(sizes, outs, scales)]
        self.outs = tuple(outs)
        if layer.mode != "nearest":
            self.corners = []
            for bits in itertools.product((0, 1), repeat=nd):
                index, weight = [], np.ones(())
                for axis, (bit, r) in enumerate(zip(bits, self.axes)):
                    shape = [1] * nd
                    shape[axis] = -1
                    index.append((r.high if bit else r.low).reshape(shape))
                    weight = np.multiply.outer(weight, r.w_high if bit else r.w_low)
                self.corners.append((tuple(index), weight[..., None]))
        return (self.in_shapes[0][0], *outs)

    def forward(self, xs, p, ops):
        x = xs[0]
        if self.layer.mode == "nearest":
            for axis, r in enumerate(self.axes):
                x = np.take(x, r.low, axis=1 + axis)
            return x
        out = None
        for index, weight in self.corners:
            term = ops.mul(x[(slice(None),) + index + (slice(None),)], weight.astype(x.dtype))
            out = term if out is None else ops.add(out, term, out=out)
        return out

    def backward(self, grad, xs, y, p):
        x = xs[0]
        gx = np.zeros_like(x)
        if self.layer.mode == "nearest":
            index = tuple(np.ix_(*(r.low for r in self.axes)))
            np.add.at(gx, (slice(None),) + index + (slice(None),), grad)
            return [gx]
        for index, weight in self.corners:
            full = tuple(np.broadcast_to(i, self.outs) for i in index)
            np.add.at(gx, (slice(None),) + full + (slice(None),), grad * weight)
        return [gx]

    def depends(self, mask):
        for axis, r in enumerate(self.axes):
            reads = [(r.low, np.ones(len(r.low), bool))]
            if self.layer.mode != "nearest":
                reads.append((r.high, ~r.zero_high))
            mask = axis_scatter_or(mask, axis, self.spatial_in[axis], reads)
        return [mask]


class IdentityKernel(SameShapeKernel, model=Identity):
    """The identity."""

    def forward(self, xs, p, ops):
        return xs[0]

    def backward(self, grad, xs, y, p):
        return [grad]
