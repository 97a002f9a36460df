"""The spec format: load YAML, expand blocks and repetitions, validate every leaf layer.

A spec is a YAML mapping with `input`, `layers`, and optionally `name`, `description`, `vars`,
`blocks` and `budgets`. See README.md ("Spec format") for the reference.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .dtypes import DTYPE_BYTES
from .errors import Location, SpecError
from .expr import ExpressionError, shorten, substitute
from .layers import TYPE_NAMES, LayerModel, validate_layer
from .layers.base import MAX_EXTENT, MAX_VALUE
from .yamlsource import SourceList, SourceMap, load_yaml, location_of

INPUT = "input"  # the name by which layers refer to their scope's input
NODE_KEYS = ("name", "inputs", "if", "trainable", "share_params_with")  # not passed to layer models
MAX_LEAVES = 100_000  # layers a spec may expand to
MAX_REPEAT = 100_000


class InputSpec(BaseModel):
    """The network input: channels-first shape without batch, batch size and element type."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, strict=True)
    shape: list[Annotated[int, Field(gt=0, le=MAX_VALUE)]] = Field(
        min_length=1, description="channels first, e.g. [3, 224, 224]")
    batch: Annotated[int, Field(gt=0, le=MAX_VALUE)] = 1

    @field_validator("shape")
    @classmethod
    def _spatial_extent(cls, shape: list[int]) -> list[int]:
        if max(shape[1:], default=1) > MAX_EXTENT:
            raise ValueError(f"spatial sizes must be at most {MAX_EXTENT:,}")
        return shape
    dtype: Literal[tuple(DTYPE_BYTES)] = "float32"

    @property
    def dtype_bytes(self) -> int:
        """Bytes per element."""
        return DTYPE_BYTES[self.dtype]


class BlockSpec(BaseModel):
    """A reusable, parameterised group of layers; `params` are its variables with their defaults."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    params: dict[str, Any] = {}
    layers: list[dict[str, Any]] = Field(min_length=1)
    description: Optional[str] = None


class SpecDocument(BaseModel):
    """The top level of a spec file (layers are checked item by item, with their own locations)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    name: Optional[str] = None
    description: Optional[str] = None
    input: InputSpec
    vars: dict[str, Any] = {}
    blocks: dict[str, BlockSpec] = {}
    layers: list[dict[str, Any]] = Field(min_length=1)
    budgets: Optional[dict[str, Any]] = None


@dataclass(frozen=True)
class Node:
    """One leaf layer of the expanded network."""

    index: int
    name: str
    layer: LayerModel
    inputs: tuple[str, ...]  # dotted names of earlier nodes, or INPUT for the network input
    location: Location
    trainable: bool = True
    share_params_with: Optional[str] = None


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
            raise SpecError(f"invalid input override: input.{_first_message(exc)}", where) from None
        return Spec(self.name, new_input, self.nodes, self.source, self.description, self.budgets, self.raw)


def _first_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def _validation_error(exc: ValidationError, raw: Any, prefix: tuple = (), layer: str | None = None) -> SpecError:
    """A pydantic error as a SpecError at the offending field's line (unknown fields reported first)."""
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _source_path(raw, tuple(err["loc"]))
    field_name = ".".join(str(p) for p in loc)
    value = err.get("input")
    shown = f" (got {shorten(repr(value))})" if loc and not isinstance(value, dict) else ""
    message = f"{field_name}: {err['msg']}{shown}" if field_name else f"{err['msg']}"
    if err["type"] == "extra_forbidden":
        message = f"unknown field '{field_name}'" + _suggest(str(loc[-1]), _known_fields(raw))
    return SpecError(message, location_of(raw, prefix + loc) or location_of(raw, prefix), layer)


def _source_path(raw: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names keys and indices present in the YAML
    (drops union-member tags such as 'int' or 'list[int]')."""
    path, value = [], raw
    for step in loc:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        elif isinstance(value, dict) and not path and step == value.get("type"):
            continue  # the discriminator's tag
        elif isinstance(value, dict) and isinstance(step, str) and step.isidentifier() and step not in (
                "int", "str", "float", "bool", "list"):
            path.append(step)  # a missing field
            break
        else:
            continue
        path.append(step)
    return tuple(path)


def layer_label(index: int, name: str, kind: str | None = None) -> str:
    """How errors name a layer: its dotted name, index and type."""
    return f"'{name}' (#{index}{', ' + kind if kind else ''})"


def _known_fields(raw: Any) -> list[str]:
    kind = raw.get("type") if isinstance(raw, dict) else None
    cls = TYPE_NAMES.get(kind) if isinstance(kind, str) else None
    return list(cls.model_fields) + list(NODE_KEYS) if cls else []


def _suggest(word: Any, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class _Expander:
    """Turns the layer items of a document (leaves, groups, block calls) into a flat list of Nodes."""

    def __init__(self, document: SpecDocument, raw: SourceMap, source: str):
        self.blocks = document.blocks
        self.raw_blocks = raw.get("blocks", {})
        self.source = source
        self.nodes: list[Node] = []
        self.known: set[str] = set()
        self.call_stack: list[str] = []
        self.globals: dict = {}
        for name, value in document.vars.items():  # a variable may use the ones defined before it
            self.globals[name] = self._sub(value, self.globals, raw.get("vars"), (name,))
        self.current: Optional[str] = None  # the layer being expanded, for error messages

    def expand(self, items: SourceList, scope: str, variables: dict, input_name: str,
               outer: dict[str, str]) -> str:
        """Expand items in one scope; return the name of the node whose output is the scope's output."""
        local: dict[str, str] = {}
        previous = input_name
        for position, item, variables in self._siblings(items, variables):
            location = location_of(items, (position,))
            self.current = _join(scope, str(item.get("name", position)))
            if not self._included(item, variables, location):
                continue
            name = self._name(item, position, variables, location)
            self.current = _join(scope, name)
            if name in local:
                raise SpecError(f"duplicate layer name '{name}' in this scope", location, _join(scope, name))
            full = _join(scope, name)
            inputs = self._inputs(item, variables, previous, local, outer, input_name, full, location)
            if "block" in item or "layers" in item:
                output = self._expand_composite(item, full, variables, inputs, local, outer, location)
            else:
                output = self._leaf(item, full, variables, inputs, location)
            local[name] = output
            previous = output
        return previous

    def _name(self, item: dict, position: int, variables: dict, location: Location) -> str:
        """The item's name (its index when it has none), checked."""
        name = self._sub(item.get("name", position), variables, item, ("name",))
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            raise SpecError(f"a layer name must be a string or an integer; got {shorten(repr(name))}",
                            location_of(item, ("name",)) or location)
        name = str(name)
        if not name or "." in name:
            raise SpecError(f"layer name '{shorten(name)}' must be non-empty and contain no dots",
                            location_of(item, ("name",)) or location)
        if name == INPUT:
            raise SpecError(f"'{INPUT}' is reserved for the scope's input; choose another layer name",
                            location_of(item, ("name",)) or location)
        return name

    def _repeat(self, item: dict, variables: dict) -> Optional[int]:
        """The item's `repeat` count (None without one), checked."""
        if "repeat" not in item:
            return None
        repeat = self._sub(item["repeat"], variables, item, ("repeat",))
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= MAX_REPEAT:
            raise SpecError(f"repeat must be an integer from 1 to {MAX_REPEAT:,}; got {shorten(repr(repeat))}",
                            location_of(item, ("repeat",)), self.current)
        return repeat

    def _siblings(self, items: SourceList, variables: dict):
        """(position, item, variables) for each item; an item with `repeat` and a templated name
        (name: "denselayer${i + 1}") stands for that many siblings, each with its own `i`."""
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise SpecError(f"a layer must be a mapping (type: ..., ...); got {item!r}",
                                location_of(items, (position,)))
            name = item.get("name")
            if "repeat" in item and isinstance(name, str) and "${" in name:
                self.current = name
                repeat = self._repeat(item, variables)
                single = SourceMap({k: v for k, v in item.items() if k != "repeat"})
                single.location, single.key_locations = item.location, item.key_locations
                for i in range(repeat):
                    yield position, single, {**variables, "i": i}
            else:
                yield position, item, variables

    def _included(self, item: dict, variables: dict, location: Location) -> bool:
        if "if" not in item:
            return True
        value = self._sub(item["if"], variables, item, ("if",))
        if not isinstance(value, bool):
            raise SpecError(f"'if' must be true or false; got {shorten(repr(value))}",
                            location_of(item, ("if",)) or location, self.current)
        return value

    def _sub(self, value: Any, variables: dict, raw: Any, path: tuple) -> Any:
        """Substitute ${...} recursively, reporting errors at the value's line."""
        try:
            if isinstance(value, dict):
                return {k: self._sub(v, variables, raw, path + (k,)) for k, v in value.items()}
            if isinstance(value, list):
                return [self._sub(v, variables, raw, path + (i,)) for i, v in enumerate(value)]
            return substitute(value, variables)
        except ExpressionError as exc:
            field_name = ".".join(str(p) for p in path)
            raise SpecError(f"{field_name}: in expression: {exc}", location_of(raw, path), self.current) from None

    def _inputs(self, item, variables, previous, local, outer, input_name, full, location) -> tuple[str, ...]:
        if "inputs" not in item:
            return (previous,)
        names = self._sub(item["inputs"], variables, item, ("inputs",))
        if isinstance(names, (str, int)):
            names = [names]
        if isinstance(names, list):
            names = [str(n) if isinstance(n, int) and not isinstance(n, bool) else n for n in names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise SpecError(f"inputs must be a layer name or a list of them; got {names!r}",
                            location_of(item, ("inputs",)) or location, full)
        return tuple(self._resolve(n, local, outer, input_name, full, location_of(item, ("inputs",)) or location)
                     for n in names)

    def _resolve(self, name: str, local, outer, input_name, full, location) -> str:
        if name == INPUT:
            return input_name
        for scope in (local, outer):
            if name in scope:
                return scope[name]
        if name in self.known:
            return name
        label = layer_label(len(self.nodes), full)
        if name == full or name == full.rsplit(".", 1)[-1]:
            raise SpecError(f"layer takes its own output as input ('{name}'): a cycle", location, label)
        candidates = list(local) + list(outer) + [INPUT]
        raise SpecError(f"unknown input '{name}': inputs must name an earlier layer in this scope, an "
                        f"enclosing scope, a full dotted name, or 'input' (a later layer would make a cycle)"
                        + _suggest(name, candidates), location, label)

    def _expand_composite(self, item, full, variables, inputs, local, outer, location) -> str:
        if len(inputs) != 1:
            raise SpecError("a group or block takes exactly one input", location, full)
        repeat = self._repeat(item, variables)
        allowed = {"block", "args", "repeat"} if "block" in item else {"layers", "repeat"}
        extra = set(item) - allowed - {"name", "inputs", "if"}
        if extra:
            key = sorted(extra)[0]
            raise SpecError(f"unknown field '{key}' in a {'block call' if 'block' in item else 'group'}"
                            + _suggest(key, sorted(allowed)), location_of(item, (key,)) or location, full)
        previous = inputs[0]
        enclosing = {**outer, **local}
        for i in range(repeat or 1):
            scope = f"{full}.{i}" if repeat is not None else full
            scope_vars = {**variables, "i": i} if repeat is not None else variables
            if "block" in item:
                previous = self._call_block(item, scope, scope_vars, previous, location)
            else:
                layers = item["layers"]
                if not isinstance(layers, list) or not layers:
                    raise SpecError("a group's layers must be a non-empty list", location, full)
                previous = self.expand(layers, scope, scope_vars, previous, enclosing)
        return previous

    def _call_block(self, item, scope, variables, input_name, location) -> str:
        block_name = item["block"]
        if not isinstance(block_name, str):
            raise SpecError(f"block must be the name of a block; got {shorten(repr(block_name))}",
                            location_of(item, ("block",)) or location, scope)
        if block_name not in self.blocks:
            raise SpecError(f"unknown block '{block_name}'" + _suggest(str(block_name), list(self.blocks)),
                            location_of(item, ("block",)) or location, scope)
        if block_name in self.call_stack:
            raise SpecError(f"block '{block_name}' uses itself (recursion)", location, scope)
        block = self.blocks[block_name]
        args = self._sub(item.get("args", {}) or {}, variables, item, ("args",))
        if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
            raise SpecError("args must be a mapping from parameter names to values", location_of(item, ("args",)),
                            scope)
        unknown = set(args) - set(block.params)
        if unknown:
            key = sorted(unknown)[0]
            raise SpecError(f"block '{block_name}' has no parameter '{key}' (it has: "
                            f"{', '.join(block.params) or 'none'})" + _suggest(key, list(block.params)),
                            location_of(item, ("args", key)) or location, scope)
        raw_block = self.raw_blocks[block_name]
        block_vars = dict(self.globals)
        for param, default in block.params.items():  # a default may use globals and earlier parameters
            block_vars[param] = args[param] if param in args else self._sub(
                default, block_vars, raw_block, ("params", param))
        self.call_stack.append(block_name)
        try:
            return self.expand(raw_block["layers"], scope, block_vars, input_name, {})
        finally:
            self.call_stack.pop()

    def _leaf(self, item, full, variables, inputs, location) -> str:
        label = layer_label(len(self.nodes), full)
        if "type" not in item:
            raise SpecError("layer has no 'type' (or 'block' / 'layers' for a group)", location, label)
        bad_keys = [k for k in item if not isinstance(k, str)]
        if bad_keys:
            raise SpecError(f"field names must be strings; got {shorten(repr(bad_keys[0]))}", location, label)
        values = {k: self._sub(v, variables, item, (k,)) for k, v in item.items() if k not in NODE_KEYS}
        kind = values["type"]
        if not isinstance(kind, str) or kind not in TYPE_NAMES:
            raise SpecError(f"unknown layer type {shorten(repr(kind))}" + _suggest(str(kind), list(TYPE_NAMES))
                            + " (rfcalc layers lists them all)", location_of(item, ("type",)) or location, label)
        try:
            layer = validate_layer(values)
        except ValidationError as exc:
            raise _validation_error(exc, item, layer=layer_label(len(self.nodes), full, kind)) from None
        cls = type(layer)
        arity = cls.arity
        label = layer_label(len(self.nodes), full, kind)
        if arity is not None and len(inputs) != arity:
            raise SpecError(f"{kind} takes {arity} input; got {len(inputs)}", location, label)
        if arity is None and len(inputs) < 2:
            raise SpecError(f"{kind} merges two or more inputs; give them with inputs: [a, b]", location, label)
        trainable = self._sub(item.get("trainable", True), variables, item, ("trainable",))
        if not isinstance(trainable, bool):
            raise SpecError(f"trainable must be true or false; got {shorten(repr(trainable))}",
                            location_of(item, ("trainable",)) or location, label)
        shares = self._sub(item.get("share_params_with"), variables, item, ("share_params_with",))
        if shares is not None and str(shares) not in self.known:
            raise SpecError(f"share_params_with: no earlier layer is named '{shorten(str(shares))}' (give the "
                            f"full dotted name of the layer whose parameters this one reuses)",
                            location_of(item, ("share_params_with",)) or location, label)
        if len(self.nodes) >= MAX_LEAVES:
            raise SpecError(f"the spec expands to more than {MAX_LEAVES:,} layers", location, full)
        self.nodes.append(Node(len(self.nodes), full, layer, inputs, location, trainable,
                               None if shares is None else str(shares)))
        self.known.add(full)
        return full


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    """Parse spec text (YAML) into a validated, expanded Spec."""
    raw = load_yaml(text, source)
    if not isinstance(raw, SourceMap):
        raise SpecError("a spec must be a YAML mapping with 'input' and 'layers'", Location(source, 1, 1))
    try:
        document = SpecDocument.model_validate(raw)
    except ValidationError as exc:
        error = _validation_error(exc, raw)
        extra = [e for e in exc.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
        if extra:
            key = str(extra[0]["loc"][0])
            error = SpecError(f"unknown top-level key '{key}'" + _suggest(key, list(SpecDocument.model_fields)),
                              location_of(raw, (key,)), None)
        raise error from None
    expander = _Expander(document, raw, source)
    expander.expand(raw["layers"], "", dict(expander.globals), INPUT, {})
    name = document.name or Path(source).stem
    return Spec(name, document.input, tuple(expander.nodes), source, document.description,
                document.budgets, raw)
