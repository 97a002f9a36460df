"""Typed results of an analysis: per layer, per axis, totals. Renderers only format these."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .axis import boxes_at
from .errors import Location
from .findings import Finding

if TYPE_CHECKING:
    from .training import TrainingMemory

SCHEMA_VERSION = 1
# The kinds of FLOPs, in the order reports list them ('mac': 2 per multiply-accumulate).
FLOP_KINDS = ("mac", "add", "mul", "div", "cmp", "exp")

@dataclass(frozen=True)
class Convention:
    """One stated convention: a stable id (what a counting profile replaces) and its words."""

    id: str
    text: str


CONVENTIONS = (
    Convention("pixel-coordinates", "input pixel i spans [i, i+1): r = 1, j = 1, start = 0.5 at the input"),
    Convention("rf-borders", "r, j, start ignore borders (padding counts toward r); effective padding = "
                             "(r-1)/2 - (start-0.5)"),
    Convention("macs", "MACs: multiply-accumulates of conv (all kinds: depthwise, separable, tiled, locally "
                       "connected), transposed conv and linear layers, bias excluded; MACs and FLOPs are per sample"),
    Convention("flops", "FLOPs = 2 x MACs + adds (incl. bias), muls, divs, compares and exp-kind ops of the "
                        "other layers"),
    Convention("batchnorm", "batch norm in its inference form (1 mul + 1 add per element); dropout is the identity"),
    Convention("params", "params = learnable parameters (PyTorch's parameters()); buffers (BN running stats) "
                         "counted apart"),
    Convention("memory", "activation memory = output elements x batch x dtype bytes; the input counts in both "
                         "figures: total = input + every output, peak = largest sum of live tensors (so peak <= total); an "
                         "inplace activation whose input has no other reader reuses that buffer in the peak"),
)


@dataclass(frozen=True)
class AxisRF:
    """Receptive field of one layer's units along one axis of the network input."""

    size_min: int
    size_max: int
    jump: Optional[Fraction]  # None when the RF is the whole input
    start: Fraction  # centre of the first unit's RF, in input pixel coordinates
    effective_padding: Fraction
    support_min: int  # input pixels a unit actually sees (fewer than r when the RF has holes)
    support_max: int
    uniform: bool
    whole_input: bool = False

    @property
    def size(self) -> int:
        """r of a uniform RF; r_min when it varies with position (r_max is size_max)."""
        return self.size_max if self.uniform else self.size_min

    @property
    def has_holes(self) -> bool:
        """True when units see fewer pixels than their RF spans."""
        return self.support_min < self.size_min or self.support_max < self.size_max


@dataclass(frozen=True)
class LayerResult:
    """Everything the analyzer knows about one leaf layer."""

    index: int
    name: str
    type: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    rf: tuple[AxisRF, ...]
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops_by_kind: dict[str, int]  # "mac" (2 FLOPs per MAC), add, mul, div, cmp, exp (see flops_by_kind())
    activation_bytes: int
    findings: tuple[Finding, ...] = ()  # about this layer, in the order they are reported
    location: Optional[Location] = None
    # Per output axis, exactly which input pixels each unit sees (None: the whole input); for
    # verification and tests, not part of the JSON.
    fields: Optional[tuple] = field(default=None, repr=False, compare=False)
    # The exact N-D sets: a union of per-axis products (terms), or for layers without spatial axes
    # the boxes of input pixels every unit depends on.
    terms: Optional[tuple] = field(default=None, repr=False, compare=False)
    boxes: tuple = field(default=(), repr=False, compare=False)
    # Per spatial axis, the sliding window of a window layer (conv, pooling); () for other layers.
    windows: tuple = field(default=(), repr=False, compare=False)
    # The local receptive field, per axis (None: no path through no global reduction reaches the
    # layer on that axis), when it differs from `rf`: what units see along paths that do not pass
    # through a global reduction (a squeeze-and-excitation gate, a normalisation's statistics).
    local_rf: tuple[Optional[AxisRF], ...] = ()

    def sees(self, position: tuple[int, ...]) -> tuple:
        """Exactly which input pixels the unit at `position` depends on, as a union of boxes
        (each a tuple of per-axis interval tuples)."""
        return self.boxes if self.fields is None else boxes_at(self.terms, position)

    @property
    def flops(self) -> int:
        """All floating-point operations of the layer."""
        return sum(self.flops_by_kind.values())

    @property
    def warnings(self) -> tuple[str, ...]:
        """The layer's warnings in words."""
        return tuple(f.message() for f in self.findings if f.is_warning)

    @property
    def notes(self) -> tuple[str, ...]:
        """The layer's notes in words."""
        return tuple(f.message() for f in self.findings if not f.is_warning)

    @property
    def non_trainable_params(self) -> int:
        """Frozen parameters (trainable: false)."""
        return self.params - self.trainable_params


def flops_by_kind(macs, other_ops: Mapping[str, Any]) -> dict[str, Any]:
    """FLOPs by kind, the one FLOPs rule: 2 per multiply-accumulate (kind 'mac', first), then one per
    operation of every other kind."""
    return {"mac": 2 * macs, **other_ops} if macs else dict(other_ops)


def sum_flops_by_kind(layers) -> dict[str, int]:
    """FLOPs by kind summed over layers (anything with a `flops_by_kind` mapping)."""
    total: dict[str, int] = {}
    for layer in layers:
        for kind, count in layer.flops_by_kind.items():
            total[kind] = total.get(kind, 0) + count
    return total


@dataclass(frozen=True)
class Totals:
    """Sums over the network."""

    params: int
    trainable_params: int
    non_trainable_params: int
    buffers: int
    macs: int
    flops: int
    flops_by_kind: dict[str, int]
    activation_bytes: int  # the input and every layer's output (what training keeps for backward)
    peak_activation_bytes: int  # largest sum of live tensors, the input included: at most activation_bytes
    param_bytes: int
    input_bytes: int


@dataclass(frozen=True)
class Report:
    """The analysis of one spec."""

    name: str
    source: str
    input_shape: tuple[int, ...]
    batch: int
    dtype: str
    layers: tuple[LayerResult, ...]
    totals: Totals
    findings: tuple[Finding, ...] = ()  # about the network (input pixels no output sees), not one layer
    conventions: tuple[Convention, ...] = CONVENTIONS
    profile: str = "rfcalc"
    outputs: tuple[str, ...] = ()  # the layers whose outputs are the network's (() : the last layer)
    training: Optional["TrainingMemory"] = None  # analyze --training

    @property
    def output_layers(self) -> tuple[LayerResult, ...]:
        """The results of the network's output layers, in the order the spec names them."""
        if not self.outputs:
            return self.layers[-1:]
        by_name = {layer.name: layer for layer in self.layers}
        return tuple(by_name[name] for name in self.outputs)

    @property
    def has_local_rf(self) -> bool:
        """True when some layer's local RF is not its RF and is not nothing: a global reduction (a
        squeeze-and-excitation gate, a normalisation's statistics) feeds a path that also has a local one."""
        return any(any(r is not None for r in layer.local_rf) for layer in self.layers)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The network-level warnings in words ('layer: message')."""
        return tuple(f.text() for f in self.findings if f.is_warning)

    def without(self, codes: tuple[str, ...]) -> "Report":
        """The same report with the findings of these codes left out (a budget's `ignore:`)."""
        if not codes:
            return self
        def kept(findings):
            return tuple(f for f in findings if f.code not in codes)
        layers = tuple(replace(layer, findings=kept(layer.findings)) for layer in self.layers)
        return replace(self, layers=layers, findings=kept(self.findings))

    def all_findings(self) -> list[Finding]:
        """Network findings, then every layer's, in layer order."""
        return [*self.findings, *(f for layer in self.layers for f in layer.findings)]

    def select(self, *codes: str) -> list[Finding]:
        """Every finding (network and layers) with one of these codes, in all_findings order."""
        return [f for f in self.all_findings() if f.code in codes]

    def all_warnings(self) -> list[str]:
        """Network warnings and every layer's warnings, each prefixed with its layer's name."""
        return [f.text() for f in self.all_findings() if f.is_warning]
