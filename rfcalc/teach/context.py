"""What a derivation of one layer reads: the node, the analyzer's result for it and for its inputs,
and the layer's own facts (windows, per-axis maps) from its rules."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Hashable, Sequence

from ..layers import LayerFacts, LayerModel
from ..report import AxisRF, LayerResult, Report
from ..spec import INPUT, Node, Spec
from .notation import Notation

Shape = tuple[int, ...]
INPUT_RF = AxisRF(1, 1, Fraction(1), Fraction(1, 2), Fraction(0), 1, 1, True)

# How each kind of axis is named in words, by the number of spatial axes.
_AXIS_WORDS = {1: (("position", "positions"),),
               2: (("row", "rows"), ("column", "columns")),
               3: (("slice", "slices"), ("row", "rows"), ("column", "columns"))}


@dataclass(frozen=True)
class LayerContext:
    """One layer as a derivation sees it."""

    node: Node
    result: LayerResult
    report: Report
    notation: Notation
    input_names: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    input_rfs: tuple[tuple[AxisRF, ...], ...]  # per input: its RF per axis (the network input: r = 1)
    facts: LayerFacts

    @property
    def layer(self) -> LayerModel:
        """The layer's model (its parameters)."""
        return self.node.layer

    @property
    def ndim(self) -> int:
        """Spatial axes of the network input (the axes of r, j, start)."""
        return len(self.report.input_shape) - 1

    @property
    def in_shape(self) -> Shape:
        """The (first) input's shape."""
        return self.input_shapes[0]

    @property
    def out_shape(self) -> Shape:
        """The output shape."""
        return self.result.output_shape

    @property
    def elements(self) -> int:
        """Output elements per sample."""
        value = 1
        for size in self.out_shape:
            value *= size
        return value


def contexts(spec: Spec, report: Report, notation: Notation) -> list[LayerContext]:
    """A context per layer, in order."""
    by_name = {r.name: r for r in report.layers}
    input_shape = tuple(spec.input.shape)
    input_rf = tuple(INPUT_RF for _ in input_shape[1:])
    out = []
    for node, result in zip(spec.nodes, report.layers):
        shapes = tuple(input_shape if name == INPUT else by_name[name].output_shape for name in node.inputs)
        rfs = tuple(input_rf if name == INPUT else by_name[name].rf for name in node.inputs)
        out.append(LayerContext(node, result, report, notation, node.inputs, shapes, rfs,
                                node.layer.facts(list(shapes))))
    return out


def group_axes(values: Sequence[Hashable]) -> list[tuple[int, ...]]:
    """Axes whose values are equal, grouped (in order of first appearance)."""
    groups: dict[Hashable, list[int]] = {}
    for axis, value in enumerate(values):
        groups.setdefault(value, []).append(axis)
    return [tuple(axes) for axes in groups.values()]


def axis_words(axes: tuple[int, ...], ndim: int, plural: bool = False) -> str:
    """'row', 'column', 'row and column' (or plural) for these axes."""
    words = _AXIS_WORDS.get(ndim, tuple((f"axis-{i} position", f"axis-{i} positions") for i in range(ndim)))
    names = [words[a][plural] for a in axes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def axis_title(axes: tuple[int, ...], ndim: int, letters: Callable[[int], tuple[str, ...]]) -> str:
    """'H, W' (the axes' letters in the notation), or '' for a network without spatial axes."""
    names = letters(ndim)
    return ", ".join(names[a] if a < len(names) else str(a) for a in axes)
