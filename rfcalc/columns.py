"""Columns of the per-layer table, defined once for the terminal table, CSV and Markdown."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

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


def _support(r: AxisRF) -> str:
    return str(r.support_max) if r.support_min == r.support_max else f"{r.support_min}..{r.support_max}"


@dataclass(frozen=True)
class Column:
    """One column: a header, the raw value (CSV) and its human form (table, Markdown)."""

    key: str
    header: str
    raw: Callable[[LayerResult], Any]
    human: Callable[[LayerResult], str]
    numeric: bool = False


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("index", "#", lambda l: l.index, lambda l: str(l.index), True),
    Column("name", "layer", lambda l: l.name, lambda l: l.name),
    Column("type", "type", lambda l: l.type, lambda l: l.type),
    Column("inputs", "inputs", lambda l: " ".join(l.inputs), lambda l: ", ".join(l.inputs)),
    Column("output", "output", lambda l: "x".join(map(str, l.output_shape)),
           lambda l: "x".join(map(str, l.output_shape))),
    Column("rf", "r", lambda l: _axes(l.rf, _rf_size), lambda l: _axes(l.rf, _rf_size)),
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
    Column("memory", "memory", lambda l: l.activation_bytes, lambda l: format_bytes(l.activation_bytes), True),
    Column("warnings", "!", lambda l: " | ".join(l.warnings), lambda l: "!" * min(len(l.warnings), 3)),
)}

DEFAULT_COLUMNS = ("name", "type", "output", "rf", "jump", "start", "params", "macs", "memory", "warnings")


def select_columns(spec: str | None) -> list[Column]:
    """Columns named in a comma-separated list (None: the defaults); unknown names are usage errors."""
    keys = DEFAULT_COLUMNS if spec is None else [k.strip() for k in spec.split(",") if k.strip()]
    if not keys:
        raise UsageError(f"--columns '{spec}' names no column; columns are: {', '.join(COLUMNS)}")
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        raise UsageError(f"unknown column '{unknown[0]}'; columns are: {', '.join(COLUMNS)}")
    return [COLUMNS[k] for k in keys]
