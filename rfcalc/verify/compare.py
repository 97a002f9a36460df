"""Verification as a comparison of two reports: the analyzer's, and the one the numpy backend
measured by running the spec, over a declared list of compared fields; plus the receptive field,
measured position by position."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Callable, Optional

from ..analyzer import analyze
from ..errors import RfcalcError
from ..report import FLOP_KINDS, Report
from ..spec import Spec


class VerificationFailed(RfcalcError):
    """At least one measured number differs from the analyzed one."""

    exit_code = 1


@dataclass(frozen=True)
class Compared:
    """One compared field: its label in verdicts, how to read it from a layer (or totals) of either
    report, and whether it is shown only when one side is not zero (the FLOP kinds)."""

    label: str
    read: Callable[[Any], Any]
    only_if_any: bool = False


def _field(label: str, attribute: str) -> Compared:
    return Compared(label, attrgetter(attribute))


def _flop_kind(kind: str) -> Compared:
    return Compared(kind, lambda layer: layer.flops_by_kind.get(kind, 0), only_if_any=True)


LAYER_FIELDS = (
    _field("shape", "output_shape"), _field("params", "params"), _field("trainable", "trainable_params"),
    _field("buffers", "buffers"), _field("macs", "macs"), *(_flop_kind(k) for k in FLOP_KINDS if k != "mac"),
    _field("memory", "activation_bytes"),
)
TOTAL_FIELDS = (
    _field("params", "params"), _field("trainable", "trainable_params"), _field("buffers", "buffers"),
    _field("macs", "macs"), _field("flops", "flops"), _field("memory", "activation_bytes"),
    _field("peak memory", "peak_activation_bytes"),
)


@dataclass(frozen=True)
class Comparison:
    """One quantity of one layer (or of the totals): what the backend measured, what the analyzer said."""

    quantity: str
    measured: Any
    analyzed: Any

    @property
    def ok(self) -> bool:
        """True when they agree."""
        return self.measured == self.analyzed


def compare(fields: tuple[Compared, ...], measured: Any, analyzed: Any) -> dict[str, Comparison]:
    """Every declared field of two corresponding objects, compared."""
    comparisons = {}
    for f in fields:
        pair = Comparison(f.label, f.read(measured), f.read(analyzed))
        if pair.measured or pair.analyzed or not f.only_if_any:
            comparisons[f.label] = pair
    return comparisons


@dataclass
class LayerVerification:
    """Every comparison of one layer."""

    index: int
    name: str
    type: str
    checks: dict[str, Comparison]
    flops: Comparison  # all FLOPs (shown; their kinds are what is checked)
    rf: Any  # backend.rf.LayerRF, or None when the input has no spatial axes
    overhead: dict[str, dict[str, int]]
    seconds: float

    @property
    def failed(self) -> list[str]:
        """Names of the quantities that disagree."""
        bad = [name for name, check in self.checks.items() if not check.ok]
        if self.rf is not None and not self.rf.ok:
            bad.append("rf")
        return bad


@dataclass
class SpecVerification:
    """The verification of one spec."""

    spec: Spec
    report: Report
    seed: int
    layers: list[LayerVerification]
    forward_seconds: float
    rf_seconds: float
    totals: dict[str, Comparison] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check of every layer, and of the totals, agrees."""
        return not any(layer.failed for layer in self.layers) and all(c.ok for c in self.totals.values())

    def mismatch_lines(self) -> list[str]:
        """One line per disagreement."""
        lines = []
        for layer in self.layers:
            label = f"#{layer.index} '{layer.name}' ({layer.type})"
            for name, check in layer.checks.items():
                if not check.ok:
                    lines.append(f"{label}: {name}: measured {_plain(check.measured)}, "
                                 f"analyzed {_plain(check.analyzed)}")
            if layer.rf is not None and not layer.rf.ok:
                lines.append(f"{label}: receptive field differs at {layer.rf.mismatch_count} of {layer.rf.checked} "
                             f"positions checked")
                lines.extend(f"    {m.describe()}" for m in layer.rf.mismatches)
        lines.extend(f"totals: {name}: measured {_plain(c.measured)}, analyzed {_plain(c.analyzed)}"
                     for name, c in self.totals.items() if not c.ok)
        return lines


def _plain(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def verify_spec(spec: Spec, seed: int = 0, max_memory: int = 2 << 30, check_rf: bool = True,
                progress=None, report: Optional[Report] = None) -> SpecVerification:
    """Analyze the spec (unless its analyzer report is given), run it in the numpy backend, measure
    RFs, and compare everything."""
    from ..backend.engine import Network

    network = Network(spec)
    network.check_memory(max_memory)  # refuse an oversized run before any analysis or allocation
    report = report if report is not None else analyze(spec)
    weights = network.instantiate(seed)
    total = len(spec.nodes)
    update = progress.update if progress is not None else (lambda *args: None)
    run = network.forward(weights, network.random_input(seed), max_memory=max_memory,
                          on_layer=lambda i: update(f"{spec.name}: forward", i + 1, total))
    rf_results, rf_seconds = {}, 0.0
    if check_rf and len(spec.input.shape) > 1:
        begin = time.perf_counter()
        rf_results = _measure_rfs(network, report, max_memory,
                                  lambda done, all_: update(f"{spec.name}: receptive fields", done, all_))
        rf_seconds = time.perf_counter() - begin
    layers = [LayerVerification(
        result.index, result.name, result.type, compare(LAYER_FIELDS, measured, result),
        Comparison("flops", measured.flops, result.flops), rf_results.get(result.name),
        {reason: dict(counts) for reason, counts in measured.overhead.items()}, measured.seconds)
        for measured, result in zip(run.measures, report.layers)]
    return SpecVerification(spec, report, seed, layers, run.seconds, rf_seconds,
                            compare(TOTAL_FIELDS, run.totals, report.totals))


def _measure_rfs(network, report: Report, max_memory: int, on_step) -> dict:
    """The backend's receptive-field check of every layer against the analyzer's exact sets."""
    from ..backend.rf import AxisHint, check_receptive_fields

    layers_by_index = {r.index: r for r in report.layers}

    def expected(index: int, position: tuple[int, ...]):
        return layers_by_index[index].sees(position)

    def hints(index: int):
        fields = layers_by_index[index].fields
        return () if fields is None else tuple(AxisHint(f.pattern.period, *f.border_zones()) for f in fields)

    return check_receptive_fields(network, expected, hints,
                                  budget_bytes=max(16 << 20, min(max_memory // 4, 256 << 20)), on_step=on_step)


def theoretical_box(report: Report, layer: str, unit: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """The bounding box (per axis first and last input index) of what the analyzer says one unit sees."""
    result = next(r for r in report.layers if r.name == layer)
    if result.fields is None:
        return tuple((0, n - 1) for n in report.input_shape[1:])
    box = []
    for axis_field, o in zip(result.fields, unit):
        seen = axis_field.sees(o)
        if not seen:
            raise RfcalcError(f"unit {list(unit)} of '{layer}' sees no input pixel")
        box.append((seen[0][0], seen[-1][1]))
    return tuple(box)


def effective_rf_of(spec: Spec, layer: Optional[str] = None, samples: int = 4, seed: int = 0,
                    max_memory: int = 2 << 30):
    """The backend's effective RF of a unit, with the analyzer's theoretical box drawn over it."""
    from ..backend.erf import effective_rf

    report = analyze(spec)
    return effective_rf(spec, lambda name, unit: theoretical_box(report, name, unit), layer=layer,
                        samples=samples, seed=seed, max_memory=max_memory)
