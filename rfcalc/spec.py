"""The spec format: load YAML, validate the document, expand it into leaf layers.

A spec is a YAML mapping with `input`, `layers`, and optionally `name`, `description`, `vars`,
`blocks` and `budgets`. See README.md ("Spec format") for the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from .document import InputSpec, SpecDocument, first_message, suggest, validation_error
from .errors import Location, SpecError
from .expander import expand
from .graph import INPUT, Graph, Node, build_graph, layer_label
from .yamlsource import SourceMap, load_yaml, location_of

__all__ = ["INPUT", "InputSpec", "Node", "Spec", "SpecDocument", "layer_label", "parse_spec"]


@dataclass(frozen=True)
class Spec:
    """A validated, expanded spec: the input, the leaf layers in order, and where it came from."""

    name: str
    input: InputSpec
    nodes: tuple[Node, ...]
    source: str
    description: Optional[str] = None
    budgets: Optional[dict] = None
    raw: Any = None
    outputs: tuple[str, ...] = ()  # the nodes the spec names as outputs; () means the last one
    ignore: tuple[str, ...] = ()  # finding codes left out for the whole spec

    @property
    def output_names(self) -> tuple[str, ...]:
        """The network's outputs: the layers the spec names in `outputs`, else its last layer."""
        if self.outputs:
            return self.outputs
        return (self.nodes[-1].name,) if self.nodes else ()

    @cached_property
    def graph(self) -> Graph:
        """Who reads which tensor (worked out on first use)."""
        return build_graph(self.nodes)

    def with_input(self, size: Optional[list[int]] = None, batch: Optional[int] = None,
                   dtype: Optional[str] = None) -> "Spec":
        """The same spec with the input's spatial size, batch or dtype overridden."""
        shape = list(self.input.shape)
        if size is not None:
            if len(size) == 1 and len(shape) > 2:
                size = size * (len(shape) - 1)
            if len(size) != len(shape) - 1:
                raise SpecError(f"--input-size {size} gives {len(size)} sizes; the input has "
                                f"{len(shape) - 1} spatial axes", location_of(self.raw, ("input",)) or Location(self.source))
            shape = [shape[0], *size]
        updates = {"shape": shape, "batch": batch or self.input.batch, "dtype": dtype or self.input.dtype}
        try:
            new_input = InputSpec(**updates)
        except ValidationError as exc:
            where = location_of(self.raw, ("input",)) or Location(self.source)
            raise SpecError(f"invalid input override: input.{first_message(exc)}", where) from None
        return replace(self, input=new_input)


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    """Parse spec text (YAML) into a validated, expanded Spec."""
    raw = load_yaml(text, source)
    if not isinstance(raw, SourceMap):
        raise SpecError("a spec must be a YAML mapping with 'input' and 'layers'", Location(source, 1, 1))
    try:
        document = SpecDocument.model_validate(raw)
    except ValidationError as exc:
        error = validation_error(exc, raw)
        extra = [e for e in exc.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
        if extra:
            key = str(extra[0]["loc"][0])
            error = SpecError(f"unknown top-level key '{key}'" + suggest(key, list(SpecDocument.model_fields)),
                              location_of(raw, (key,)), None)
        raise error from None
    nodes, outputs = expand(document, raw)
    return Spec(name=document.name or Path(source).stem, input=document.input, nodes=nodes, source=source,
                description=document.description, budgets=document.budgets, raw=raw, outputs=outputs,
                ignore=tuple(document.ignore or ()))
