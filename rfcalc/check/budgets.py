"""The budgets a spec can be held to: one pydantic model, a field per budget, each carrying its rule."""
from __future__ import annotations

import copy
import operator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Callable, Optional, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import core_schema

from ..profiles import PROFILE_NAMES
from .findings import warning_count
from .limits import (AT_LEAST, AT_MOST, BYTES, COUNT, EQUALS, FLAG, NO_FINDINGS, OUTPUT_AXES, OUTPUT_SHAPE, Codes,
                     LimitKind, PerOutput, Setting, Unit)


@dataclass(frozen=True)
class BudgetRule:
    """What a budget field means: its unit, its kind of limit (None: a setting, not a check), the label
    its messages use and how its actual value is read from a Report. Pydantic validates the field with it."""

    unit: Unit
    limit: Optional[LimitKind]
    label: str
    actual: Optional[Callable[..., Any]] = None  # (report) -> value; per-output rules: (report, output layer)

    @property
    def per_output(self) -> bool:
        """True when the budget limits each network output (its RF, its shape) rather than the network."""
        return isinstance(self.unit, PerOutput)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.unit.parse)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return copy.deepcopy(self.unit.json_schema)


def _total(attribute: str) -> Callable[[Any], int]:
    """Reads one of the report's totals."""
    return operator.attrgetter(f"totals.{attribute}")


def rf_min(report, output) -> tuple[int, ...]:
    """The smallest receptive field of an output layer, per axis."""
    return tuple(axis.size_min for axis in output.rf)


def rf_max(report, output) -> tuple[int, ...]:
    """The largest receptive field of an output layer, per axis."""
    return tuple(axis.size_max for axis in output.rf)


def shape_of_output(report, output) -> tuple[int, ...]:
    """The shape of an output layer's output, channels first."""
    return tuple(output.output_shape)


def _absent_is_no_budget(schema: dict[str, Any]) -> None:
    """A budget left out is no budget: the schema names no default (pydantic would say null)."""
    for prop in schema["properties"].values():
        prop.pop("default", None)


class Budgets(BaseModel):
    """Budgets a network must keep: a spec's `budgets:` section, a budget file (at the top level or under
    `budgets:`) and `rfcalc check`'s flags (the same names with dashes) all use these keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_absent_is_no_budget)

    max_params: Annotated[Optional[int], BudgetRule(COUNT, AT_MOST, "params", _total("params"))] = Field(
        None, description="Most parameters, e.g. 5M or 25_557_032.")
    max_trainable_params: Annotated[Optional[int], BudgetRule(
        COUNT, AT_MOST, "trainable params", _total("trainable_params"))] = Field(
        None, description="Most trainable parameters.")
    max_macs: Annotated[Optional[int], BudgetRule(COUNT, AT_MOST, "MACs", _total("macs"))] = Field(
        None, description="Most multiply-accumulates, e.g. 4.2G.")
    max_flops: Annotated[Optional[int], BudgetRule(COUNT, AT_MOST, "FLOPs", _total("flops"))] = Field(
        None, description="Most FLOPs, e.g. 9G.")
    max_activation_memory: Annotated[Optional[int], BudgetRule(
        BYTES, AT_MOST, "activation memory", _total("activation_bytes"))] = Field(
        None, description="Most activation memory (sum of all outputs), e.g. 200MiB.")
    max_peak_memory: Annotated[Optional[int], BudgetRule(
        BYTES, AT_MOST, "peak memory", _total("peak_activation_bytes"))] = Field(
        None, description="Most live activation memory at once (inference), e.g. 50MiB.")
    max_param_memory: Annotated[Optional[int], BudgetRule(
        BYTES, AT_MOST, "param memory", _total("param_bytes"))] = Field(
        None, description="Most parameter + buffer memory, e.g. 100MB.")
    min_rf: Annotated[Optional[Union[tuple[int, ...], dict[str, tuple[int, ...]]]], BudgetRule(
        OUTPUT_AXES, AT_LEAST, "RF (min)", rf_min)] = Field(
        None, description="Smallest receptive field of every output: 200 (all axes) or 200x180; per output "
                          "{p5: 400} (flag: p5=400,p4=200).")
    max_rf: Annotated[Optional[Union[tuple[int, ...], dict[str, tuple[int, ...]]]], BudgetRule(
        OUTPUT_AXES, AT_MOST, "RF (max)", rf_max)] = Field(
        None, description="Largest receptive field of every output: 500 or 500x400; per output {p5: 500} (flag: p5=500).")
    output_shape: Annotated[Optional[Union[tuple[int, ...], dict[str, tuple[int, ...]]]], BudgetRule(
        OUTPUT_SHAPE, EQUALS, "output shape", shape_of_output)] = Field(
        None, description="Exact output shape, channels first: 1000 or 2x256x256; per output {p5: 255x16x16} (flag: p5=255x16x16).")
    no_warnings: Annotated[Optional[bool], BudgetRule(FLAG, NO_FINDINGS, "warning", warning_count)] = Field(
        None, description="Fail when the analysis gives any warning.")
    ignore: Annotated[Optional[tuple[str, ...]], BudgetRule(Codes(), None, "ignore")] = Field(
        None, description="Finding codes no_warnings leaves out, e.g. [RF201] or RF201,RF102 (as linters do).")
    profile: Annotated[Optional[str], BudgetRule(Setting("profile", PROFILE_NAMES), None, "profile")] = Field(
        None, description="Counting profile for MACs/FLOPs (default: the budget's `profile:`, else rfcalc).")


BUDGET_NAMES: tuple[str, ...] = tuple(Budgets.model_fields)


@cache
def budget_rule(name: str) -> BudgetRule:
    """The rule of one budget field."""
    return next(m for m in Budgets.model_fields[name].metadata if isinstance(m, BudgetRule))


def budget_file_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a budget file: the budgets at the top level or under `budgets:`."""
    ref = {"$ref": "#/$defs/Budgets"}
    nested = {"type": "object", "properties": {"budgets": {"anyOf": [ref, {"type": "null"}]}},
              "required": ["budgets"], "additionalProperties": False}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "rfcalc budgets",
            "anyOf": [ref, nested], "$defs": {"Budgets": Budgets.model_json_schema()}}
