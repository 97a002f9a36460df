"""Layers that merge branches: element-wise add, multiply, subtract, divide and maximum (broadcasting as
numpy and PyTorch do), and concat (spatial sizes must match)."""
from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from ..axis import BROADCAST, IDENTITY
from .base import Family, LayerError, LayerFacts, LayerModel, Shape, elementwise_facts, nonzero


def broadcast_shape(kind: str, inputs: list[Shape]) -> Shape:
    """The shape inputs of one rank broadcast to: per axis their common size, a size-1 axis stretching."""
    if len({len(s) for s in inputs}) > 1:
        raise LayerError(f"{kind} broadcasts inputs with the same number of axes (an axis of size 1 stretches, "
                         f"as in numpy and PyTorch); got " + " and ".join(str(list(s)) for s in inputs)
                         + " (keep pooled axes with keepdims: true, or output_size: 1)")
    out = []
    for axis, sizes in enumerate(zip(*inputs)):
        stretched = list(dict.fromkeys(n for n in sizes if n != 1))  # in input order
        if len(stretched) > 1:
            where = "channels" if axis == 0 else f"spatial axis {axis - 1}"
            raise LayerError(f"{kind} needs inputs of one shape, or of size 1 where they differ (broadcasting); "
                             f"{where} has sizes {' and '.join(map(str, stretched))}; got "
                             + " and ".join(str(list(s)) for s in inputs))
        out.append(stretched[0] if stretched else 1)
    return tuple(out)


class ElementwiseMerge(LayerModel):
    """Base of the element-wise merges: inputs broadcast to one shape, (inputs - 1) `op_kind` operations per
    output element. Along an axis where an input has size 1 and the output more, every output reads that
    input's one unit: a [C, 1, 1] gate sees what its pooled input saw, the whole map."""

    category: ClassVar = "merge"
    arity: ClassVar = None
    op_kind: ClassVar[str]

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        shape = broadcast_shape(self.type, inputs)
        ops = nonzero({self.op_kind: (len(inputs) - 1) * prod(shape)})
        if all(s == shape for s in inputs):
            return elementwise_facts(shape, **{self.op_kind: len(inputs) - 1})
        input_maps = tuple(tuple(BROADCAST if n == 1 < out else IDENTITY for n, out in zip(s[1:], shape[1:]))
                           for s in inputs)
        return LayerFacts(shape, (IDENTITY,) * (len(shape) - 1), ops=ops, input_maps=input_maps)


class Add(ElementwiseMerge):
    """Element-wise sum of two or more tensors, broadcasting: (inputs - 1) adds per output element."""

    type: Literal["add"]
    family: ClassVar = Family.ADD
    op_kind: ClassVar = "add"


class Multiply(ElementwiseMerge):
    """Element-wise product of two or more tensors, broadcasting (squeeze-and-excitation and gating
    blocks: [C, H, W] x [C, 1, 1]): (inputs - 1) muls per output element."""

    type: Literal["multiply"]
    family: ClassVar = Family.MULTIPLY
    op_kind: ClassVar = "mul"


class Subtract(ElementwiseMerge):
    """The first input minus the second, broadcasting: 1 add-kind operation per output element."""

    type: Literal["subtract"]
    family: ClassVar = Family.SUBTRACT
    arity: ClassVar = 2
    op_kind: ClassVar = "add"


class Divide(ElementwiseMerge):
    """The first input divided by the second, broadcasting: 1 division per output element."""

    type: Literal["divide"]
    family: ClassVar = Family.DIVIDE
    arity: ClassVar = 2
    op_kind: ClassVar = "div"


class Maximum(ElementwiseMerge):
    """Element-wise maximum of two or more tensors, broadcasting: (inputs - 1) comparisons per output element."""

    type: Literal["maximum"]
    family: ClassVar = Family.MAXIMUM
    op_kind: ClassVar = "cmp"


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
