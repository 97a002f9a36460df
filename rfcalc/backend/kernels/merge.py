"""Kernels that merge branches: add, multiply, concat (rfcalc/layers/merge.py)."""
from __future__ import annotations

import numpy as np

from ...layers import Add, Concat, Multiply
from ..counting import OpCounter
from ..geometry import KernelError
from ..registry import Kernel, Shape


class ElementwiseMergeKernel(Kernel):
    """Two or more same-shaped inputs combined element by element: inputs - 1 operations per element."""

    def setup(self) -> Shape:
        first = self.in_shapes[0]
        for shape in self.in_shapes[1:]:
            if shape != first:
                raise KernelError(f"{self.layer.type} needs equal shapes; got {[list(s) for s in self.in_shapes]}")
        return first

    def combine(self, out: np.ndarray, x: np.ndarray, ops: OpCounter) -> None:
        """out (op)= x, in place."""
        raise NotImplementedError

    def forward(self, xs, p, ops):
        out = xs[0].copy()
        for x in xs[1:]:
            self.combine(out, x, ops)
        return out

    def depends(self, mask):
        return [mask] * len(self.in_shapes)


class AddKernel(ElementwiseMergeKernel, model=Add):
    """Element-wise sum."""

    def combine(self, out, x, ops):
        ops.add(out, x, out=out)

    def backward(self, grad, xs, y, p):
        return [grad] * len(xs)


class MultiplyKernel(ElementwiseMergeKernel, model=Multiply):
    """Element-wise product."""

    def combine(self, out, x, ops):
        ops.mul(out, x, out=out)

    def backward(self, grad, xs, y, p):
        grads = []
        for i in range(len(xs)):
            g = grad.copy()
            for j, x in enumerate(xs):
                if j != i:
                    g *= x
            grads.append(g)
        return grads


class ConcatKernel(Kernel, model=Concat):
    """Concatenation along channels: no arithmetic."""

    def setup(self) -> Shape:
        spatial = {s[1:] for s in self.in_shapes}
        if len(spatial) != 1:
            raise KernelError(f"concat needs equal spatial sizes; got {[list(s) for s in self.in_shapes]}")
        return (sum(s[0] for s in self.in_shapes), *self.in_shapes[0][1:])

    def forward(self, xs, p, ops):
        return np.concatenate(xs, axis=-1)

    def backward(self, grad, xs, y, p):
        bounds = np.cumsum([x.shape[-1] for x in xs])[:-1]
        return [np.ascontiguousarray(g) for g in np.split(grad, bounds, axis=-1)]

    def depends(self, mask):
        return [mask] * len(self.in_shapes)
