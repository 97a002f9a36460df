"""Output files rfcalc writes (explain and worksheet pages, answer keys, LMS packages): written
atomically, never over an existing file unless the user says so (--force).

A minimal writer for the teaching commands (issue 8); the robustness work (issue 12) makes every
writer of rfcalc go through one helper in this place, so the two are meant to become one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

from .errors import RfcalcError


class OutputFileError(RfcalcError):
    """An output file that cannot be written, or that exists and --force was not given."""


def write_output(path: Union[str, Path], data: Union[str, bytes], force: bool = False) -> None:
    """Write `data` to `path` through a temporary file in the same folder (flushed, synced, renamed):
    a reader never sees a partial file and a failed write leaves the old one intact. An existing
    file (or a link of that name) is refused unless `force`; a link is replaced, never written through."""
    target = Path(path)
    if target.is_dir():
        raise OutputFileError(f"{target}: is a folder; give a file name to write")
    if not force and (target.exists() or target.is_symlink()):
        raise OutputFileError(f"{target}: the file exists; give --force to overwrite it")
    folder = target.parent if str(target.parent) else Path(".")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputFileError(f"{target}: cannot write in {folder}: {exc.strerror}") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode a plain open() would
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        _place(temporary, target, force)
    except OSError as exc:
        _remove(temporary)
        raise OutputFileError(f"{target}: cannot write: {exc.strerror}") from None
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def _place(temporary: str, target: Path, force: bool) -> None:
    """Rename the temporary file onto the target; without force, a hard link refuses a file that
    appeared meanwhile (no window in which an existing file could be replaced)."""
    if force:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise OutputFileError(f"{target}: the file exists; give --force to overwrite it") from None
    except OSError:  # a file system without hard links: the check above is the guard
        os.replace(temporary, target)
        return
    os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
