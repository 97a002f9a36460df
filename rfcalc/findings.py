"""Findings: what an analysis noticed about a network, as typed values with a stable code.

A finding names its layer (and axis) and carries its numbers; the words are made here, and only when
rendered (`message()`). Consumers (`--strict`, `check`, `sizes`) select findings by code, as linters do:

    RF101 dropped-pixels          warning  a window layer never reads the last pixels of an axis
    RF102 unseen-input            warning  input pixels no unit of an output (or of a tensor before flatten) sees
    RF103 dropped-pixels-read     note     RF101's case, but another reader of the same tensor reads them
    RF105 unused-layer            warning  no layer reads the layer's output and it is not a network output
    RF201 misaligned-merge        warning  the branches of a merge have different RF jumps or centres
    RF202 gridding                warning  the RF gets holes (dilation) that no layer fills
    RF203 upsampling-shift        note     RF201's centre offset, but inherent to an up-sampling pattern
    RF301 rf-exceeds-input        note     from this layer on, the RF is larger than the input
    RF302 rf-covers-input         note     from this layer on, every unit sees the whole input
    RF303 shared-params           note     the layer reuses another layer's parameters
    RF304 rf-hull                 note     too many differently shaped regions: the per-axis hull stands for them
    RF401 batch-statistics        warning  batch norm without running statistics is counted in its inference form
    RF402 profile-fallback        note     a counting profile has no rule for the layer: rfcalc's count is kept
    RF403 profile-string-padding  note     fvcore does not count a conv given string padding
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from fractions import Fraction
from typing import Any, ClassVar, Optional

from .errors import Location
from .units import format_fraction

Intervals = tuple[tuple[int, int], ...]


class Severity(str, Enum):
    """How much a finding matters: warnings fail `--strict` and `no_warnings`; notes only inform."""

    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """Base of every finding: the layer it is about, the axis (None: the whole layer) and where the
    layer is written; subclasses add their numbers and say them in words."""

    code: ClassVar[str]  # stable, as linters' codes are: RF101
    slug: ClassVar[str]  # its name: dropped-pixels
    severity: ClassVar[Severity]
    layer: str = ""
    axis: Optional[int] = None
    location: Optional[Location] = field(default=None, compare=False)

    def __init_subclass__(cls, code: str = "", slug: str = "", severity: Severity = Severity.NOTE, **kwargs):
        """A finding class states its code, name and severity in its class statement."""
        super().__init_subclass__(**kwargs)
        cls.code, cls.slug, cls.severity = code, slug, severity

    def message(self) -> str:
        """The finding in words, without the layer's name."""
        raise NotImplementedError

    def text(self) -> str:
        """'layer: message', as lists of a network's warnings show it."""
        return f"{self.layer}: {self.message()}"

    def labelled(self) -> str:
        """"layer 'name': message", as a message that points at the layer's line says it."""
        return f"layer '{self.layer}': {self.message()}"

    def numbers(self) -> dict[str, Any]:
        """The finding's own values (everything but layer, axis and location)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("layer", "axis", "location")}

    @property
    def is_warning(self) -> bool:
        """True for a warning."""
        return self.severity is Severity.WARNING

    def _on_axis(self, words: str) -> str:
        return f"axis {self.axis}: {words}"


@dataclass(frozen=True, kw_only=True)
class DroppedPixels(Finding, code="RF101", slug="dropped-pixels", severity=Severity.WARNING):
    """The last pixels of an input axis that a window layer never reads ("Cannot" in the lecture notes)."""
    count: int  # pixels at the end never read
    size: int  # pixels of the axis
    span: int  # n + padding - kernel extent, not a multiple of the stride
    stride: int

    def message(self) -> str:
        return self._on_axis(f"the last {self.count} input pixel(s) of {self.size} are never read "
                             f"((n + padding - kernel) = {self.span} is not a multiple of stride {self.stride})")


@dataclass(frozen=True, kw_only=True)
class DroppedPixelsReadElsewhere(DroppedPixels, code="RF103", slug="dropped-pixels-read", severity=Severity.NOTE):
    """Dropped pixels that another layer reading the same tensor does read (ResNet's 1x1 downsample)."""
    read_by: str

    def message(self) -> str:
        return f"{super().message()}, but '{self.read_by}' reads them"


@dataclass(frozen=True, kw_only=True)
class UnseenInput(Finding, code="RF102", slug="unseen-input", severity=Severity.WARNING):
    """Input pixels that no unit of a final spatial tensor sees."""
    unseen: int
    size: int
    indices: Intervals  # the unseen input pixels

    def message(self) -> str:
        spans = ", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in self.indices)
        return self._on_axis(f"{self.unseen} of {self.size} input pixels are never seen by any unit "
                             f"(indices {spans})")


@dataclass(frozen=True, kw_only=True)
class UnusedLayer(Finding, code="RF105", slug="unused-layer", severity=Severity.WARNING):
    """A layer whose output no layer reads and that is not one of the network's outputs: its cost is
    counted, but nothing uses what it computes."""
    outputs: tuple[str, ...]  # the network's outputs

    def message(self) -> str:
        named = ", ".join(self.outputs)
        return (f"no layer reads this output and it is not a network output (outputs: {named}); name it in the "
                f"spec's `outputs:` if it is one, or remove it")


@dataclass(frozen=True)
class BranchJump:
    """One branch of a merge and its RF jump."""

    branch: str
    jump: Fraction


@dataclass(frozen=True)
class CentreOffset:
    """How far one branch's RF centres are from the first branch's, over one period of positions."""

    branch: str
    reference: str
    low: Fraction
    high: Fraction
    mean: Fraction
    jump: Fraction

    def describe(self) -> str:
        """The offset in words."""
        spread = f"{_fmt(self.low)} pixels" if self.low == self.high else \
            f"{_fmt(self.low)}..{_fmt(self.high)} pixels depending on position (mean {_fmt(self.mean)})"
        return f"the RF centres of '{self.branch}' are off those of '{self.reference}' by {spread}, j={_fmt(self.jump)}"


@dataclass(frozen=True, kw_only=True)
class MisalignedMerge(Finding, code="RF201", slug="misaligned-merge", severity=Severity.WARNING):
    """A merge whose branches advance at different jumps, or whose RF centres differ."""
    jumps: tuple[BranchJump, ...] = ()  # when the branches' jumps differ
    offsets: tuple[CentreOffset, ...] = ()  # otherwise: the branches whose centres are off the first's
    # With different jumps: the merged units' RF centre spacing and RF sizes, over the units that exist.
    spacing_min: Optional[Fraction] = None
    spacing_max: Optional[Fraction] = None
    spacing_mean: Optional[Fraction] = None
    size_min: Optional[int] = None
    size_max: Optional[int] = None

    def message(self) -> str:
        if self.jumps:
            detail = " vs ".join(f"'{b.branch}' j={_fmt(b.jump)}" for b in self.jumps) + " (different jumps)"
            if self.spacing_mean is not None:
                detail += f": {self._spacing()}"
        else:
            detail = "; ".join(offset.describe() for offset in self.offsets)
            detail += (": a systematic offset (the centres never meet: the same shift at every position, or a "
                       "range off zero), as a missing or asymmetric pad gives")
        return self._on_axis(f"misaligned branches: {detail}; the merged RF is their union")

    def _spacing(self) -> str:
        """What the merged units are when their branches advance at different rates."""
        if self.spacing_min == self.spacing_max:
            spacing = f"the merged RF centres are {_fmt(self.spacing_min)} pixels apart"
        else:
            spacing = (f"the merged RF centres are {_fmt(self.spacing_min)}..{_fmt(self.spacing_max)} pixels "
                       f"apart ({_fmt(self.spacing_mean)} on average)")
        if self.size_min == self.size_max:
            sizes = f"r {self.size_min}"
        else:
            sizes = f"r {self.size_min}..{self.size_max}"
        text = f"{spacing} and their RFs span {sizes}"
        if self.size_min != self.size_max or self.spacing_min != self.spacing_max:
            text += ": the RF varies with position because each unit unites windows that advance at different rates"
        return text


@dataclass(frozen=True, kw_only=True)
class UpsamplingShift(MisalignedMerge, code="RF203", slug="upsampling-shift", severity=Severity.NOTE):
    """A merge whose RF centres differ only as an up-sampling pattern makes them: the shift alternates
    with the position and the centres meet or cross over it (a U-Net's up-conv beside its skip, an FPN's
    up-sampled top-down path beside its lateral); a missing pad would move the whole range off zero."""

    def message(self) -> str:
        detail = "; ".join(offset.describe() for offset in self.offsets)
        return self._on_axis(f"branches shifted by the up-sampling pattern: {detail}; the shift alternates with "
                             f"the position and the centres meet or cross over it, which is inherent to the "
                             f"architecture, not a missing pad")


@dataclass(frozen=True, kw_only=True)
class Gridding(Finding, code="RF202", slug="gridding", severity=Severity.WARNING):
    """Units whose RF first gets holes (dilation): they see fewer pixels than their RF spans."""
    size_min: int
    size_max: int
    support_min: int
    support_max: int
    uniform: bool

    def message(self) -> str:
        if self.uniform:
            return self._on_axis(f"gridding: the RF spans r={self.size_min} but a unit sees only {self.support_min} "
                                 f"of those pixels (holes from dilation); add a dilation-1 layer to fill them")
        return self._on_axis(f"gridding: RFs span r={self.size_min}..{self.size_max} but units see only "
                             f"{self.support_min}..{self.support_max} of those pixels (holes from dilation)")


@dataclass(frozen=True, kw_only=True)
class RFExceedsInput(Finding, code="RF301", slug="rf-exceeds-input", severity=Severity.NOTE):
    """The first layer whose RF is larger than the input on some axis."""

    def message(self) -> str:
        return "from this layer on, the RF is larger than the input (it reaches into padding)"


@dataclass(frozen=True, kw_only=True)
class RFCoversInput(Finding, code="RF302", slug="rf-covers-input", severity=Severity.NOTE):
    """The first layer whose every unit sees the whole input."""

    def message(self) -> str:
        return "from this layer on, every unit sees the whole input"


@dataclass(frozen=True, kw_only=True)
class SharedParams(Finding, code="RF303", slug="shared-params", severity=Severity.NOTE):
    """A layer that reuses another layer's parameters (counted once)."""
    owner: str
    params: int

    def message(self) -> str:
        return f"shares its {self.params:,} parameters with '{self.owner}' (counted once)"


@dataclass(frozen=True, kw_only=True)
class RFHull(Finding, code="RF304", slug="rf-hull", severity=Severity.NOTE):
    """Units that see a union of more differently shaped regions than are kept exactly."""
    regions: int
    limit: int

    def message(self) -> str:
        return (f"units see a union of {self.regions} differently shaped regions; the per-axis hull stands for "
                f"it (exact up to {self.limit})")


@dataclass(frozen=True, kw_only=True)
class BatchStatistics(Finding, code="RF401", slug="batch-statistics", severity=Severity.WARNING):
    """Batch norm without running statistics: PyTorch normalises with batch statistics even in eval."""

    def message(self) -> str:
        return ("track_running_stats: false: PyTorch normalises with each batch's own statistics even in eval "
                "mode; rfcalc counts the inference form (1 mul + 1 add per element), which undercounts that")


@dataclass(frozen=True, kw_only=True)
class ProfileFallback(Finding, code="RF402", slug="profile-fallback", severity=Severity.NOTE):
    """A layer a counting profile has no rule for (or no counterpart in the tool): rfcalc's count kept."""
    profile: str
    layer_type: str
    no_counterpart: bool  # the tool cannot see such a layer at all

    def message(self) -> str:
        why = (f"no counterpart for {self.layer_type}" if self.no_counterpart
               else f"the {self.profile} profile has no rule for {self.layer_type}")
        return f"{self.profile}: {why}; rfcalc's count kept"


@dataclass(frozen=True, kw_only=True)
class StringPaddingUncounted(Finding, code="RF403", slug="profile-string-padding", severity=Severity.NOTE):
    """fvcore: a conv given string padding runs as aten::_convolution_mode, which it does not count."""
    profile: str = "fvcore"

    def message(self) -> str:
        return (f"{self.profile}: string padding runs as aten::_convolution_mode, which {self.profile} does not "
                f"count (0 MACs for that conv)")


def known_codes() -> tuple[str, ...]:
    """Every finding code, sorted (what `ignore:` lists may name)."""
    classes, todo = set(), [Finding]
    while todo:
        for sub in todo.pop().__subclasses__():
            classes.add(sub)
            todo.append(sub)
    return tuple(sorted({cls.code for cls in classes}))


def checked_codes(codes) -> tuple[str, ...]:
    """An `ignore:` list as a tuple of known codes; a ValueError names the first unknown one."""
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",") if c.strip()]
    if not isinstance(codes, (list, tuple)) or not all(isinstance(c, str) for c in codes):
        raise ValueError(f"ignore must be a list of finding codes such as [RF201]; got {codes!r}")
    known = known_codes()
    for code in codes:
        if code.upper() not in known:
            raise ValueError(f"unknown finding code {code!r}; codes are: {', '.join(known)}")
    return tuple(dict.fromkeys(c.upper() for c in codes))


def _fmt(value: Fraction) -> str:
    return format_fraction(Fraction(value))


def to_json(finding: Finding) -> dict[str, Any]:
    """The JSON form of a finding: code, name, severity, layer, axis, message and its numbers."""
    return {"code": finding.code, "name": finding.slug, "severity": finding.severity.value,
            "layer": finding.layer, "axis": finding.axis, "message": finding.message(),
            "numbers": {key: _json_value(value) for key, value in finding.numbers().items()},
            "location": str(finding.location) if finding.location else None}


def _json_value(value: Any) -> Any:
    """Numbers as JSON numbers (exact rationals as floats), records as objects, tuples as lists."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _json_value(getattr(value, f.name)) for f in fields(value)}
    return value
