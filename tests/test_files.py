"""rfcalc/files.py: output files are written atomically and never overwritten without force."""
from __future__ import annotations

import os

import pytest

from rfcalc.files import OutputFileError, write_output


def test_writes_new_file(tmp_path):
    target = tmp_path / "a.txt"
    write_output(target, "hello")
    assert target.read_text() == "hello"


def test_refuses_existing_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(OutputFileError, match="the file exists; give --force"):
        write_output(target, "new")
    assert target.read_text() == "old"
    write_output(target, "new", force=True)
    assert target.read_text() == "new"


def test_symlink_is_replaced_never_written_through(tmp_path):
    precious = tmp_path / "spec.yaml"
    precious.write_text("input: ...")
    link = tmp_path / "out.txt"
    link.symlink_to(precious)
    with pytest.raises(OutputFileError, match="exists"):
        write_output(link, "report")
    write_output(link, "report", force=True)
    assert precious.read_text() == "input: ..." and not link.is_symlink() and link.read_text() == "report"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputFileError, match="No space left on device"):
        write_output(target, "new", force=True)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_folder_and_missing_folder(tmp_path):
    with pytest.raises(OutputFileError, match="is a folder"):
        write_output(tmp_path, "x")
    with pytest.raises(OutputFileError, match="cannot write in"):
        write_output(tmp_path / "missing" / "a.txt", "x")
