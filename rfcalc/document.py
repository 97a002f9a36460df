"""The spec file's models: the top level, the input, blocks, and the keys of layer items, groups and
block calls (their JSON Schema is the spec's); pydantic errors as located SpecErrors."""
from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .dtypes import DTYPE_BYTES
from .errors import SpecError
from .findings import checked_codes
from .expr import shorten
from .layers import TYPE_NAMES
from .bounds import MAX_NAME
from .layers.base import MAX_EXTENT, MAX_VALUE
from .yamlsource import location_of


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
    name: Optional[Annotated[str, Field(max_length=MAX_NAME)]] = None
    description: Optional[str] = None
    input: InputSpec
    vars: dict[str, Any] = {}
    blocks: dict[str, BlockSpec] = {}
    layers: list[dict[str, Any]] = Field(min_length=1)
    budgets: Optional[dict[str, Any]] = None
    outputs: Optional[list[Union[str, int]]] = Field(
        None, min_length=1, description="the layers whose outputs are the network's outputs, e.g. [p3, p4, p5] "
                                        "(default: the last layer)")
    ignore: Optional["FindingCodes"] = Field(None, description="finding codes to leave out for the whole spec, "
                                                         "e.g. [RF201] (as linters do)")

    @field_validator("ignore")
    @classmethod
    def _known_codes(cls, codes):
        return None if codes is None else list(checked_codes(codes))


# Finding codes as `ignore:` lists write them (checked against the known codes by findings.checked_codes).
FindingCodes = list[Annotated[str, Field(pattern=r"^[Rr][Ff][0-9]{3}$")]]

# The keys of layer items. The expander checks their values itself, after substituting ${...}
# (its messages name the scope and the layer), so these models give the key names and the JSON
# Schema of what may be written; a key without a default value defaults to None: not given.
Expression = Annotated[str, Field(pattern=r"\$\{.*\}", description="a ${...} expression")]
LayerName = Union[str, int]
Switch = Union[bool, Expression]
Repeat = Union[Annotated[int, Field(ge=1)], Expression]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """Leave `default: null` out of a model's JSON Schema: None means the key is not given."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class ItemKeys(BaseModel):
    """The keys every layer item may have: its name, what it reads and whether it is there."""

    model_config = ConfigDict(extra="forbid", defer_build=True, json_schema_extra=_drop_null_defaults)
    name: LayerName = Field(None, description="layer name (default: its index in the scope)")
    inputs: Union[LayerName, list[LayerName]] = Field(
        None, description="earlier layers to read (default: the previous one); 'input' is the scope's input")
    if_: Switch = Field(True, alias="if", description="include only when true")

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The keys as written in a spec."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def own_keys(cls) -> tuple[str, ...]:
        """The keys this kind of item adds to those of every item."""
        return tuple(key for key in cls.keys() if key not in ItemKeys.keys())


class NodeKeys(ItemKeys):
    """The keys of a leaf layer that are not the layer's own fields."""

    trainable: Switch = Field(True, description="false: parameters are frozen")
    share_params_with: str = Field(None, description="reuse that layer's parameters (counted once)")
    ignore: FindingCodes = Field(None, description="finding codes to leave out for this layer, e.g. [RF201]")


class GroupItem(ItemKeys):
    """An inline sequential group of layers (optionally repeated: NAME.0, NAME.1, ...)."""

    noun: ClassVar[str] = "group"
    layers: list[dict[str, Any]] = Field(min_length=1, description="the group's layer items, in order")
    repeat: Repeat = Field(None, description="that many copies in sequence, named NAME.0, NAME.1, ...")


class BlockCall(ItemKeys):
    """A use of a block defined under `blocks`."""

    noun: ClassVar[str] = "block call"
    block: str = Field(description="the name of a block under `blocks`")
    args: dict[str, Any] = Field({}, description="values for the block's params (the others keep their defaults)")
    repeat: Repeat = Field(None, description="that many calls in sequence, named NAME.0, NAME.1, ...")


NODE_KEYS = NodeKeys.keys()  # not passed to layer models


def first_message(exc: ValidationError) -> str:
    """The first error of a pydantic exception as 'field: message'."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def validation_error(exc: ValidationError, raw: Any, prefix: tuple = (), layer: str | None = None) -> SpecError:
    """A pydantic error as a SpecError at the offending field's line (unknown fields reported first)."""
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _source_path(raw, tuple(err["loc"]))
    field_name = ".".join(str(p) for p in loc)
    value = err.get("input")
    shown = f" (got {shorten(repr(value))})" if loc and not isinstance(value, dict) else ""
    message = f"{field_name}: {err['msg']}{shown}" if field_name else f"{err['msg']}"
    if err["type"] == "extra_forbidden":
        message = f"unknown field '{field_name}'" + suggest(str(loc[-1]), _known_fields(raw))
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


def _known_fields(raw: Any) -> list[str]:
    kind = raw.get("type") if isinstance(raw, dict) else None
    cls = TYPE_NAMES.get(kind) if isinstance(kind, str) else None
    return list(cls.model_fields) + list(NODE_KEYS) if cls else []


def suggest(word: Any, choices: list[str]) -> str:
    """'; did you mean ...?' naming the choice closest to `word`, or nothing when none is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
