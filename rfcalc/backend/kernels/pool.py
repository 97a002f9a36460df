"""Pooling kernels: max, average and LP windows (padding, dilation, ceil_mode as PyTorch), adaptive
and global pooling."""
from __future__ import annotations

import itertools
from math import prod

import numpy as np

from ..geometry import KernelError, adaptive_windows, per_axis
from ..registry import Kernel, Shape, register, whole
from ..window import pad_spatial
from .conv import _crop, _padded_zeros, _window_depends, _window_setup


class _WindowPoolKernel(Kernel):
    """Shared setup: windows with stride defaulting to the kernel, PyTorch's padding limit."""

    def setup(self) -> Shape:
        self.need_spatial()
        self.axes, self.grid, self.pads = _window_setup(self, ceil_mode=self.layer.ceil_mode)
        for a in self.axes:
            if 2 * max(a.before, a.after) > a.extent:
                raise KernelError(f"padding {max(a.before, a.after)} exceeds half the window extent {a.extent}")
        return (self.in_shapes[0][0], *self.grid.counts)

    def depends(self, mask):
        return [_window_depends(mask, self.grid, self.pads, self.spatial_in)]

    def taps(self, xp: np.ndarray):
        """Views of every tap of every window, each shaped like the output."""
        return (self.grid.tap_view(xp, tap) for tap in self.grid.tap_offsets())

    def scatter(self, per_tap, batch: int, channels: int, dtype) -> np.ndarray:
        """Sum per-tap output-shaped arrays back onto the (unpadded) input."""
        buf = _padded_zeros(batch, self.spatial_in, self.pads, channels, dtype)
        for tap, values in zip(self.grid.tap_offsets(), per_tap):
            self.grid.tap_view(buf, tap)[...] += values
        return _crop(buf, self.pads, self.spatial_in)


@register
class MaxPoolKernel(_WindowPoolKernel):
    """Max over each window; padding is -inf (never wins): k - 1 comparisons per output."""

    types = ("maxpool", "maxpool1d", "maxpool2d", "maxpool3d")

    def forward(self, xs, p, ops):
        views = self.taps(pad_spatial(xs[0], self.pads, -np.inf))
        out = np.array(next(views))
        for view in views:
            np.maximum(out, view, out=out)
            ops.count("cmp", out.size)
        return out

    def backward(self, grad, xs, y, p):
        views = list(self.taps(pad_spatial(xs[0], self.pads, -np.inf)))
        winner = np.zeros(y.shape, dtype=np.int64)
        best = np.array(views[0])
        for index, view in enumerate(views[1:], 1):
            better = view > best
            winner[better] = index
            np.maximum(best, view, out=best)
        return [self.scatter((np.where(winner == i, grad, 0) for i in range(len(views))),
                             grad.shape[0], grad.shape[-1], grad.dtype)]


@register
class AvgPoolKernel(_WindowPoolKernel):
    """Sum over each window (k - 1 adds) and one division by PyTorch's divisor per output."""

    types = ("avgpool", "avgpool1d", "avgpool2d", "avgpool3d")

    def setup(self) -> Shape:
        shape = super().setup()
        include = self.layer.count_include_pad
        divisor = np.ones(())
        for a in self.axes:
            start = a.starts()
            end = np.minimum(start + a.extent, a.size + a.after)  # ATen: windows clipped to input + padding
            size = end - start if include else np.minimum(end, a.size) - np.maximum(start, 0)
            divisor = np.multiply.outer(divisor, size)
        self.divisor = divisor[..., None]
        return shape

    def forward(self, xs, p, ops):
        views = self.taps(pad_spatial(xs[0], self.pads))
        out = np.array(next(views))
        for view in views:
            out += view
            ops.count("add", out.size)
        out /= self.divisor
        ops.count("div", out.size)
        return out

    def backward(self, grad, xs, y, p):
        share = grad / self.divisor
        return [self.scatter((share for _ in range(self.grid.taps)), grad.shape[0], grad.shape[-1], grad.dtype)]


@register
class LPPoolKernel(_WindowPoolKernel):
    """(sum over the window of x^p)^(1/p): x^p once per input element (a multiplication when p = 2,
    a power otherwise), k - 1 adds and one root per output. Partial windows (ceil_mode) sum the
    elements they hold (PyTorch instead rescales them by k / held elements)."""

    types = ("lppool", "lppool1d", "lppool2d", "lppool3d")

    def _power(self, x, ops):
        p = self.layer.norm_type
        if p == 1:
            return x
        if p == 2:
            ops.count("mul", x.size)
            return x * x
        ops.count("exp", x.size)
        return np.power(x, p)

    def forward(self, xs, p, ops):
        powered = self._power(xs[0], ops)
        views = self.taps(pad_spatial(powered, self.pads))
        total = np.array(next(views))
        for view in views:
            total += view
            ops.count("add", total.size)
        norm = self.layer.norm_type
        if norm == 1:
            return total
        ops.count("exp", total.size)
        return np.sqrt(total) if norm == 2 else np.power(total, 1.0 / norm)

    def backward(self, grad, xs, y, p):
        norm = self.layer.norm_type
        x = xs[0]
        # y = S^(1/p): dy/dS = y^(1-p) / p; dS/dx = p x^(p-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_sum = np.where(y != 0, grad * np.power(y, 1 - norm) / norm, 0)
        back = self.scatter((g_sum for _ in range(self.grid.taps)), grad.shape[0], grad.shape[-1], grad.dtype)
        return [back * norm * np.power(x, norm - 1)]


class _Adaptive:
    """Per-axis adaptive windows grouped by length, so each group is one dense gather."""

    def __init__(self, sizes: Shape, outs: Shape):
        self.axes = []
        for n, m in zip(sizes, outs):
            start, end = adaptive_windows(n, m)
            length = end - start
            groups = [(np.nonzero(length == value)[0], int(value)) for value in np.unique(length)]
            self.axes.append((start, end, groups))

    def blocks(self):
        """(output index arrays, gather index arrays, window lengths) for every combination of groups."""
        nd = len(self.axes)
        for combo in itertools.product(*(groups for _, _, groups in self.axes)):
            outs, gathers = [], []
            for axis, ((outputs, length), (start, _, _)) in enumerate(zip(combo, self.axes)):
                shape_out = [1] * nd
                shape_out[axis] = len(outputs)
                outs.append(outputs.reshape(shape_out))
                index = start[outputs][:, None] + np.arange(length)
                shape = [1] * (2 * nd)
                shape[2 * axis], shape[2 * axis + 1] = index.shape
                gathers.append(index.reshape(shape))
            yield tuple(outs), tuple(gathers), tuple(length for _, length in combo)


@register
class AdaptivePoolKernel(Kernel):
    """Adaptive average or max pooling with PyTorch's windows [floor(o n/m), ceil((o+1) n/m))."""

    types = ("adaptive_avgpool", "adaptive_avgpool1d", "adaptive_avgpool2d", "adaptive_avgpool3d",
             "adaptive_maxpool", "adaptive_maxpool1d", "adaptive_maxpool2d", "adaptive_maxpool3d")

    def setup(self) -> Shape:
        self.need_spatial()
        self.outs = per_axis(self.layer.output_size, len(self.spatial_in), "output_size")
        if min(self.outs) < 1:
            raise KernelError(f"output_size must be positive; got {self.layer.output_size}")
        self.adaptive = _Adaptive(self.spatial_in, self.outs)
        self.is_max = "max" in self.layer.type
        return (self.in_shapes[0][0], *self.outs)

    def forward(self, xs, p, ops):
        x = xs[0]
        nd = len(self.outs)
        out = np.empty((x.shape[0], *self.outs, x.shape[-1]), dtype=x.dtype)
        window_axes = tuple(range(2, 2 * nd + 1, 2))
        for outs, gathers, lengths in self.adaptive.blocks():
            block = x[(slice(None),) + gathers + (slice(None),)]
            taps = prod(lengths)
            if self.is_max:
                result = block.max(axis=window_axes)
                ops.count("cmp", result.size * (taps - 1))
            else:
                result = block.sum(axis=window_axes)
                ops.count("add", result.size * (taps - 1))
                result /= taps
                ops.count("div", result.size)
            out[(slice(None),) + outs + (slice(None),)] = result
        return out

    def backward(self, grad, xs, y, p):
        x = xs[0]
        nd = len(self.outs)
        gx = np.zeros_like(x)
        for outs, gathers, lengths in self.adaptive.blocks():
            g = grad[(slice(None),) + outs + (slice(None),)]  # (B, n0, n1, ..., C)
            shape = [g.shape[0]] + [s for n in g.shape[1:-1] for s in (n, 1)] + [g.shape[-1]]
            g = g.reshape(shape)
            block = x[(slice(None),) + gathers + (slice(None),)]
            if self.is_max:
                best = block.max(axis=tuple(range(2, 2 * nd + 1, 2)), keepdims=True)
                winners = block == best  # ties share the gradient
                contribution = np.where(winners, g, 0) / np.maximum(
                    winners.sum(axis=tuple(range(2, 2 * nd + 1, 2)), keepdims=True), 1)
            else:
                contribution = np.broadcast_to(g / prod(lengths), block.shape)
            index = (slice(None),) + tuple(np.broadcast_to(gi, block.shape[1:-1]) for gi in gathers) + (slice(None),)
            np.add.at(gx, index, contribution)
        return [gx]

    def depends(self, mask):
        for axis, (start, end, _) in enumerate(self.adaptive.axes):
            reads = [(start + t, (end - start) > t) for t in range(int((end - start).max()))]
            mask = axis_scatter_or(mask, axis, self.spatial_in[axis], reads)
        return [mask]


def axis_scatter_or(mask: np.ndarray, axis: int, n_in: int, reads) -> np.ndarray:
    """Along one axis: input i gets the bits of every output o with i among o's reads.
    `reads` lists (index per output, valid per output) slots."""
    moved = np.moveaxis(mask, axis, 0)
    out = np.zeros((n_in, *moved.shape[1:]), dtype=mask.dtype)
    for index, valid in reads:
        np.bitwise_or.at(out, index[valid], moved[valid])
    return np.moveaxis(out, 0, axis)


@register
class GlobalPoolKernel(Kernel):
    """Mean or max over every spatial position of each channel (keepdims keeps 1-sized axes)."""

    types = ("global_avgpool", "global_maxpool")

    def setup(self) -> Shape:
        self.need_spatial()
        channels = self.in_shapes[0][0]
        return (channels, *(1,) * len(self.spatial_in)) if self.layer.keepdims else (channels,)

    def forward(self, xs, p, ops):
        x = xs[0]
        axes = tuple(range(1, x.ndim - 1))
        positions = prod(x.shape[1:-1])
        if self.layer.type == "global_maxpool":
            out = x.max(axis=axes, keepdims=self.layer.keepdims)
            ops.count("cmp", out.size * (positions - 1))
        else:
            out = x.sum(axis=axes, keepdims=self.layer.keepdims)
            ops.count("add", out.size * (positions - 1))
            out /= positions
            ops.count("div", out.size)
        return out

    def backward(self, grad, xs, y, p):
        x = xs[0]
        channels = x.shape[-1]
        g = grad.reshape(x.shape[0], *(1,) * (x.ndim - 2), channels)
        if self.layer.type == "global_maxpool":
            best = x.max(axis=tuple(range(1, x.ndim - 1)), keepdims=True)
            winners = x == best
            return [np.where(winners, g, 0) / winners.sum(axis=tuple(range(1, x.ndim - 1)), keepdims=True)]
        return [np.broadcast_to(g / prod(x.shape[1:-1]), x.shape).copy()]

    def depends(self, mask):
        return [whole(mask, self.spatial_in)]
