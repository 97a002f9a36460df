"""Domain exceptions: each carries the exit code the CLI returns for it."""
from __future__ import annotations

from dataclasses import dataclass


EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Location:
    """Where in a spec file something is: file name, 1-based line and column."""

    file: str = "<spec>"
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class RfcalcError(Exception):
    """Base of every error rfcalc reports to a user; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_BAD_INPUT


class SpecError(RfcalcError):
    """A spec that cannot be analyzed: names the place, the layer and the problem."""

    def __init__(self, message: str, location: Location | None = None, layer: str | None = None):
        self.message = message
        self.location = location or Location()
        self.layer = layer
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.location)
        label = self.layer if self.layer is None or self.layer.startswith("'") else f"'{self.layer}'"
        layer = f" layer {label}:" if self.layer else ""
        return f"{where}:{layer} {self.message}"


class UsageError(RfcalcError):
    """A command-line value that cannot be used (bad unit, unknown column, ...)."""


class StrictWarningError(RfcalcError):
    """--strict turned a warning into an error."""
