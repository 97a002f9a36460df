"""The graph stage: readers, last use and outputs of the expanded nodes, worked out once per spec."""
from __future__ import annotations

from rfcalc.graph import INPUT, build_graph
from rfcalc.spec import parse_spec

BRANCHES = """
input: {shape: [3, 8, 8]}
layers:
  - {name: stem, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: left, type: relu}
  - {name: right, type: conv2d, out_channels: 4, kernel_size: 1, inputs: stem}
  - {name: sum, type: add, inputs: [left, right]}
  - {name: side, type: identity, inputs: stem}
"""


def test_readers_in_order_last_use_and_outputs():
    graph = parse_spec(BRANCHES).graph
    assert graph.readers == {INPUT: ("stem",), "stem": ("left", "right", "side"), "left": ("sum",),
                             "right": ("sum",)}
    assert list(graph.readers) == [INPUT, "stem", "left", "right"]  # tensors in order of first read
    assert graph.last_use == {INPUT: 0, "stem": 4, "left": 3, "right": 3}
    assert graph.outputs == ("sum", "side")
    assert graph.index == {"stem": 0, "left": 1, "right": 2, "sum": 3, "side": 4}


def test_a_tensor_read_twice_by_one_layer_lists_it_twice():
    spec = parse_spec("input: {shape: [3, 8, 8]}\nlayers:\n  - {name: a, type: relu}\n"
                      "  - {name: b, type: add, inputs: [a, a]}\n")
    assert spec.graph.readers["a"] == ("b", "b")
    assert spec.graph.last_use["a"] == 1


def test_input_nobody_reads_is_last_used_before_the_first_layer():
    assert build_graph(()).last_use == {INPUT: -1}
    assert build_graph(()).outputs == ()


def test_graph_is_worked_out_once_per_spec():
    spec = parse_spec(BRANCHES)
    assert spec.graph is spec.graph
    resized = spec.with_input([16])
    assert resized.nodes is spec.nodes and resized.graph == spec.graph
