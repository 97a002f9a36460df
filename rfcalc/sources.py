"""Where specs come from: a path, `-` for standard input, or the name of a bundled (zoo) spec."""
from __future__ import annotations

import difflib
import sys
from importlib import resources
from pathlib import Path

from .errors import Location, SpecError
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
        stream = getattr(sys.stdin, "buffer", None)
        return (decode(stream.read(), "<stdin>") if stream else sys.stdin.read()), "<stdin>"
    path = Path(source)
    if path.is_file():
        try:
            return decode(path.read_bytes(), source), source
        except OSError as exc:
            raise SpecError(f"cannot read the spec: {exc.strerror}", Location(source)) from None
    bundled = bundled_specs()
    if source in bundled:
        return bundled[source].read_text(encoding="utf-8"), f"{bundled[source].name} (bundled)"
    hint = difflib.get_close_matches(source, list(bundled), n=1)
    suggestion = f"; did you mean the bundled spec '{hint[0]}'?" if hint else " (rfcalc zoo lists bundled specs)"
    if path.exists():
        raise SpecError("not a regular file", Location(source))
    raise SpecError(f"no such file, and no bundled spec of that name{suggestion}", Location(source))


def load_spec_source(source: str) -> Spec:
    """A Spec from a path, a bundled name or '-' (standard input)."""
    return parse_spec(*read_source(source))


def load_spec(path_or_text: str) -> Spec:
    """A Spec from a path, a bundled name, '-' or YAML text itself (anything containing a newline)."""
    if "\n" in path_or_text:
        return parse_spec(path_or_text, "<text>")
    return load_spec_source(path_or_text)
