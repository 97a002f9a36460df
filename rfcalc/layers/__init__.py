"""Every layer type rfcalc knows: the one place to add a new one is LAYER_TYPES below."""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .activation import (ELU, GELU, Hardsigmoid, Hardswish, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6, Sigmoid,
                         SiLU, Softmax, Tanh)
from .base import Family, LayerError, LayerFacts, LayerModel, Shape, Window
from .conv import (Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv,
                   SpatiallySeparableConv, TiledConv)
from .merge import Add, Concat, Divide, Maximum, Multiply, Subtract
from .norm import BatchNorm, Dropout, GroupNorm, LayerNorm
from .pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, GlobalAvgPool, GlobalMaxPool, LPPool, MaxPool
from .reshape import Flatten, Identity, Linear, Pad, Upsample

LAYER_TYPES: tuple[type[LayerModel], ...] = (
    Conv, DepthwiseConv, ConvTranspose, SeparableConv, SpatiallySeparableConv, LocallyConnected, TiledConv,
    MaxPool, AvgPool, LPPool, AdaptiveAvgPool, AdaptiveMaxPool, GlobalAvgPool, GlobalMaxPool,
    BatchNorm, LayerNorm, GroupNorm, Dropout,
    ReLU, ReLU6, Sigmoid, Tanh, SiLU, Hardswish, Hardsigmoid, LeakyReLU, ELU, PReLU, GELU, Softmax, LogSoftmax,
    Flatten, Linear, Pad, Upsample, Identity,
    Add, Multiply, Subtract, Divide, Maximum, Concat,
)

# The discriminated union of all layer types, on `type` (used for the JSON Schema).
Layer = Annotated[Union[LAYER_TYPES], Field(discriminator="type")]

# `type:` value -> model class: the same dispatch as the union, without building every validator.
TYPE_NAMES: dict[str, type[LayerModel]] = {
    name: cls for cls in LAYER_TYPES for name in cls.type_names()}


def type_names() -> dict[str, type[LayerModel]]:
    """Every accepted `type:` value and the model class that handles it."""
    return dict(TYPE_NAMES)


def validate_layer(values: dict) -> LayerModel:
    """Validate a layer mapping with the model its `type` names (pydantic.ValidationError if invalid)."""
    return TYPE_NAMES[values["type"]].model_validate(values)


__all__ = ["LAYER_TYPES", "Layer", "validate_layer", "Family", "LayerError", "LayerFacts", "LayerModel", "Shape",
           "Window", "type_names"]
