"""Layers that merge branches: add, multiply, concat. Spatial sizes must match."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from .base import LayerError, LayerFacts, LayerModel, Shape, elementwise_facts


class Merge(LayerModel):
    """Add or multiply two or more tensors of one shape: (inputs - 1) ops per element."""

    type: Literal["add", "multiply"]
    category: ClassVar = "merge"
    arity: ClassVar = None

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        for shape in inputs[1:]:
            if shape != inputs[0]:
                raise LayerError(f"{self.type} needs inputs of one shape; got "
                                 + " and ".join(str(list(s)) for s in inputs))
        kind = "add" if self.type == "add" else "mul"
        return elementwise_facts(inputs[0], **{kind: len(inputs) - 1})


class Concat(LayerModel):
    """Concatenation along channels; no arithmetic (counted as zero operations by definition)."""

    type: Literal["concat"]
    category: ClassVar = "merge"
    arity: ClassVar = None
    dim: Literal[0] = 0

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        spatial = {tuple(s[1:]) for s in inputs}
        if len(spatial) != 1:
            raise LayerError("concat needs inputs with the same spatial size; got "
                             + " and ".join(str(list(s)) for s in inputs))
        shape = (sum(s[0] for s in inputs), *inputs[0][1:])
        return elementwise_facts(shape)
