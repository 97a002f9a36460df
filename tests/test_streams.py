"""Standard streams (issue 12, class 5): closed or failing standard input, output or error give one
line and exit code 2; a reader that goes away (a broken pipe) is a normal end, exit 0. Each case runs
`python -m rfcalc` in a shell that sets the streams up as a user's shell would."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

RFCALC = f"{shlex.quote(sys.executable)} -m rfcalc"
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


def shell(command: str) -> tuple[int, str, str]:
    """Run a bash command line (RFCALC stands for the command): exit code of its first stage, stdout, stderr."""
    done = subprocess.run(["bash", "-c", command.replace("RFCALC", RFCALC) + "; exit ${PIPESTATUS[0]}"],
                          capture_output=True, encoding="utf-8", errors="replace", timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_closed_standard_output(fmt):
    # It exited 1 with AttributeError ... isatty for the table, and 0 having written nothing for JSON.
    assert shell(f"RFCALC analyze lenet5 --format {fmt} >&-") == (
        2, "", "rfcalc: error: standard output is closed\n")


def test_closed_standard_error():
    assert shell("RFCALC analyze lenet5 2>&-") == (2, "rfcalc: error: standard error is closed\n", "")


def test_closed_standard_input():
    # It raised AttributeError: 'NoneType' object has no attribute 'read'.
    assert shell("RFCALC analyze - <&-") == (2, "", "rfcalc: error: <stdin>: standard input is closed\n")


def test_unreadable_standard_input():
    # Opened for writing only. (A folder as standard input stops Python itself before rfcalc runs.)
    assert shell("RFCALC analyze - 0>/dev/null") == (2, "", "rfcalc: error: <stdin>: cannot read standard input: "
                                                            "Bad file descriptor\n")


@needs_dev_full
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_standard_output_on_a_full_device(fmt):
    # It raised OSError: [Errno 28] No space left on device (and Python's "Exception ignored" at exit).
    assert shell(f"RFCALC analyze resnet50 --format {fmt} > /dev/full") == (
        2, "", "rfcalc: error: cannot write to standard output: No space left on device\n")


@needs_dev_full
def test_standard_error_on_a_full_device_keeps_the_exit_code():
    assert shell("RFCALC analyze no-such-spec.yaml 2> /dev/full") == (2, "", "")


@pytest.mark.parametrize("command", ["analyze resnet50", "analyze resnet50 --format json", "layers",
                                     "verify lenet5 --format json"])
def test_a_reader_that_stops_early_is_not_an_error(command):
    # click turns EPIPE into exit 1; rfcalc's guarded streams make it a quiet exit 0 whenever it happens.
    code, out, err = shell(f"RFCALC {command} | head -c 1")
    assert (code, len(out), err) == (0, 1, "")


def test_a_reader_of_the_errors_that_stops_early():
    assert shell("RFCALC analyze no-such-spec.yaml 2>&1 | head -c 0")[0] == 2
