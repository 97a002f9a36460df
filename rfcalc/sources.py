"""Where specs come from: a path, `-` for standard input, or the name of a bundled (zoo) spec."""
from __future__ import annotations

import difflib
import sys
from importlib import resources
from typing import Optional

from .bounds import MAX_FILE_BYTES, MAX_ONNX_BYTES
from .errors import Location, SpecError
from .files import remember_input
from .spec import Spec, parse_spec
from .yamlsource import decode


def bundled_specs() -> dict[str, resources.abc.Traversable]:
    """Bundled spec name -> file, sorted by name."""
    folder = resources.files("rfcalc.specs")
    files = [f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))]
    return {f.name.rsplit(".", 1)[0]: f for f in sorted(files, key=lambda f: f.name)}


def read_source(source: str) -> tuple[str, str]:
    """(text, display name) of a spec path, '-' (stdin) or bundled name."""
    if source == "-":
        return decode(read_stdin(), "<stdin>"), "<stdin>"
    try:
        return decode(read_file(source), source), source
    except (FileNotFoundError, IsADirectoryError) as missing:
        folder = isinstance(missing, IsADirectoryError)
    bundled = bundled_specs()
    if source in bundled:
        return bundled[source].read_text(encoding="utf-8"), f"{bundled[source].name} (bundled)"
    if folder:
        raise SpecError("not a regular file", Location(source))
    hint = difflib.get_close_matches(source, list(bundled), n=1)
    suggestion = f"; did you mean the bundled spec '{hint[0]}'?" if hint else " (rfcalc zoo lists bundled specs)"
    raise SpecError(f"no such file, and no bundled spec of that name{suggestion}", Location(source))


def read_file(path: str, what: str = "the spec", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file (at most `limit`), or a SpecError saying why not; FileNotFoundError and
    IsADirectoryError pass (the caller says what a missing file means)."""
    try:
        with open(path, "rb") as handle:
            remember_input(handle.fileno(), path)
            return _bounded(handle, path, what, limit)
    except (FileNotFoundError, IsADirectoryError):
        raise
    except (OSError, ValueError) as exc:  # ValueError: a name with a NUL byte
        raise SpecError(f"cannot read {what}: {_problem(exc)}", Location(path)) from None


def read_stdin() -> bytes:
    """The bytes of standard input (at most MAX_FILE_BYTES), or a SpecError saying why not."""
    if sys.stdin is None:
        raise SpecError("standard input is closed", Location("<stdin>"))
    try:
        return _bounded(getattr(sys.stdin, "buffer", sys.stdin), "<stdin>", "standard input")
    except (OSError, ValueError) as exc:
        raise SpecError(f"cannot read standard input: {_problem(exc)}", Location("<stdin>")) from None


def _problem(exc: Exception) -> str:
    """What went wrong, in the system's words (without the file name, which the location gives)."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _bounded(stream, name: str, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes from a binary (or text) stream; a SpecError when there is more."""
    data = stream.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > limit:  # located at the first byte past the limit
        line = data.count(b"\n", 0, limit) + 1
        column = limit - data.rfind(b"\n", 0, limit)
        raise SpecError(f"{what} is larger than {limit // 2**20} MiB; refusing to read it",
                        Location(name, line, column))
    return data


def load_spec_source(source: str, input_size: Optional[list[int]] = None) -> Spec:
    """A Spec from a path, a bundled name or '-' (standard input); an ONNX model (*.onnx) is read with
    its dynamic sizes fixed from `input_size` (the other sources take it later, through with_input)."""
    if source.lower().endswith(".onnx"):
        return load_onnx(source, input_size)
    return parse_spec(*read_source(source))


ONNX_INSTALL_HINT = "reading ONNX models needs the onnx package: pip install 'rfcalc[onnx]'"


def load_onnx(path: str, input_size: Optional[list[int]] = None) -> Spec:
    """The Spec of an ONNX model file (the optional extra rfcalc[onnx]: the onnx package)."""
    try:
        data = read_file(path, "the ONNX model", MAX_ONNX_BYTES)
    except FileNotFoundError:
        raise SpecError("no such file", Location(path)) from None
    except IsADirectoryError:
        raise SpecError("not a regular file", Location(path)) from None
    try:
        from .importers.onnx import load_onnx_spec
    except ModuleNotFoundError as missing:
        if missing.name != "onnx":
            raise
        raise SpecError(ONNX_INSTALL_HINT, Location(path)) from None
    return load_onnx_spec(path, data, input_size)


def load_spec(path_or_text: str) -> Spec:
    """A Spec from a path, a bundled name, '-' or YAML text itself (anything containing a newline)."""
    if "\n" in path_or_text:
        return parse_spec(path_or_text, "<text>")
    return load_spec_source(path_or_text)
