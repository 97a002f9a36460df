"""The spec format described for machines (JSON Schema) and people (`rfcalc layers`)."""
from __future__ import annotations

import copy
import inspect
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticUndefined

from .document import BlockCall, Expression, GroupItem, NodeKeys, SpecDocument
from .layers import LAYER_TYPES, Layer


def _model_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model's JSON Schema and its definitions (referenced as #/$defs/NAME)."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    return schema, schema.pop("$defs", {})


def _add_node_keys(defs: dict[str, Any]) -> None:
    """Give each layer type's definition the node keys (NodeKeys); inside blocks any of its values other
    than `type` may be a ${...} expression."""
    node_keys = _model_schema(NodeKeys)[0]["properties"]
    expression = TypeAdapter(Expression).json_schema()
    for definition in defs.values():
        kind = definition.get("properties", {}).get("type", {})
        if not (kind.get("enum") or "const" in kind):
            continue
        definition["properties"].update(copy.deepcopy(node_keys))
        for name, prop in list(definition["properties"].items()):
            if name != "type":
                definition["properties"][name] = {"anyOf": [prop, expression], **(
                    {"description": prop["description"]} if "description" in prop else {})}
        definition["description"] = (definition.get("description") or "").strip()


def spec_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a spec file."""
    document, defs = _model_schema(SpecDocument)
    layer_schema = TypeAdapter(Layer).json_schema(ref_template="#/$defs/{model}")
    defs.update(layer_schema.pop("$defs", {}))
    _add_node_keys(defs)
    for model in (GroupItem, BlockCall):
        defs[model.__name__] = _model_schema(model)[0]
    # The layer types are disjoint on `type`, so anyOf (which stops at the first match) says the same
    # as pydantic's oneOf and validates many times faster.
    layer_schema["anyOf"] = layer_schema.pop("oneOf")
    defs["LayerItem"] = {"anyOf": [layer_schema, {"$ref": "#/$defs/GroupItem"}, {"$ref": "#/$defs/BlockCall"}]}
    for schema in (document, defs["BlockSpec"], defs["GroupItem"]):  # their `layers` hold layer items
        schema["properties"]["layers"]["items"] = {"$ref": "#/$defs/LayerItem"}
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
        table.add_row(cls.category, kinds, params or "-", inspect.cleandoc(cls.__doc__ or ""))
    return table
