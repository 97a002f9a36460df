"""Every limit rfcalc puts on its input, in one place.

Each limit is checked before the work it bounds and named in its error; README.md's limits table
lists them all (tests/test_limits.py keeps the table and LIMITS equal). The values are far beyond any
real network and small enough that a spec at every limit at once is still analyzed in seconds.
"""
from __future__ import annotations

from typing import NamedTuple


class Limit(NamedTuple):
    """One documented limit: its value and what it bounds (as the README's table says it)."""

    value: int
    bounds: str


MAX_FILE_BYTES = 16 * 2**20  # a spec or budget file, or standard input
MAX_ONNX_BYTES = 2**31  # an ONNX model file (protobuf cannot hold more)
MAX_YAML_NODES = 250_000  # mappings, sequences and values in one YAML file, as written
MAX_EXPANDED_NODES = 200_000  # the same once YAML aliases (*name) are expanded
MAX_NESTING = 64  # levels of YAML nesting; of groups and block calls; of an expression
MAX_ITEMS = 10_000  # the size of one value: characters of a string, items of a list or mapping
MAX_NAME = 256  # characters of a spec's name and of a layer's full dotted name
MAX_LAYERS = 10_000  # leaf layers a spec expands to (also the largest `repeat`)
MAX_EXPRESSION = 1_000  # characters inside one ${...}
MAX_VALUE = 1 << 31  # a layer parameter (size, kernel, stride, padding, channels, count)
MAX_EXTENT = 1 << 24  # a spatial axis of any tensor
MAX_PHASES = 1 << 16  # the period of a receptive-field pattern (outputs before it repeats)
MAX_QUANTITY = 1 << 63  # a count or byte size in a budget or an option
MAX_DRAWN_EXTENT = 4_096  # cells per axis of a layer diagram's input view (rfcalc draw --what window)
MAX_ANIMATED_EXTENT = 48  # the same for an animated diagram
MAX_FRAMES = 400  # frames of an animated layer diagram (its output positions)
MAX_DRAWN_PIXELS = 1 << 22  # input pixels of a receptive-field picture (rfcalc draw --what rf)
MAX_DRAWN_UNITS = 9  # units side by side in a receptive-field picture

LIMITS: dict[str, Limit] = {
    "MAX_FILE_BYTES": Limit(MAX_FILE_BYTES, "bytes of a spec or budget file, or of standard input"),
    "MAX_ONNX_BYTES": Limit(MAX_ONNX_BYTES, "bytes of an ONNX model file (the protobuf limit)"),
    "MAX_YAML_NODES": Limit(MAX_YAML_NODES, "YAML nodes (mappings, sequences, values) in one file"),
    "MAX_EXPANDED_NODES": Limit(MAX_EXPANDED_NODES, "YAML nodes once aliases (`*name`) are expanded"),
    "MAX_NESTING": Limit(MAX_NESTING, "levels of YAML nesting; of groups and block calls inside each other; "
                                      "of an expression"),
    "MAX_ITEMS": Limit(MAX_ITEMS, "the size of one value: characters of a string, items of a list or mapping, "
                                  "as written in a spec or built by an expression (nested lists counted whole)"),
    "MAX_NAME": Limit(MAX_NAME, "characters of a spec's name and of a layer's full dotted name"),
    "MAX_LAYERS": Limit(MAX_LAYERS, "leaf layers a spec expands to; the largest `repeat`"),
    "MAX_EXPRESSION": Limit(MAX_EXPRESSION, "characters inside one `${...}`"),
    "MAX_VALUE": Limit(MAX_VALUE, "a layer parameter (channels, kernel, stride, padding, features, ...), "
                                  "given or derived"),
    "MAX_EXTENT": Limit(MAX_EXTENT, "the size of a spatial axis of any tensor"),
    "MAX_PHASES": Limit(MAX_PHASES, "outputs before a receptive-field pattern repeats (its period)"),
    "MAX_QUANTITY": Limit(MAX_QUANTITY, "a count or byte size in a budget or an option"),
    "MAX_DRAWN_EXTENT": Limit(MAX_DRAWN_EXTENT, "cells per axis of a layer diagram's padded or stretched input "
                                                "(`rfcalc draw --what window`)"),
    "MAX_ANIMATED_EXTENT": Limit(MAX_ANIMATED_EXTENT, "the same, for an animated diagram (`--animate`)"),
    "MAX_FRAMES": Limit(MAX_FRAMES, "frames of an animated layer diagram (one per output position)"),
    "MAX_DRAWN_PIXELS": Limit(MAX_DRAWN_PIXELS, "input pixels of a receptive-field picture (`rfcalc draw --what rf`)"),
    "MAX_DRAWN_UNITS": Limit(MAX_DRAWN_UNITS, "units side by side in a receptive-field picture"),
}
