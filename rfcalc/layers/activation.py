"""Activations. Each is counted per element by kind (see README "Counting")."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import PositiveInt

from ..axis import IDENTITY, explicit_map
from .base import Family, LayerError, LayerFacts, LayerModel, Shape, elementwise_facts, nonzero
from .norm import statistics_local_maps


class PointwiseActivation(LayerModel):
    """Base of the parameter-free activations: `ops_per_element` operations of each kind per element."""

    category: ClassVar = "activation"
    ops_per_element: ClassVar[dict[str, int]]
    inplace: bool = False

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], **self.ops_per_element)


class ReLU(PointwiseActivation):
    """max(x, 0): 1 cmp per element."""

    type: Literal["relu"]
    family: ClassVar = Family.RELU
    ops_per_element: ClassVar = {"cmp": 1}


class ReLU6(PointwiseActivation):
    """min(max(x, 0), 6): 2 cmp per element."""

    type: Literal["relu6"]
    family: ClassVar = Family.RELU6
    ops_per_element: ClassVar = {"cmp": 2}


class Sigmoid(PointwiseActivation):
    """1 / (1 + exp(-x)): 1 exp, 1 add, 1 div per element."""

    type: Literal["sigmoid"]
    family: ClassVar = Family.SIGMOID
    ops_per_element: ClassVar = {"exp": 1, "add": 1, "div": 1}


class Tanh(PointwiseActivation):
    """tanh(x): 1 exp-kind op per element."""

    type: Literal["tanh"]
    family: ClassVar = Family.TANH
    ops_per_element: ClassVar = {"exp": 1}


class SiLU(PointwiseActivation):
    """x * sigmoid(x) (swish): 1 exp, 1 add, 1 div, 1 mul per element."""

    type: Literal["silu", "swish"]
    family: ClassVar = Family.SILU
    ops_per_element: ClassVar = {"exp": 1, "add": 1, "div": 1, "mul": 1}


class Hardswish(PointwiseActivation):
    """x * relu6(x + 3) / 6: 1 add, 2 cmp, 1 mul, 1 div per element."""

    type: Literal["hardswish"]
    family: ClassVar = Family.HARDSWISH
    ops_per_element: ClassVar = {"add": 1, "cmp": 2, "mul": 1, "div": 1}


class Hardsigmoid(PointwiseActivation):
    """relu6(x + 3) / 6: 1 add, 2 cmp, 1 div per element."""

    type: Literal["hardsigmoid"]
    family: ClassVar = Family.HARDSIGMOID
    ops_per_element: ClassVar = {"add": 1, "cmp": 2, "div": 1}


class LeakyReLU(LayerModel):
    """max(x, 0) + negative_slope * min(x, 0): 1 cmp + 1 mul per element."""

    type: Literal["leaky_relu"]
    category: ClassVar = "activation"
    family: ClassVar = Family.LEAKY_RELU
    negative_slope: float = 0.01
    inplace: bool = False

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], cmp=1, mul=1)


class ELU(LayerModel):
    """x if x > 0 else alpha (exp(x) - 1): 1 cmp, 1 exp, 1 add, 1 mul per element."""

    type: Literal["elu"]
    category: ClassVar = "activation"
    family: ClassVar = Family.ELU
    alpha: float = 1.0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        return elementwise_facts(inputs[0], cmp=1, exp=1, add=1, mul=1)


class PReLU(LayerModel):
    """Leaky ReLU with a learned slope: one shared (num_parameters 1) or one per channel."""

    type: Literal["prelu"]
    category: ClassVar = "activation"
    family: ClassVar = Family.PRELU
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
    family: ClassVar = Family.GELU
    approximate: Literal["none", "tanh"] = "none"

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        if self.approximate == "tanh":
            return elementwise_facts(inputs[0], exp=1, mul=6, add=2)
        return elementwise_facts(inputs[0], exp=1, mul=3, add=1)


class Softmax(LayerModel):
    """Softmax along `dim` (0 = channels): per group of g values, g exps, g - 1 adds, g divisions.
    Along a spatial axis, every output reads that whole axis."""

    type: Literal["softmax"]
    category: ClassVar = "activation"
    family: ClassVar = Family.SOFTMAX
    dim: int = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = inputs[0]
        dim = self.axis(shape)
        elements, groups = prod(shape), prod(shape) // shape[dim]
        maps = self.maps(shape, dim)
        return LayerFacts(shape, maps, ops=nonzero(self.ops(elements, groups)), local_maps=statistics_local_maps(maps))

    def axis(self, shape: Shape) -> int:
        """`dim` checked and made non-negative."""
        if not -len(shape) <= self.dim < len(shape):
            raise LayerError(f"dim {self.dim} is out of range for shape {list(shape)} (batch excluded)")
        return self.dim % len(shape)

    @staticmethod
    def maps(shape: Shape, dim: int):
        """Per spatial axis: the whole axis along `dim`, the unit itself elsewhere."""
        return tuple(explicit_map([((0, n - 1),)], 0) if 1 + axis == dim else IDENTITY
                     for axis, n in enumerate(shape[1:]))

    @staticmethod
    def ops(elements: int, groups: int) -> dict[str, int]:
        """Operations by kind for `elements` values in `groups` groups."""
        return {"exp": elements, "add": elements - groups, "div": elements}


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim` (0 = channels): per group of g values, g + 1 exp-kind ops (g exps, one
    log) and 2g - 1 adds. Along a spatial axis, every output reads that whole axis."""

    type: Literal["log_softmax"]
    family: ClassVar = Family.LOG_SOFTMAX

    @staticmethod
    def ops(elements: int, groups: int) -> dict[str, int]:
        return {"exp": elements + groups, "add": 2 * elements - groups}
