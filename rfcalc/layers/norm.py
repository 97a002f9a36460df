"""Normalisation and regularisation: batch norm (inference form), layer norm, dropout."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal, Optional

from pydantic import Field, PositiveFloat, PositiveInt

from ..axis import IDENTITY, explicit_map
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
        affine = int(self.elementwise_affine)
        ops = {"add": 3 * elements - groups + affine * elements, "mul": elements + affine * elements,
               "div": elements + 2 * groups, "exp": groups}
        return LayerFacts(shape, maps, params=2 * group * affine, ops=ops)


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
