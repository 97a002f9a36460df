"""Expanding a spec's layer items (leaves, groups, block calls; `repeat`, `if`, `${...}`) into leaf Nodes."""
from __future__ import annotations

from itertools import islice
from typing import Any, Container, Iterator, Mapping, NamedTuple, Optional

from pydantic import ValidationError

from .bounds import MAX_LAYERS, MAX_NAME, MAX_NESTING
from .document import NODE_KEYS, BlockCall, GroupItem, SpecDocument, suggest, validation_error
from .errors import Location, SpecError
from .expr import ExpressionError, shorten, substitute
from .findings import checked_codes
from .graph import INPUT, Node, layer_label
from .layers import TYPE_NAMES, LayerModel, validate_layer
from .yamlsource import SourceList, SourceMap, location_of



class Scope(NamedTuple):
    """Where a list of layer items is expanded: the dotted prefix of its names, its variables, its input,
    the names bound so far in it and (through `parent`) in the enclosing groups, the block calls it is in,
    and how deeply groups and block calls are nested around it.

    Binding a name makes a new scope in O(1): a scope's successive values share one append-only table
    of names, each seeing its first `count` entries. (A named tuple rather than a dataclass: a scope is
    made for every item, and this is three times cheaper.)"""

    prefix: str
    variables: Mapping[str, Any]
    input_name: str  # the node whose output is the scope's input
    previous: str  # the node an item without `inputs` reads: the last one bound, else the input
    names: dict[str, str]  # name -> node, shared (see above): read it through local()
    count: int
    parent: Optional["Scope"]  # the enclosing group's scope (None at the top and in a block)
    calls: tuple[str, ...]  # the blocks being expanded, outermost first
    depth: int  # groups and block calls around this scope

    @classmethod
    def top(cls, variables: Mapping[str, Any]) -> "Scope":
        """The scope of a spec's `layers`: no prefix, the network input, the global variables."""
        return cls("", variables, INPUT, INPUT, {}, 0, None, (), 0)

    def full(self, name: str) -> str:
        """The dotted node name of `name` in this scope."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def local(self) -> Mapping[str, str]:
        """The names bound in this scope so far -> their nodes, in binding order."""
        if self.count == len(self.names):  # the newest scope (always so while its items are expanded)
            return self.names
        return dict(islice(self.names.items(), self.count))

    def bind(self, name: str, node: str) -> "Scope":
        """This scope with `name` bound to `node`, which the next item reads by default."""
        names = self.names
        if self.count != len(names) or name in names:  # an older scope, or a rebinding: a table of its own
            names = {n: other for n, other in self.local().items() if n != name}
        names[name] = node
        return Scope(self.prefix, self.variables, self.input_name, node, names, len(names), self.parent,
                     self.calls, self.depth)

    def child(self, prefix: str, input_name: str, variables: Mapping[str, Any]) -> "Scope":
        """The scope of a group in this one: it also sees the names bound here so far."""
        return Scope(prefix, variables, input_name, input_name, {}, 0, self, self.calls, self.depth + 1)

    def call(self, block: str, prefix: str, input_name: str, variables: Mapping[str, Any]) -> "Scope":
        """The scope of a call of `block`: it sees only its own names (and full dotted ones)."""
        return Scope(prefix, variables, input_name, input_name, {}, 0, None, self.calls + (block,), self.depth + 1)

    def visible(self) -> list[str]:
        """The names an item here may read: this scope's, then the enclosing groups', then 'input'."""
        names, scope = [], self
        while scope is not None:
            names.extend(scope.local())
            scope = scope.parent
        return names + [INPUT]

    def resolve(self, name: str, known: Container[str], reader: str, label: str, location: Location) -> str:
        """The node that input `name` of layer `reader` (errors name it `label`) refers to: a name bound
        here or in an enclosing group, the scope's input, or a full dotted name in `known`."""
        if name == INPUT:
            return self.input_name
        scope = self
        while scope is not None:
            node = scope.local().get(name)
            if node is not None:
                return node
            scope = scope.parent
        if name in known:
            return name
        if name == reader or name == reader.rsplit(".", 1)[-1]:
            raise SpecError(f"layer takes its own output as input ('{name}'): a cycle", location, label)
        raise SpecError(f"unknown input '{name}': inputs must name an earlier layer in this scope, an "
                        f"enclosing scope, a full dotted name, or 'input' (a later layer would make a cycle)"
                        + suggest(name, self.visible()), location, label)


def substituted(value: Any, variables: Mapping[str, Any], raw: Any, path: tuple, layer: Optional[str]) -> Any:
    """`value` (found at `path` in `raw`) with ${...} substituted recursively; errors at its line name `layer`."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        try:
            return substitute(value, variables)
        except ExpressionError as exc:
            field_name = ".".join(str(p) for p in path)
            raise SpecError(f"{field_name}: in expression: {exc}", location_of(raw, path), layer) from None
    if isinstance(value, dict):
        return {k: substituted(v, variables, raw, path + (k,), layer) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v, variables, raw, path + (i,), layer) for i, v in enumerate(value)]
    return value


class Item(NamedTuple):
    """One layer item being expanded: its mapping, the variables it sees and where it is written."""

    raw: SourceMap
    variables: Mapping[str, Any]
    location: Location

    def value(self, key: Any, layer: Optional[str], default: Any = None) -> Any:
        """The item's `key` with ${...} substituted (errors name `layer`); `default` without one."""
        if key not in self.raw:
            return default
        return substituted(self.raw[key], self.variables, self.raw, (key,), layer)

    def where(self, key: Any) -> Location:
        """Where the item's `key` is written (where the item is, without one)."""
        return location_of(self.raw, (key,)) or self.location


def expand(document: SpecDocument, raw: SourceMap) -> tuple[tuple[Node, ...], tuple[str, ...]]:
    """The leaf layers of a validated document, in order, and the nodes its `outputs` name (() when
    it names none: the last layer is the output)."""
    expander = _Expander(document, raw)
    scope = expander.expand_scope(raw["layers"], Scope.top(expander.globals))
    return tuple(expander.nodes), expander.outputs(raw, scope)


class _Expander:
    """Turns layer items (leaves, groups, block calls) into Nodes, collected in order in `nodes`."""

    def __init__(self, document: SpecDocument, raw: SourceMap):
        self.blocks = document.blocks
        self.ignore = tuple(document.ignore or ())  # the spec's codes, left out for every layer
        self.raw_blocks = raw.get("blocks", {})
        self.nodes: list[Node] = []
        self.known: set[str] = set()  # the full dotted names of `nodes`
        self.globals: dict[str, Any] = {}
        for name, value in document.vars.items():  # a variable may use the ones defined before it
            self.globals[name] = substituted(value, self.globals, raw, ("vars", name), None)

    def expand(self, items: SourceList, scope: Scope) -> str:
        """Expand the items of one scope; return the node whose output is the scope's output."""
        return self.expand_scope(items, scope).previous

    def expand_scope(self, items: SourceList, scope: Scope) -> Scope:
        """Expand the items of one scope; return the scope with every item's name bound."""
        for position, item in self._siblings(items, scope):
            written = scope.full(str(item.raw.get("name", position)))  # its label until its name is known
            if not _included(item, written):
                continue
            name = _name(item, position, written)
            full = scope.full(name)
            if len(full) > MAX_NAME:
                raise SpecError(f"the full name '{shorten(full)}' has {len(full):,} characters; a layer's full "
                                f"dotted name has at most {MAX_NAME}", item.where("name"))
            if name in scope.local():
                raise SpecError(f"duplicate layer name '{name}' in this scope", item.location, full)
            inputs = self._inputs(item, scope, full)
            if "block" in item.raw or "layers" in item.raw:
                output = self._composite(item, scope, full, inputs)
            else:
                output = self._leaf(item, full, inputs)
            scope = scope.bind(name, output)
        return scope

    def outputs(self, raw: SourceMap, scope: Scope) -> tuple[str, ...]:
        """The nodes the spec's `outputs` name, in the top-level scope (a group's name stands for its
        last layer) or by full dotted name; () when `outputs` is not given."""
        names = raw.get("outputs")
        if names is None:
            return ()
        nodes: list[str] = []
        for position, name in enumerate(names):
            where = location_of(raw, ("outputs", position)) or location_of(raw, ("outputs",))
            name = str(name)
            node = scope.local().get(name) or (name if name in self.known else None)
            if node is None:
                hint = " (the input is not a layer)" if name == INPUT else suggest(name, list(scope.local()))
                raise SpecError(f"unknown output '{shorten(name)}': outputs must name layers of the network (a "
                                f"top-level name or a full dotted name){hint}", where)
            if node in nodes:
                raise SpecError(f"output '{shorten(name)}' is named twice (it is layer '{node}')", where)
            nodes.append(node)
        return tuple(nodes)

    def _siblings(self, items: SourceList, scope: Scope) -> Iterator[tuple[int, Item]]:
        """(position, item) for each item; an item with `repeat` and a templated name
        (name: "denselayer${i + 1}") stands for that many siblings, each with its own `i`."""
        for position, raw in enumerate(items):
            location = location_of(items, (position,))
            if not isinstance(raw, dict):
                raise SpecError(f"a layer must be a mapping (type: ..., ...); got {raw!r}", location)
            name = raw.get("name")
            if "repeat" in raw and isinstance(name, str) and "${" in name:
                repeat = _repeat(Item(raw, scope.variables, location), name)
                single = SourceMap({k: v for k, v in raw.items() if k != "repeat"})
                single.location, single.key_locations = raw.location, raw.key_locations
                for i in range(repeat):
                    yield position, Item(single, {**scope.variables, "i": i}, location)
            else:
                yield position, Item(raw, scope.variables, location)

    def _inputs(self, item: Item, scope: Scope, full: str) -> tuple[str, ...]:
        """The nodes the item reads: its `inputs` resolved in the scope, else the previous node."""
        if "inputs" not in item.raw:
            return (scope.previous,)
        names = item.value("inputs", full)
        if isinstance(names, (str, int)):
            names = [names]
        if isinstance(names, list):
            names = [str(n) if isinstance(n, int) and not isinstance(n, bool) else n for n in names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise SpecError(f"inputs must be a layer name or a list of them; got {names!r}", item.where("inputs"),
                            full)
        label = layer_label(len(self.nodes), full)
        return tuple(scope.resolve(n, self.known, full, label, item.where("inputs")) for n in names)

    def _composite(self, item: Item, scope: Scope, full: str, inputs: tuple[str, ...]) -> str:
        """Expand a group or a block call (each of its repetitions in turn); return its output node."""
        if len(inputs) != 1:
            raise SpecError("a group or block takes exactly one input", item.location, full)
        if scope.depth >= MAX_NESTING:
            raise SpecError(f"groups and block calls are nested more than {MAX_NESTING} levels deep", item.location,
                            full)
        repeat = _repeat(item, full)
        kind = BlockCall if "block" in item.raw else GroupItem
        extra = set(item.raw) - set(kind.keys())
        if extra:
            key = sorted(extra)[0]
            raise SpecError(f"unknown field '{key}' in a {kind.noun}" + suggest(key, sorted(kind.own_keys())),
                            item.where(key), full)
        previous = inputs[0]
        for i in range(repeat or 1):
            prefix = f"{full}.{i}" if repeat is not None else full
            each = item if repeat is None else item._replace(variables={**item.variables, "i": i})
            if kind is BlockCall:
                previous = self._call(each, scope, prefix, previous, full)
            else:
                layers = item.raw["layers"]
                if not isinstance(layers, list) or not layers:
                    raise SpecError("a group's layers must be a non-empty list", item.location, full)
                previous = self.expand(layers, scope.child(prefix, previous, each.variables))
        return previous

    def _call(self, item: Item, scope: Scope, prefix: str, input_name: str, label: str) -> str:
        """Expand one call of a block as scope `prefix` (errors in its args and defaults name `label`)."""
        block_name = item.raw["block"]
        if not isinstance(block_name, str):
            raise SpecError(f"block must be the name of a block; got {shorten(repr(block_name))}",
                            item.where("block"), prefix)
        if block_name not in self.blocks:
            raise SpecError(f"unknown block '{block_name}'" + suggest(str(block_name), list(self.blocks)),
                            item.where("block"), prefix)
        if block_name in scope.calls:
            raise SpecError(f"block '{block_name}' uses itself (recursion)", item.location, prefix)
        variables = self._parameters(item, block_name, prefix, label)
        layers = self.raw_blocks[block_name]["layers"]
        return self.expand(layers, scope.call(block_name, prefix, input_name, variables))

    def _parameters(self, item: Item, block_name: str, prefix: str, label: str) -> dict[str, Any]:
        """The variables of a call of a block: the globals, then each parameter's argument or default."""
        params = self.blocks[block_name].params
        args = substituted(item.raw.get("args") or {}, item.variables, item.raw, ("args",), label)
        if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
            raise SpecError("args must be a mapping from parameter names to values", item.where("args"), prefix)
        unknown = set(args) - set(params)
        if unknown:
            key = sorted(unknown)[0]
            raise SpecError(f"block '{block_name}' has no parameter '{key}' (it has: "
                            f"{', '.join(params) or 'none'})" + suggest(key, list(params)),
                            location_of(item.raw, ("args", key)) or item.location, prefix)
        raw_block = self.raw_blocks[block_name]
        variables = dict(self.globals)
        for param, default in params.items():  # a default may use globals and earlier parameters
            variables[param] = args[param] if param in args else substituted(
                default, variables, raw_block, ("params", param), label)
        return variables

    def _leaf(self, item: Item, full: str, inputs: tuple[str, ...]) -> str:
        """Validate a leaf layer and add its Node; return its name."""
        index = len(self.nodes)
        layer = _layer_model(item, index, full)
        kind, arity = layer.type, type(layer).arity
        if arity is not None and len(inputs) != arity:
            raise SpecError(f"{kind} takes {arity} input{'s' if arity > 1 else ''}; got {len(inputs)}", item.location,
                            layer_label(index, full, kind))
        if arity is None and len(inputs) < 2:
            raise SpecError(f"{kind} merges two or more inputs; give them with inputs: [a, b]", item.location,
                            layer_label(index, full, kind))
        trainable = item.value("trainable", full, True)
        if not isinstance(trainable, bool):
            raise SpecError(f"trainable must be true or false; got {shorten(repr(trainable))}",
                            item.where("trainable"), layer_label(index, full, kind))
        shares = item.value("share_params_with", full)
        if shares is not None and str(shares) not in self.known:
            raise SpecError(f"share_params_with: no earlier layer is named '{shorten(str(shares))}' (give the "
                            f"full dotted name of the layer whose parameters this one reuses)",
                            item.where("share_params_with"), layer_label(index, full, kind))
        try:
            ignore = tuple(dict.fromkeys(self.ignore + checked_codes(item.value("ignore", full, ()))))
        except ValueError as exc:
            raise SpecError(str(exc), item.where("ignore"), layer_label(index, full, kind)) from None
        if index >= MAX_LAYERS:
            raise SpecError(f"the spec expands to more than {MAX_LAYERS:,} layers", item.location, full)
        self.nodes.append(Node(index, full, layer, inputs, item.location, trainable,
                               None if shares is None else str(shares), ignore))
        self.known.add(full)
        return full


def _layer_model(item: Item, index: int, full: str) -> LayerModel:
    """The leaf's layer fields (all but the node keys), substituted and validated by its type's model."""
    raw = item.raw
    if "type" not in raw:
        raise SpecError("layer has no 'type' (or 'block' / 'layers' for a group)", item.location,
                        layer_label(index, full))
    bad_keys = [k for k in raw if not isinstance(k, str)]
    if bad_keys:
        raise SpecError(f"field names must be strings; got {shorten(repr(bad_keys[0]))}", item.location,
                        layer_label(index, full))
    values = {k: substituted(v, item.variables, raw, (k,), full) for k, v in raw.items() if k not in NODE_KEYS}
    kind = values["type"]
    if not isinstance(kind, str) or kind not in TYPE_NAMES:
        raise SpecError(f"unknown layer type {shorten(repr(kind))}" + suggest(str(kind), list(TYPE_NAMES))
                        + " (rfcalc layers lists them all)", item.where("type"), layer_label(index, full))
    try:
        return validate_layer(values)
    except ValidationError as exc:
        raise validation_error(exc, raw, layer=layer_label(index, full, kind)) from None


def _included(item: Item, written: str) -> bool:
    """Whether the item's `if` (true without one) includes it."""
    if "if" not in item.raw:
        return True
    value = item.value("if", written)
    if not isinstance(value, bool):
        raise SpecError(f"'if' must be true or false; got {shorten(repr(value))}", item.where("if"), written)
    return value


def _name(item: Item, position: int, written: str) -> str:
    """The item's name (its position in the scope when it has none), checked."""
    name = item.value("name", written, position)
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise SpecError(f"a layer name must be a string or an integer; got {shorten(repr(name))}",
                        item.where("name"))
    name = str(name)
    if not name or "." in name:
        raise SpecError(f"layer name '{shorten(name)}' must be non-empty and contain no dots", item.where("name"))
    if name == INPUT:
        raise SpecError(f"'{INPUT}' is reserved for the scope's input; choose another layer name",
                        item.where("name"))
    return name


def _repeat(item: Item, layer: str) -> Optional[int]:
    """The item's `repeat` count (None without one), checked (errors name `layer`)."""
    if "repeat" not in item.raw:
        return None
    repeat = item.value("repeat", layer)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= MAX_LAYERS:
        raise SpecError(f"repeat must be an integer from 1 to {MAX_LAYERS:,}; got {shorten(repr(repeat))}",
                        item.where("repeat"), layer)
    return repeat
