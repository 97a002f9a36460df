"""What every layer model shares: the facts it produces and helpers for per-axis parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from math import prod
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from ..axis import IDENTITY, AxisMap, window_map
from ..bounds import MAX_EXTENT, MAX_VALUE
from ..expr import shorten
from ..findings import DroppedPixels, Finding

Shape = tuple[int, ...]  # channels first, without the batch dimension
IntOrList = Union[int, list[int]]
PaddingWord = Literal["same", "valid"]


def _known_padding_word(value: Any) -> Any:
    """A padding string must be one of PaddingWord's; otherwise say every form that is accepted."""
    words = PaddingWord.__args__
    if isinstance(value, str) and value not in words:
        accepted = ", ".join(repr(word) for word in words)
        raise PydanticCustomError("padding_word", "unknown padding word; give {accepted}, an int, one int per "
                                  "spatial axis or [before, after] pairs", {"accepted": accepted})
    return value


PaddingValue = Annotated[Union[int, PaddingWord, list[Union[int, list[int]]]], BeforeValidator(_known_padding_word)]



class Family(str, Enum):
    """How counting profiles group layer types: the layers of one family are counted by one rule of
    each tool (rfcalc/profiles). Every layer model declares its family."""

    CONV = "conv"  # one or more nn.ConvNd calls: plain, depthwise, separable, spatially separable
    TRANSPOSED = "transposed"
    UNSHARED = "no_torch"  # locally connected and tiled convolution: no PyTorch module
    LINEAR = "linear"
    BATCHNORM = "batchnorm"
    LAYERNORM = "layernorm"
    GROUPNORM = "groupnorm"
    DROPOUT = "dropout"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    LPPOOL = "lppool"
    ADAPTIVE_AVG = "adaptive_avg"
    ADAPTIVE_MAX = "adaptive_max"
    GLOBAL_AVG = "global_avg"
    GLOBAL_MAX = "global_max"
    UPSAMPLE = "upsample"
    RELU = "relu"
    RELU6 = "relu6"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    SILU = "silu"
    HARDSWISH = "hardswish"
    HARDSIGMOID = "hardsigmoid"
    LEAKY_RELU = "leaky_relu"
    ELU = "elu"
    GELU = "gelu"
    PRELU = "prelu"
    SOFTMAX = "softmax"
    LOG_SOFTMAX = "log_softmax"
    FLATTEN = "flatten"
    IDENTITY = "identity"
    PAD = "pad"
    ADD = "add"
    MULTIPLY = "multiply"
    SUBTRACT = "subtract"
    DIVIDE = "divide"
    MAXIMUM = "maximum"
    CONCAT = "concat"


class LayerError(ValueError):
    """A layer that cannot apply to its input; the analyzer adds the layer's name and location."""


@dataclass(frozen=True)
class LayerFacts:
    """Everything one layer contributes, computed from its input shapes."""

    output_shape: Shape
    # Per output spatial axis: which input indices each output index reads. None: every output
    # unit depends on the whole input (flatten, linear, global pooling).
    axis_maps: tuple[AxisMap, ...] | None
    params: int = 0
    buffers: int = 0
    macs: int = 0
    ops: dict[str, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()  # about the layer itself (the analyzer adds name and location)
    # The input axes whose last pixels no window reads, for window layers whose (n + padding -
    # kernel) is not a multiple of the stride; the analyzer warns when no other consumer of the
    # same tensor reads them, and notes it otherwise.
    dropped: tuple[DroppedPixels, ...] = ()
    # Per spatial axis, the window of a sliding-window layer (what counting profiles read).
    windows: tuple["Window", ...] = ()
    # Merges whose inputs differ in shape (broadcasting): per input, per spatial axis, which of that
    # input's indices each output index reads (BROADCAST along an axis of size 1); axis_maps then
    # apply to the united branches. None: every input is read through axis_maps alone.
    input_maps: Optional[tuple[tuple[AxisMap, ...], ...]] = None
    # The local receptive field (along paths that pass through no global reduction): per spatial
    # axis, the map along such paths when it differs from axis_maps: IDENTITY for a normalisation's
    # value path (its statistics are global), None where the layer's output is a global reduction
    # of that axis (global pooling). None as a whole: the same as axis_maps.
    local_maps: Optional[tuple[Optional[AxisMap], ...]] = None


@dataclass(frozen=True)
class Window:
    """One axis of a sliding window (convolution, pooling): the 1-D rule written once."""

    kernel: int
    stride: int = 1
    pad_before: int = 0
    pad_after: int = 0
    dilation: int = 1
    ceil_mode: bool = False

    @property
    def extent(self) -> int:
        """Effective kernel size d(k - 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    def output_size(self, n: int) -> int:
        """PyTorch's output size, ceil_mode included (the last window must start inside input or left padding)."""
        span = n + self.pad_before + self.pad_after - self.extent
        out = (span + (self.stride - 1 if self.ceil_mode else 0)) // self.stride + 1
        if self.ceil_mode and (out - 1) * self.stride >= n + self.pad_before:
            out -= 1
        if out < 1:
            raise LayerError(
                f"effective kernel {self.extent} is larger than the padded input "
                f"{n + self.pad_before + self.pad_after} ({n} + padding {self.pad_before}+{self.pad_after})")
        return out

    def dropped(self, n: int) -> int:
        """Input pixels at the end of the axis that no window reaches (the lecture notes' "Cannot" case)."""
        last_read = (self.output_size(n) - 1) * self.stride - self.pad_before + self.extent - 1
        return max(0, n - 1 - last_read)

    def axis_map(self) -> AxisMap:
        """Which input indices each output index reads."""
        return window_map(self.kernel, self.stride, self.pad_before, self.dilation)


def per_axis(value: Any, ndim: int, what: str) -> tuple[int, ...]:
    """An int or a list of ints as one value per spatial axis."""
    values = (value,) * ndim if isinstance(value, int) else tuple(value)
    if len(values) != ndim:
        raise LayerError(f"{what} {list(value)} has {len(values)} values; the input has {ndim} spatial axes")
    if max(map(abs, values), default=0) > MAX_EXTENT:
        raise LayerError(f"{what} {shorten(str(value))} is too large (at most {MAX_EXTENT:,} per axis)")
    return values


def resolve_padding(padding: PaddingValue, ndim: int, sizes: Shape, kernels: tuple[int, ...],
                    strides: tuple[int, ...], dilations: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """(before, after) per axis from an int, a per-axis list, [before, after] pairs, 'valid' or 'same'."""
    if padding == "valid":
        return ((0, 0),) * ndim
    if padding == "same":
        pairs = []
        for n, k, s, d in zip(sizes, kernels, strides, dilations):
            # TensorFlow's rule (PyTorch's 'same' is the stride-1 case of it): out = ceil(n / s),
            # the total padding split with the extra pixel after.
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    if isinstance(padding, int):
        padding = [padding] * ndim
    if len(padding) != ndim:
        raise LayerError(f"padding {padding} has {len(padding)} entries; the input has {ndim} spatial axes")
    pairs = []
    for entry in padding:
        if isinstance(entry, int):
            pairs.append((entry, entry))
        elif len(entry) == 2:
            pairs.append((entry[0], entry[1]))
        else:
            raise LayerError(f"padding entry {entry} must be an int or a [before, after] pair")
    if max((abs(p) for pair in pairs for p in pair), default=0) > MAX_EXTENT:
        raise LayerError(f"padding {shorten(str(padding))} is too large (at most {MAX_EXTENT:,} per side)")
    return tuple(pairs)


def spatial_size(shape: Shape) -> int:
    """Number of positions per channel."""
    return prod(shape[1:])


class LayerModel(BaseModel):
    """Base of every layer type: frozen, no unknown fields, and a `facts` method holding its rules."""

    # defer_build: a model's validator is built the first time a spec uses that type (fast start-up).
    # strict: YAML `true` is not a kernel size and '3' is not an int; floats must be finite.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, strict=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Refuse absurd magnitudes (they would only make slow or meaningless numbers)."""
        for number in (value if isinstance(value, list) else [value]):
            for item in (number if isinstance(number, list) else [number]):
                if isinstance(item, (int, float)) and not isinstance(item, bool) and abs(item) > MAX_VALUE:
                    raise ValueError(f"{shorten(repr(item))} is too large (at most {MAX_VALUE:,})")
        return value
    # Group shown by `rfcalc layers`.
    category: ClassVar[str] = "other"
    # How counting profiles count it (every concrete layer model sets its own).
    family: ClassVar[Family]
    # How many inputs the layer takes: 1, or None for merges (two or more).
    arity: ClassVar[int | None] = 1
    # True for layers that only make sense on inputs with spatial axes (check_input enforces it).
    needs_spatial: ClassVar[bool] = False

    @classmethod
    def type_names(cls) -> tuple[str, ...]:
        """The `type:` values this model accepts (from its `type` Literal)."""
        return cls.model_fields["type"].annotation.__args__

    @property
    def spatial_dims(self) -> int | None:
        """Spatial dimensionality demanded by the type name (conv2d -> 2), None when inferred."""
        kind = getattr(self, "type")
        if len(kind) > 2 and kind[-1] == "d" and kind[-2] in "123":
            return int(kind[-2])
        return None

    def check_input(self, shape: Shape) -> None:
        """Reject inputs whose number of spatial axes does not fit the type name."""
        if self.needs_spatial and len(shape) < 2:
            raise LayerError(f"{getattr(self, 'type')} needs spatial axes; got a flat input of shape {list(shape)}")
        wanted = self.spatial_dims
        if wanted is not None and len(shape) - 1 != wanted:
            raise LayerError(f"{getattr(self, 'type')} expects an input with {wanted} spatial axes "
                             f"(shape [C, ...{wanted} sizes]); got shape {list(shape)}")

    def facts(self, inputs: list[Shape]) -> LayerFacts:
        """Output shape, RF maps, params, costs and warnings for these input shapes."""
        raise NotImplementedError


def elementwise_facts(shape: Shape, **ops: int) -> LayerFacts:
    """Facts of a layer that keeps its input's shape and reads one position: ops given per element."""
    elements = prod(shape)
    return LayerFacts(shape, (IDENTITY,) * (len(shape) - 1), ops=nonzero(
        {kind: per_element * elements for kind, per_element in ops.items()}))


def nonzero(ops: dict[str, int]) -> dict[str, int]:
    """The op counts without zero entries (a kind a layer does not perform is absent, not 0)."""
    return {kind: count for kind, count in ops.items() if count}
