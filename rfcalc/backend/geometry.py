"""The backend's own index geometry: padding, window counts, adaptive windows, resampling coordinates.

Written from the frameworks' definitions (PyTorch's ATen sources and TensorFlow's 'same' rule),
not from rfcalc's layer models, so that the two can disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional, Sequence

import numpy as np

from ..errors import RfcalcError


class KernelError(RfcalcError):
    """A layer the backend cannot run with these input shapes; the engine adds the layer's name."""


def per_axis(value: Any, ndim: int, what: str) -> tuple[int, ...]:
    """One value per spatial axis from an int or a list."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value,) * ndim
    values = tuple(value)
    if len(values) != ndim:
        raise KernelError(f"{what} {list(values)} needs {ndim} values (one per spatial axis)")
    return values


def resolve_padding(padding: Any, sizes: Sequence[int], kernels: Sequence[int], strides: Sequence[int],
                    dilations: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(before, after) zero padding per axis for an int, 'valid', 'same', per-axis ints or pairs."""
    ndim = len(sizes)
    if padding == "valid":
        return ((0, 0),) * ndim
    if padding == "same":
        pads = []
        for n, k, s, d in zip(sizes, kernels, strides, dilations):
            out = -(-n // s)  # TensorFlow: ceil(n / s) outputs; PyTorch 'same' is its stride-1 case
            total = max(0, (out - 1) * s + d * (k - 1) + 1 - n)
            pads.append((total // 2, total - total // 2))  # the odd pixel goes after
        return tuple(pads)
    if isinstance(padding, int):
        pads = ((padding, padding),) * ndim
    else:
        entries = list(padding)
        if len(entries) != ndim:
            raise KernelError(f"padding {padding} needs {ndim} entries")
        pads = tuple((e, e) if isinstance(e, int) else (int(e[0]), int(e[1])) for e in entries)
    if any(b < 0 or a < 0 for b, a in pads):
        raise KernelError(f"negative padding {padding}")
    return pads


@dataclass(frozen=True)
class AxisWindow:
    """A sliding window along one axis: kernel, stride, dilation, padding, and the output count."""

    size: int  # input length
    kernel: int
    stride: int
    dilation: int
    before: int
    after: int
    ceil_mode: bool = False

    @property
    def extent(self) -> int:
        """Input span of one window, holes included."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def outputs(self) -> int:
        """Number of windows (PyTorch's pooling_output_shape rule when ceil_mode)."""
        span = self.size + self.before + self.after - self.extent
        if self.ceil_mode:
            count = -(-span // self.stride) + 1
            # PyTorch: the last window must start inside the input or the left padding.
            if (count - 1) * self.stride >= self.size + self.before:
                count -= 1
        else:
            count = span // self.stride + 1
        if count < 1:
            raise KernelError(f"window of extent {self.extent} does not fit the padded length "
                              f"{self.size + self.before + self.after}")
        return count

    @property
    def padded(self) -> int:
        """Length of the padded buffer every window fits in (ceil_mode may need extra after)."""
        return max(self.size + self.before + self.after, (self.outputs - 1) * self.stride + self.extent)

    def starts(self) -> np.ndarray:
        """First input index (unpadded coordinates, may be negative) of every window."""
        return np.arange(self.outputs) * self.stride - self.before


def adaptive_windows(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive pooling windows: start = floor(o n_in / n_out), end = ceil((o+1) n_in / n_out)."""
    o = np.arange(n_out, dtype=np.int64)
    start = (o * n_in) // n_out
    end = -((-(o + 1) * n_in) // n_out)
    return start, end


@dataclass(frozen=True)
class Resampling:
    """Source indices and weights of one axis of nearest or linear resampling.

    Output o reads index low[o] with weight w_low[o] and high[o] with weight w_high[o]
    (linear modes), or index low[o] alone (nearest). Weights are exact rationals turned to float;
    `zero_high` marks outputs whose second tap has weight exactly zero.
    """

    low: np.ndarray
    high: np.ndarray
    w_low: np.ndarray
    w_high: np.ndarray
    zero_high: np.ndarray


def resampling(n_in: int, n_out: int, mode: str, align_corners: Optional[bool],
               scale: Optional[Fraction]) -> Resampling:
    """PyTorch's source-index rules (area_pixel_compute_source_index, nearest_neighbor_compute_source_index),
    in exact arithmetic.

    `scale` is 1/scale_factor when the user gave a scale factor (PyTorch then uses it, not
    n_in/n_out), else None.
    """
    o = np.arange(n_out, dtype=np.int64)
    ratio = scale if scale is not None else Fraction(n_in, n_out)
    if mode == "nearest":
        low = np.minimum((o * ratio.numerator) // ratio.denominator, n_in - 1)
        ones = np.ones(n_out)
        return Resampling(low, low, ones, np.zeros(n_out), np.ones(n_out, bool))
    if n_out == n_in:  # ATen's linear kernels copy an axis whose size does not change, whatever the scale
        ones = np.ones(n_out)
        return Resampling(o, o, ones, np.zeros(n_out), np.ones(n_out, bool))
    if align_corners:
        if n_out > 1:
            num, den = o * (n_in - 1), np.full(n_out, n_out - 1, dtype=np.int64)
        else:
            num, den = np.zeros(n_out, np.int64), np.ones(n_out, np.int64)
    else:
        # src = (o + 1/2) * p/q - 1/2 = ((2o + 1) p - q) / (2q), clamped at 0 for linear modes.
        p, q = ratio.numerator, ratio.denominator
        num = np.maximum((2 * o + 1) * p - q, 0)
        den = np.full(n_out, 2 * q, dtype=np.int64)
    low = num // den
    rem = num - low * den
    low = np.minimum(low, n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = rem / den
    return Resampling(low, high, 1.0 - frac, frac, rem == 0)
