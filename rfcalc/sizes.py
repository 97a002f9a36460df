"""`rfcalc sizes SPEC --range 200:600`: which input sizes a network takes cleanly.

Every size of the range is analysed (the same size on every spatial axis) and classed as
- clean: valid (every merge's branches have the same spatial size) and every layer divides evenly:
  no layer drops input pixels, no input pixel goes unseen;
- drops pixels: valid, but some layer's windows never read the last pixels, or some input pixel is
  never seen (the analyzer's findings RF101 dropped-pixels and RF102 unseen-input);
- invalid: the analyzer rejects the size (a merge of unequal sizes, a kernel larger than its input...).
Merges whose branches' RF centres differ (the analyzer's finding RF201 misaligned-merge, e.g. every U-Net
up-sampling concat) do not make a size unclean; they are reported as notes.
The smallest valid input (at all, and clean) is found by analysing sizes from 1 upwards.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import reduce
from math import gcd
from typing import Optional

import click

from .columns import compact_shape
from .commands import wide_option
from .errors import SpecError, UsageError
from .findings import DroppedPixels, MisalignedMerge, UnseenInput, UpsamplingShift
from .tables import WRAP, Output, TableColumn, fit, paragraph, table_lines

STATUSES = ("clean", "drops", "invalid")


@dataclass(frozen=True)
class SizeResult:
    """One input size: its class, the network's output shapes and the reasons it is not clean."""

    size: int
    status: str  # one of STATUSES
    outputs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (output layer, its shape), as the spec names them
    reasons: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # misaligned merges (not a reason to be unclean)

    @property
    def output_shape(self) -> Optional[tuple[int, ...]]:
        """The shape of the network's last output (None when the size is invalid)."""
        return self.outputs[-1][1] if self.outputs else None

    def shapes_text(self) -> str:
        """'8x16x16' for one output; 'c2 8x16x16, c3 8x8x8' for several."""
        if len(self.outputs) == 1:
            return _shape(self.output_shape)
        return ", ".join(f"{name} {_shape(shape)}" for name, shape in self.outputs) or "-"


def parse_range(text: str) -> range:
    """'200:600' or '200:600:8' -> the sizes 200..600 (inclusive), step 1 or 8."""
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) not in (2, 3):
        raise UsageError(f"--range '{text}' must look like 200:600 or 200:600:8")
    start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
    if start < 1 or stop < start or step < 1:
        raise UsageError(f"--range '{text}': need 1 <= start <= stop and a positive step")
    return range(start, stop + 1, step)


def classify(spec, size: int) -> SizeResult:
    """Analyse `spec` at `size` (every spatial axis) and class the result."""
    from .analyzer import analyze

    try:
        report = analyze(spec.with_input([size]))
    except SpecError as exc:
        return SizeResult(size, "invalid", (), (str(exc),))
    outputs = tuple((layer.name, tuple(layer.output_shape)) for layer in report.output_layers)
    lost = tuple(f.text() for f in report.select(DroppedPixels.code, UnseenInput.code))
    misaligned = tuple(f.text() for f in report.select(MisalignedMerge.code, UpsamplingShift.code))
    return SizeResult(size, "drops" if lost else "clean", outputs, lost, misaligned)


def smallest(spec, known: dict[int, SizeResult], upto: int, clean: bool) -> Optional[SizeResult]:
    """The smallest size in 1..upto that is valid (or clean), reusing sizes already analysed."""
    for size in range(1, upto + 1):
        result = known.get(size)
        if result is None:
            result = known[size] = classify(spec, size)
        if result.status == "clean" or (not clean and result.status != "invalid"):
            return result
    return None


def pattern(sizes: list[int]) -> str:
    """Words for a list of sizes: 'every 16 from 208 to 592 (n = 0 mod 16)' when evenly spaced."""
    if not sizes:
        return "none"
    if len(sizes) == 1:
        return str(sizes[0])
    step = reduce(gcd, (b - a for a, b in zip(sizes, sizes[1:])))
    if step > 1 and len(sizes) == (sizes[-1] - sizes[0]) // step + 1:
        return f"every {step} from {sizes[0]} to {sizes[-1]} (n = {sizes[0] % step} mod {step})"
    return f"{len(sizes)} sizes from {sizes[0]} to {sizes[-1]}"


def scan(spec, sizes: range) -> tuple[list[SizeResult], Optional[SizeResult], Optional[SizeResult]]:
    """Results for every size of the range, the smallest valid size and the smallest clean size."""
    if len(spec.input.shape) < 2:
        raise UsageError(f"{spec.source}: the input shape {list(spec.input.shape)} has no spatial axis to vary "
                         f"(sizes needs channels and at least one spatial axis, e.g. [3, 224, 224])")
    known: dict[int, SizeResult] = {}
    results = []
    for size in sizes:
        known[size] = classify(spec, size)
        results.append(known[size])
    upto = sizes[-1]
    return results, smallest(spec, known, upto, clean=False), smallest(spec, known, upto, clean=True)


def _shape(shape) -> str:
    return "x".join(map(str, shape)) if shape else "-"


def _shapes(result: SizeResult) -> dict:
    """output_shape (the last output's, null when invalid) and outputs (every output layer's shape)."""
    return {"output_shape": list(result.output_shape) if result.output_shape else None,
            "outputs": {name: list(shape) for name, shape in result.outputs}}


def to_dict(spec, sizes: range, results, first_valid, first_clean) -> dict:
    """The JSON document of `rfcalc sizes --format json`."""
    return {
        "schema_version": 1, "spec": spec.name, "source": spec.source,
        "range": {"start": sizes.start, "stop": sizes[-1], "step": sizes.step},
        "smallest_valid": None if first_valid is None else {"size": first_valid.size, **_shapes(first_valid)},
        "smallest_clean": None if first_clean is None else {"size": first_clean.size, **_shapes(first_clean)},
        "clean_sizes": [r.size for r in results if r.status == "clean"],
        "sizes": [{"size": r.size, "status": r.status, **_shapes(r),
                   "reasons": list(r.reasons), "notes": list(r.notes)} for r in results],
    }


def _output_columns(shown: list[SizeResult], names: tuple[str, ...]) -> list[TableColumn]:
    """One column of output shapes: headed 'output' for a network with one output, else by output name."""
    columns = []
    for index, name in enumerate(names):
        shapes = [r.outputs[index][1] if r.outputs else None for r in shown]
        columns.append(TableColumn(f"output:{name}", "output" if len(names) == 1 else name,
                                   [_shape(shape) for shape in shapes],
                                   compact=[compact_shape(shape) if shape else "-" for shape in shapes]))
    return columns


def _size_columns(shown: list[SizeResult], show_all: bool, names: tuple[str, ...]) -> list[TableColumn]:
    """size and the outputs' shapes; with --all the status and the first reason, wrapped to the width left."""
    columns = [TableColumn("size", "size", [str(r.size) for r in shown], right=True), *_output_columns(shown, names)]
    if show_all:
        columns += [TableColumn("status", "status", [r.status for r in shown]),
                    TableColumn("why", "why not clean", [r.reasons[0] if r.reasons else "" for r in shown],
                                shrink=WRAP, min_width=30)]
    return columns


def render(spec, sizes: range, results, first_valid, first_clean, show_all: bool, output: Output,
           wide: bool = False) -> None:
    """A table of the clean sizes (all sizes with --all) and a summary."""
    clean = [r for r in results if r.status == "clean"]
    shown = results if show_all else clean
    width = output.width
    lines = paragraph(f"{spec.name}  ({spec.source})  input sizes {sizes.start}..{sizes[-1]}"
                      + (f" step {sizes.step}" if sizes.step > 1 else "")
                      + ("" if show_all else ": the clean ones (--all lists every size)"), width, "bold")
    if shown:
        names = next((tuple(name for name, _ in r.outputs) for r in results if r.outputs), ("output",))
        fitted = fit(_size_columns(shown, show_all, names), width, wide)
        lines += table_lines(fitted, [None if r.status == "clean" else "dim" for r in shown])
        footer = fitted.footer({f"output:{name}": "64x56² means 64x56x56" for name in names})
        lines += paragraph(footer, width, "dim") if footer else []
    by_status = {s: [r for r in results if r.status == s] for s in STATUSES}
    lines += paragraph(f"clean: {len(clean)} of {len(results)} sizes ({pattern([r.size for r in clean])}); "
                       f"drop pixels: {len(by_status['drops'])}; invalid: {len(by_status['invalid'])}", width)
    noted = [r for r in results if r.notes and r.status != "invalid"]
    if noted:
        lines += paragraph(f"note: at {len(noted)} valid size(s) some merge's branches have different RF centres "
                           f"(e.g. {noted[0].size}: {noted[0].notes[0]})", width, "dim", "  ")
    for label, result in (("smallest valid input", first_valid), ("smallest clean input", first_clean)):
        text = f"{result.size} (output {result.shapes_text()})" if result else f"none up to {sizes[-1]}"
        lines += paragraph(f"{label}: {text}", width)
    if not show_all:
        for status, word in (("drops", "drops pixels"), ("invalid", "is invalid")):
            if by_status[status]:
                first = by_status[status][0]
                lines += paragraph(f"e.g. {first.size} {word}: {first.reasons[0]}", width, "dim", "  ")
    output.lines(lines)


@click.command()
@click.argument("spec")
@click.option("--range", "size_range", required=True, metavar="START:STOP[:STEP]",
              help="Input sizes to try, inclusive: 200:600 or 200:600:8.")
@click.option("--all", "show_all", is_flag=True, help="List every size with its status, not only the clean ones.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@wide_option
def sizes(spec, size_range, show_all, fmt, wide):
    """Which input sizes SPEC takes cleanly (merges fit, no pixel dropped), and the smallest valid one."""
    from .sources import load_spec_source

    chosen = parse_range(size_range)
    loaded = load_spec_source(spec)
    results, first_valid, first_clean = scan(loaded, chosen)
    if fmt == "json":
        click.echo(json.dumps(to_dict(loaded, chosen, results, first_valid, first_clean), indent=2))
    else:
        render(loaded, chosen, results, first_valid, first_clean, show_all, Output(), wide)
