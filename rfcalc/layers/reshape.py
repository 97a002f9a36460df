"""Layers that move or resample data: flatten, linear, padding, upsampling, identity."""
from __future__ import annotations

from fractions import Fraction
from math import floor, prod
from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, PositiveInt, model_validator

from ..axis import IDENTITY, AxisMap, window_map
from .base import Family, IntOrList, LayerError, LayerFacts, LayerModel, Shape, elementwise_facts, resolve_padding
from .pool import ratio_map


class Identity(LayerModel):
    """Passes its input through unchanged."""

    type: Literal["identity"]
    family: ClassVar = Family.IDENTITY

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0])


class Flatten(LayerModel):
    """Flattens everything but the batch: every later unit depends on the whole input."""

    type: Literal["flatten"]
    category: ClassVar = "shape"
    family: ClassVar = Family.FLATTEN

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        if len(shape) == 1:
            return elementwise_facts(shape)
        return LayerFacts((prod(shape),), None)


class Linear(LayerModel):
    """Fully connected layer on a flat input [in_features]: in x out MACs, out biases."""

    type: Literal["linear", "dense"]
    category: ClassVar = "linear"
    family: ClassVar = Family.LINEAR
    out_features: PositiveInt
    in_features: Optional[PositiveInt] = Field(None, description="checked against the input when given")
    bias: bool = True

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        if len(shape) != 1:
            raise LayerError(f"linear expects a flat input [features]; got shape {list(shape)} "
                             f"(add a flatten or global pooling layer before it)")
        if self.in_features is not None and self.in_features != shape[0]:
            raise LayerError(f"in_features is {self.in_features} but the input has {shape[0]} features")
        return LayerFacts((self.out_features,), None,
                          params=shape[0] * self.out_features + self.out_features * self.bias,
                          macs=shape[0] * self.out_features,
                          ops={"add": self.out_features} if self.bias else {})


class Pad(LayerModel):
    """Constant (zero by default) padding of the spatial axes: an int, per-axis ints or [before, after]
    pairs; negative values crop, as in PyTorch's F.pad (e.g. U-Net's cropped skips)."""

    type: Literal["pad", "zero_pad", "constant_pad"]
    category: ClassVar = "shape"
    family: ClassVar = Family.PAD
    needs_spatial: ClassVar = True
    padding: Union[int, list[Union[int, list[int]]]]
    value: float = 0.0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        self.check_input(shape)
        ndim = len(shape) - 1
        pads = resolve_padding(self.padding, ndim, shape[1:], (1,) * ndim, (1,) * ndim, (1,) * ndim)
        sizes = tuple(n + before + after for n, (before, after) in zip(shape[1:], pads))
        if min(sizes, default=1) < 1:
            raise LayerError(f"padding {self.padding} crops the input {list(shape)} to nothing")
        return LayerFacts((shape[0], *sizes), tuple(window_map(1, 1, before) for before, _ in pads))


class Upsample(LayerModel):
    """Nearest or (bi/tri)linear upsampling by scale_factor or to a size, PyTorch's coordinate rules.
    Linear modes: 2^d multiplications and 2^d - 1 adds per output element; nearest: none."""

    type: Literal["upsample", "upsample1d", "upsample2d", "upsample3d"]
    category: ClassVar = "resampling"
    family: ClassVar = Family.UPSAMPLE
    needs_spatial: ClassVar = True
    scale_factor: Optional[Union[float, list[float]]] = None
    size: Optional[IntOrList] = None
    mode: Literal["nearest", "linear", "bilinear", "trilinear"] = "nearest"
    align_corners: Optional[bool] = None

    @model_validator(mode="after")
    def _one_of_scale_or_size(self):
        if (self.scale_factor is None) == (self.size is None):
            raise ValueError("give exactly one of scale_factor and size")
        if self.align_corners is not None and self.mode == "nearest":
            raise ValueError("align_corners applies only to the linear modes")
        return self

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        self.check_input(shape)
        ndim = len(shape) - 1
        wanted = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(self.mode)
        if wanted is not None and wanted != ndim:
            raise LayerError(f"mode '{self.mode}' needs {wanted} spatial axes; the input has {ndim}")
        sizes, maps = [], []
        for axis, n in enumerate(shape[1:]):
            out, ratio = self._axis(axis, n, ndim)
            sizes.append(out)
            maps.append(self._map(n, out, ratio))
        out_shape = (shape[0], *sizes)
        ops = {}
        if self.mode != "nearest":
            ops = {"mul": prod(out_shape) * 2 ** ndim, "add": prod(out_shape) * (2 ** ndim - 1)}
        return LayerFacts(out_shape, tuple(maps), ops=ops)

    def _axis(self, axis: int, n: int, ndim: int) -> tuple[int, Fraction]:
        """Output size and the input-per-output ratio used for coordinates on one axis."""
        if self.size is not None:
            sizes = [self.size] * ndim if isinstance(self.size, int) else self.size
            if len(sizes) != ndim or min(sizes) < 1:
                raise LayerError(f"size {self.size} must give one positive size per spatial axis ({ndim})")
            return sizes[axis], Fraction(n, sizes[axis])
        scales = [self.scale_factor] * ndim if not isinstance(self.scale_factor, list) else self.scale_factor
        if len(scales) != ndim or min(scales) <= 0:
            raise LayerError(f"scale_factor {self.scale_factor} must give one positive factor per axis ({ndim})")
        scale = Fraction(str(scales[axis]))
        out = floor(n * float(scales[axis]))  # PyTorch computes the size in floating point
        if out < 1:
            raise LayerError(f"scale_factor {scales[axis]} shrinks axis {axis} of size {n} to nothing")
        return out, 1 / scale

    def _map(self, n: int, out: int, ratio: Fraction) -> AxisMap:
        """Which inputs each output reads (exact rational coordinates; zero-weight taps excluded)."""
        if self.mode == "nearest":
            return ratio_map_exact(ratio, lambda q: (((q * ratio).__floor__(),) * 2,))
        if out == n:  # PyTorch copies an axis whose size does not change in the linear modes
            return IDENTITY
        if self.align_corners:
            if out == 1:
                return AxisMap(1, 0, (((0, 0),),))
            ratio = Fraction(n - 1, out - 1)
            return ratio_map_exact(ratio, lambda q: _linear_reads(q * ratio))
        return ratio_map_exact(ratio, lambda q: _linear_reads((q + Fraction(1, 2)) * ratio - Fraction(1, 2)))


def _linear_reads(x: Fraction):
    """Input indices with non-zero weight in linear interpolation at coordinate x."""
    low = x.__floor__()
    return ((low, low),) if x == low else ((low, low + 1),)


def ratio_map_exact(ratio: Fraction, reads) -> AxisMap:
    """Map whose pattern repeats every ratio.denominator outputs, advancing ratio.numerator inputs."""
    return ratio_map(ratio.numerator, ratio.denominator, reads)
