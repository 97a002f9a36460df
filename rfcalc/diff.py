"""`rfcalc diff OLD NEW`: what changed between two specs, layer by layer and in total.

Layers are aligned by name (so renaming a layer reads as removing one and adding another); a
layer's fields are compared exactly: type, output shape, receptive field (r and j per axis),
params, MACs, FLOPs and activation memory. Totals compare params, MACs, FLOPs, memory, the output
shape and the output RF. The diff only reports; it always exits 0 (2 for an invalid spec).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

import click

from .commands import load_specs, profile_option, spec_options, wide_option
from .columns import COLUMNS, DROP_ORDER, compact_shape_text
from .profiles import DEFAULT_PROFILE
from .tables import MIDDLE, Output, TableColumn, fit, paragraph, table_lines
from .units import format_bytes, format_count

LAYER_FIELDS = ("type", "output", "rf", "jump", "params", "macs", "flops", "memory")
NUMERIC_FIELDS = ("params", "macs", "flops", "memory")


def layer_fields(layer) -> dict[str, Any]:
    """The compared fields of one layer result (r and j as the analyze table shows them)."""
    return {"type": layer.type, "output": "x".join(map(str, layer.output_shape)),
            "rf": COLUMNS["rf"].human(layer), "jump": COLUMNS["jump"].human(layer), "params": layer.params,
            "macs": layer.macs, "flops": layer.flops, "memory": layer.activation_bytes}


def total_fields(report) -> dict[str, Any]:
    """The compared totals of one report."""
    t = report.totals
    return {"params": t.params, "trainable_params": t.trainable_params, "macs": t.macs, "flops": t.flops,
            "activation_memory": t.activation_bytes, "peak_memory": t.peak_activation_bytes,
            "param_memory": t.param_bytes,
            "output": _of_outputs(report, lambda layer: "x".join(map(str, layer.output_shape))),
            "output_rf": _of_outputs(report, COLUMNS["rf"].human)}


def _of_outputs(report, text) -> str:
    """`text` of the network's output ('-' when none); 'p3 ...; p5 ...' when it has several."""
    outputs = report.output_layers
    if len(outputs) <= 1:
        return text(outputs[0]) if outputs else "-"
    return "; ".join(f"{layer.name} {text(layer)}" for layer in outputs)


TOTAL_LABELS = {"params": "params", "trainable_params": "trainable params", "macs": "MACs", "flops": "FLOPs",
                "activation_memory": "activation memory", "peak_memory": "peak memory",
                "param_memory": "param memory", "output": "output shape", "output_rf": "output RF"}
BYTE_FIELDS = ("memory", "activation_memory", "peak_memory", "param_memory")


@dataclass(frozen=True)
class LayerDiff:
    """One row: a layer in the old spec, the new one, or both."""

    name: str
    old: Optional[dict]
    new: Optional[dict]

    @property
    def status(self) -> str:
        """'added', 'removed', 'changed' or 'unchanged'."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.changes else "unchanged"

    @property
    def changes(self) -> list[str]:
        """Fields whose values differ (empty for added/removed layers)."""
        if self.old is None or self.new is None:
            return []
        return [f for f in LAYER_FIELDS if self.old[f] != self.new[f]]


def align(old_report, new_report) -> list[LayerDiff]:
    """Rows in the new spec's order; a removed layer follows the last old layer before it that survives."""
    old = {layer.name: layer for layer in old_report.layers}
    new_names = {layer.name for layer in new_report.layers}
    anchored: dict[Optional[str], list[str]] = {}
    anchor = None
    for layer in old_report.layers:
        if layer.name in new_names:
            anchor = layer.name
        else:
            anchored.setdefault(anchor, []).append(layer.name)

    def removed_after(key):
        return [LayerDiff(n, layer_fields(old[n]), None) for n in anchored.get(key, [])]

    rows = removed_after(None)
    for layer in new_report.layers:
        before = old.get(layer.name)
        rows.append(LayerDiff(layer.name, layer_fields(before) if before else None, layer_fields(layer)))
        if before is not None:
            rows.extend(removed_after(layer.name))
    return rows


def _delta(old, new) -> dict[str, Any]:
    """The one comparison of two values, for JSON and tables alike: numbers get `delta` and `percent`
    (None from 0), anything else `changed`."""
    entry = {"old": old, "new": new}
    if isinstance(old, int) and isinstance(new, int):
        entry["delta"] = new - old
        entry["percent"] = None if old == 0 else 100 * (new - old) / old  # int / int: no float overflow
    else:
        entry["changed"] = old != new
    return entry


def _json_delta(old, new) -> dict[str, Any]:
    """_delta with the percentage rounded to 3 decimals (rounded here only, never before formatting)."""
    entry = _delta(old, new)
    if entry.get("percent") is not None:
        entry["percent"] = round(entry["percent"], 3)
    return entry


def diff_to_dict(old_report, new_report, rows: list[LayerDiff]) -> dict:
    """The JSON document of `rfcalc diff --format json`."""
    old_totals, new_totals = total_fields(old_report), total_fields(new_report)
    counts = {s: sum(r.status == s for r in rows) for s in ("added", "removed", "changed", "unchanged")}
    return {
        "schema_version": 1,
        "profile": new_report.profile,
        "old": {"name": old_report.name, "source": old_report.source, "input": list(old_report.input_shape)},
        "new": {"name": new_report.name, "source": new_report.source, "input": list(new_report.input_shape)},
        "totals": {k: _json_delta(old_totals[k], new_totals[k]) for k in old_totals},
        "layer_counts": counts,
        "layers": [{"name": r.name, "status": r.status, "changes": r.changes,
                    "fields": {f: _json_delta(r.old[f] if r.old else None, r.new[f] if r.new else None)
                               for f in LAYER_FIELDS}} for r in rows],
    }


def _human(field: str, value) -> str:
    if value is None:
        return ""
    if field in BYTE_FIELDS:
        return format_bytes(value)
    if isinstance(value, int):
        return format_count(value)
    return str(value)


def _signed(field: str, delta: int) -> str:
    text = format_bytes(abs(delta)) if field in BYTE_FIELDS else format_count(abs(delta))
    return ("+" if delta > 0 else "-") + text


def _percent(entry: dict) -> str:
    if entry["delta"] == 0:
        return ""
    return "new" if entry["percent"] is None else f"{entry['percent']:+.1f}%"


def _cell(row: LayerDiff, field: str, compact: bool = False) -> str:
    """'value' when equal or one-sided; 'old -> new (+delta)' when changed (compact: shapes as powers,
    no delta)."""
    old = row.old[field] if row.old else None
    new = row.new[field] if row.new else None
    human = (lambda f, v: compact_shape_text(_human(f, v))) if compact and field == "output" else _human
    if row.old is None:
        return human(field, new)
    if row.new is None:
        return human(field, old)
    if old == new:
        return human(field, new)
    text = f"{human(field, old)} → {human(field, new)}"
    if field in NUMERIC_FIELDS and not compact:
        text += f" ({_signed(field, _delta(old, new)['delta'])})"
    return text


_MARK = {"added": "+", "removed": "-", "changed": "~", "unchanged": ""}
# Every compared field but `type` (shown beside the name), so a changed row always shows its change.
_COLUMNS = (("output", "output"), ("rf", COLUMNS["rf"].header), ("jump", COLUMNS["jump"].header),
            ("params", "params"), ("macs", "MACs"), ("flops", "FLOPs"), ("memory", "memory"))
_STYLES = {"added": "green", "removed": "red", "changed": "yellow", "unchanged": None}


def _totals_rows(old_report, new_report) -> list[tuple[str, str, str, str, str]]:
    old, new = total_fields(old_report), total_fields(new_report)
    rows = []
    for key, label in TOTAL_LABELS.items():
        a, b = old[key], new[key]
        entry = _delta(a, b)
        if "delta" in entry:
            delta = "0" if entry["delta"] == 0 else _signed(key, entry["delta"])
            rows.append((label, _human(key, a), _human(key, b), delta, _percent(entry)))
        else:
            rows.append((label, a, b, "changed" if entry["changed"] else "", ""))
    return rows


def _summary(rows: list[LayerDiff]) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in ("added", "removed", "changed", "unchanged")}
    return ", ".join(f"{n} {s}" for s, n in counts.items()) + " layer(s)"


def render_markdown(old_report, new_report, rows: list[LayerDiff], show_all: bool) -> str:
    """Markdown for a pull-request comment or a job summary."""
    lines = [f"### rfcalc diff: `{old_report.name}` → `{new_report.name}`", "",
             f"profile {new_report.profile}; input {'x'.join(map(str, old_report.input_shape))} → "
             f"{'x'.join(map(str, new_report.input_shape))}; {_summary(rows)}", "",
             "| total | old | new | Δ | Δ% |", "|---|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _totals_rows(old_report, new_report)]
    shown = [r for r in rows if show_all or r.status != "unchanged"]
    if shown:
        lines += ["", "| | layer | type | " + " | ".join(h for _, h in _COLUMNS) + " |",
                  "|---|---|---|" + "---:|" * len(_COLUMNS)]
        for row in shown:
            kind = _cell(row, "type")
            cells = [_MARK[row.status], f"`{row.name}`", kind] + [_cell(row, f) for f, _ in _COLUMNS]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    hidden = len(rows) - len(shown)
    if hidden:
        lines += ["", f"{hidden} unchanged layer(s) not shown."]
    return "\n".join(lines) + "\n"


def _layer_columns(shown: list[LayerDiff]) -> list[TableColumn]:
    """The per-layer table: mark and name always, the fields dropped in DROP_ORDER when space is short."""
    fields = [("type", "type")] + list(_COLUMNS)
    return [TableColumn("mark", "", [_MARK[r.status] for r in shown]),
            TableColumn("name", "layer", [r.name for r in shown], shrink=MIDDLE, min_width=16)] + [
        TableColumn(field, header, [_cell(r, field) for r in shown], right=field != "type",
                    drop=DROP_ORDER.index(field), compact=[_cell(r, field, compact=True) for r in shown],
                    shrink=MIDDLE if field == "type" else None, min_width=11)
        for field, header in fields]


def _totals_columns(old_report, new_report) -> list[TableColumn]:
    rows = _totals_rows(old_report, new_report)
    headers = (("", None), ("old", None), ("new", None), ("Δ", 1), ("Δ%", 0))
    return [TableColumn(f"total{i}", header, [r[i] for r in rows], right=i > 0, drop=drop)
            for i, (header, drop) in enumerate(headers)]


def print_diff_table(old_report, new_report, rows: list[LayerDiff], show_all: bool, output: Output,
                     wide: bool = False) -> None:
    """The changed layers, then the totals, each fitted to the output's width."""
    shown = [r for r in rows if show_all or r.status != "unchanged"]
    title = (f"{old_report.name} ({old_report.source}) → {new_report.name} ({new_report.source})  "
             f"profile {new_report.profile}")
    lines = []
    if shown:
        fitted = fit(_layer_columns(shown), output.width, wide)
        lines += table_lines(fitted, [_STYLES[r.status] for r in shown], title)
        footer = fitted.footer({"output": "64x56² means 64x56x56; changes without their Δ"})
        lines += paragraph(footer, output.width, "dim") if footer else []
    else:
        lines += paragraph(title, output.width)
    totals = fit(_totals_columns(old_report, new_report), output.width, wide)
    lines += table_lines(totals, title="totals")
    hidden = len(rows) - len(shown)
    lines += paragraph(_summary(rows) + (f"; {hidden} unchanged hidden (--all shows them)" if hidden else ""),
                       output.width)
    output.lines(lines)


def diff_reports(old_spec, new_spec, profile: str = DEFAULT_PROFILE):
    """(old report, new report, aligned rows) for two specs."""
    from .profiles import analyze_profiled

    old_report, new_report = analyze_profiled(old_spec, profile), analyze_profiled(new_spec, profile)
    return old_report, new_report, align(old_report, new_report)


@click.command()
@click.argument("old")
@click.argument("new")
@spec_options
@profile_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format (markdown: for a pull-request comment).")
@click.option("--all", "show_all", is_flag=True, help="Show unchanged layers too.")
@wide_option
def diff(old, new, input_size, batch, dtype, profile, fmt, show_all, wide):
    """Compare two specs OLD and NEW: per-layer and total deltas, layers aligned by name."""
    specs = load_specs((old, new), input_size, batch, dtype)
    old_report, new_report, rows = diff_reports(specs[0], specs[1], profile)
    if fmt == "json":
        click.echo(json.dumps(diff_to_dict(old_report, new_report, rows), indent=2))
    elif fmt == "markdown":
        click.echo(render_markdown(old_report, new_report, rows, show_all), nl=False)
    else:
        print_diff_table(old_report, new_report, rows, show_all, Output(), wide)
