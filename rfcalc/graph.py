"""The expanded network: its leaf nodes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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


def layer_label(index: int, name: str, kind: str | None = None) -> str:
    """How errors name a layer: its dotted name, index and type."""
    return f"'{name}' (#{index}{', ' + kind if kind else ''})"
