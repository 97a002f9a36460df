"""Layers that merge branches: add, multiply, concat. Spatial sizes must match."""
from __future__ import annotations

from typing import ClassVar, Literal

from .base import Family, LayerError, LayerFacts, LayerModel, Shape, elementwise_facts


class ElementwiseMerge(LayerModel):
    """Base of add and multiply: two or more tensors of one shape, (inputs - 1) `op_kind` ops per element."""

    category: ClassVar = "merge"
    arity: ClassVar = None
    op_kind: ClassVar[str]

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        for shape in inputs[1:]:
            if shape != inputs[0]:
                raise LayerError(f"{self.type} needs inputs of one shape; got "
                                 + " and ".join(str(list(s)) for s in inputs))
        return elementwise_facts(inputs[0], **{self.op_kind: len(inputs) - 1})


class Add(ElementwiseMerge):
    """Element-wise sum of two or more tensors of one shape: (inputs - 1) adds per element."""

    type: Literal["add"]
    family: ClassVar = Family.ADD
    op_kind: ClassVar = "add"


class Multiply(ElementwiseMerge):
    """Element-wise product of two or more tensors of one shape: (inputs - 1) muls per element."""

    type: Literal["multiply"]
    family: ClassVar = Family.MULTIPLY
    op_kind: ClassVar = "mul"


class Concat(LayerModel):
    """Concatenation along channels; no arithmetic (counted as zero operations by definition)."""

    type: Literal["concat"]
    category: ClassVar = "merge"
    family: ClassVar = Family.CONCAT
    arity: ClassVar = None
    dim: Literal[0] = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        spatial = {tuple(s[1:]) for s in inputs}
        if len(spatial) != 1:
            raise LayerError("concat needs inputs with the same spatial size; got "
                             + " and ".join(str(list(s)) for s in inputs))
        shape = (sum(s[0] for s in inputs), *inputs[0][1:])
        return elementwise_facts(shape)
