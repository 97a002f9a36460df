"""Shared helpers for the tests."""
from __future__ import annotations

import textwrap

import pytest

from rfcalc.analyzer import analyze
from rfcalc.spec import parse_spec


# A squeeze-and-excitation block (torchvision's SqueezeExcitation) and the other broadcasting merges on
# input 4x6x6: tests/test_profiles.py derives its counts, tests/torch_nets.py pairs it with a module.
SQUEEZE_EXCITE_LAYERS = """
layers:
  - {name: conv, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
  - {name: pool, type: adaptive_avgpool2d, output_size: 1}
  - {name: fc1, type: conv2d, out_channels: 2, kernel_size: 1}
  - {name: relu, type: relu}
  - {name: fc2, type: conv2d, out_channels: 8, kernel_size: 1}
  - {name: gate, type: sigmoid}
  - {name: scale, type: multiply, inputs: [conv, gate]}
  - {name: shift, type: subtract, inputs: [scale, pool]}
  - {name: top, type: maximum, inputs: [shift, conv]}
  - {name: ratio, type: divide, inputs: [top, gate]}
"""


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
