"""Kernels that merge branches: add, multiply, subtract, divide, maximum (broadcasting), concat
(rfcalc/layers/merge.py)."""
from __future__ import annotations

import numpy as np

from ...layers import Add, Concat, Divide, Maximum, Multiply, Subtract
from ..counting import OpCounter
from ..geometry import KernelError
from ..registry import Kernel, Shape


class ElementwiseMergeKernel(Kernel):
    """Inputs broadcast to one shape (same rank; an axis of size 1 stretches, numpy's rule on the
    channels-first shapes) and folded left to right: inputs - 1 operations per output element."""

    def setup(self) -> Shape:
        ranks = {len(s) for s in self.in_shapes}
        if len(ranks) != 1:
            raise KernelError(f"{self.layer.type} needs inputs of one rank; got {[list(s) for s in self.in_shapes]}")
        out = []
        for sizes in zip(*self.in_shapes):
            big = set(sizes) - {1}
            if len(big) > 1:
                raise KernelError(f"{self.layer.type}: shapes {[list(s) for s in self.in_shapes]} do not broadcast")
            out.append(big.pop() if big else 1)
        return tuple(out)

    def combine(self, out: np.ndarray, x: np.ndarray, ops: OpCounter) -> np.ndarray:
        """out (op) x, broadcasting (in place when out already has the output's shape)."""
        raise NotImplementedError

    def forward(self, xs, p, ops):
        out = xs[0]
        for x in xs[1:]:
            out = self.combine(out, x, ops)
        return out

    def reduce_to(self, grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A gradient of the output summed over the axes an input of array shape `shape` was stretched along."""
        axes = tuple(axis for axis, (g, n) in enumerate(zip(grad.shape, shape)) if n == 1 and g > 1)
        return grad.sum(axis=axes, keepdims=True) if axes else grad

    def stretched_axes(self, index: int) -> tuple[int, ...]:
        """Spatial axes (0-based) along which input `index` has size 1 and the output more."""
        return tuple(axis for axis, (n, out) in enumerate(zip(self.in_shapes[index][1:], self.out_shape[1:]))
                     if n == 1 < out)

    def depends(self, mask):
        needed = []
        for index in range(len(self.in_shapes)):
            axes = self.stretched_axes(index)
            needed.append(np.bitwise_or.reduce(mask, axis=axes, keepdims=True) if axes else mask)
        return needed


class AddKernel(ElementwiseMergeKernel, model=Add):
    """Element-wise sum."""

    def combine(self, out, x, ops):
        return ops.add(out, x)

    def backward(self, grad, xs, y, p):
        return [self.reduce_to(grad, x.shape) for x in xs]


class MultiplyKernel(ElementwiseMergeKernel, model=Multiply):
    """Element-wise product."""

    def combine(self, out, x, ops):
        return ops.mul(out, x)

    def backward(self, grad, xs, y, p):
        grads = []
        for i, x_i in enumerate(xs):
            g = grad
            for j, x in enumerate(xs):
                if j != i:
                    g = g * x
            grads.append(self.reduce_to(g, x_i.shape))
        return grads


class SubtractKernel(ElementwiseMergeKernel, model=Subtract):
    """The first input minus the second."""

    def combine(self, out, x, ops):
        return ops.sub(out, x)

    def backward(self, grad, xs, y, p):
        return [self.reduce_to(grad, xs[0].shape), self.reduce_to(-grad, xs[1].shape)]


class DivideKernel(ElementwiseMergeKernel, model=Divide):
    """The first input divided by the second."""

    def combine(self, out, x, ops):
        return ops.div(out, x)

    def backward(self, grad, xs, y, p):
        a, b = xs
        return [self.reduce_to(grad / b, a.shape), self.reduce_to(-grad * a / (b * b), b.shape)]


class MaximumKernel(ElementwiseMergeKernel, model=Maximum):
    """Element-wise maximum: the gradient goes to the input that wins (the first on ties)."""

    def combine(self, out, x, ops):
        return ops.maximum(out, x)

    def backward(self, grad, xs, y, p):
        taken = np.zeros(y.shape, bool)
        grads = []
        for x in xs:
            wins = (np.broadcast_to(x, y.shape) == y) & ~taken
            taken |= wins
            grads.append(self.reduce_to(np.where(wins, grad, 0), x.shape))
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
