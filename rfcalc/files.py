"""Every file rfcalc writes (explain and worksheet pages, answer keys, LMS packages, pictures, the
JUnit report, imported specs) goes through `write_output`: written atomically (a temporary file in the
same folder, flushed, synced, renamed), never over an existing file unless the user says so (--force),
and never onto a file this run has read (a spec, a budget file, a model), --force or not.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

from .errors import RfcalcError


class OutputFileError(RfcalcError):
    """An output file that cannot be written, or that exists and --force was not given."""


_INPUTS: dict[tuple[int, int], str] = {}  # (device, inode) -> name, of every file this process has read


def remember_input(descriptor: int, name: str) -> None:
    """Note a file this run reads (by its open descriptor), so that no output is written onto it."""
    info = os.fstat(descriptor)
    _INPUTS[(info.st_dev, info.st_ino)] = name


def forget_inputs() -> None:
    """Start a new run: no file has been read yet (the CLI calls this first, as tests run it in-process)."""
    _INPUTS.clear()


def _refuse_inputs(target: Path) -> None:
    """An OutputFileError when `target` (or what a link of that name points to) is a file this run read."""
    try:
        info = target.stat()
    except OSError:
        return
    read_as = _INPUTS.get((info.st_dev, info.st_ino))
    if read_as is not None:
        raise OutputFileError(f"{target}: is an input of this run ({read_as}); refusing to write over it")


def check_output(path: Union[str, Path], force: bool = False) -> None:
    """Refuse, before any work, an output name that is a folder or an input of this run, or that exists
    (a file or a link of that name) when `force` is not given. `write_output` checks again."""
    target = Path(path)
    if target.is_dir():
        raise OutputFileError(f"{target}: is a folder; give a file name to write")
    _refuse_inputs(target)
    if not force and (target.exists() or target.is_symlink()):
        raise OutputFileError(f"{target}: the file exists; give --force to overwrite it")


def write_output(path: Union[str, Path], data: Union[str, bytes], force: bool = False) -> None:
    """Write `data` to `path` through a temporary file in the same folder (flushed, synced, renamed):
    a reader never sees a partial file and a failed write leaves the old one intact. An existing
    file (or a link of that name) is refused unless `force`; a link is replaced, never written through."""
    target = Path(path)
    check_output(target, force)
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
