"""Every layer type rfcalc knows: the one place to add a new one is LAYER_TYPES below."""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from .activation import ELU, GELU, Activation, LeakyReLU, PReLU, Softmax
from .base import LayerError, LayerFacts, LayerModel, Shape, Window
from .conv import (Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv,
                   SpatiallySeparableConv, TiledConv)
from .merge import Concat, Merge
from .norm import BatchNorm, Dropout, LayerNorm
from .pool import AdaptivePool, AvgPool, GlobalPool, LPPool, MaxPool
from .reshape import Flatten, Identity, Linear, Pad, Upsample

LAYER_TYPES: tuple[type[LayerModel], ...] = (
    Conv, DepthwiseConv, ConvTranspose, SeparableConv, SpatiallySeparableConv, LocallyConnected, TiledConv,
    MaxPool, AvgPool, LPPool, AdaptivePool, GlobalPool,
    BatchNorm, LayerNorm, Dropout,
    Activation, LeakyReLU, ELU, PReLU, GELU, Softmax,
    Flatten, Linear, Pad, Upsample, Identity,
    Merge, Concat,
)

Layer = Annotated[Union[LAYER_TYPES], Field(discriminator="type")]
LAYER_ADAPTER: TypeAdapter = TypeAdapter(Layer)


def type_names() -> dict[str, type[LayerModel]]:
    """Every accepted `type:` value and the model class that handles it."""
    names = {}
    for cls in LAYER_TYPES:
        for name in cls.model_fields["type"].annotation.__args__:
            names[name] = cls
    return names


__all__ = ["LAYER_TYPES", "LAYER_ADAPTER", "Layer", "LayerError", "LayerFacts", "LayerModel", "Shape",
           "Window", "type_names"]
