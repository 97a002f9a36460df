"""Normalisation and regularisation: batch norm (inference form), layer norm, group norm, dropout."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal, Optional

from pydantic import Field, PositiveFloat, PositiveInt

from ..axis import IDENTITY, AxisMap, explicit_map
from ..findings import BatchStatistics
from .base import Family, LayerError, LayerFacts, LayerModel, Shape, elementwise_facts


class BatchNorm(LayerModel):
    """Batch normalisation in its inference form y = x * a + b per channel (1 mul + 1 add per element);
    gamma and beta are parameters, running mean and variance non-trainable buffers."""

    type: Literal["batchnorm", "batchnorm1d", "batchnorm2d", "batchnorm3d"]
    category: ClassVar = "normalisation"
    family: ClassVar = Family.BATCHNORM
    num_features: Optional[PositiveInt] = None
    eps: PositiveFloat = 1e-5
    momentum: float = Field(0.1, ge=0, le=1)
    affine: bool = True
    track_running_stats: bool = True

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        self.check_input(shape)
        channels = shape[0]
        if self.num_features is not None and self.num_features != channels:
            raise LayerError(f"num_features is {self.num_features} but the input has {channels} channels")
        base = elementwise_facts(shape, mul=1, add=1)
        findings = () if self.track_running_stats else (BatchStatistics(),)
        return LayerFacts(shape, base.axis_maps, params=2 * channels * self.affine,
                          buffers=2 * channels * self.track_running_stats, ops=base.ops, findings=findings)


class LayerNorm(LayerModel):
    """Layer normalisation over the trailing `normalized_shape` (default: the whole sample), per group
    of g elements: mean (g - 1 adds, 1 div), centring (g adds), variance (g muls, g - 1 adds, 1 div),
    + eps (1 add), square root (1 exp kind), g divs; the affine part adds g muls and g adds."""

    type: Literal["layernorm"]
    category: ClassVar = "normalisation"
    family: ClassVar = Family.LAYERNORM
    normalized_shape: Optional[list[PositiveInt]] = None
    eps: PositiveFloat = 1e-5
    elementwise_affine: bool = True

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        normalized = tuple(self.normalized_shape or shape)
        if len(normalized) > len(shape) or tuple(shape[len(shape) - len(normalized):]) != normalized:
            raise LayerError(f"normalized_shape {list(normalized)} must be the trailing dimensions of the "
                             f"input shape {list(shape)}")
        elements, group = prod(shape), prod(normalized)
        groups = elements // group
        first_normalized = len(shape) - len(normalized)
        # A spatial axis inside normalized_shape makes every output read that whole axis.
        maps = tuple(explicit_map([((0, n - 1),)], 0) if 1 + axis >= first_normalized else IDENTITY
                     for axis, n in enumerate(shape[1:]))
        return LayerFacts(shape, maps, params=2 * group * self.elementwise_affine,
                          ops=normalisation_ops(elements, groups, self.elementwise_affine),
                          local_maps=statistics_local_maps(maps))


class GroupNorm(LayerModel):
    """Group normalisation (Wu and He, 2018): the channels split into num_groups groups, each normalised
    over its channels and every position, per sample. Counted as layer norm is, per group of g
    elements: mean (g - 1 adds, 1 div), centring (g adds), variance (g muls, g - 1 adds, 1 div), + eps
    (1 add), square root (1 exp kind), g divs; the per-channel affine part g muls and g adds. Every
    output reads the whole spatial extent of its input."""

    type: Literal["group_norm", "groupnorm"]
    category: ClassVar = "normalisation"
    family: ClassVar = Family.GROUPNORM
    num_groups: PositiveInt
    num_channels: Optional[PositiveInt] = Field(None, description="checked against the input when given")
    eps: PositiveFloat = 1e-5
    affine: bool = True

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        channels = shape[0]
        if self.num_channels is not None and self.num_channels != channels:
            raise LayerError(f"num_channels is {self.num_channels} but the input has {channels} channels")
        if channels % self.num_groups:
            raise LayerError(f"num_groups {self.num_groups} must divide the {channels} input channels")
        maps = tuple(explicit_map([((0, n - 1),)], 0) for n in shape[1:])
        return LayerFacts(shape, maps, params=2 * channels * self.affine,
                          ops=normalisation_ops(prod(shape), self.num_groups, self.affine),
                          local_maps=statistics_local_maps(maps))


def statistics_local_maps(maps: tuple[AxisMap, ...]) -> Optional[tuple[AxisMap, ...]]:
    """Local maps of a layer whose whole-axis reads are statistics (a mean, a variance, a softmax's
    sum): along local paths each unit reads only its own position (None: no axis is read whole)."""
    local = (IDENTITY,) * len(maps)
    return None if local == maps else local


def normalisation_ops(elements: int, groups: int, affine: bool) -> dict[str, int]:
    """Operations of normalising `elements` values in `groups` equal groups (see LayerNorm), by kind."""
    return {"add": 3 * elements - groups + affine * elements, "mul": elements + affine * elements,
            "div": elements + 2 * groups, "exp": groups}


class Dropout(LayerModel):
    """Dropout: the identity at inference, so no operations are counted."""

    type: Literal["dropout", "dropout1d", "dropout2d", "dropout3d"]
    category: ClassVar = "regularisation"
    family: ClassVar = Family.DROPOUT
    p: float = 0.5

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        if not 0 <= self.p < 1:
            raise LayerError(f"p must be in [0, 1); got {self.p}")
        return elementwise_facts(inputs[0])
