"""Counting profiles: the same network counted the way another tool counts it.

Papers and tools disagree on what a "FLOP" is and on what counts (bias, batch norm, activations,
pooling, merges). A profile is a pure function from an analysed network (its Report, plus the layer
models of its Spec for the few hyper-parameters a tool's formula reads) to per-layer counts under
that tool's rules. Every rule below names the file of the tool's source that it reproduces, and the
version it was checked against by running the tool itself (tests/test_profile_tools.py): torch
2.13.0 (torch.utils.flop_counter), fvcore 0.1.5.post20221221, ptflops 0.7.5, thop
0.1.1.post2209072238, calflops 0.3.2, torchinfo 1.8.0.

The tools count PyTorch modules and calls, not specs, so each profile assumes one PyTorch rendition
of the spec (written down below, at _torch_convs, and per rule): every layer is one module of its
type (nn.AdaptiveAvgPool2d for adaptive and global average pooling, not F.adaptive_avg_pool2d in a
forward(): thop only sees modules), merges are `a + b` / torch.cat, and the model is in eval mode.

What a profiled Report holds, per layer:
- `macs`: the tool's figure in multiply-accumulate units: the number to compare with the tool's
  headline (torchvision's "GFLOPS" column, fvcore's `.total()`, ptflops' "GMac", thop's "macs",
  torchinfo's "Mult-Adds", calflops' "MACs");
- `ops`: FLOPs by category. calflops reports FLOPs itself, and those are its FLOPs; the other tools
  report one MAC-convention figure, and FLOPs are shown as 2 x that figure, per category.

Counts are per sample (batch 1), as rfcalc's own MACs are. Parameters, shapes, receptive fields
and memory are the same under every profile. Each profile lists the layer families its tool counts
as nothing (its `zero`); layers with no counterpart in a tool (locally connected and tiled
convolution have no PyTorch module), and any layer type a profile has neither a rule nor a `zero`
entry for, keep rfcalc's MACs, with a note saying so: never a silent 0.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from math import prod
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .report import LayerResult, Report
    from .spec import Spec

DEFAULT_PROFILE = "rfcalc"
PROFILE_NAMES = ("rfcalc", "torchvision", "fvcore", "ptflops", "thop", "calflops", "torchinfo")

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerView:
    """What a profile rule sees of one layer: its result, its model and its input shapes."""

    result: "LayerResult"
    layer: object  # the layer's pydantic model (rfcalc.layers)
    inputs: tuple[Shape, ...]

    @property
    def type(self) -> str:
        """The spec's `type:` value."""
        return self.result.type

    @property
    def in_shape(self) -> Shape:
        """Shape of the first input (channels first, no batch)."""
        return self.inputs[0]

    @property
    def in_elements(self) -> int:
        """Elements of the first input."""
        return prod(self.inputs[0])

    @property
    def out_elements(self) -> int:
        """Elements of the output."""
        return prod(self.result.output_shape)

    @property
    def out_positions(self) -> int:
        """Spatial positions of the output (1 for a flat output)."""
        return prod(self.result.output_shape[1:])

    @property
    def spatial_axes(self) -> int:
        """Number of spatial axes of the input."""
        return len(self.inputs[0]) - 1

    @property
    def family(self) -> Optional[str]:
        """The layer's family (see _families), None for a layer class no family lists."""
        return _family_of(type(self.layer), getattr(self.layer, "type", None))


@dataclass(frozen=True)
class Count:
    """One layer under a profile: MAC-convention count and FLOPs by category; a note when it is a fallback."""

    macs: int = 0
    flops: tuple[tuple[str, int], ...] = ()
    note: Optional[str] = None


def _mac_count(**parts: int) -> Count:
    """A MAC-convention tool's count: its total by category; FLOPs are 2 x each category."""
    parts = {k: int(v) for k, v in parts.items() if v}
    return Count(sum(parts.values()), tuple((k, 2 * v) for k, v in parts.items()))


@dataclass(frozen=True)
class Profile:
    """A named set of counting rules."""

    name: str
    title: str
    compare: str  # which of the tool's outputs the MACs / FLOPs columns reproduce
    rules: tuple[str, ...]  # what is counted, in words (printed as the report's conventions)
    rule: Callable[[LayerView], Optional[Count]]  # the tool's count, or None when it has no rule
    zero: frozenset[str] = frozenset()  # families the tool is known to count as nothing

    def count(self, view: LayerView) -> Count:
        """The layer under this profile: the tool's rule; nothing for a family the tool is known to
        skip; any other layer keeps rfcalc's count, with a note (never a silent 0)."""
        counted = self.rule(view)
        if counted is not None:
            return counted
        if view.family in self.zero:
            return Count()
        if view.family == "no_torch":
            return _fallback(view, self.name, f"no counterpart for {view.type}")
        return _fallback(view, self.name, f"the {self.name} profile has no rule for {view.type}")


# --- layer families (by model class and exact `type:` value, never by substring of a name) ---------

@lru_cache(maxsize=None)
def _families() -> tuple[tuple[str, tuple[type, ...], Optional[frozenset[str]]], ...]:
    """(family, layer model classes, the exact `type:` values it covers or None for all of them)
    for every layer type; imported on first use (keeps `rfcalc --help` fast). A class split by
    type (avg vs max, softmax vs log-softmax, the activations) lists every value it accepts, so a
    new value belongs to no family and is counted as rfcalc counts it, with a note."""
    from .layers import activation, conv, merge, norm, pool, reshape

    def each(cls, *names):
        return [(name, (cls,), frozenset({name})) for name in names]

    def dims(name):
        return frozenset({name} | {f"{name}{d}d" for d in (1, 2, 3)})

    return tuple([
        ("conv", (conv.Conv, conv.DepthwiseConv, conv.SeparableConv, conv.SpatiallySeparableConv), None),
        ("transposed", (conv.ConvTranspose,), None),
        ("no_torch", (conv.LocallyConnected, conv.TiledConv), None),
        ("linear", (reshape.Linear,), None),
        ("batchnorm", (norm.BatchNorm,), None),
        ("layernorm", (norm.LayerNorm,), None),
        ("dropout", (norm.Dropout,), None),
        ("maxpool", (pool.MaxPool,), None),
        ("avgpool", (pool.AvgPool,), None),
        ("lppool", (pool.LPPool,), None),
        ("adaptive_avg", (pool.AdaptivePool,), dims("adaptive_avgpool")),
        ("adaptive_max", (pool.AdaptivePool,), dims("adaptive_maxpool")),
        ("global_avg", (pool.GlobalPool,), frozenset({"global_avgpool"})),
        ("global_max", (pool.GlobalPool,), frozenset({"global_maxpool"})),
        ("upsample", (reshape.Upsample,), None),
        *each(activation.Activation, "relu", "relu6", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid"),
        ("leaky_relu", (activation.LeakyReLU,), None),
        ("elu", (activation.ELU,), None),
        ("gelu", (activation.GELU,), None),
        ("prelu", (activation.PReLU,), None),
        *each(activation.Softmax, "softmax", "log_softmax"),
        ("flatten", (reshape.Flatten,), None),
        ("identity", (reshape.Identity,), None),
        ("pad", (reshape.Pad,), None),
        *each(merge.Merge, "add", "multiply"),
        ("concat", (merge.Concat,), None),
    ])


@lru_cache(maxsize=None)
def _family_of(cls: type, type_name: Optional[str]) -> Optional[str]:
    """The family of a layer of class `cls` and `type:` value `type_name` (None: no family)."""
    for family, classes, names in _families():
        if issubclass(cls, classes) and (names is None or type_name in names):
            return family
    return None


# Families grouped for the profiles' lists of what they count as nothing.
_ACTIVATIONS = ("relu", "relu6", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid", "leaky_relu", "elu",
                "gelu")
_POOLS = ("maxpool", "avgpool", "lppool", "adaptive_avg", "adaptive_max", "global_avg", "global_max")
_MOVES = ("dropout", "flatten", "identity", "pad", "concat")  # copy, reshape or drop nothing: no arithmetic
_MERGES = ("add", "multiply")


def _has_bias(view: LayerView) -> bool:
    return bool(getattr(view.layer, "bias", False))


def _fallback(view: LayerView, tool: str, why: str) -> Count:
    """A layer the tool has no rule for that rfcalc counts: keep rfcalc's MACs and say so."""
    return Count(view.result.macs, tuple(view.result.ops.items()), f"{tool}: {why}; rfcalc's count kept")


def _is_2d(view: LayerView) -> bool:
    return view.spatial_axes == 2


# --- the PyTorch rendition of convolution layers ---------------------------------------------------
# The tools count PyTorch calls, so a profile has to know which calls a spec's convolution becomes.
# One rendition is assumed, the one a spec says literally:
# - conv / depthwise conv: one nn.ConvNd (groups = channels for depthwise). `padding: same` at
#   stride 1 and `padding: valid` are passed as nn.ConvNd's string padding (PyTorch then runs
#   aten::_convolution_mode); symmetric padding as ints; asymmetric padding (explicit pairs, or
#   TensorFlow's 'same' at a stride, which PyTorch's string padding does not accept) as an F.pad
#   before a conv with padding 0;
# - separable conv: a depthwise nn.ConvNd (the layer's window and padding, no bias), then a 1x1
#   nn.ConvNd (the bias);
# - spatially separable conv: one nn.ConvNd per axis, kernel k along that axis and 1 elsewhere,
#   padding by the rule above, the bias on the last;
# - transposed conv: one nn.ConvTransposeNd (padding = the pixels cropped before each axis).

@dataclass(frozen=True)
class ConvCall:
    """One convolution call of a layer's PyTorch rendition, with what the tools read of it."""

    in_shape: Shape  # the input the call receives (after an explicit F.pad), channels first
    out_shape: Shape
    weight_shape: Shape  # PyTorch's layout: (out, in / groups, *k); transposed (in, out / groups, *k)
    groups: int
    stride: tuple[int, ...]
    padding: "tuple[int, ...] | str"  # as passed to the call: ints, or 'same' / 'valid'
    dilation: tuple[int, ...]
    bias: bool
    transposed: bool = False

    @property
    def taps(self) -> int:
        """Kernel elements per channel."""
        return prod(self.weight_shape[2:])

    @property
    def out_positions(self) -> int:
        """Output positions per channel."""
        return prod(self.out_shape[1:])

    @property
    def out_elements(self) -> int:
        """Output elements."""
        return prod(self.out_shape)

    @property
    def macs(self) -> int:
        """conv_flop_count (torch/utils/flop_counter.py; fvcore, ptflops the same): batch *
        prod(w_shape) * prod(conv_shape), conv_shape the output spatial size, the input's when
        transposed; bias excluded. These are the layer's true multiply-accumulates."""
        conv_shape = self.in_shape[1:] if self.transposed else self.out_shape[1:]
        return prod(self.weight_shape) * prod(conv_shape)


def _rendition_padding(spec_padding, windows, sizes: Shape):
    """(padding argument, spatial sizes the conv receives) of one conv call, by the rule above."""
    if spec_padding == "valid":
        return "valid", tuple(sizes)
    if spec_padding == "same" and all(w.stride == 1 for w in windows):
        return "same", tuple(sizes)
    if all(w.pad_before == w.pad_after for w in windows):
        return tuple(w.pad_before for w in windows), tuple(sizes)
    return (0,) * len(windows), tuple(n + w.pad_before + w.pad_after for n, w in zip(sizes, windows))


def _torch_convs(view: LayerView) -> tuple[ConvCall, ...]:
    """The convolution calls of a conv-family layer's PyTorch rendition."""
    from .layers import conv
    from .layers.base import Window

    layer, shape, out = view.layer, view.in_shape, view.result.output_shape
    c_in, sizes, nd = shape[0], shape[1:], view.spatial_axes
    windows = layer.windows(shape)
    kernels = tuple(w.kernel for w in windows)
    strides = tuple(w.stride for w in windows)
    dilations = tuple(w.dilation for w in windows)
    bias = _has_bias(view)
    if isinstance(layer, conv.ConvTranspose):
        groups = layer.groups
        return (ConvCall(shape, out, (c_in, out[0] // groups, *kernels), groups, strides,
                         tuple(w.pad_before for w in windows), dilations, bias, transposed=True),)
    if isinstance(layer, conv.SeparableConv):
        mid = c_in * layer.depth_multiplier
        padding, padded = _rendition_padding(layer.padding, windows, sizes)
        ones = (1,) * nd
        return (ConvCall((c_in, *padded), (mid, *out[1:]), (mid, 1, *kernels), c_in, strides, padding,
                         dilations, False),
                ConvCall((mid, *out[1:]), out, (out[0], mid, *ones), 1, ones, (0,) * nd, ones, bias))
    if isinstance(layer, conv.SpatiallySeparableConv):
        calls, current, channels = [], tuple(sizes), c_in
        for axis, w in enumerate(windows):
            axis_windows = tuple(w if a == axis else Window(1) for a in range(nd))
            padding, padded = _rendition_padding(layer.padding, axis_windows, current)
            after = tuple(out[1 + a] if a == axis else n for a, n in enumerate(current))
            calls.append(ConvCall((channels, *padded), (out[0], *after),
                                  (out[0], channels, *(x.kernel for x in axis_windows)), 1,
                                  tuple(x.stride for x in axis_windows), padding,
                                  tuple(x.dilation for x in axis_windows), bias and axis == nd - 1))
            current, channels = after, out[0]
        return tuple(calls)
    groups = c_in if isinstance(layer, conv.DepthwiseConv) else layer.groups
    padding, padded = _rendition_padding(layer.padding, windows, sizes)
    return (ConvCall((c_in, *padded), out, (out[0], c_in // groups, *kernels), groups, strides, padding,
                     dilations, bias),)


# --- rfcalc ---------------------------------------------------------------------------------------

def _count_rfcalc(view: LayerView) -> Count:
    return Count(view.result.macs, tuple(view.result.ops.items()))


# --- torchvision ----------------------------------------------------------------------------------

def _count_torchvision(view: LayerView) -> Count:
    # pytorch/vision pull request #6936 (the script in its description computes the "GFLOPS" of the
    # model tables): torch.utils.flop_counter.FlopCounterMode's total / 2. Its registry (PyTorch
    # 2.13 torch/utils/flop_counter.py) counts aten.convolution (conv_flop_count, 2 per MAC, bias
    # excluded, per input position when transposed) and aten.mm / addmm / bmm (2 * m * n * k, the
    # bias operand of addmm excluded); nothing else. Checked against FlopCounterMode itself in
    # tests/test_profile_tools.py.
    family = view.family
    if family in ("conv", "transposed"):
        return _mac_count(conv=sum(call.macs for call in _torch_convs(view)))
    if family == "linear":
        return _mac_count(linear=view.result.macs)
    return None


_TORCHVISION_ZERO = frozenset(("batchnorm", "layernorm", "upsample", "prelu", "softmax", "log_softmax",
                               *_ACTIVATIONS, *_POOLS, *_MOVES, *_MERGES))


# --- fvcore ---------------------------------------------------------------------------------------

def _count_fvcore(view: LayerView) -> Count:
    # facebookresearch/fvcore 0.1.5.post20221221 fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS
    # lists the counted ops of the jit trace; the handles are in fvcore/nn/jit_handles.py. One fused
    # multiply-add = one flop. Ops not in the table (relu, max/avg pooling, add, cat, softmax, ...)
    # count 0. The model is taken in eval mode (FlopCountAnalysis traces it in whatever mode it is).
    family, layer = view.family, view.layer
    if family in ("conv", "transposed"):
        # "aten::_convolution": conv_flop_jit / conv_flop_count: batch * prod(w_shape) *
        # prod(conv_shape), conv_shape the output spatial size (the input's when transposed);
        # "Computation for addition and bias is ignored." A conv given string padding ('same' /
        # 'valid') is traced as aten::_convolution_mode instead, which has no handle: 0.
        calls = _torch_convs(view)
        counted = [call for call in calls if call.transposed or not isinstance(call.padding, str)]
        note = None
        if len(counted) < len(calls):
            note = ("fvcore: string padding runs as aten::_convolution_mode, which fvcore does not count "
                    "(0 MACs for that conv)")
        return replace(_mac_count(conv=sum(call.macs for call in counted)), note=note)
    if family == "linear":
        # "aten::linear": linear_flop_jit: prod(input_shape) * output_feature_dim (bias ignored).
        return _mac_count(linear=view.result.macs)
    if family == "batchnorm":
        # batchnorm_flop_jit: in eval mode input numel * (2 if affine else 1). PyTorch runs batch
        # norm in training form when track_running_stats is false: norm_flop_counter, 5 / 4.
        if not layer.track_running_stats:
            return _mac_count(batch_norm=view.in_elements * (5 if layer.affine else 4))
        return _mac_count(batch_norm=view.in_elements * (2 if layer.affine else 1))
    if family == "layernorm":
        # norm_flop_counter(2) for aten::layer_norm: input numel * (5 if affine else 4).
        return _mac_count(layer_norm=view.in_elements * (5 if layer.elementwise_affine else 4))
    if family in ("adaptive_avg", "global_avg"):
        # "aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0): one per input element.
        # global_avgpool is taken as nn.AdaptiveAvgPool2d(1), torchvision's way to write it. The
        # 1-D and 3-D ops have no handle: 0.
        return _mac_count(adaptive_avg_pool=view.in_elements) if _is_2d(view) else Count()
    if family == "upsample":
        # "aten::upsample_nearest2d": elementwise_flop_counter(0, 1), one per output element;
        # "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4), four per output element.
        # Other modes and 1-D / 3-D upsampling have no handle: 0.
        per_output = {"nearest": 1, "bilinear": 4}.get(layer.mode, 0) if _is_2d(view) else 0
        return _mac_count(upsample=per_output * view.out_elements)
    return None


# Ops without a handle in _DEFAULT_SUPPORTED_OPS.
_FVCORE_ZERO = frozenset(("prelu", "softmax", "log_softmax", "maxpool", "avgpool", "lppool", "adaptive_max",
                          "global_max", *_ACTIVATIONS, *_MOVES, *_MERGES))


# --- ptflops --------------------------------------------------------------------------------------

def _count_ptflops(view: LayerView) -> Count:
    # sovrasov/flops-counter.pytorch, ptflops 0.7.5, ptflops/aten_ops.py: the "aten" backend
    # (get_model_complexity_info(..., backend='aten'); ptflops 0.7.5's default is backend='pytorch',
    # whose module hooks this profile does not reproduce). ATEN_OPS_MAPPING counts aten.convolution
    # and aten.mm/matmul/addmm/bmm only.
    family = view.family
    if family in ("conv", "transposed"):
        # conv_flop(...) -> conv_flop_count(..., bias=b is not None): batch * prod(w_shape) *
        # prod(conv_shape) (input spatial when transposed) + batch * out_channels * prod(out
        # spatial) for the bias, per conv call of the layer.
        calls = _torch_convs(view)
        return _mac_count(conv=sum(call.macs for call in calls),
                          bias=sum(call.out_elements for call in calls if call.bias))
    if family == "linear":
        # addmm_flop: batch * input_dim * output_dim, "+ batch * output_dim" when the bias operand
        # is not None (nn.Linear on a flat input with a bias runs as aten.addmm; without as aten.mm).
        return _mac_count(linear=view.result.macs,
                          bias=view.result.output_shape[0] if _has_bias(view) else 0)
    return None


_PTFLOPS_ZERO = _TORCHVISION_ZERO  # ATEN_OPS_MAPPING: convolution and matrix products only, as torch's


# --- thop -----------------------------------------------------------------------------------------

# thop's count_upsample / calculate_upsample: ops per output element by mode; modes outside
# ("nearest", "linear", "bilinear", "bicubic") count 0 ("take it a zero op"), trilinear included.
_THOP_UPSAMPLE = {"nearest": 1, "linear": 5, "bilinear": 11}


def _count_thop(view: LayerView) -> Count:
    # Lyken17/pytorch-OpCounter, thop 0.1.1.post2209072238, thop/profile.py register_hooks maps
    # module types to the hooks in thop/vision/basic_hooks.py, whose formulas are in
    # thop/vision/calc_func.py. Module types without a hook count 0 ("Treat it as zero Macs"), and
    # so do functional calls (F.adaptive_avg_pool2d in a forward(), torch.flatten, `a + b`).
    family, layer, out = view.family, view.layer, view.result.output_shape
    if family in ("conv", "transposed"):
        # count_convNd -> calculate_conv2d_flops: prod(output_size) * (in_c // g) * prod(kernel),
        # per module; bias not counted. ConvTranspose goes to the same hook, so it is counted per
        # OUTPUT element, which over-counts a stride-s transposed conv by about s^d.
        return _mac_count(conv=sum(call.out_elements * (call.in_shape[0] // call.groups) * call.taps
                                   for call in _torch_convs(view)))
    if family == "linear":
        # count_linear -> calculate_linear: in_features * output numel (bias not counted).
        return _mac_count(linear=view.result.macs)
    if family in ("batchnorm", "layernorm"):
        # count_normalization -> calculate_norm: 2 * numel, doubled when affine
        # (`affine` / `elementwise_affine`): 4 per element with the usual affine layer.
        affine = layer.affine if family == "batchnorm" else layer.elementwise_affine
        return _mac_count(norm=2 * view.in_elements * (2 if affine else 1))
    if family == "prelu":
        # count_prelu (eval): calculate_relu(numel): one per input element.
        return _mac_count(prelu=view.in_elements)
    if family == "softmax":
        # count_softmax -> calculate_softmax: batch * (nfeatures exp + (nfeatures - 1) add +
        # nfeatures div), batch = numel // nfeatures; nn.LogSoftmax has no hook.
        features = view.in_shape[layer.dim % len(view.in_shape)]
        return _mac_count(softmax=view.in_elements // features * (3 * features - 1))
    if family == "avgpool":
        # count_avgpool -> calculate_avgpool: one per output element.
        return _mac_count(avg_pool=view.out_elements)
    if family in ("adaptive_avg", "global_avg"):
        # count_adap_avgpool: kernel = prod(input spatial / output spatial) in float64;
        # calculate_adaptive_avg: int((kernel + 1) * output numel), truncated; reproduced in float
        # arithmetic, so (10/3)^2 windows give int(436.00000000000006) = 436 as thop does.
        # global_avgpool is taken as nn.AdaptiveAvgPool(1).
        out_spatial = out[1:] if len(out) > 1 else (1,) * view.spatial_axes
        kernel = 1.0
        for n, m in zip(view.in_shape[1:], out_spatial):
            kernel *= n / m
        return _mac_count(adaptive_avg_pool=int((kernel + 1) * (view.in_shape[0] * prod(out_spatial))))
    if family == "upsample":
        return _mac_count(upsample=_THOP_UPSAMPLE.get(layer.mode, 0) * view.out_elements)
    return None


# ReLU, ReLU6, MaxPool*, AdaptiveMaxPool*, Dropout, ZeroPad2d: zero_ops; LeakyReLU: count_relu ->
# calculate_relu_flops returns 0; every other module (sigmoid, tanh, SiLU, GELU, ELU, Hardswish,
# Hardsigmoid, LPPool, LogSoftmax, Flatten, Identity) has no hook; add / multiply / cat are not modules.
_THOP_ZERO = frozenset(("maxpool", "lppool", "adaptive_max", "global_max", "log_softmax",
                        *_ACTIVATIONS, *_MOVES, *_MERGES))


# --- calflops (DeepSpeed's profiler rules) ------------------------------------------------------

def _calflops_conv(call: ConvCall) -> tuple[int, int]:
    """(FLOPs, MACs) of one conv call by _conv_flops_compute / _conv_trans_flops_compute."""
    sizes, kernels = call.in_shape[1:], call.weight_shape[2:]
    if call.padding == "valid":
        pads = (0,) * len(sizes)
    elif call.padding == "same":
        # calflops' own reading of 'same': d * (k - 1) // 2 on BOTH sides, so an odd total padding
        # (even kernel) loses one output position per axis in its count (PyTorch pads the extra
        # pixel after).
        pads = tuple(d * (k - 1) // 2 for d, k in zip(call.dilation, kernels))
    else:
        pads = call.padding
    # Both compute the forward-conv size from the input, even for a transposed conv.
    dims = prod((n + 2 * p - (d * (k - 1) + 1)) // s + 1
                for n, p, d, k, s in zip(sizes, pads, call.dilation, kernels, call.stride))
    if call.transposed:
        # out_channels = weight.shape[1] (already out / groups), divided by groups once more;
        # MACs per INPUT position; the bias over the forward-conv size, weight.shape[1] channels.
        out_channels = call.weight_shape[1]
        macs = call.taps * call.in_shape[0] * (out_channels // call.groups) * prod(sizes)
    else:
        out_channels = call.weight_shape[0]
        macs = call.taps * call.in_shape[0] * (out_channels // call.groups) * dims
    return 2 * macs + (out_channels * dims if call.bias else 0), macs


def _count_calflops(view: LayerView) -> Count:
    # MrYxJ/calculate-flops.pytorch, calflops 0.3.2, calflops/pytorch_ops.py: _patch_functionals
    # wraps torch.nn.functional calls and each *_flops_compute returns (flops, macs). Calls it does
    # not wrap count 0: sigmoid, tanh, hardswish, F.pad, F.dropout, log_softmax, torch.cat,
    # torch.flatten, nn.ReLU6 (it calls F.hardtanh, not the wrapped F.relu6), and `a + b` / `a * b`
    # (the operators are not torch.add / Tensor.add, which it wraps). The model is put in eval mode
    # (calflops/flops_counter.py). The same formulas are DeepSpeed's flops profiler's.
    family, layer = view.family, view.layer
    if family in ("conv", "transposed"):
        # _conv_flops_compute: macs = kernel * in_channels * (out_channels // groups) * its own
        # output size (floor formula, symmetric padding); flops = 2 * macs + out_channels * output
        # positions when there is a bias. _conv_trans_flops_compute: see _calflops_conv.
        counts = [_calflops_conv(call) for call in _torch_convs(view)]
        macs = sum(m for _, m in counts)
        bias = sum(f for f, _ in counts) - 2 * macs
        return Count(macs, tuple((k, v) for k, v in (("conv", 2 * macs), ("bias", bias)) if v))
    if family == "linear":
        # _linear_flops_compute: macs = input numel * out_features; flops = 2 * macs (bias not counted).
        return Count(view.result.macs, (("linear", 2 * view.result.macs),) if view.result.macs else ())
    if family in ("relu", "leaky_relu", "elu", "silu", "gelu", "prelu"):
        # _relu / _leaky_relu / _elu / _silu / _gelu / _prelu_flops_compute: input numel, 0 MACs.
        return Count(0, (("activation", view.in_elements),))
    if family == "batchnorm":
        # _batch_norm_flops_compute: numel * (2 if affine else 1) in eval; numel * (5 / 4) when
        # training=True, which nn.BatchNorm passes without running stats.
        per = (2 if layer.affine else 1) if layer.track_running_stats else (5 if layer.affine else 4)
        return Count(0, (("batch_norm", view.in_elements * per),))
    if family == "layernorm":
        # _layer_norm_flops_compute: numel * (5 if affine else 4).
        return Count(0, (("layer_norm", view.in_elements * (5 if layer.elementwise_affine else 4)),))
    if family in ("maxpool", "avgpool", "adaptive_avg", "adaptive_max", "global_avg", "global_max"):
        # _pool_flops_compute (avg/max, adaptive avg/max pooling): input numel. global pooling is
        # taken as nn.AdaptiveAvg/MaxPool(1).
        return Count(0, (("pool", view.in_elements),))
    if family == "upsample":
        # _upsample_flops_compute on F.interpolate(input, size, scale_factor, ...): int(size) for an
        # int size, prod(size) for a list (spatial only, channels not counted); with a scale factor
        # the input numel (the scaled product is computed and discarded).
        if layer.size is not None:
            size = layer.size
            return Count(0, (("upsample", prod(size) if isinstance(size, list) else int(size)),))
        return Count(0, (("upsample", view.in_elements),))
    if family == "softmax":
        # _softmax_flops_compute: input numel.
        return Count(0, (("softmax", view.in_elements),))
    if family == "lppool":
        # nn.LPPool -> F.lp_pool{1,2,3}d (PyTorch 2.13 torch/nn/functional.py): avg_pool(x.pow(p))
        # (wrapped: input numel), then (sign(out) * relu(abs(out))).mul(k).pow(1 / p): relu (wrapped:
        # output numel) and Tensor.mul (wrapped, _mul_flops_compute with a scalar: output numel);
        # `*`, pow, sign and abs are not wrapped. (norm_type is a finite float: no max_pool branch.)
        return Count(0, (("pool", view.in_elements), ("activation", view.out_elements),
                         ("mul", view.out_elements)))
    return None


# Calls calflops does not wrap (see above); Dropout runs F.dropout, which is the identity in eval.
_CALFLOPS_ZERO = frozenset(("relu6", "sigmoid", "tanh", "hardswish", "hardsigmoid", "log_softmax",
                            *_MOVES, *_MERGES))


# --- torchinfo ------------------------------------------------------------------------------------

def _count_torchinfo(view: LayerView) -> Count:
    # TylerYep/torchinfo 1.8.0 torchinfo/layer_info.py LayerInfo.calculate_macs: for every
    # parameter named "weight" or "bias" of a module, if "Conv" is in the class name: param count *
    # batch * output spatial positions, else batch * param count; ModelStatistics sums leaf
    # modules. So a conv counts its bias once per output element, a linear layer its bias once,
    # batch norm / layer norm / PReLU their parameter count, and a transposed conv its weights once
    # per OUTPUT position (about stride^d too many).
    family, layer = view.family, view.layer
    if family in ("conv", "transposed"):
        # Per nn.ConvNd / nn.ConvTransposeNd module of the rendition (a separable conv is two).
        calls = _torch_convs(view)
        return _mac_count(conv=sum(prod(call.weight_shape) * call.out_positions for call in calls),
                          bias=sum(call.out_elements for call in calls if call.bias))
    if family == "linear":
        return _mac_count(linear=view.result.macs, bias=view.result.output_shape[0] if _has_bias(view) else 0)
    if family == "batchnorm":
        return _mac_count(norm_params=2 * view.in_shape[0] if layer.affine else 0)
    if family == "layernorm":
        normalized = prod(layer.normalized_shape or view.in_shape)
        return _mac_count(norm_params=2 * normalized if layer.elementwise_affine else 0)
    if family == "prelu":
        return _mac_count(prelu_params=layer.num_parameters)
    return None


# Modules without a parameter named weight or bias (nn.Upsample, pooling, parameter-free
# activations, softmax, ...) and what is not a module at all (`a + b`, torch.cat, torch.flatten).
_TORCHINFO_ZERO = frozenset(("upsample", "softmax", "log_softmax", *_ACTIVATIONS, *_POOLS, *_MOVES, *_MERGES))


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("rfcalc", "rfcalc (default)", "rfcalc's own conventions",
            (), _count_rfcalc),
    Profile("torchvision", "torchvision model tables / torch.utils.flop_counter",
            "MACs = torchvision's 'GFLOPS' column x 1e9; FLOPs = torch.utils.flop_counter",
            ("counted: convolution and transposed convolution MACs (transposed: per input position), "
             "linear MACs; bias excluded; nothing else (batch norm, activations, pooling, merges: 0)",
             "FLOPs = 2 x MACs"),
            _count_torchvision, _TORCHVISION_ZERO),
    Profile("fvcore", "fvcore FlopCountAnalysis (default handles)",
            "MACs = fvcore's FlopCountAnalysis(...).total() (fvcore: one multiply-add = one flop)",
            ("counted: conv/transposed conv/linear MACs without bias; batch norm (eval) 2 per element "
             "(1 without affine; 5 / 4 without running stats); layer norm 5 per element (4 without "
             "affine); adaptive average pooling 2-D (and global average pooling) 1 per input element; "
             "nearest upsampling 2-D 1 and bilinear 4 per output element",
             "not counted: convs with padding 'same' (stride 1) or 'valid' (PyTorch's string padding "
             "runs as aten::_convolution_mode, which fvcore has no handle for), activations, max/average "
             "pooling, add/multiply/concat, softmax, dropout, 1-D/3-D pooling and upsampling",
             "FLOPs = 2 x fvcore's count"),
            _count_fvcore, _FVCORE_ZERO),
    Profile("ptflops", "ptflops (aten backend)",
            "MACs = ptflops get_model_complexity_info(..., as_strings=False, backend='aten')[0] "
            "(ptflops 0.7.5's default backend is 'pytorch', which counts differently)",
            ("counted: conv/transposed conv MACs plus 1 per output element for a bias; linear MACs "
             "plus 1 per output for a bias; nothing else",
             "FLOPs = 2 x ptflops' MACs"),
            _count_ptflops, _PTFLOPS_ZERO),
    Profile("thop", "thop profile()",
            "MACs = thop.profile(...)[0]",
            ("counted: conv MACs without bias; transposed conv per OUTPUT element (output numel x "
             "in/groups x kernel); linear in x out; batch norm and layer norm 4 per element (2 without "
             "affine); PReLU 1 per element; softmax 3n - 1 per group of n; average pooling 1 per "
             "output; adaptive/global average pooling (window + 1) per output; upsampling per output: "
             "nearest 1, linear 5, bilinear 11",
             "not counted: ReLU, ReLU6, LeakyReLU, max pooling, dropout, padding; modules without a "
             "thop hook (sigmoid, tanh, SiLU, GELU, ELU, hardswish, LP pooling, log-softmax, trilinear "
             "upsampling) and add/multiply/concat",
             "FLOPs = 2 x thop's count"),
            _count_thop, _THOP_ZERO),
    Profile("calflops", "calflops / DeepSpeed flops profiler",
            "MACs and FLOPs = calflops calculate_flops(..., output_as_string=False) macs and flops",
            ("MACs: conv/transposed conv/linear only (transposed conv with groups g: divided by g once "
             "more, as calflops does; a conv with padding 'same' and an even kernel: one output "
             "position per axis fewer, as calflops computes it)",
             "FLOPs: 2 x MACs, plus conv bias 1 per output element (linear bias not counted); ReLU, "
             "LeakyReLU, ELU, PReLU, SiLU, GELU 1 per element; batch norm 2 per element (eval, affine); "
             "layer norm 5; max/avg/adaptive/global pooling 1 per INPUT element; LP pooling 1 per input "
             "element + 2 per output element; softmax 1 per element; upsampling: the input numel "
             "(scale factor) or the size itself",
             "not counted: sigmoid, tanh, hardswish, ReLU6, log-softmax, add/multiply (a + b), concat"),
            _count_calflops, _CALFLOPS_ZERO),
    Profile("torchinfo", "torchinfo summary() 'Mult-Adds'",
            "MACs = torchinfo summary(...).total_mult_adds",
            ("counted: conv weights and bias x output positions (so conv MACs + 1 per output element "
             "for the bias); transposed conv weights x OUTPUT positions (over by about stride^d); linear "
             "in x out + out (bias); batch norm, layer norm and PReLU: their parameter count",
             "not counted: layers without weight/bias parameters",
             "FLOPs = 2 x torchinfo's count"),
            _count_torchinfo, _TORCHINFO_ZERO),
)}


def _input_shapes(report: "Report") -> dict[str, Shape]:
    from .spec import INPUT

    shapes = {INPUT: tuple(report.input_shape)}
    shapes.update({layer.name: tuple(layer.output_shape) for layer in report.layers})
    return shapes


def profile_counts(report: "Report", spec: "Spec", name: str) -> list[Count]:
    """Per-layer counts of `report` (the analysis of `spec`) under profile `name`."""
    profile = get_profile(name)
    shapes = _input_shapes(report)
    layers = {node.index: node.layer for node in spec.nodes}
    return [profile.count(LayerView(result, layers[result.index], tuple(shapes[n] for n in result.inputs)))
            for result in report.layers]


def _rfcalc_counting_conventions() -> tuple[str, ...]:
    """rfcalc's own MACs and FLOPs lines of report.CONVENTIONS, which a profile replaces (by value:
    the third and fourth lines, so rewording them cannot break the match)."""
    from .report import CONVENTIONS

    return CONVENTIONS[2:4]


def apply_profile(report: "Report", spec: "Spec", name: str = DEFAULT_PROFILE) -> "Report":
    """The report with MACs and FLOPs counted under profile `name`; everything else unchanged."""
    from .report import sum_ops

    if name == DEFAULT_PROFILE:
        return report
    profile = get_profile(name)
    layers = []
    for result, count in zip(report.layers, profile_counts(report, spec, name)):
        notes = result.notes + ((count.note,) if count.note else ())
        layers.append(replace(result, macs=count.macs, ops=dict(count.flops), notes=notes))
    ops = sum_ops(layers)
    totals = replace(report.totals, macs=sum(layer.macs for layer in layers), flops=sum(ops.values()),
                     ops=ops)
    conventions = tuple(c for c in report.conventions if c not in _rfcalc_counting_conventions()) + (
        f"profile {profile.name} ({profile.title}): {profile.compare}",
        *profile.rules,
        "counts per sample (batch 1); layers a tool has no rule for keep rfcalc's count (noted per layer)",
    )
    return replace(report, layers=tuple(layers), totals=totals, profile=name, conventions=conventions)


def analyze_profiled(spec: "Spec", name: str = DEFAULT_PROFILE) -> "Report":
    """Analyze `spec` and count it under profile `name`."""
    from .analyzer import analyze

    return apply_profile(analyze(spec), spec, name)


def get_profile(name: str) -> Profile:
    """The profile called `name` (a UsageError naming the choices otherwise)."""
    if name not in PROFILES:
        from .errors import UsageError

        raise UsageError(f"unknown profile '{name}'; profiles are: {', '.join(PROFILE_NAMES)}")
    return PROFILES[name]
