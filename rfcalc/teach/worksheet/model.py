"""The typed exercise a worksheet is made of: the networks it is about (small specs), what it asks
(blanks, each read from the analyzer's report by a Reader), the misconceptions that make multiple
choice distractors, and its worked solution (explain's derivations of its networks)."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Callable, Optional, Union

from ...errors import RfcalcError
from ...report import Report

Answer = Union[Fraction, str]  # a number, or a word ("valid", "Cannot")


@dataclass(frozen=True)
class Reader:
    """Where an answer is in a report: one quantity of one layer (on one axis), by name. The same
    reader reads the analyzer's report and, for measured quantities, the numpy backend's run."""

    quantity: str  # one of READERS
    layer: str
    axis: int = 0
    network: int = 0  # which of the exercise's networks

    @property
    def measured(self) -> bool:
        """True when the numpy backend measures this quantity itself (not only through the RF check)."""
        return self.quantity in MEASURED

    def read(self, report: Report) -> Answer:
        """The answer in the analyzer's report."""
        layer = next(r for r in report.layers if r.name == self.layer)
        if self.quantity in CONTEXT_READERS:
            return CONTEXT_READERS[self.quantity](layer, self.axis, report)
        return READERS[self.quantity](layer, self.axis)

    def read_measured(self, measured) -> Answer:
        """The answer in the backend's measured layer (MeasuredLayer), for MEASURED quantities."""
        return MEASURED[self.quantity](measured, self.axis)


def _raw_size(layer, axis: int, report: Report) -> Fraction:
    """(n + p_before + p_after - k_eff)/s + 1 before the floor, from the analyzer's resolved window and
    the layer's input size; its floor is the analyzer's output size (anything else is a bug)."""
    source = layer.inputs[0]
    shape = report.input_shape if source == "input" else next(r.output_shape for r in report.layers
                                                                if r.name == source)
    window = layer.windows[axis]
    raw = Fraction(shape[1 + axis] + window.pad_before + window.pad_after - window.extent, window.stride) + 1
    if raw.numerator // raw.denominator != layer.output_shape[1 + axis] or window.ceil_mode:
        raise RfcalcError(f"worksheet: '{layer.name}': the unfloored size {raw} does not floor to the analyzer's "
                         f"{layer.output_shape[1 + axis]}")
    return raw


def _valid(layer, axis: int, report: Report) -> str:
    return "valid" if _raw_size(layer, axis, report).denominator == 1 else "Cannot"


def _rf(layer, axis: int) -> Fraction:
    return Fraction(layer.rf[axis].size)


READERS: dict[str, Callable] = {
    "size": lambda layer, axis: Fraction(layer.output_shape[1 + axis]),
    "channels": lambda layer, axis: Fraction(layer.output_shape[0]),
    "features": lambda layer, axis: Fraction(prod(layer.output_shape)),
    "params": lambda layer, axis: Fraction(layer.params),
    "macs": lambda layer, axis: Fraction(layer.macs),
    "mac_flops": lambda layer, axis: Fraction(layer.flops_by_kind.get("mac", 0)),
    "memory": lambda layer, axis: Fraction(layer.activation_bytes),
    "rf": _rf,
    "jump": lambda layer, axis: Fraction(layer.rf[axis].jump),
    "start": lambda layer, axis: Fraction(layer.rf[axis].start),
    "pad_before": lambda layer, axis: Fraction(layer.windows[axis].pad_before),
}
CONTEXT_READERS: dict[str, Callable] = {"raw_size": _raw_size, "valid": _valid}  # they need the layer's input
MEASURED: dict[str, Callable] = {
    "size": READERS["size"], "channels": READERS["channels"], "features": READERS["features"],
    "params": READERS["params"], "macs": READERS["macs"], "mac_flops": READERS["mac_flops"],
    "memory": READERS["memory"],
}
# Checked by the backend's RF check (the RF sets); raw_size and valid by its measured output size, whose
# floor they must give, and by the RF check (which input pixels are read).
RF_QUANTITIES = frozenset({"rf", "jump", "start", "raw_size", "valid"})


@dataclass(frozen=True)
class Misconception:
    """A wrong way to the answer that students really take, and the value it gives for these numbers."""

    name: str  # 'forgot the +1'
    value: Fraction


@dataclass(frozen=True)
class Ask:
    """One blank of an exercise: its label, where the key is read, and the misconceptions about it."""

    label: str  # 'H_out'
    reader: Reader
    misconceptions: tuple[Misconception, ...] = ()
    words: tuple[str, ...] = ()  # the possible answers of a word question ('valid', 'Cannot')
    per: Optional[Reader] = None  # a ratio: the key is reader's value / per's value
    search: Optional["Search"] = None  # a reverse problem: the key is the parameter that gives a value
    whole: bool = True  # the answer is a whole number, so distractors must be whole too


@dataclass(frozen=True)
class Search:
    """A reverse problem ("which stride gives 28?"): the candidate values of a parameter, the layer
    each one makes on the input, and the value the reader's quantity must show there; the key is the
    one candidate that gives it, found by analyzing one network with every candidate as a branch
    (a draw where none or several do is rejected)."""

    candidates: tuple[int, ...]
    input_shape: tuple[int, ...]
    layer: Callable[[int], dict]  # candidate -> the layer's spec entry (its name is replaced)
    quantity: str  # a READERS quantity
    target: Fraction


@dataclass(frozen=True)
class Network:
    """One small spec of an exercise, as YAML text (also what a student may be shown)."""

    name: str
    yaml: str


@dataclass(frozen=True)
class Draft:
    """What a template makes of its numbers, before the keys are read and checked."""

    statement: str  # the question in the lecture notes' words, numbers substituted
    networks: tuple[Network, ...]
    asks: tuple[Ask, ...]
    explain: tuple[tuple[int, str, tuple[str, ...]], ...]  # (network, layer regex, quantities) of the solution
    note: str = ""  # a remark for the key (the convention the answer follows)


@dataclass(frozen=True)
class Choice:
    """One option of a multiple choice blank: its value, and the misconception behind a wrong one."""

    value: Answer
    misconception: Optional[str] = None  # None: the answer

    @property
    def correct(self) -> bool:
        """True for the answer."""
        return self.misconception is None


@dataclass(frozen=True)
class Blank:
    """An asked value with its key (read from the analyzer, checked by the backend) and choices."""

    label: str
    answer: Answer
    choices: tuple[Choice, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """True when the answer is a number."""
        return isinstance(self.answer, Fraction)


@dataclass(frozen=True)
class Table:
    """A network as a table (a spec worksheet): headers, and rows whose cells are given text or the
    index of the blank that takes their place."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Union[str, int], ...], ...]


@dataclass(frozen=True)
class Exercise:
    """One generated exercise with its key: an id that regenerates it, the statement, the blanks."""

    id: str  # 'T3-s42-v07'
    topic: str  # the topic's name ('padding-same')
    code: str  # 'T3'
    title: str
    seed: int
    variant: int
    level: int
    statement: str
    networks: tuple[Network, ...]
    blanks: tuple[Blank, ...]
    explain: tuple[tuple[int, str, tuple[str, ...]], ...] = ()  # what the worked solution derives
    verified: bool = False  # the numpy backend ran every network and agreed with every key
    note: str = ""
    table: Optional[Table] = None  # a spec worksheet's network with its blanks


def format_answer(value: Answer) -> str:
    """'14.5', '3,216', '1/3' as 0.333..., 'Cannot'."""
    if isinstance(value, str):
        return value
    if value.denominator == 1:
        return f"{value.numerator:,}"
    decimal = float(value)
    text = f"{decimal:.4f}".rstrip("0").rstrip(".")
    return text if Fraction(text) == value else f"{decimal:.3f}..."
