"""Columns of the per-layer table, defined once for the terminal table, CSV and Markdown."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import UsageError
from .report import AxisRF, LayerResult
from .units import format_bytes, format_count, format_fraction


def _axes(rf: tuple[AxisRF, ...], one: Callable[[AxisRF], str]) -> str:
    """Per-axis values joined with 'x', or one value when every axis agrees."""
    if not rf:
        return "-"
    values = [one(r) for r in rf]
    return values[0] if len(set(values)) == 1 else "x".join(values)


def _rf_size(r: AxisRF) -> str:
    if r.whole_input:
        return f"all ({r.size_max})"
    text = str(r.size_max) if r.size_min == r.size_max else f"{r.size_min}..{r.size_max}"
    return text + ("*" if not r.uniform else "")


def _rf_compact(r: AxisRF) -> str:
    return "all" if r.whole_input else _rf_size(r)


def compact_shape(shape: tuple[int, ...]) -> str:
    """A shape with equal spatial sizes as a power: 64x56x56 -> 64x56², 1x32x32x32 -> 1x32³."""
    if len(shape) in (3, 4) and len(set(shape[1:])) == 1:
        return f"{shape[0]}x{shape[1]}" + "²³"[len(shape) - 3]
    return "x".join(map(str, shape))


def compact_shape_text(text: str) -> str:
    """compact_shape of a shape written 64x56x56 (any other text as it is)."""
    parts = text.split("x")
    return compact_shape(tuple(int(p) for p in parts)) if all(p.isdigit() for p in parts) else text


def _support(r: AxisRF) -> str:
    return str(r.support_max) if r.support_min == r.support_max else f"{r.support_min}..{r.support_max}"


def local_axes(layer: LayerResult, one: Callable[[AxisRF], str]) -> str:
    """A per-axis value of the local RF ('-' on an axis no local path reaches); the RF's when they agree."""
    if not layer.local_rf:
        return _axes(layer.rf, one)
    values = ["-" if r is None else one(r) for r in layer.local_rf]
    return values[0] if len(set(values)) == 1 else "x".join(values)


@dataclass(frozen=True)
class Column:
    """One column: a header, the raw value (CSV) and its human form (table, Markdown); for a table short
    of space, a compact form and whether its text may be shortened in the middle."""

    key: str
    header: str
    raw: Callable[[LayerResult], Any]
    human: Callable[[LayerResult], str]
    numeric: bool = False
    compact: Optional[Callable[[LayerResult], str]] = None
    shortens: bool = False

    def for_report(self, report) -> "Column":
        """The column as it reads the rows of `report` (a share column needs the report's totals)."""
        return self


@dataclass(frozen=True)
class ShareColumn(Column):
    """A layer's share of a network total, as torchinfo's params_percent: `of` names the Totals field."""

    of: str = ""

    def for_report(self, report) -> Column:
        total = getattr(report.totals, self.of)
        raw = self.raw

        def share(layer: LayerResult) -> Optional[float]:
            return None if not total else round(100 * raw(layer) / total, 4)

        def human(layer: LayerResult) -> str:
            value = share(layer)
            return "" if not value else f"{value:.1f}%" if value >= 0.05 else "<0.1%"

        return Column(self.key, self.header, share, human, True)


def _trainable(layer: LayerResult) -> str:
    """Keras' show_trainable: yes, no, partly (a folded group of both), or nothing without parameters."""
    if not layer.params:
        return ""
    if layer.trainable_params == layer.params:
        return "yes"
    return "no" if not layer.trainable_params else "partly"


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("index", "#", lambda l: l.index, lambda l: str(l.index), True),
    Column("name", "layer", lambda l: l.name, lambda l: l.name, shortens=True),
    Column("type", "type", lambda l: l.type, lambda l: l.type, shortens=True),
    Column("inputs", "inputs", lambda l: " ".join(l.inputs), lambda l: ", ".join(l.inputs), shortens=True),
    Column("output", "output", lambda l: "x".join(map(str, l.output_shape)),
           lambda l: "x".join(map(str, l.output_shape)), compact=lambda l: compact_shape(l.output_shape)),
    Column("rf", "r", lambda l: _axes(l.rf, _rf_size), lambda l: _axes(l.rf, _rf_size),
           compact=lambda l: _axes(l.rf, _rf_compact)),
    Column("local_rf", "local r", lambda l: local_axes(l, _rf_size), lambda l: local_axes(l, _rf_size),
           compact=lambda l: local_axes(l, _rf_compact)),
    Column("jump", "j", lambda l: _axes(l.rf, lambda r: format_fraction(r.jump)),
           lambda l: _axes(l.rf, lambda r: format_fraction(r.jump))),
    Column("start", "start", lambda l: _axes(l.rf, lambda r: format_fraction(r.start)),
           lambda l: _axes(l.rf, lambda r: format_fraction(r.start))),
    Column("padding", "eff. pad", lambda l: _axes(l.rf, lambda r: format_fraction(r.effective_padding)),
           lambda l: _axes(l.rf, lambda r: format_fraction(r.effective_padding))),
    Column("support", "seen", lambda l: _axes(l.rf, _support), lambda l: _axes(l.rf, _support)),
    Column("params", "params", lambda l: l.params, lambda l: format_count(l.params) if l.params else "", True),
    Column("macs", "MACs", lambda l: l.macs, lambda l: format_count(l.macs) if l.macs else "", True),
    Column("flops", "FLOPs", lambda l: l.flops, lambda l: format_count(l.flops) if l.flops else "", True),
    Column("trainable", "trainable", _trainable, _trainable),
    ShareColumn("params%", "params%", lambda l: l.params, str, True, of="params"),
    ShareColumn("macs%", "MACs%", lambda l: l.macs, str, True, of="macs"),
    Column("memory", "memory", lambda l: l.activation_bytes, lambda l: format_bytes(l.activation_bytes), True),
    Column("warnings", "!", lambda l: " | ".join(l.warnings), lambda l: "!" * min(len(l.warnings), 3)),
)}

DEFAULT_COLUMNS = ("name", "type", "output", "rf", "jump", "start", "params", "macs", "memory", "warnings")
# When a table is too wide for the terminal, columns are dropped in this order (the layer name never is).
DROP_ORDER = ("start", "padding", "inputs", "support", "flops", "jump", "local_rf", "index", "memory", "trainable",
              "type", "params%", "macs%", "output", "rf", "params", "macs", "warnings")


def with_local_rf(columns: list[Column], reports) -> list[Column]:
    """The columns with the local RF after `r` when some report has one that differs from the RF."""
    wanted = any(report.has_local_rf for report in reports)
    if not wanted or COLUMNS["rf"] not in columns or COLUMNS["local_rf"] in columns:
        return columns
    at = columns.index(COLUMNS["rf"]) + 1
    return [*columns[:at], COLUMNS["local_rf"], *columns[at:]]


def select_columns(spec: str | None) -> list[Column]:
    """Columns named in a comma-separated list (None: the defaults); unknown names are usage errors."""
    keys = DEFAULT_COLUMNS if spec is None else [k.strip() for k in spec.split(",") if k.strip()]
    if not keys:
        raise UsageError(f"--columns '{spec}' names no column; columns are: {', '.join(COLUMNS)}")
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        raise UsageError(f"unknown column '{unknown[0]}'; columns are: {', '.join(COLUMNS)}")
    return [COLUMNS[k] for k in keys]
