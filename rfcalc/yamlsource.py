"""Safe YAML loading that remembers where every mapping, sequence and value came from."""
from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, ScalarEvent

from .bounds import MAX_EXPANDED_NODES, MAX_FILE_BYTES, MAX_NESTING, MAX_ITEMS, MAX_YAML_NODES
from .errors import Location, SpecError


class SourceMap(dict):
    """A YAML mapping that knows its own location and the location of each key's value."""

    location: Location
    key_locations: dict


class SourceList(list):
    """A YAML sequence that knows its own location and the location of each item."""

    location: Location
    item_locations: list


def _location(file: str, node: yaml.Node) -> Location:
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


# libyaml's C parser when PyYAML was built with it (about 10x faster), else the pure-Python one.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SourceLoader(yaml.composer.Composer, _SafeBase):
    """Safe loader that builds SourceMap / SourceList instead of dict / list. Its composer (PyYAML's, fed
    by libyaml's parser) counts nodes and nesting as it goes, so limits are checked while loading."""

    def __init__(self, text: str, source_name: str):
        _SafeBase.__init__(self, text)
        self.anchors: dict = {}
        self.source_name = source_name
        self.nodes = 0
        self.depth = 0
        self.resolved: dict = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise SpecError(f"the YAML has more than {MAX_YAML_NODES:,} nodes (mappings, sequences and values); "
                            f"refusing to load it", self._at(event))
        if parent is not None and len(parent.value) >= MAX_ITEMS and (index is None or isinstance(index, int)):
            kind = "list" if isinstance(parent, yaml.SequenceNode) else "mapping"
            raise SpecError(f"a YAML {kind} of more than {MAX_ITEMS:,} items", self._at(event))
        if isinstance(event, AliasEvent):
            return super().compose_node(parent, index)
        if isinstance(event, ScalarEvent) and len(event.value) > MAX_ITEMS:
            raise SpecError(f"a string of {len(event.value):,} characters; a string in a spec has at most "
                            f"{MAX_ITEMS:,}", self._at(event))
        if self.depth >= MAX_NESTING:
            raise SpecError(f"the YAML is nested more than {MAX_NESTING} levels deep", self._at(event))
        self.depth += 1
        node = super().compose_node(parent, index)
        self.depth -= 1
        return node

    def resolve(self, kind, value, implicit):
        """The tag of a node (scalars' remembered: a spec repeats few distinct values many times)."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self.resolved.get(key)
        if tag is None:
            tag = self.resolved[key] = super().resolve(kind, value, implicit)
        return tag

    def _at(self, event) -> Location:
        mark = event.start_mark
        return Location(self.source_name, mark.line + 1, mark.column + 1)


def _construct_mapping(loader: _SourceLoader, node: yaml.MappingNode) -> SourceMap:
    result = SourceMap()
    result.location = _location(loader.source_name, node)
    result.key_locations = {}
    own_pairs = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged = len(node.value) - own_pairs  # flatten_mapping puts the `<<:` merged pairs first
    own_keys: set = set()
    for position, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value", _location(loader.source_name, key_node))
        if position >= merged:  # a key written here may override one merged in with `<<:`
            if key in own_keys:
                raise SpecError(f"duplicate key '{key}'", _location(loader.source_name, key_node))
            own_keys.add(key)
        elif key in result:
            continue  # the first merged mapping wins, as YAML's merge key specifies
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_locations[key] = _location(loader.source_name, value_node)
    return result


def _construct_sequence(loader: _SourceLoader, node: yaml.SequenceNode) -> SourceList:
    result = SourceList(loader.construct_object(child, deep=True) for child in node.value)
    result.location = _location(loader.source_name, node)
    result.item_locations = [_location(loader.source_name, child) for child in node.value]
    return result


# YAML 1.1 integers that other YAML readers (1.2) and most people read differently: 1:30 is 90 (base 60),
# 0x10 is 16, 010 is 8 and 0b10 is 2. Refused rather than read silently.
_SURPRISING_INT = re.compile(r"[-+]?(?:0[xb]|0[0-7]+|[0-9]+:)")
_SURPRISING_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*")


def _construct_int(loader: _SourceLoader, node: yaml.ScalarNode) -> int:
    if _SURPRISING_INT.match(node.value.replace("_", "")):
        value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
        raise SpecError(f"YAML 1.1 reads {node.value} as the number {value}; write {value} for that number, or "
                        f"quote '{node.value}' for text", _location(loader.source_name, node))
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError as exc:  # e.g. more digits than Python converts
        raise SpecError(f"invalid integer: {str(exc)[:80]}", _location(loader.source_name, node)) from None


def _construct_float(loader: _SourceLoader, node: yaml.ScalarNode) -> float:
    if _SURPRISING_FLOAT.fullmatch(node.value):
        value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
        raise SpecError(f"YAML 1.1 reads {node.value} as the number {value:g} (base 60); write {value:g} for that "
                        f"number, or quote '{node.value}' for text", _location(loader.source_name, node))
    return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)


_SourceLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SourceLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SourceLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_SourceLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse alias graphs that are cyclic, expand to more than MAX_EXPANDED_NODES nodes, or nest values
    (an alias inside an alias inside ...) more than MAX_NESTING levels deep."""
    measured: dict[int, tuple[int, int]] = {}  # node id -> (expanded size, expanded depth)
    in_progress: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in in_progress:
            raise SpecError("recursive YAML alias (an anchor used inside itself)", _location(file, node))
        in_progress.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        total, depth = 1, 1
        for child in children:
            size, child_depth = measure(child)
            total, depth = total + size, max(depth, child_depth + 1)
            if total > MAX_EXPANDED_NODES:
                raise SpecError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes; refusing to load",
                                _location(file, node))
            if depth > MAX_NESTING:
                raise SpecError(f"YAML aliases nest values more than {MAX_NESTING} levels deep", _location(file, node))
        in_progress.discard(key)
        measured[key] = total, depth
        return total, depth

    measure(root)


def load_yaml(text: str, file: str = "<spec>") -> Any:
    """Parse YAML text safely into SourceMap/SourceList values; errors become SpecError with a location."""
    if len(text) > MAX_FILE_BYTES:
        raise SpecError(f"the text is longer than {MAX_FILE_BYTES // 2**20} MiB; refusing to load it", Location(file))
    loader = _SourceLoader(text, file)
    try:
        root = loader.get_single_node()
        if root is None:
            raise SpecError("the spec is empty", Location(file, 1, 1))
        if "*" in text:  # only a text with an alias (*name) can expand beyond its own size
            _check_expansion(root, file)
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or "invalid YAML"
        tab = _tab_column(text, mark) if mark and isinstance(exc, (yaml.scanner.ScannerError,
                                                                   yaml.parser.ParserError)) else None
        if tab is not None:
            raise SpecError("invalid YAML: a tab character (YAML indents with spaces only); replace the tab with "
                            "spaces", Location(file, mark.line + 1, tab)) from None
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
            problem = f"{problem} (only plain YAML is accepted: tags that build Python objects are refused)"
        context = f" ({exc.context})" if exc.context and exc.context not in problem else ""
        raise SpecError(f"invalid YAML: {problem}{context}", location) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise SpecError(f"invalid YAML: character {char!r} (U+{ord(char):04X}) is not allowed in YAML text",
                        Location(file, line, column)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {str(exc).splitlines()[0]}", Location(file)) from None
    except UnicodeError as exc:
        raise SpecError(f"the spec is not valid UTF-8 text ({exc.reason})", Location(file)) from None
    finally:
        loader.dispose()


def _tab_column(text: str, mark) -> int | None:
    """The 1-based column of a tab in the marked line's indentation or at the mark, or None."""
    start = text.rfind("\n", 0, mark.index) + 1
    line = text[start:text.find("\n", mark.index) if "\n" in text[mark.index:] else len(text)]
    indent = len(line) - len(line.lstrip(" \t"))
    column = line.find("\t", 0, max(indent, mark.column + 1))
    return column + 1 if column >= 0 else None


def decode(data: bytes, file: str, what: str = "the spec") -> str:
    """File bytes as text: UTF-8 (a BOM allowed), or a SpecError at the first bad byte's line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise SpecError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
                        Location(file, line, column)) from None


def location_of(value: Any, path: tuple = ()) -> Location | None:
    """The most precise known location of `path` inside a loaded value (None if unknown)."""
    best = getattr(value, "location", None)
    for step in path:
        if isinstance(value, SourceMap) and step in value:
            best = value.key_locations.get(step, best)
            value = value[step]
        elif isinstance(value, SourceList) and isinstance(step, int) and 0 <= step < len(value):
            best = value.item_locations[step]
            value = value[step]
        else:
            break
        best = getattr(value, "location", None) or best
    return best
