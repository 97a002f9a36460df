"""The spec format described for machines (JSON Schema) and people (`rfcalc layers`)."""
from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import PydanticUndefined

from .layers import LAYER_TYPES, Layer
from .document import SpecDocument

_EXPRESSION = {"type": "string", "pattern": r"\$\{.*\}", "description": "a ${...} expression"}
_NAME = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
_NODE_PROPERTIES = {
    "name": {**_NAME, "description": "layer name (default: its index in the scope)"},
    "inputs": {"anyOf": [_NAME, {"type": "array", "items": _NAME}],
               "description": "earlier layers to read (default: the previous one); 'input' is the scope's input"},
    "if": {"anyOf": [{"type": "boolean"}, _EXPRESSION], "description": "include only when true"},
    "trainable": {"anyOf": [{"type": "boolean"}, _EXPRESSION], "description": "false: parameters are frozen"},
    "share_params_with": {"type": "string", "description": "reuse that layer's parameters (counted once)"},
}


def _allow_expressions(schema: dict) -> dict:
    """Every property may also be a ${...} expression (used inside blocks)."""
    for name, prop in list(schema.get("properties", {}).items()):
        if name != "type":
            schema["properties"][name] = {"anyOf": [prop, _EXPRESSION], **(
                {"description": prop["description"]} if "description" in prop else {})}
    return schema


def spec_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a spec file."""
    document = SpecDocument.model_json_schema()
    layer_schema = TypeAdapter(Layer).json_schema(ref_template="#/$defs/{model}")
    defs = {**document.pop("$defs", {}), **layer_schema.pop("$defs", {})}
    for name, definition in defs.items():
        if definition.get("properties", {}).get("type", {}).get("enum") or \
                "const" in definition.get("properties", {}).get("type", {}):
            definition["properties"].update(copy.deepcopy(_NODE_PROPERTIES))
            _allow_expressions(definition)
            definition["description"] = (definition.get("description") or "").strip()
    item = {"$ref": "#/$defs/LayerItem"}
    composite_keys = {k: v for k, v in _NODE_PROPERTIES.items() if k in ("name", "inputs", "if")}
    group = {"type": "object", "required": ["layers"], "additionalProperties": False,
             "properties": {**composite_keys, "layers": {"type": "array", "items": item, "minItems": 1},
                            "repeat": {"anyOf": [{"type": "integer", "minimum": 1}, _EXPRESSION]}},
             "description": "an inline sequential group of layers (optionally repeated: NAME.0, NAME.1, ...)"}
    call = {"type": "object", "required": ["block"], "additionalProperties": False,
            "properties": {**composite_keys, "block": {"type": "string"}, "args": {"type": "object"},
                           "repeat": {"anyOf": [{"type": "integer", "minimum": 1}, _EXPRESSION]}},
            "description": "a use of a block defined under `blocks`"}
    # The layer types are disjoint on `type`, so anyOf (which stops at the first match) says the same
    # as pydantic's oneOf and validates many times faster.
    layer_schema["anyOf"] = layer_schema.pop("oneOf")
    defs["LayerItem"] = {"anyOf": [layer_schema, group, call]}
    document["properties"]["layers"] = {"type": "array", "items": item, "minItems": 1}
    defs["BlockSpec"]["properties"]["layers"] = {"type": "array", "items": item, "minItems": 1}
    document["$defs"] = defs
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "rfcalc spec"
    return document


def _default(field) -> str:
    if field.default is PydanticUndefined:
        return "required"
    return repr(field.default)


def layer_table(only: str | None = None):
    """A rich table of layer types, their parameters with defaults, and what they do."""
    from rich.table import Table

    from .errors import UsageError
    from .layers import type_names

    classes = LAYER_TYPES
    if only is not None:
        names = type_names()
        if only not in names:
            import difflib
            close = difflib.get_close_matches(only, list(names), n=1)
            raise UsageError(f"unknown layer type '{only}'" + (f"; did you mean '{close[0]}'?" if close else ""))
        classes = (names[only],)
    table = Table("group", "type", "parameters (default)", "what it does", header_style="bold", show_lines=True)
    for cls in sorted(classes, key=lambda c: c.category):
        kinds = ", ".join(cls.model_fields["type"].annotation.__args__)
        params = "\n".join(f"{name} ({_default(field)})" for name, field in cls.model_fields.items()
                           if name != "type")
        table.add_row(cls.category, kinds, params or "-", (cls.__doc__ or "").strip())
    return table
