"""Shared helpers for the tests."""
from __future__ import annotations

import textwrap

import pytest

from rfcalc.analyzer import analyze
from rfcalc.spec import parse_spec


def analyze_yaml(text: str, source: str = "test.yaml"):
    """Analyze a spec given as (indented) YAML text."""
    return analyze(parse_spec(textwrap.dedent(text), source))


def sequential(shape, *layers) -> str:
    """YAML of a sequential spec with the given input shape and flow-style layer mappings."""
    lines = [f"input: {{shape: {list(shape)}}}", "layers:"]
    lines += [f"  - {layer}" for layer in layers]
    return "\n".join(lines) + "\n"


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from rfcalc.cli import main

    def run(*args):
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
