"""Pooling: max, average and LP (power-average) windows with padding and ceil_mode; adaptive and
global pooling."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import prod
from typing import ClassVar, Literal, Optional

from pydantic import Field, PositiveFloat

from ..axis import MAX_PHASES, AxisMap, explicit_map
from .base import Family, IntOrList, LayerError, LayerFacts, LayerModel, Shape, Window, nonzero, per_axis
from .conv import WindowedLayer


class WindowPool(WindowedLayer):
    """Fields and checks shared by max, average and LP pooling (stride defaults to kernel_size)."""

    category: ClassVar = "pooling"
    stride: Optional[IntOrList] = Field(None, description="defaults to kernel_size")
    padding: IntOrList | list[list[int]] = 0
    ceil_mode: bool = False

    def pool_windows(self, shape: Shape) -> tuple[Window, ...]:
        """Windows per axis, with PyTorch's rule that padding is at most half the kernel."""
        self.check_input(shape)
        stride = self.kernel_size if self.stride is None else self.stride
        windows = self.model_copy(update={"stride": stride}).windows(shape, self.ceil_mode)
        for w in windows:
            if max(w.pad_before, w.pad_after) > w.kernel // 2:  # PyTorch checks the undilated kernel
                raise LayerError(f"padding {max(w.pad_before, w.pad_after)} must be at most half the "
                                 f"kernel size {w.kernel} (PyTorch's rule)")
        return windows

    def pool_facts(self, shape: Shape, **per_output_window) -> LayerFacts:
        """Facts with ops given per output as a function of the window size k: {kind: f(k)}."""
        windows = self.pool_windows(shape)
        facts = self.windowed_facts(shape, shape[0], windows)
        taps = prod(w.kernel for w in windows)
        outputs = prod(facts.output_shape)
        ops = {kind: outputs * rule(taps) for kind, rule in per_output_window.items()}
        return replace(facts, ops=nonzero(ops))


class MaxPool(WindowPool):
    """Max pooling: k - 1 comparisons per output."""

    type: Literal["maxpool", "maxpool1d", "maxpool2d", "maxpool3d"]
    family: ClassVar = Family.MAXPOOL

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return self.pool_facts(inputs[0], cmp=lambda k: k - 1)


class AvgPool(WindowPool):
    """Average pooling: k - 1 adds and one division per output (count_include_pad changes the divisor,
    not the operation count)."""

    type: Literal["avgpool", "avgpool1d", "avgpool2d", "avgpool3d"]
    family: ClassVar = Family.AVGPOOL
    dilation: Literal[1] = 1
    count_include_pad: bool = True

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return self.pool_facts(inputs[0], add=lambda k: k - 1, div=lambda k: 1)


class LPPool(WindowPool):
    """LP pooling (power average, L2 pooling for norm_type 2): (sum x^p)^(1/p) over each window.
    x^p once per input element (a mul for p = 2, an exp-kind power otherwise, nothing for p = 1);
    k - 1 adds and one root (exp kind; none for p = 1) per output."""

    type: Literal["lppool", "lppool1d", "lppool2d", "lppool3d"]
    family: ClassVar = Family.LPPOOL
    norm_type: PositiveFloat = 2.0
    dilation: Literal[1] = 1
    padding: Literal[0] = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        root = 0 if self.norm_type == 1 else 1
        facts = self.pool_facts(inputs[0], add=lambda k: k - 1, exp=lambda k: root)
        powers = 0 if self.norm_type == 1 else prod(inputs[0])
        power_kind = "mul" if self.norm_type == 2 else "exp"
        ops = {**facts.ops, power_kind: facts.ops.get(power_kind, 0) + powers}
        return replace(facts, ops=nonzero(ops))


def adaptive_bounds(o: int, n_in: int, n_out: int) -> tuple[int, int]:
    """PyTorch's adaptive pooling window of output o: [floor(o n_in / n_out), ceil((o+1) n_in / n_out))."""
    return (o * n_in) // n_out, -(-((o + 1) * n_in) // n_out)


def _adaptive_reads(o: int, n_in: int, n_out: int):
    """The input interval read by adaptive-pooling output o."""
    start, end = adaptive_bounds(o, n_in, n_out)
    return ((start, end - 1),)


def ratio_map(n_in: int, n_out: int, reads) -> AxisMap:
    """Map of a resampling layer whose pattern repeats every n_out/g outputs (g = gcd)."""
    ratio = Fraction(n_in, n_out)
    period = ratio.denominator
    if period > MAX_PHASES:
        raise LayerError(f"resampling {n_in} to {n_out} makes a pattern that repeats only every {period:,} "
                         f"outputs; rfcalc keeps RF maps exact up to {MAX_PHASES:,} (choose sizes with a "
                         f"larger common divisor)")
    return explicit_map([reads(q) for q in range(period)], ratio.numerator)


class AdaptivePool(LayerModel):
    """Base of adaptive average and max pooling to a fixed output size (PyTorch's window rule)."""

    category: ClassVar = "pooling"
    needs_spatial: ClassVar = True
    output_size: IntOrList

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        self.check_input(shape)
        sizes = per_axis(self.output_size, len(shape) - 1, "output_size")
        if min(sizes, default=1) < 1:
            raise LayerError(f"output_size must be positive; got {self.output_size}")
        # To one output, a whole-axis reduction: the unit stays put (j 0), as global pooling's does.
        maps = tuple(explicit_map([((0, n - 1),)], 0) if m == 1 else
                     ratio_map(n, m, lambda q, n=n, m=m: _adaptive_reads(q, n, m)) for n, m in zip(shape[1:], sizes))
        channels = shape[0]
        ops = self.ops(channels * _total_window_elements(shape[1:], sizes), channels * prod(sizes))
        # Pooling a whole axis to one value (output size 1, as squeeze-and-excitation does) is a global
        # reduction: no local path goes through it along that axis.
        local = tuple(None if m == 1 < n else amap for amap, n, m in zip(maps, shape[1:], sizes))
        return LayerFacts((channels, *sizes), maps, ops=nonzero(ops),
                          local_maps=local if local != maps else None)

    @staticmethod
    def ops(read: int, outputs: int) -> dict[str, int]:
        """Operations by kind when `outputs` windows read `read` elements in all."""
        raise NotImplementedError


class AdaptiveAvgPool(AdaptivePool):
    """Adaptive average pooling to a fixed output size (PyTorch's window rule): per window of k
    elements, k - 1 adds and one division."""

    type: Literal["adaptive_avgpool", "adaptive_avgpool1d", "adaptive_avgpool2d", "adaptive_avgpool3d"]
    family: ClassVar = Family.ADAPTIVE_AVG

    @staticmethod
    def ops(read: int, outputs: int) -> dict[str, int]:
        return {"add": read - outputs, "div": outputs}


class AdaptiveMaxPool(AdaptivePool):
    """Adaptive max pooling to a fixed output size (PyTorch's window rule): per window of k elements,
    k - 1 comparisons."""

    type: Literal["adaptive_maxpool", "adaptive_maxpool1d", "adaptive_maxpool2d", "adaptive_maxpool3d"]
    family: ClassVar = Family.ADAPTIVE_MAX

    @staticmethod
    def ops(read: int, outputs: int) -> dict[str, int]:
        return {"cmp": read - outputs}


def _total_window_elements(in_sizes: tuple[int, ...], out_sizes: tuple[int, ...]) -> int:
    """Sum over all output positions of their adaptive window's element count."""
    total = 1
    for n, m in zip(in_sizes, out_sizes):
        total *= sum(b - a for a, b in (adaptive_bounds(o, n, m) for o in range(m)))
    return total


class GlobalPool(LayerModel):
    """Base of global average and max pooling: one value per channel; output [C] (keepdims: [C, 1, ...])."""

    category: ClassVar = "pooling"
    keepdims: bool = False

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        if len(shape) < 2:
            raise LayerError(f"{self.type} needs spatial axes; got a flat input of shape {list(shape)}")
        channels, positions = shape[0], prod(shape[1:])
        ops = nonzero(self.ops(channels, positions))
        if self.keepdims:
            whole = tuple(explicit_map([((0, n - 1),)], 0) for n in shape[1:])
            return LayerFacts((channels,) + (1,) * (len(shape) - 1), whole, ops=ops, local_maps=(None,) * len(whole))
        return LayerFacts((channels,), None, ops=ops)

    @staticmethod
    def ops(channels: int, positions: int) -> dict[str, int]:
        """Operations by kind for `channels` reductions over `positions` values."""
        raise NotImplementedError


class GlobalAvgPool(GlobalPool):
    """Global average pooling: per channel, positions - 1 adds and one division; output [C]
    (keepdims: [C, 1, ...])."""

    type: Literal["global_avgpool"]
    family: ClassVar = Family.GLOBAL_AVG

    @staticmethod
    def ops(channels: int, positions: int) -> dict[str, int]:
        return {"add": channels * (positions - 1), "div": channels}


class GlobalMaxPool(GlobalPool):
    """Global max pooling: per channel, positions - 1 comparisons; output [C] (keepdims: [C, 1, ...])."""

    type: Literal["global_maxpool"]
    family: ClassVar = Family.GLOBAL_MAX

    @staticmethod
    def ops(channels: int, positions: int) -> dict[str, int]:
        return {"cmp": channels * (positions - 1)}
