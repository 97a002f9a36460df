"""What every counting profile is made of: the view of a layer a rule reads, the count it gives, and
the profile itself, a table of rules by layer family (fvcore's jit_handles style)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import TYPE_CHECKING, Callable, Mapping, Optional

from ..findings import Finding, ProfileFallback
from ..layers.base import Family
from ..report import Convention

if TYPE_CHECKING:  # pragma: no cover
    from ..report import LayerResult

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerView:
    """What a profile rule sees of one layer: its result, its model and its input shapes."""

    result: "LayerResult"
    layer: object  # the layer's pydantic model (rfcalc.layers)
    inputs: tuple[Shape, ...]

    @property
    def type(self) -> str:
        """The spec's `type:` value."""
        return self.result.type

    @property
    def in_shape(self) -> Shape:
        """Shape of the first input (channels first, no batch)."""
        return self.inputs[0]

    @property
    def in_elements(self) -> int:
        """Elements of the first input."""
        return prod(self.inputs[0])

    @property
    def out_elements(self) -> int:
        """Elements of the output."""
        return prod(self.result.output_shape)

    @property
    def spatial_axes(self) -> int:
        """Number of spatial axes of the input."""
        return len(self.inputs[0]) - 1

    @property
    def is_2d(self) -> bool:
        """True for an input with two spatial axes."""
        return self.spatial_axes == 2

    @property
    def has_bias(self) -> bool:
        """True when the layer adds a bias."""
        return bool(getattr(self.layer, "bias", False))

    @property
    def family(self) -> Optional[Family]:
        """The family its layer model declares (None for an object that is no layer model)."""
        return getattr(type(self.layer), "family", None)


@dataclass(frozen=True)
class Count:
    """One layer under a profile: MAC-convention count and FLOPs by category; a note when it is a fallback."""

    macs: int = 0
    flops: tuple[tuple[str, int], ...] = ()
    note: Optional[Finding] = None


def mac_count(**parts: int) -> Count:
    """A MAC-convention tool's count: its total by category; FLOPs are 2 x each category."""
    parts = {k: int(v) for k, v in parts.items() if v}
    return Count(sum(parts.values()), tuple((k, 2 * v) for k, v in parts.items()))


def own_count(view: LayerView) -> Count:
    """rfcalc's own count of the layer."""
    return Count(view.result.macs, tuple(view.result.flops_by_kind.items()))


Rule = Callable[[LayerView], Count]


@dataclass(frozen=True)
class Profile:
    """A named table of counting rules: a rule per layer family the tool counts, the families it is
    known to count as nothing, and those it has no counterpart for."""

    name: str
    title: str
    compare: str  # which of the tool's outputs the MACs / FLOPs columns reproduce
    conventions: tuple[Convention, ...]  # what is counted, in words (printed as the report's conventions)
    rules: Mapping[Family, Rule]
    zero: frozenset[Family] = frozenset()
    no_counterpart: frozenset[Family] = frozenset()  # the tool cannot see such a layer: rfcalc's count, noted

    def covers(self, family: Family) -> bool:
        """True when the profile says how the tool counts this family (a rule, zero or no counterpart)."""
        return family in self.rules or family in self.zero or family in self.no_counterpart

    def count(self, view: LayerView) -> Count:
        """The layer under this profile: the tool's rule; nothing for a family the tool is known to
        skip; any other layer keeps rfcalc's count, with a note (never a silent 0)."""
        family = view.family
        if family in self.rules:
            return self.rules[family](view)
        if family in self.zero:
            return Count()
        own = own_count(view)
        return replace(own, note=ProfileFallback(profile=self.name, layer_type=view.type,
                                                 no_counterpart=family in self.no_counterpart))


def every(families, rule: Rule) -> dict[Family, Rule]:
    """The same rule for several families."""
    return dict.fromkeys(families, rule)


# Families grouped for the profiles' lists of what they count as nothing.
ACTIVATIONS = frozenset((Family.RELU, Family.RELU6, Family.SIGMOID, Family.TANH, Family.SILU, Family.HARDSWISH,
                         Family.HARDSIGMOID, Family.LEAKY_RELU, Family.ELU, Family.GELU))
POOLS = frozenset((Family.MAXPOOL, Family.AVGPOOL, Family.LPPOOL, Family.ADAPTIVE_AVG, Family.ADAPTIVE_MAX,
                   Family.GLOBAL_AVG, Family.GLOBAL_MAX))
# Copy, reshape or drop: no arithmetic.
MOVES = frozenset((Family.DROPOUT, Family.FLATTEN, Family.IDENTITY, Family.PAD, Family.CONCAT))
# Element-wise merges, written `a + b`, `a * b`, `a - b`, `a / b`, torch.maximum(a, b): no tool counts them.
MERGES = frozenset((Family.ADD, Family.MULTIPLY, Family.SUBTRACT, Family.DIVIDE, Family.MAXIMUM))
CONVOLUTIONS = (Family.CONV, Family.TRANSPOSED)
# Locally connected and tiled convolution have no PyTorch module, so no tool can count them.
NO_TORCH = frozenset({Family.UNSHARED})
