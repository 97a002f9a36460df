"""A worksheet from a spec: the network as a table (the shared columns of `rfcalc analyze`) with the
asked cells blanked, keyed by the analyzer, checked by the numpy backend when the network is small
enough to run, and explain's derivations of the blanked rows as the answer key."""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Optional

from ...analyzer import analyze
from ...columns import COLUMNS
from ...errors import UsageError
from ...report import LayerResult
from .model import Blank, Exercise, Network, Table

# --ask name -> the shared column it blanks, and explain's quantity that derives it.
ASKABLE = {"shape": ("output", "shape"), "params": ("params", "params"), "rf": ("rf", "rf"),
           "jump": ("jump", "rf"), "macs": ("macs", "macs"), "memory": ("memory", "memory")}
LEVEL_ASKS = {1: ("shape",), 2: ("shape", "params"), 3: ("shape", "params", "rf", "jump", "macs", "memory")}
SHOWN = ("name", "type")  # the columns always given
MAX_BLANKS = 400  # cells a sheet may blank
VERIFY_MACS = 200_000_000  # by default the numpy backend runs a spec of at most this many MACs ...
VERIFY_LIMIT = 1 << 30  # ... and (default or --verify) needing at most this much memory


def parse_ask(text: Optional[str], level: int) -> tuple[str, ...]:
    """--ask shape,params,rf,jump,macs,memory (default: by --level)."""
    if text is None:
        return LEVEL_ASKS.get(level, LEVEL_ASKS[2])
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ASKABLE]
    if unknown or not names:
        raise UsageError(f"--ask '{text}': unknown column '{unknown[0] if unknown else ''}'; "
                         f"choose from {', '.join(ASKABLE)}")
    return tuple(n for n in ASKABLE if n in names)


def teaching_rows(layers: tuple[LayerResult, ...], pattern: Optional[str]) -> list[LayerResult]:
    """The rows to blank: those --layers matches, else those that change the shape, the RF or hold
    parameters (activations and normalisations are given)."""
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"--layers '{pattern}' is not a valid regular expression ({exc})") from None
        rows = [layer for layer in layers if compiled.fullmatch(layer.name)]
        if not rows:
            raise UsageError(f"--layers '{pattern}' matches no layer")
        return rows
    return [layer for layer in layers if layer.params or layer.windows or layer.type in ("flatten", "linear")]


def cell_answer(column_key: str, layer: LayerResult):
    """A blanked cell's key: the column's number (params, MACs, bytes), else its text ('64x56x56', '7')."""
    column = COLUMNS[column_key]
    if column.numeric:
        return Fraction(column.raw(layer))
    return column.human(layer)


def spec_sheet(source: str, ask: Optional[str], pattern: Optional[str], level: int, verify: Optional[bool],
               input_size=None, batch=None, dtype=None):
    """The sheet of one spec: its table with blanks, its key, verified where the network is small enough."""
    from ...commands import load_specs
    from ...sources import read_source
    from .render import Sheet

    if level not in LEVEL_ASKS:
        raise UsageError(f"--level {level}: give 1, 2 or 3")
    asked = parse_ask(ask, level)
    spec = load_specs([source], input_size, batch, dtype)[0]
    report = analyze(spec)
    rows = teaching_rows(report.layers, pattern)
    chosen = {layer.name for layer in rows}
    keys = [*SHOWN, "output", *(ASKABLE[a][0] for a in asked if a != "shape")]
    if len(rows) * len(asked) > MAX_BLANKS:
        raise UsageError(f"{spec.name}: {len(rows) * len(asked)} cells to blank, over {MAX_BLANKS}; choose rows "
                         f"with --layers or fewer columns with --ask")
    blanks, cells = [], []
    for layer in report.layers:
        row = []
        for key in keys:
            name = next((a for a, (column, _) in ASKABLE.items() if column == key), None)
            column = COLUMNS[key]
            if layer.name in chosen and name in asked and not (column.numeric and not column.raw(layer)):
                row.append(len(blanks))
                blanks.append(Blank(f"{layer.name}: {COLUMNS[key].header}", cell_answer(key, layer)))
            else:
                row.append(COLUMNS[key].human(layer))
        cells.append(tuple(row))
    table = Table(tuple(COLUMNS[k].header for k in keys), tuple(cells))
    quantities = tuple(dict.fromkeys(ASKABLE[a][1] for a in asked))
    text, _ = read_source(source)
    explain_rows = "|".join(re.escape(name) for name in sorted(chosen))
    verified = _verify(spec, report, asked, verify, VERIFY_LIMIT)
    statement = (f"The network {spec.name} on a {'x'.join(map(str, report.input_shape))} input (batch "
                 f"{report.batch}, {report.dtype}). Fill in the blank cells.")
    exercise = Exercise(f"S-{spec.name}", "spec", "S", f"The network {spec.name}", 0, 1, level, statement,
                        (Network(spec.name, text),), tuple(blanks), ((0, explain_rows, quantities),), verified,
                        table=table)
    made = f"{spec.name}: {len(blanks)} blank cells ({', '.join(asked)}), level {level}"
    return Sheet(f"Worksheet: {spec.name}", made, ((exercise,),), verified)


def _verify(spec, report, asked, verify: Optional[bool], limit: int) -> bool:
    """Run the network in the numpy backend (RFs checked when asked) and refuse a key that disagrees."""
    if verify is False or (verify is None and report.totals.macs > VERIFY_MACS):
        return False
    from ...backend.engine import MemoryLimitError
    from ...verify.compare import verify_spec
    from .generate import KeyRefused

    try:
        run = verify_spec(spec, max_memory=limit, check_rf=bool({"rf", "jump"} & set(asked)), report=report)
    except MemoryLimitError:
        if verify:
            raise UsageError(f"--verify: {spec.name} needs more than the {limit >> 20} MiB the numpy backend may "
                             f"use for a worksheet; leave --verify out to key it by the analyzer alone "
                             f"(or give a smaller --input-size)") from None
        return False
    if not run.ok:
        raise KeyRefused(f"worksheet: {spec.name}: the numpy backend disagrees with the analyzer: "
                         + "; ".join(run.mismatch_lines()[:3]))
    return True
