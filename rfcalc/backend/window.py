"""Sliding windows over channels-last arrays (batch, *spatial, channels): the conv machinery.

A `Grid` is a set of window positions over a buffer: window o (per axis) covers buffer indices
o*stride + t*dilation for taps t < kernel. `correlate` is im2col plus a BLAS matmul (chunked so the
im2col buffer stays small); `scatter_correlate` is its exact adjoint (transposed convolution, and
the gradient of a convolution). The `*_or` functions are the same index patterns on bit-packed
boolean masks, used to measure receptive fields.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import prod
from typing import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .counting import OpCounter

# Upper bound of one im2col (or col2im) buffer; a few MiB keeps the copy in cache-friendly pieces.
CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class Grid:
    """Window positions over a buffer: `counts` windows per axis, each `kernels` taps wide."""

    counts: tuple[int, ...]
    kernels: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.counts)

    @property
    def taps(self) -> int:
        """Taps per window."""
        return prod(self.kernels)

    def span(self, axis: int) -> int:
        """Buffer length the windows reach along an axis."""
        return (self.counts[axis] - 1) * self.strides[axis] + (self.kernels[axis] - 1) * self.dilations[axis] + 1

    def tap_offsets(self) -> Iterator[tuple[int, ...]]:
        """Every tap as a tuple of per-axis tap indices, in C order."""
        return itertools.product(*(range(k) for k in self.kernels))

    def tap_view(self, buf: np.ndarray, tap: tuple[int, ...], rows: slice | None = None) -> np.ndarray:
        """View of buf (batch, *spatial, C) holding tap `tap` of every window (of rows `rows` on axis 0)."""
        index: list[slice] = [slice(None)]
        for axis, (t, n, s, d) in enumerate(zip(tap, self.counts, self.strides, self.dilations)):
            first, count = 0, n
            if axis == 0 and rows is not None:
                first, count = rows.start, rows.stop - rows.start
            start = first * s + t * d
            index.append(slice(start, start + (count - 1) * s + 1, s))
        return buf[tuple(index)]

    def windows(self, buf: np.ndarray) -> np.ndarray:
        """Strided view (batch, *counts, *kernels, C) of every window of buf (batch, *spatial, C)."""
        nd = self.ndim
        extents = tuple((k - 1) * d + 1 for k, d in zip(self.kernels, self.dilations))
        view = sliding_window_view(buf, extents, axis=tuple(range(1, nd + 1)))
        index = ((slice(None),)
                 + tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(self.counts, self.strides))
                 + (slice(None),)
                 + tuple(slice(None, None, d) for d in self.dilations))
        view = view[index]
        return np.moveaxis(view, nd + 1, -1)


def pad_spatial(x: np.ndarray, pads: tuple[tuple[int, int], ...], value: float = 0.0) -> np.ndarray:
    """x (batch, *spatial, C) padded on the spatial axes with a constant."""
    if not any(b or a for b, a in pads):
        return x
    shape = (x.shape[0], *(n + b + a for n, (b, a) in zip(x.shape[1:-1], pads)), x.shape[-1])
    out = np.empty(shape, dtype=x.dtype)
    inner = (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[1:-1], pads)) + (slice(None),)
    out[inner] = x
    for axis, (n, (b, a)) in enumerate(zip(x.shape[1:-1], pads), 1):  # fill only the border slabs
        for border in (slice(0, b), slice(b + n, b + n + a)):
            index = [slice(None)] * out.ndim
            index[axis] = border
            out[tuple(index)] = value
    return out


def pieces(batch: int, counts: tuple[int, ...], bytes_per_window: int) -> Iterator[tuple[slice, slice]]:
    """(batch slice, rows slice) pieces whose im2col buffer stays under CHUNK_BYTES."""
    per_row = bytes_per_window * prod(counts[1:])
    per_sample = per_row * counts[0]
    if per_sample <= CHUNK_BYTES:
        step = max(1, CHUNK_BYTES // max(per_sample, 1))
        for b in range(0, batch, step):
            yield slice(b, min(b + step, batch)), slice(0, counts[0])
        return
    rows = max(1, CHUNK_BYTES // max(per_row, 1))
    for b in range(batch):
        for r in range(0, counts[0], rows):
            yield slice(b, b + 1), slice(r, min(r + rows, counts[0]))


def correlate(buf: np.ndarray, grid: Grid, weight: np.ndarray, ops: OpCounter) -> np.ndarray:
    """Cross-correlation: out[b, o, (g, j)] = sum over taps t and channels c of
    buf[b, o*s + t*d, (g, c)] * weight[g, *t, c, j]; weight is (groups, *kernels, c_in/g, c_out/g)."""
    groups, cin_g, cout_g = weight.shape[0], weight.shape[-2], weight.shape[-1]
    batch, channels = buf.shape[0], buf.shape[-1]
    if channels != groups * cin_g:
        raise ValueError(f"{channels} channels do not fit weight {weight.shape}")
    out = np.empty((batch, *grid.counts, groups * cout_g), dtype=buf.dtype)
    if cin_g == 1 and groups > 1:
        return _depthwise(buf, grid, weight, out, ops)
    taps = grid.taps
    if taps == 1:
        view = grid.tap_view(buf, (0,) * grid.ndim)
        _grouped_matmul(view.reshape(-1, 1, channels), weight, out.reshape(-1, groups * cout_g), ops)
        return out
    windows = grid.windows(buf)
    for batches, rows in pieces(batch, grid.counts, taps * channels * buf.itemsize):
        cols = windows[batches, rows]
        target = out[batches, rows].reshape(-1, groups * cout_g)
        _grouped_matmul(cols.reshape(-1, taps, channels), weight, target, ops)
    return out


def _grouped_matmul(cols: np.ndarray, weight: np.ndarray, out2d: np.ndarray, ops: OpCounter) -> None:
    """out2d[p, (g, j)] = sum_{t, c} cols[p, t, (g, c)] * weight[g, t, c, j] (BLAS per group)."""
    groups, cin_g, cout_g = weight.shape[0], weight.shape[-2], weight.shape[-1]
    positions, taps = cols.shape[0], cols.shape[1]
    if groups == 1:
        a = cols.reshape(positions, taps * cin_g)
        b = weight.reshape(taps * cin_g, cout_g)
        np.matmul(a, b, out=out2d)
        ops.matmul_macs(a.shape, b.shape)
        return
    a = cols.reshape(positions, taps, groups, cin_g).transpose(2, 0, 1, 3).reshape(groups, positions, taps * cin_g)
    b = weight.reshape(groups, taps * cin_g, cout_g)
    result = np.matmul(a, b)
    ops.matmul_macs(a.shape, b.shape)
    out2d.reshape(positions, groups, cout_g)[...] = result.transpose(1, 0, 2)


def _depthwise(buf: np.ndarray, grid: Grid, weight: np.ndarray, out: np.ndarray, ops: OpCounter) -> np.ndarray:
    """Depthwise correlation (one input channel per group): a multiply-add per tap, vectorised."""
    groups, multiplier = weight.shape[0], weight.shape[-1]
    acc = out.reshape(*out.shape[:-1], groups, multiplier)
    acc[...] = 0
    product = np.empty_like(acc)
    for tap in grid.tap_offsets():
        view = grid.tap_view(buf, tap)[..., None]
        np.multiply(view, weight[(slice(None),) + tap + (0, slice(None))], out=product)
        acc += product
        ops.count("mac", product.size)
    return out


def scatter_correlate(src: np.ndarray, grid: Grid, weight: np.ndarray, buf: np.ndarray,
                      ops: OpCounter | None = None) -> None:
    """Adjoint of `correlate`: buf[b, o*s + t*d, (g, c)] += sum_j src[b, o, (g, j)] * weight[g, *t, c, j].
    The scatter-add accumulates products the matmul made: the accumulate half of those MACs."""
    ops = ops or OpCounter()
    groups, cbuf_g, csrc_g = weight.shape[0], weight.shape[-2], weight.shape[-1]
    batch, taps = src.shape[0], grid.taps
    if cbuf_g == 1 and groups > 1:
        for tap in grid.tap_offsets():
            w = weight[(slice(None),) + tap + (0, slice(None))]  # (groups, multiplier)
            contribution = (src.reshape(*src.shape[:-1], groups, csrc_g) * w).sum(-1)
            ops.count("mac", contribution.size * csrc_g)
            grid.tap_view(buf, tap)[...] += contribution
        return
    wt = np.ascontiguousarray(np.moveaxis(weight.reshape(groups, taps * cbuf_g, csrc_g), -1, -2))
    tap_list = list(grid.tap_offsets())
    for batches, rows in pieces(batch, grid.counts, taps * groups * cbuf_g * src.itemsize):
        piece = src[batches, rows]
        lead = piece.shape[:-1]
        flat = piece.reshape(-1, groups, csrc_g)
        if groups == 1:
            a = flat[:, 0, :]
            cols = a @ wt[0]
            ops.matmul_macs(a.shape, wt[0].shape)
            cols = cols.reshape(*lead, taps, cbuf_g)
        else:
            a = np.ascontiguousarray(flat.transpose(1, 0, 2))
            cols = np.matmul(a, wt)  # (groups, positions, taps * cbuf_g)
            ops.matmul_macs(a.shape, wt.shape)
            cols = cols.reshape(groups, -1, taps, cbuf_g).transpose(1, 2, 0, 3).reshape(*lead, taps, groups * cbuf_g)
        for index, tap in enumerate(tap_list):
            target = grid.tap_view(buf[batches], tap, rows)
            target += cols[..., index, :]


def scatter_or(mask: np.ndarray, grid: Grid, buf: np.ndarray) -> None:
    """Bit masks: buf[o*s + t*d] |= mask[o] for every tap t (mask and buf have a leading batch axis)."""
    for tap in grid.tap_offsets():
        target = grid.tap_view(buf, tap)
        np.bitwise_or(target, mask, out=target)


def gather_or(buf: np.ndarray, grid: Grid) -> np.ndarray:
    """Bit masks: out[o] = OR over taps t of buf[o*s + t*d]."""
    out = np.zeros((buf.shape[0], *grid.counts, buf.shape[-1]), dtype=buf.dtype)
    for tap in grid.tap_offsets():
        np.bitwise_or(out, grid.tap_view(buf, tap), out=out)
    return out
