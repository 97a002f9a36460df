"""Memory to train a network: parameters, their gradients, the optimizer's state and the activations
kept for the backward pass, summed into one figure with the assumptions it rests on."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .dtypes import DTYPE_BYTES
from .units import format_bytes

if TYPE_CHECKING:
    from .report import Report

# Tensors of a parameter's shape each optimizer keeps per trainable parameter (PyTorch's state after
# one step: SGD none, SGD with momentum `momentum_buffer`, Adam and AdamW `exp_avg` and `exp_avg_sq`).
OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


@dataclass(frozen=True)
class TrainingMemory:
    """The memory of one training step, by part, in bytes."""

    optimizer: str
    dtype: str  # parameters, buffers, optimizer state and activations
    grad_dtype: str
    parameters: int  # parameters and buffers
    gradients: int  # one per trainable parameter
    optimizer_state: int
    activations: int  # the input and every layer's output

    @property
    def total(self) -> int:
        """Everything held at once during the backward pass."""
        return self.parameters + self.gradients + self.optimizer_state + self.activations

    def parts(self) -> list[tuple[str, int]]:
        """(name, bytes) of each part, in the order they are summed."""
        return [("params", self.parameters), ("grads", self.gradients),
                (f"{self.optimizer} state", self.optimizer_state), ("activations", self.activations)]

    def summary(self) -> str:
        """The total and its parts in one line."""
        return f"{format_bytes(self.total)} = " + " + ".join(f"{name} {format_bytes(size)}"
                                                           for name, size in self.parts())

    def assumptions(self) -> str:
        """What the figure assumes, in one sentence."""
        states = OPTIMIZER_STATES[self.optimizer]
        return (f"training memory = params and buffers ({self.dtype}) + a gradient per trainable param "
                f"({self.grad_dtype}) + {self.optimizer} state ({states} tensor(s) per trainable param, {self.dtype}; "
                f"step counters not counted) + activations kept for backward (the input and every output, "
                f"{self.dtype}, an upper bound: no recomputation, in-place or freed buffers)")


    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every part in bytes, the total and the assumptions."""
        return {"optimizer": self.optimizer, "dtype": self.dtype, "grad_dtype": self.grad_dtype,
                "param_bytes": self.parameters, "gradient_bytes": self.gradients,
                "optimizer_state_bytes": self.optimizer_state, "activation_bytes": self.activations,
                "total_bytes": self.total, "assumptions": self.assumptions()}


def with_training(report: Report, optimizer: str, grad_dtype: str | None) -> Report:
    """The report with its training memory, and the assumptions among its conventions."""
    from .report import Convention

    training = training_memory(report, optimizer, grad_dtype)
    return dataclasses.replace(report, training=training,
                               conventions=report.conventions + (Convention("training", training.assumptions()),))


def training_memory(report: Report, optimizer: str = "adam", grad_dtype: str | None = None) -> TrainingMemory:
    """The training memory of an analyzed network (gradients in `grad_dtype`, the spec's dtype by default)."""
    grad_dtype = grad_dtype or report.dtype
    t = report.totals
    dtype_bytes = DTYPE_BYTES[report.dtype]
    return TrainingMemory(
        optimizer=optimizer, dtype=report.dtype, grad_dtype=grad_dtype, parameters=t.param_bytes,
        gradients=t.trainable_params * DTYPE_BYTES[grad_dtype],
        optimizer_state=OPTIMIZER_STATES[optimizer] * t.trainable_params * dtype_bytes,
        activations=t.activation_bytes)
