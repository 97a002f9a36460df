"""Convolution kernels: plain/grouped/depthwise, transposed, separable, spatially separable,
locally connected and tiled. All are im2col + BLAS matmul (or a multiply-add per tap when depthwise)."""
from __future__ import annotations

import itertools
from math import prod

import numpy as np

from ...layers import (Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv, SpatiallySeparableConv,
                       TiledConv)
from ..counting import OpCounter
from ..geometry import AxisWindow, KernelError, per_axis, resolve_padding
from ..registry import Kernel, Shape, add_bias, normal
from ..window import Grid, correlate, gather_or, pad_spatial, pieces, scatter_correlate, scatter_or


def _window_setup(kernel: Kernel, ceil_mode: bool = False, stride_default=None):
    """Per-axis windows and the padded buffer geometry of a sliding-window layer."""
    layer = kernel.layer
    sizes = kernel.spatial_in
    nd = len(sizes)
    kernels = per_axis(layer.kernel_size, nd, "kernel_size")
    stride = layer.stride if layer.stride is not None else (stride_default or layer.kernel_size)
    strides = per_axis(stride, nd, "stride")
    dilations = per_axis(getattr(layer, "dilation", 1), nd, "dilation")
    if min(kernels + strides + dilations) < 1:
        raise KernelError(f"kernel_size, stride and dilation must be positive; got {kernels}, {strides}, {dilations}")
    pads = resolve_padding(layer.padding, sizes, kernels, strides, dilations)
    axes = tuple(AxisWindow(n, k, s, d, b, a, ceil_mode)
                 for n, k, s, d, (b, a) in zip(sizes, kernels, strides, dilations, pads))
    grid = Grid(tuple(a.outputs for a in axes), kernels, strides, dilations)
    buffer_pads = tuple((a.before, a.padded - a.size - a.before) for a in axes)
    return axes, grid, buffer_pads


def _crop(buf: np.ndarray, pads: tuple[tuple[int, int], ...], sizes: Shape) -> np.ndarray:
    """The region of a padded buffer that holds the unpadded input."""
    return buf[(slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes)) + (slice(None),)]


def _padded_zeros(shape_lead: int, sizes: Shape, pads, channels: int, dtype) -> np.ndarray:
    return np.zeros((shape_lead, *(n + b + a for n, (b, a) in zip(sizes, pads)), channels), dtype=dtype)


def _window_depends(mask: np.ndarray, grid: Grid, pads, sizes: Shape) -> np.ndarray:
    """Input mask of a sliding-window layer: every tap of every marked window."""
    buf = _padded_zeros(1, sizes, pads, mask.shape[-1], mask.dtype)
    scatter_or(mask[None], grid, buf)
    return _crop(buf, pads, sizes)[0]


class _Channels(Kernel):
    """Shared checks of layers with input and output channels."""

    def channel_setup(self, groups: int, out_channels: int) -> int:
        self.need_spatial()
        c_in = self.in_shapes[0][0]
        wanted = getattr(self.layer, "in_channels", None)
        if wanted is not None and wanted != c_in:
            raise KernelError(f"in_channels {wanted} but the input has {c_in} channels")
        if c_in % groups or out_channels % groups:
            raise KernelError(f"groups {groups} must divide in ({c_in}) and out ({out_channels}) channels")
        self.c_in, self.c_out, self.groups = c_in, out_channels, groups
        return c_in


class GroupedConvKernel(_Channels):
    """Cross-correlation with stride, padding (asymmetric, 'same', 'valid'), dilation and groups; the
    plain and depthwise kernels say how many groups and output channels."""

    def channel_plan(self) -> tuple[int, int]:
        """(groups, output channels), checked."""
        raise NotImplementedError

    def setup(self) -> Shape:
        self.channel_setup(*self.channel_plan())
        self.axes, self.grid, self.pads = _window_setup(self)
        return (self.c_out, *self.grid.counts)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.groups, *self.grid.kernels, self.c_in // self.groups, self.c_out // self.groups)}
        if self.layer.bias:
            shapes["bias"] = (self.c_out,)
        return shapes

    def fan_in(self) -> int:
        return self.c_in // self.groups * self.grid.taps

    def forward(self, xs, p, ops):
        y = correlate(pad_spatial(xs[0], self.pads), self.grid, p["weight"], ops)
        return add_bias(y, p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        buf = _padded_zeros(grad.shape[0], self.spatial_in, self.pads, self.c_in, grad.dtype)
        scatter_correlate(grad, self.grid, p["weight"], buf)
        return [_crop(buf, self.pads, self.spatial_in)]

    def depends(self, mask):
        return [_window_depends(mask, self.grid, self.pads, self.spatial_in)]


class ConvKernel(GroupedConvKernel, model=Conv):
    """Convolution with the layer's groups and out_channels."""

    def channel_plan(self) -> tuple[int, int]:
        return self.layer.groups, self.layer.out_channels


class DepthwiseConvKernel(GroupedConvKernel, model=DepthwiseConv):
    """Depthwise convolution: one group per input channel, depth_multiplier filters each."""

    def channel_plan(self) -> tuple[int, int]:
        layer, c_in = self.layer, self.in_shapes[0][0]
        out = layer.out_channels or c_in * layer.depth_multiplier
        if out != c_in * layer.depth_multiplier:
            raise KernelError(f"depthwise: out_channels {out} != {c_in} x depth_multiplier {layer.depth_multiplier}")
        return c_in, out


class ConvTransposeKernel(_Channels, model=ConvTranspose):
    """Transposed convolution: every input pixel scatters kernel x weights into the output (PyTorch's
    conv_transpose: full output cropped by padding, output_padding added at the end)."""

    def setup(self) -> Shape:
        layer = self.layer
        self.channel_setup(layer.groups, layer.out_channels)
        sizes = self.spatial_in
        nd = len(sizes)
        kernels = per_axis(layer.kernel_size, nd, "kernel_size")
        strides = per_axis(layer.stride, nd, "stride")
        dilations = per_axis(layer.dilation, nd, "dilation")
        extra = per_axis(layer.output_padding, nd, "output_padding")
        pads = resolve_padding(layer.padding, sizes, kernels, strides, dilations)
        self.grid = Grid(tuple(sizes), kernels, strides, dilations)
        out, buffer = [], []
        for axis, (n, op, (before, after)) in enumerate(zip(sizes, extra, pads)):
            if not 0 <= op < max(strides[axis], dilations[axis]):
                raise KernelError(f"output_padding {op} must be below stride or dilation")
            full = self.grid.span(axis)
            size = full - before - after + op
            if size < 1:
                raise KernelError(f"padding {before}+{after} crops the whole output ({full} pixels)")
            out.append(size)
            buffer.append(max(full, before + size))
        self.crop = tuple(slice(b, b + n) for (b, _), n in zip(pads, out))
        self.buffer = tuple(buffer)
        return (self.c_out, *out)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.groups, *self.grid.kernels, self.c_out // self.groups, self.c_in // self.groups)}
        if self.layer.bias:
            shapes["bias"] = (self.c_out,)
        return shapes

    def fan_in(self) -> int:
        return max(1, self.c_in // self.groups * self.grid.taps // prod(self.grid.strides))

    def forward(self, xs, p, ops):
        x = xs[0]
        buf = np.zeros((x.shape[0], *self.buffer, self.c_out), dtype=x.dtype)
        scatter_correlate(x, self.grid, p["weight"], buf, ops)
        y = np.ascontiguousarray(buf[(slice(None),) + self.crop])
        return add_bias(y, p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        buf = np.zeros((grad.shape[0], *self.buffer, self.c_out), dtype=grad.dtype)
        buf[(slice(None),) + self.crop] = grad
        return [correlate(buf, self.grid, p["weight"], OpCounter())]

    def depends(self, mask):
        buf = np.zeros((1, *self.buffer, mask.shape[-1]), dtype=mask.dtype)
        buf[(slice(None),) + self.crop] = mask
        return [gather_or(buf, self.grid)[0]]


class SeparableConvKernel(_Channels, model=SeparableConv):
    """Depthwise window (depth_multiplier filters per channel, no bias) then a 1x1 pointwise conv + bias."""

    def setup(self) -> Shape:
        self.channel_setup(1, self.layer.out_channels)
        self.axes, self.grid, self.pads = _window_setup(self)
        self.mid = self.c_in * self.layer.depth_multiplier
        self.point = Grid(self.grid.counts, (1,) * self.grid.ndim, (1,) * self.grid.ndim, (1,) * self.grid.ndim)
        return (self.c_out, *self.grid.counts)

    def param_shapes(self) -> dict[str, Shape]:
        nd = self.grid.ndim
        shapes = {"depthwise_weight": (self.c_in, *self.grid.kernels, 1, self.layer.depth_multiplier),
                  "pointwise_weight": (1, *(1,) * nd, self.mid, self.c_out)}
        if self.layer.bias:
            shapes["bias"] = (self.c_out,)
        return shapes

    def init_array(self, name, shape, rng):
        if name == "depthwise_weight":
            return normal(rng, shape, np.sqrt(2.0 / self.grid.taps))
        if name == "pointwise_weight":
            return normal(rng, shape, np.sqrt(2.0 / self.mid))
        return super().init_array(name, shape, rng)

    def forward(self, xs, p, ops):
        mid = correlate(pad_spatial(xs[0], self.pads), self.grid, p["depthwise_weight"], ops)
        y = correlate(mid, self.point, p["pointwise_weight"], ops)
        return add_bias(y, p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        g_mid = np.zeros((*grad.shape[:-1], self.mid), dtype=grad.dtype)
        scatter_correlate(grad, self.point, p["pointwise_weight"], g_mid)
        buf = _padded_zeros(grad.shape[0], self.spatial_in, self.pads, self.c_in, grad.dtype)
        scatter_correlate(g_mid, self.grid, p["depthwise_weight"], buf)
        return [_crop(buf, self.pads, self.spatial_in)]

    def depends(self, mask):
        return [_window_depends(mask, self.grid, self.pads, self.spatial_in)]


class SpatiallySeparableKernel(_Channels, model=SpatiallySeparableConv):
    """One 1-D convolution per spatial axis, in order (k x 1 then 1 x k); bias on the last."""

    def setup(self) -> Shape:
        self.channel_setup(1, self.layer.out_channels)
        axes, _, _ = _window_setup(self)
        nd = len(axes)
        sizes = list(self.spatial_in)
        self.stages = []
        for index, a in enumerate(axes):
            ones = [1] * nd
            kernels, strides, dilations = list(ones), list(ones), list(ones)
            kernels[index], strides[index], dilations[index] = a.kernel, a.stride, a.dilation
            pads = [(0, 0)] * nd
            pads[index] = (a.before, a.padded - a.size - a.before)
            counts = list(sizes)
            counts[index] = a.outputs
            self.stages.append((Grid(tuple(counts), tuple(kernels), tuple(strides), tuple(dilations)),
                                tuple(pads), tuple(sizes)))
            sizes = counts
        return (self.c_out, *sizes)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {}
        channels = self.c_in
        for index, (grid, _, _) in enumerate(self.stages):
            shapes[f"weight{index}"] = (1, *grid.kernels, channels, self.c_out)
            channels = self.c_out
        if self.layer.bias:
            shapes["bias"] = (self.c_out,)
        return shapes

    def init_array(self, name, shape, rng):
        if name.startswith("weight"):
            return normal(rng, shape, np.sqrt(2.0 / (shape[-2] * prod(shape[1:-2]))))
        return super().init_array(name, shape, rng)

    def forward(self, xs, p, ops):
        x = xs[0]
        for index, (grid, pads, _) in enumerate(self.stages):
            x = correlate(pad_spatial(x, pads), grid, p[f"weight{index}"], ops)
        return add_bias(x, p.get("bias"), ops)

    def backward(self, grad, xs, y, p):
        for index in reversed(range(len(self.stages))):
            grid, pads, sizes = self.stages[index]
            channels = p[f"weight{index}"].shape[-2]
            buf = _padded_zeros(grad.shape[0], sizes, pads, channels, grad.dtype)
            scatter_correlate(grad, grid, p[f"weight{index}"], buf)
            grad = _crop(buf, pads, sizes)
        return [grad]

    def depends(self, mask):
        for grid, pads, sizes in reversed(self.stages):
            mask = _window_depends(mask, grid, pads, sizes)
        return [mask]


class LocallyConnectedKernel(_Channels, model=LocallyConnected):
    """Unshared convolution: a separate (taps x C_in, C_out) filter and bias at every output position."""

    def setup(self) -> Shape:
        self.channel_setup(1, self.layer.out_channels)
        self.axes, self.grid, self.pads = _window_setup(self)
        self.positions = prod(self.grid.counts)
        return (self.c_out, *self.grid.counts)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.positions, self.grid.taps * self.c_in, self.c_out)}
        if self.layer.bias:
            shapes["bias"] = (self.positions, self.c_out)
        return shapes

    def fan_in(self) -> int:
        return self.grid.taps * self.c_in

    def forward(self, xs, p, ops):
        x = pad_spatial(xs[0], self.pads)
        batch, taps = x.shape[0], self.grid.taps
        windows = self.grid.windows(x)
        rest = prod(self.grid.counts[1:])
        out = np.empty((batch, *self.grid.counts, self.c_out), dtype=x.dtype)
        flat_out = out.reshape(batch, self.positions, self.c_out)
        for batches, rows in pieces(batch, self.grid.counts, taps * self.c_in * x.itemsize):
            cols = windows[batches, rows]
            lo, hi = rows.start * rest, rows.stop * rest
            a = cols.reshape(cols.shape[0], hi - lo, taps * self.c_in).transpose(1, 0, 2)  # im2col copy
            result = np.matmul(a, p["weight"][lo:hi])  # (positions, batch, C_out): one filter per position
            ops.matmul_macs(a.shape, p["weight"][lo:hi].shape)
            if "bias" in p:
                ops.add(result, p["bias"][lo:hi, None, :], out=result)
            flat_out[batches, lo:hi] = result.transpose(1, 0, 2)
        return out

    def backward(self, grad, xs, y, p):
        batch = grad.shape[0]
        g = grad.reshape(batch, self.positions, self.c_out).transpose(1, 0, 2)
        cols = np.matmul(g, p["weight"].transpose(0, 2, 1))  # (positions, batch, taps * C_in)
        cols = cols.transpose(1, 0, 2).reshape(batch, *self.grid.counts, self.grid.taps, self.c_in)
        buf = _padded_zeros(batch, self.spatial_in, self.pads, self.c_in, grad.dtype)
        for index, tap in enumerate(self.grid.tap_offsets()):
            self.grid.tap_view(buf, tap)[...] += cols[..., index, :]
        return [_crop(buf, self.pads, self.spatial_in)]

    def depends(self, mask):
        return [_window_depends(mask, self.grid, self.pads, self.spatial_in)]


class TiledConvKernel(_Channels, model=TiledConv):
    """Tiled convolution: prod(tile_size) filter banks; output o uses bank (o mod tile_size) per axis."""

    def setup(self) -> Shape:
        self.channel_setup(1, self.layer.out_channels)
        self.axes, self.grid, self.pads = _window_setup(self)
        self.tiles = per_axis(self.layer.tile_size, self.grid.ndim, "tile_size")
        if min(self.tiles) < 1:
            raise KernelError(f"tile_size must be positive; got {self.layer.tile_size}")
        return (self.c_out, *self.grid.counts)

    def param_shapes(self) -> dict[str, Shape]:
        banks = prod(self.tiles)
        shapes = {"weight": (banks, *self.grid.kernels, self.c_in, self.c_out)}
        if self.layer.bias:
            shapes["bias"] = (banks, self.c_out)
        return shapes

    def fan_in(self) -> int:
        return self.grid.taps * self.c_in

    def _banks(self):
        """(bank index, phase per axis, sub-grid, buffer offset slices, output slices) of every bank in use."""
        g = self.grid
        for bank, phase in enumerate(itertools.product(*(range(t) for t in self.tiles))):
            counts = tuple(-(-(n - q) // t) for n, q, t in zip(g.counts, phase, self.tiles))
            if min(counts) < 1:
                continue
            sub = Grid(counts, g.kernels, tuple(s * t for s, t in zip(g.strides, self.tiles)), g.dilations)
            offset = (slice(None),) + tuple(slice(q * s, None) for q, s in zip(phase, g.strides))
            out = (slice(None),) + tuple(slice(q, None, t) for q, t in zip(phase, self.tiles))
            yield bank, sub, offset, out

    def forward(self, xs, p, ops):
        x = pad_spatial(xs[0], self.pads)
        y = np.empty((x.shape[0], *self.grid.counts, self.c_out), dtype=x.dtype)
        for bank, sub, offset, out in self._banks():
            part = correlate(x[offset], sub, p["weight"][bank:bank + 1], ops)
            if "bias" in p:
                ops.add(part, p["bias"][bank], out=part)
            y[out] = part
        return y

    def backward(self, grad, xs, y, p):
        buf = _padded_zeros(grad.shape[0], self.spatial_in, self.pads, self.c_in, grad.dtype)
        for bank, sub, offset, out in self._banks():
            scatter_correlate(np.ascontiguousarray(grad[out]), sub, p["weight"][bank:bank + 1], buf[offset])
        return [_crop(buf, self.pads, self.spatial_in)]

    def depends(self, mask):
        return [_window_depends(mask, self.grid, self.pads, self.spatial_in)]
