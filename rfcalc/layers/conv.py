"""Convolution-like layers: plain, depthwise, transposed, separable, spatially separable,
locally connected (unshared) and tiled convolution."""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import ClassVar, Literal, Optional

from pydantic import Field, PositiveInt

from ..axis import MAX_PHASES, explicit_map, merge_intervals
from ..findings import DroppedPixels
from .base import (MAX_VALUE, Family, IntOrList, LayerError, LayerFacts, LayerModel, PaddingValue, Shape, Window, nonzero,
                   per_axis, resolve_padding, spatial_size)

# Only zero padding: other modes make border units read mirrored pixels, which the RF maps do not model.
PaddingMode = Literal["zeros"]


class WindowedLayer(LayerModel):
    """Fields and rules shared by every layer that slides a window over its input."""

    kernel_size: IntOrList
    stride: IntOrList = 1
    padding: PaddingValue = 0
    dilation: IntOrList = 1

    def windows(self, shape: Shape, ceil_mode: bool = False) -> tuple[Window, ...]:
        """One Window per spatial axis of `shape`."""
        ndim = len(shape) - 1
        if ndim < 1:
            raise LayerError(f"{self.type} needs spatial axes; got a flat input of shape {list(shape)}")
        kernels = per_axis(self.kernel_size, ndim, "kernel_size")
        strides = per_axis(self.stride, ndim, "stride")
        dilations = per_axis(self.dilation, ndim, "dilation")
        for what, values in (("kernel_size", kernels), ("stride", strides), ("dilation", dilations)):
            if min(values) < 1:
                raise LayerError(f"{what} must be positive; got {list(values)}")
        pads = resolve_padding(self.padding, ndim, shape[1:], kernels, strides, dilations)
        if min(min(p) for p in pads) < 0:
            raise LayerError(f"padding must not be negative; got {self.padding}")
        return tuple(Window(k, s, pb, pa, d, ceil_mode)
                     for k, s, (pb, pa), d in zip(kernels, strides, pads, dilations))

    def windowed_facts(self, shape: Shape, out_channels: int, windows: tuple[Window, ...],
                       **costs) -> LayerFacts:
        """Facts of a window layer: output shape, maps and dropped-pixel warnings."""
        sizes = tuple(w.output_size(n) for w, n in zip(windows, shape[1:]))
        dropped = tuple(DroppedPixels(axis=axis, count=w.dropped(n), size=n, stride=w.stride,
                                      span=n + w.pad_before + w.pad_after - w.extent)
                        for axis, (w, n) in enumerate(zip(windows, shape[1:])) if w.dropped(n))
        return LayerFacts((out_channels, *sizes), tuple(w.axis_map() for w in windows), dropped=dropped,
                          windows=windows, **costs)


class ChannelMixing(WindowedLayer):
    """Convolution-style layer with in/out channels, groups and bias."""

    out_channels: PositiveInt
    in_channels: Optional[PositiveInt] = Field(None, description="checked against the input when given")
    groups: PositiveInt = 1
    bias: bool = True
    padding_mode: PaddingMode = "zeros"

    def channels(self, shape: Shape) -> int:
        """Input channels, checked against in_channels and groups."""
        self.check_input(shape)
        c_in = shape[0]
        if self.in_channels is not None and self.in_channels != c_in:
            raise LayerError(f"in_channels is {self.in_channels} but the input has {c_in} channels "
                             f"(shape {list(shape)})")
        if c_in % self.groups or self.out_channels % self.groups:
            raise LayerError(f"groups={self.groups} must divide both in_channels ({c_in}) "
                             f"and out_channels ({self.out_channels})")
        return c_in

    def plan(self, inputs: list[Shape]) -> "WindowPlan":
        """Checked input channels, windows and the window facts (output shape, maps, drops)."""
        shape = inputs[0]
        c_in = self.channels(shape)
        windows = self.windows(shape)
        return WindowPlan(c_in, windows, self.windowed_facts(shape, self.out_channels, windows))


@dataclass(frozen=True)
class WindowPlan:
    """What a window layer's cost rules need: input channels, windows, and the facts without costs."""

    c_in: int
    windows: tuple[Window, ...]
    facts: LayerFacts

    @property
    def taps(self) -> int:
        """Kernel elements per channel."""
        return prod(w.kernel for w in self.windows)

    @property
    def outputs(self) -> int:
        """Output elements."""
        return prod(self.facts.output_shape)

    @property
    def positions(self) -> int:
        """Output positions per channel."""
        return spatial_size(self.facts.output_shape)

    def with_costs(self, params: int, macs: int, adds: int) -> LayerFacts:
        """The facts with parameters, MACs and the bias adds filled in."""
        return replace(self.facts, params=params, macs=macs, ops=nonzero({"add": adds}))


class Conv(ChannelMixing):
    """Convolution (cross-correlation, as deep-learning frameworks compute it): strided, padded,
    dilated, grouped; depthwise when groups = in_channels."""

    type: Literal["conv", "conv1d", "conv2d", "conv3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.CONV

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        g = self.plan(inputs)
        per_output = (g.c_in // self.groups) * g.taps
        return g.with_costs(params=self.out_channels * per_output + self.out_channels * self.bias,
                            macs=g.outputs * per_output, adds=g.outputs * self.bias)


class DepthwiseConv(ChannelMixing):
    """Depthwise convolution: each input channel convolved with depth_multiplier filters of its own."""

    type: Literal["depthwise_conv", "depthwise_conv1d", "depthwise_conv2d", "depthwise_conv3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.CONV
    out_channels: Optional[PositiveInt] = Field(None, description="defaults to in_channels * depth_multiplier")
    depth_multiplier: PositiveInt = 1
    groups: Literal[None] = Field(None, description="always in_channels")

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        c_in = shape[0]
        self.check_input(shape)
        derived = c_in * self.depth_multiplier
        if self.out_channels is not None and self.out_channels != derived:
            raise LayerError(f"out_channels {self.out_channels} must equal in_channels {c_in} x "
                             f"depth_multiplier {self.depth_multiplier}")
        if derived > MAX_VALUE:
            raise LayerError(f"out_channels = in_channels {c_in:,} x depth_multiplier {self.depth_multiplier} = "
                             f"{derived:,} is too large (at most {MAX_VALUE:,})")
        # The same layer as a grouped conv, built from values already validated (and the bounded derived ones).
        as_conv = Conv.model_construct(type="conv", out_channels=derived, in_channels=self.in_channels, groups=c_in,
                                       bias=self.bias, kernel_size=self.kernel_size, stride=self.stride,
                                       padding=self.padding, dilation=self.dilation)
        return as_conv.facts(inputs)


class ConvTranspose(ChannelMixing):
    """Transposed ("fractionally strided") convolution, PyTorch semantics incl. output_padding."""

    type: Literal["conv_transpose", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.TRANSPOSED
    padding: IntOrList | list[list[int]] = 0
    output_padding: IntOrList = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        c_in = self.channels(shape)
        windows = self.windows(shape)
        extra = per_axis(self.output_padding, len(windows), "output_padding")
        sizes, maps = [], []
        for w, n, op in zip(windows, shape[1:], extra):
            if op < 0:
                raise LayerError(f"output_padding {op} must not be negative")
            if op >= max(w.stride, w.dilation):
                raise LayerError(f"output_padding {op} must be smaller than stride {w.stride} or dilation "
                                 f"{w.dilation}")
            if w.stride > MAX_PHASES:
                raise LayerError(f"stride {w.stride} is too large for a transposed convolution's exact RF map "
                                 f"(at most {MAX_PHASES:,})")
            size = (n - 1) * w.stride - w.pad_before - w.pad_after + w.extent + op
            if size < 1:
                raise LayerError(f"output size would be {size}: padding {w.pad_before}+{w.pad_after} "
                                 f"crops more than the {size - 1 + w.pad_before + w.pad_after + 1} pixels produced")
            sizes.append(size)
            maps.append(_transposed_map(w))
        taps = prod(w.kernel for w in windows)
        out_shape = (self.out_channels, *sizes)
        # MACs: every input element is multiplied into (out_channels / groups) x kernel outputs, as
        # frameworks compute it (scatter, then crop by padding); never counted per output pixel.
        macs = prod(shape) * (self.out_channels // self.groups) * taps
        return LayerFacts(out_shape, tuple(maps), windows=windows,
                          params=c_in * (self.out_channels // self.groups) * taps + self.out_channels * self.bias,
                          macs=macs, ops=nonzero({"add": prod(out_shape) * self.bias}))


def _transposed_map(w: Window):
    """Output o of a transposed window reads input i when o = i*stride - pad_before + t*dilation."""
    phases = []
    for q in range(w.stride):
        reads = [(q + w.pad_before - t * w.dilation) // w.stride for t in range(w.kernel)
                 if (q + w.pad_before - t * w.dilation) % w.stride == 0]
        phases.append(merge_intervals((i, i) for i in reads))
    return explicit_map(phases, 1)


class SeparableConv(ChannelMixing):
    """Depthwise-separable convolution (Keras SeparableConv): a depthwise window, then a 1x1 pointwise conv."""

    type: Literal["separable_conv", "separable_conv1d", "separable_conv2d", "separable_conv3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.CONV
    depth_multiplier: PositiveInt = 1
    groups: Literal[1] = 1

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        g = self.plan(inputs)
        mid = g.c_in * self.depth_multiplier
        per_position = mid * g.taps + mid * self.out_channels
        return g.with_costs(params=per_position + self.out_channels * self.bias,
                            macs=g.positions * per_position, adds=g.outputs * self.bias)


class SpatiallySeparableConv(ChannelMixing):
    """Spatially separable convolution: a k x 1 conv then a 1 x k conv (one 1-D conv per axis, in order).
    The first maps in_channels to out_channels, the rest out_channels to out_channels; bias on the last."""

    type: Literal["spatially_separable_conv", "spatially_separable_conv2d", "spatially_separable_conv3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.CONV
    groups: Literal[1] = 1

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        g = self.plan(inputs)
        params, macs, sizes, channels = 0, 0, list(inputs[0][1:]), g.c_in
        for axis, w in enumerate(g.windows):  # one 1-D conv per axis, each shrinking its own axis
            sizes[axis] = g.facts.output_shape[1 + axis]
            params += self.out_channels * channels * w.kernel
            macs += self.out_channels * prod(sizes) * channels * w.kernel
            channels = self.out_channels
        return g.with_costs(params=params + self.out_channels * self.bias, macs=macs, adds=g.outputs * self.bias)


class LocallyConnected(ChannelMixing):
    """Locally connected (unshared) convolution: a separate filter at every output position (Keras
    LocallyConnected); bias per output element."""

    type: Literal["locally_connected", "locally_connected1d", "locally_connected2d", "locally_connected3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.UNSHARED
    groups: Literal[1] = 1

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        g = self.plan(inputs)
        return g.with_costs(params=g.outputs * (g.c_in * g.taps + self.bias),
                            macs=g.outputs * g.c_in * g.taps, adds=g.outputs * self.bias)


class TiledConv(ChannelMixing):
    """Tiled convolution (Goodfellow et al. 9.5): tile_size^d filter banks used in rotation across
    positions; a bias per output channel per tile."""

    type: Literal["tiled_conv", "tiled_conv1d", "tiled_conv2d", "tiled_conv3d"]
    category: ClassVar = "convolution"
    family: ClassVar = Family.UNSHARED
    tile_size: IntOrList = 2
    groups: Literal[1] = 1

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        g = self.plan(inputs)
        tile_sizes = per_axis(self.tile_size, len(g.windows), "tile_size")
        if min(tile_sizes) < 1:
            raise LayerError(f"tile_size must be positive; got {self.tile_size}")
        tiles = prod(tile_sizes)
        return g.with_costs(params=tiles * self.out_channels * (g.c_in * g.taps + self.bias),
                            macs=g.outputs * g.c_in * g.taps, adds=g.outputs * self.bias)
