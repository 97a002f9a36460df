"""Which rows a table shows: `--depth N` folds the groups, blocks and repeats nested deeper than N into
one row each, as torchinfo's `depth` does; `--layers REGEX` keeps the rows whose names match.

A folded row sums its layers' parameters, MACs, FLOPs and activation memory, and shows the group's
output: the shape and receptive field of its last layer (the one whose output leaves the group, since
a group's layers are expanded in order). Totals always describe the whole network."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Optional, Sequence

from .errors import UsageError
from .report import LayerResult, Report, sum_flops_by_kind


def _prefix(name: str, depth: int) -> str:
    """The first `depth` parts of a dotted name (layer names themselves contain no dots)."""
    return ".".join(name.split(".")[:depth])


def folded_row(name: str, members: Sequence[LayerResult]) -> LayerResult:
    """One row standing for a group's layers: sums, and the output of its last layer."""
    inside = {m.name for m in members}
    inputs = tuple(dict.fromkeys(i for m in members for i in m.inputs if i not in inside))
    last = members[-1]
    return LayerResult(
        index=members[0].index, name=name, type=f"{len(members)} layers", inputs=inputs,
        output_shape=last.output_shape, rf=last.rf, local_rf=last.local_rf, params=sum(m.params for m in members),
        trainable_params=sum(m.trainable_params for m in members), buffers=sum(m.buffers for m in members),
        macs=sum(m.macs for m in members), flops_by_kind=sum_flops_by_kind(members),
        activation_bytes=sum(m.activation_bytes for m in members),
        findings=tuple(f for m in members for f in m.findings), location=members[0].location)


def fold(layers: Sequence[LayerResult], depth: int) -> list[LayerResult]:
    """The layers with everything nested deeper than `depth` folded into its group's row."""
    rows = []
    for name, members in groupby(layers, key=lambda layer: _prefix(layer.name, depth)):
        members = list(members)
        rows.append(members[0] if len(members) == 1 and members[0].name == name else folded_row(name, members))
    return rows


@dataclass(frozen=True)
class RowSelection:
    """The rows asked for on the command line: folded to `depth`, filtered by `pattern`."""

    depth: Optional[int] = None
    pattern: Optional[str] = None

    @classmethod
    def of(cls, depth: Optional[int], pattern: Optional[str]) -> Optional["RowSelection"]:
        """The selection of --depth and --layers (None when neither is given); a bad regex is a usage error."""
        if depth is None and pattern is None:
            return None
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"--layers '{pattern}' is not a regular expression: {exc}") from None
        return cls(depth, pattern)

    def rows(self, report: Report) -> list[LayerResult]:
        """The report's rows under this selection."""
        rows = list(report.layers) if self.depth is None else fold(report.layers, self.depth)
        if self.pattern is not None:
            matcher = re.compile(self.pattern)
            rows = [row for row in rows if matcher.search(row.name)]
        return rows

    def describe(self, report: Report, shown: int) -> str:
        """What the rows are, for the line under the table."""
        parts = []
        if self.depth is not None:
            parts.append(f"folded to depth {self.depth}")
        if self.pattern is not None:
            parts.append(f"rows matching '{self.pattern}'")
        return (", ".join(parts) + f": {shown:,} row(s) for {len(report.layers):,} layers; "
                "the totals are the whole network's")


def rows_of(report: Report, selection: Optional[RowSelection]) -> Sequence[LayerResult]:
    """The rows a table shows: every layer, or the selection's."""
    return report.layers if selection is None else selection.rows(report)
