"""rfcalc/files.py: output files are written atomically, never overwritten without force, never onto an
input of the same run, the old content intact when a write fails or is killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from rfcalc.files import OutputFileError, write_output

SPEC = "name: tiny\ninput: {shape: [1, 8, 8]}\nlayers:\n  - {name: c, type: conv2d, out_channels: 2, kernel_size: 3}\n"


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


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder anyway")
def test_a_read_only_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputFileError, match="cannot write in"):
            write_output(folder / "out.txt", "new")
    finally:
        folder.chmod(0o700)


def _child(code: str, *limits: str) -> subprocess.CompletedProcess:
    """Run `code` in a child Python (after `limits`, lines run first) and return how it ended."""
    script = "import resource, signal\n" + "\n".join(limits) + "\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    # RLIMIT_FSIZE stands for a full device: the write fails part-way (EFBIG, SIGXFSZ ignored).
    target = tmp_path / "out.txt"
    target.write_text("old")
    ended = _child(f"""
        from rfcalc.files import OutputFileError, write_output
        try:
            write_output({str(target)!r}, "x" * 1_000_000, force=True)
        except OutputFileError as exc:
            print(exc)
        """, "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)",
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))")
    assert "cannot write: File too large" in ended.stdout, ended.stdout + ended.stderr
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_kill_during_the_write_keeps_the_old_file(tmp_path):
    # The child is killed while the temporary file is being written (its fsync is replaced by a stop):
    # the target still holds the old content, whole.
    target = tmp_path / "out.txt"
    target.write_text("old")
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, sys
        from rfcalc import files
        def stop(fd):
            print("writing", flush=True)
            os.kill(os.getpid(), 19)  # SIGSTOP: killed by the parent in the middle of the write
        files.os.fsync = stop
        files.write_output({str(target)!r}, "new" * 100_000, force=True)
        """)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert target.read_text() == "old"


def test_junit_report_replaces_an_earlier_report_only(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(SPEC)
    assert run_cli("check", "tiny.yaml", "--max-params", "100", "--junit-xml", "report.xml")[0] == 0
    first = (tmp_path / "report.xml").read_text()
    assert first.startswith("<?xml") and 'tests="1" failures="0"' in first
    # CI reruns in the same workspace: an rfcalc JUnit report is replaced without --force
    assert run_cli("check", "tiny.yaml", "--max-params", "10", "--junit-xml", "report.xml")[0] == 1
    assert 'failures="1"' in (tmp_path / "report.xml").read_text()
    (tmp_path / "notes.xml").write_text("<notes/>")
    code, _, errors = run_cli("check", "tiny.yaml", "--max-params", "100", "--junit-xml", "notes.xml")
    assert code == 2 and "notes.xml: the file exists; give --force to overwrite it" in errors
    assert (tmp_path / "notes.xml").read_text() == "<notes/>"
    assert run_cli("check", "tiny.yaml", "--max-params", "100", "--junit-xml", "notes.xml", "--force")[0] == 0


@pytest.mark.parametrize("force", [False, True])
def test_an_input_of_the_run_is_never_written_over(tmp_path, run_cli, monkeypatch, force):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(SPEC)
    (tmp_path / "alias.yaml").symlink_to("tiny.yaml")
    for target in ("tiny.yaml", "alias.yaml"):
        code, _, errors = run_cli("check", "tiny.yaml", "--max-params", "100", "--junit-xml", target,
                                  *(["--force"] if force else []))
        assert code == 2
        expected = "is an input of this run (tiny.yaml)" if force else "the file exists; give --force"
        assert expected in errors, errors
    assert (tmp_path / "tiny.yaml").read_text() == SPEC
