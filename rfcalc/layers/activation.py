"""Activations. Each is counted per element by kind (see README "Counting")."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import PositiveInt

from ..axis import IDENTITY, explicit_map
from .base import LayerError, LayerFacts, LayerModel, Shape, elementwise_facts, nonzero

# Operations per element for the activations without parameters.
ELEMENTWISE_OPS: dict[str, dict[str, int]] = {
    "relu": {"cmp": 1},
    "relu6": {"cmp": 2},
    "sigmoid": {"exp": 1, "add": 1, "div": 1},
    "tanh": {"exp": 1},
    "silu": {"exp": 1, "add": 1, "div": 1, "mul": 1},
    "hardswish": {"add": 1, "cmp": 2, "mul": 1, "div": 1},
    "hardsigmoid": {"add": 1, "cmp": 2, "div": 1},
}


class Activation(LayerModel):
    """Parameter-free activation: relu, relu6, sigmoid, tanh, silu (swish), hardswish, hardsigmoid."""

    type: Literal[tuple(ELEMENTWISE_OPS)]  # the names are the keys of ELEMENTWISE_OPS
    category: ClassVar = "activation"
    inplace: bool = False

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], **ELEMENTWISE_OPS[self.type])


class LeakyReLU(LayerModel):
    """max(x, 0) + negative_slope * min(x, 0): 1 cmp + 1 mul per element."""

    type: Literal["leaky_relu"]
    category: ClassVar = "activation"
    negative_slope: float = 0.01
    inplace: bool = False

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], cmp=1, mul=1)


class ELU(LayerModel):
    """x if x > 0 else alpha (exp(x) - 1): 1 cmp, 1 exp, 1 add, 1 mul per element."""

    type: Literal["elu"]
    category: ClassVar = "activation"
    alpha: float = 1.0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], cmp=1, exp=1, add=1, mul=1)


class PReLU(LayerModel):
    """Leaky ReLU with a learned slope: one shared (num_parameters 1) or one per channel."""

    type: Literal["prelu"]
    category: ClassVar = "activation"
    num_parameters: PositiveInt = 1

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        if self.num_parameters not in (1, shape[0]):
            raise LayerError(f"num_parameters must be 1 or the channel count {shape[0]}; got {self.num_parameters}")
        base = elementwise_facts(shape, cmp=1, mul=1)
        return LayerFacts(shape, base.axis_maps, params=self.num_parameters, ops=base.ops)


class GELU(LayerModel):
    """x * Phi(x): exact (erf: 1 exp-kind, 3 mul, 1 add) or tanh approximation (1 exp-kind, 6 mul, 2 add)."""

    type: Literal["gelu"]
    category: ClassVar = "activation"
    approximate: Literal["none", "tanh"] = "none"

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        if self.approximate == "tanh":
            return elementwise_facts(inputs[0], exp=1, mul=6, add=2)
        return elementwise_facts(inputs[0], exp=1, mul=3, add=1)


class Softmax(LayerModel):
    """Softmax along `dim` (0 = channels): per group of g values, g exps, g - 1 adds, g divisions.
    Along a spatial axis, every output reads that whole axis."""

    type: Literal["softmax", "log_softmax"]
    category: ClassVar = "activation"
    dim: int = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        if not -len(shape) <= self.dim < len(shape):
            raise LayerError(f"dim {self.dim} is out of range for shape {list(shape)} (batch excluded)")
        dim = self.dim % len(shape)
        group, elements = shape[dim], prod(shape)
        maps = tuple(explicit_map([((0, n - 1),)], 0) if 1 + axis == dim else IDENTITY
                     for axis, n in enumerate(shape[1:]))
        ops = {"exp": elements, "add": elements - elements // group, "div": elements}
        if self.type == "log_softmax":
            ops = {"exp": elements + elements // group, "add": 2 * elements - elements // group}
        return LayerFacts(shape, maps, ops=nonzero(ops))
