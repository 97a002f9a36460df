"""Pooling kernels: max, average and LP windows (padding, dilation, ceil_mode as PyTorch), adaptive
and global pooling."""
from __future__ import annotations

import itertools
from math import prod

import numpy as np

from ...layers import (AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, GlobalAvgPool, GlobalMaxPool, LPPool,
                       MaxPool)
from ..counting import CountedOps
from ..geometry import KernelError, adaptive_windows, per_axis
from ..registry import Kernel, Shape, whole
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

    def fold_taps(self, xp: np.ndarray, combine) -> np.ndarray:
        """Every window of the padded xp folded tap by tap with combine(out, tap, out=out): k - 1 per output."""
        views = self.taps(xp)
        out = np.array(next(views))
        for view in views:
            combine(out, view, out=out)
        return out

    def scatter(self, per_tap, batch: int, channels: int, dtype) -> np.ndarray:
        """Sum per-tap output-shaped arrays back onto the (unpadded) input."""
        buf = _padded_zeros(batch, self.spatial_in, self.pads, channels, dtype)
        for tap, values in zip(self.grid.tap_offsets(), per_tap):
            self.grid.tap_view(buf, tap)[...] += values
        return _crop(buf, self.pads, self.spatial_in)


class MaxPoolKernel(_WindowPoolKernel, model=MaxPool):
    """Max over each window; padding is -inf (never wins): k - 1 comparisons per output."""

    def forward(self, xs, p, ops):
        return self.fold_taps(pad_spatial(xs[0], self.pads, -np.inf), ops.maximum)

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


class AvgPoolKernel(_WindowPoolKernel, model=AvgPool):
    """Sum over each window (k - 1 adds) and one division by PyTorch's divisor per output."""

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
        out = self.fold_taps(pad_spatial(xs[0], self.pads), ops.add)
        return ops.div(out, self.divisor, out=out)

    def backward(self, grad, xs, y, p):
        share = grad / self.divisor
        return [self.scatter((share for _ in range(self.grid.taps)), grad.shape[0], grad.shape[-1], grad.dtype)]


class LPPoolKernel(_WindowPoolKernel, model=LPPool):
    """(sum over the window of x^p)^(1/p): x^p once per input element (a multiplication when p = 2,
    a power otherwise), k - 1 adds and one root per output. Partial windows (ceil_mode) sum the
    elements they hold (PyTorch instead rescales them by k / held elements)."""

    def _power(self, x, ops):
        p = self.layer.norm_type
        if p == 1:
            return x
        return ops.mul(x, x) if p == 2 else ops.power(x, p)

    def forward(self, xs, p, ops):
        total = self.fold_taps(pad_spatial(self._power(xs[0], ops), self.pads), ops.add)
        norm = self.layer.norm_type
        if norm == 1:
            return total
        return ops.sqrt(total) if norm == 2 else ops.power(total, 1.0 / norm)

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


class MeanOfWindows:
    """Pooling by the mean (mixed into a pooling kernel): g - 1 adds and one division per output for
    windows of g values; each element gets an equal share of the gradient."""

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], ops: CountedOps, keepdims: bool = False) -> np.ndarray:
        """One value per window of x along axes."""
        return ops.mean(x, axes, keepdims)

    def share(self, x: np.ndarray, g: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        """Each element's part of its window's output gradient g (1-sized along axes), shaped like x."""
        return np.broadcast_to(g / prod(x.shape[axis] for axis in axes), x.shape)


class MaxOfWindows:
    """Pooling by the maximum (mixed into a pooling kernel): g - 1 comparisons per output for windows
    of g values; the gradient goes to the maximum (ties share it)."""

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], ops: CountedOps, keepdims: bool = False) -> np.ndarray:
        """One value per window of x along axes."""
        return ops.max(x, axes, keepdims)

    def share(self, x: np.ndarray, g: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        """Each element's part of its window's output gradient g (1-sized along axes), shaped like x."""
        winners = x == x.max(axis=axes, keepdims=True)
        return np.where(winners, g, 0) / np.maximum(winners.sum(axis=axes, keepdims=True), 1)


class AdaptivePoolKernel(Kernel):
    """Adaptive pooling with PyTorch's windows [floor(o n/m), ceil((o+1) n/m)); a reduction mixin
    (MeanOfWindows, MaxOfWindows) says how a window becomes one value."""

    def setup(self) -> Shape:
        self.need_spatial()
        self.outs = per_axis(self.layer.output_size, len(self.spatial_in), "output_size")
        if min(self.outs) < 1:
            raise KernelError(f"output_size must be positive; got {self.layer.output_size}")
        self.adaptive = _Adaptive(self.spatial_in, self.outs)
        return (self.in_shapes[0][0], *self.outs)

    def _window_axes(self) -> tuple[int, ...]:
        return tuple(range(2, 2 * len(self.outs) + 1, 2))

    def forward(self, xs, p, ops):
        x = xs[0]
        out = np.empty((x.shape[0], *self.outs, x.shape[-1]), dtype=x.dtype)
        for outs, gathers, _ in self.adaptive.blocks():
            block = x[(slice(None),) + gathers + (slice(None),)]
            out[(slice(None),) + outs + (slice(None),)] = self.reduce(block, self._window_axes(), ops)
        return out

    def backward(self, grad, xs, y, p):
        x = xs[0]
        gx = np.zeros_like(x)
        for outs, gathers, _ in self.adaptive.blocks():
            g = grad[(slice(None),) + outs + (slice(None),)]  # (B, n0, n1, ..., C)
            shape = [g.shape[0]] + [s for n in g.shape[1:-1] for s in (n, 1)] + [g.shape[-1]]
            g = g.reshape(shape)
            block = x[(slice(None),) + gathers + (slice(None),)]
            contribution = self.share(block, g, self._window_axes())
            index = (slice(None),) + tuple(np.broadcast_to(gi, block.shape[1:-1]) for gi in gathers) + (slice(None),)
            np.add.at(gx, index, contribution)
        return [gx]

    def depends(self, mask):
        for axis, (start, end, _) in enumerate(self.adaptive.axes):
            reads = [(start + t, (end - start) > t) for t in range(int((end - start).max()))]
            mask = axis_scatter_or(mask, axis, self.spatial_in[axis], reads)
        return [mask]


class AdaptiveAvgPoolKernel(MeanOfWindows, AdaptivePoolKernel, model=AdaptiveAvgPool):
    """Adaptive average pooling: the mean of each window."""


class AdaptiveMaxPoolKernel(MaxOfWindows, AdaptivePoolKernel, model=AdaptiveMaxPool):
    """Adaptive max pooling: the maximum of each window."""


def axis_scatter_or(mask: np.ndarray, axis: int, n_in: int, reads) -> np.ndarray:
    """Along one axis: input i gets the bits of every output o with i among o's reads.
    `reads` lists (index per output, valid per output) slots."""
    moved = np.moveaxis(mask, axis, 0)
    out = np.zeros((n_in, *moved.shape[1:]), dtype=mask.dtype)
    for index, valid in reads:
        np.bitwise_or.at(out, index[valid], moved[valid])
    return np.moveaxis(out, 0, axis)


class GlobalPoolKernel(Kernel):
    """One value per channel from every spatial position (keepdims keeps 1-sized axes); a reduction
    mixin (MeanOfWindows, MaxOfWindows) says how."""

    def setup(self) -> Shape:
        self.need_spatial()
        channels = self.in_shapes[0][0]
        return (channels, *(1,) * len(self.spatial_in)) if self.layer.keepdims else (channels,)

    @staticmethod
    def spatial_axes(x: np.ndarray) -> tuple[int, ...]:
        """The spatial axes of a channels-last array with a batch axis."""
        return tuple(range(1, x.ndim - 1))

    def forward(self, xs, p, ops):
        return self.reduce(xs[0], self.spatial_axes(xs[0]), ops, self.layer.keepdims)

    def backward(self, grad, xs, y, p):
        x = xs[0]
        g = grad.reshape(x.shape[0], *(1,) * (x.ndim - 2), x.shape[-1])
        return [np.array(self.share(x, g, self.spatial_axes(x)))]

    def depends(self, mask):
        return [whole(mask, self.spatial_in)]


class GlobalAvgPoolKernel(MeanOfWindows, GlobalPoolKernel, model=GlobalAvgPool):
    """Global average pooling: the mean over every spatial position."""


class GlobalMaxPoolKernel(MaxOfWindows, GlobalPoolKernel, model=GlobalMaxPool):
    """Global max pooling: the maximum over every spatial position."""
