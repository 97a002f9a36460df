"""The expanded network as a graph: its leaf nodes and who reads which tensor, worked out once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from .errors import Location
from .layers import LayerModel

INPUT = "input"  # the name by which layers refer to their scope's input (and nodes to the network's)


@dataclass(frozen=True, slots=True)
class Node:
    """One leaf layer of the expanded network."""

    index: int
    name: str
    layer: LayerModel
    inputs: tuple[str, ...]  # dotted names of earlier nodes, or INPUT for the network input
    location: Location
    trainable: bool = True
    share_params_with: Optional[str] = None
    ignore: tuple[str, ...] = ()  # finding codes left out for this layer (its own and the spec's)


def layer_label(index: int, name: str, kind: str | None = None) -> str:
    """How errors name a layer: its dotted name, index and type."""
    return f"'{name}' (#{index}{', ' + kind if kind else ''})"


@dataclass(frozen=True)
class Graph:
    """Who reads which tensor: per tensor (a node's output or INPUT) its readers and its last use."""

    readers: Mapping[str, tuple[str, ...]]  # tensor -> the nodes reading it, in order (tensors by first read)
    last_use: Mapping[str, int]  # tensor -> index of the last node reading it; INPUT is -1 when none does
    index: Mapping[str, int]  # node name -> its index

    @property
    def outputs(self) -> tuple[str, ...]:
        """The nodes no other node reads: the network's outputs, in order."""
        return tuple(name for name in self.index if name not in self.readers)


def build_graph(nodes: tuple[Node, ...]) -> Graph:
    """The graph of expanded nodes (inputs always name earlier nodes or INPUT)."""
    readers: dict[str, list[str]] = {}
    last_use = {INPUT: -1}
    for node in nodes:
        for name in node.inputs:
            readers.setdefault(name, []).append(node.name)
            last_use[name] = node.index
    return Graph({name: tuple(names) for name, names in readers.items()}, last_use,
                 {node.name: node.index for node in nodes})
