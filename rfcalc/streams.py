"""The standard streams of the `rfcalc` command: closed ones refused, failing writes made one error.

A write to standard output or standard error that fails (a full disk, an I/O error, a closed
descriptor) raises OutputError, which the CLI reports in one line with exit code 2; a reader that
goes away (EPIPE, as in `rfcalc analyze x | head`) raises ReaderGone, a normal end (exit 0). Neither
is an OSError, so that no library on the way (click turns EPIPE into exit 1) takes them for its own.
"""
from __future__ import annotations

import io
import os
import sys

from .errors import RfcalcError


class OutputError(RfcalcError):
    """Writing to standard output or standard error failed."""

    def __init__(self, message: str, fd: int):
        self.fd = fd
        super().__init__(message)


class ReaderGone(Exception):
    """The reader of standard output (or standard error) closed its end of the pipe."""

    def __init__(self, fd: int):
        self.fd = fd
        super().__init__(f"the reader of descriptor {fd} went away")


class _GuardedRaw(io.RawIOBase):
    """A file descriptor written with os.write, whose failures become ReaderGone (EPIPE) or OutputError."""

    def __init__(self, fd: int, name: str):
        super().__init__()
        self._fd, self._name = fd, name

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            raise ReaderGone(self._fd) from None
        except OSError as exc:
            raise OutputError(f"cannot write to {self._name}: {exc.strerror or exc}", self._fd) from None


def _guarded(stream, name: str):
    """A text stream like `stream` (same descriptor, encoding and buffering) whose writes are guarded."""
    raw = _GuardedRaw(stream.fileno(), name)
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors,
                            line_buffering=stream.line_buffering)


def guard_standard_streams() -> None:
    """Refuse to run with standard output or standard error closed (an OutputError naming it), and guard
    both against failing writes. Called by the console entry point only: library callers keep theirs."""
    for stream, name in ((sys.stdout, "standard output"), (sys.stderr, "standard error")):
        if stream is None:
            raise OutputError(f"{name} is closed", -1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout = _guarded(sys.stdout, "standard output")
        sys.stderr = _guarded(sys.stderr, "standard error")
    except (OSError, ValueError, AttributeError):  # not a plain descriptor (an embedding host's stream)
        pass


def silence(fd: int) -> None:
    """Point a failed descriptor at /dev/null, so that the interpreter's last flush fails no more."""
    if fd >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
