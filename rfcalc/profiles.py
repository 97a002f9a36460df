"""Counting profiles: the same network counted the way another tool counts it.

Papers and tools disagree on what a "FLOP" is and on what counts (bias, batch norm, activations,
pooling, merges). A profile is a pure function from an analysed network (its Report, plus the layer
models of its Spec for the few hyper-parameters a tool's formula reads) to per-layer counts under
that tool's rules. Every rule below names the file of the tool's source that it reproduces.

What a profiled Report holds, per layer:
- `macs`: the tool's figure in multiply-accumulate units: the number to compare with the tool's
  headline (torchvision's "GFLOPS" column, fvcore's `.total()`, ptflops' "GMac", thop's "macs",
  torchinfo's "Mult-Adds", calflops' "MACs");
- `ops`: FLOPs by category. calflops reports FLOPs itself, and those are its FLOPs; the other tools
  report one MAC-convention figure, and FLOPs are shown as 2 x that figure, per category.

Counts are per sample (batch 1), as rfcalc's own MACs are. Parameters, shapes, receptive fields
and memory are the same under every profile. Layers with no counterpart in a tool (locally
connected and tiled convolution have no PyTorch module) keep rfcalc's MACs, with a note saying so.
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
    count: Callable[[LayerView], Count]


# --- layer families (by model class, never by substring of a name) -------------------------------

@lru_cache(maxsize=None)
def _classes():
    """The layer model classes, imported on first use (keeps `rfcalc --help` fast)."""
    from .layers import activation, conv, norm, pool, reshape

    return {
        "conv": (conv.Conv, conv.DepthwiseConv, conv.SeparableConv, conv.SpatiallySeparableConv),
        "transposed": (conv.ConvTranspose,),
        "no_torch": (conv.LocallyConnected, conv.TiledConv),
        "linear": (reshape.Linear,),
        "batchnorm": (norm.BatchNorm,),
        "layernorm": (norm.LayerNorm,),
        "maxpool": (pool.MaxPool,),
        "avgpool": (pool.AvgPool,),
        "lppool": (pool.LPPool,),
        "adaptive": (pool.AdaptivePool,),
        "global": (pool.GlobalPool,),
        "upsample": (reshape.Upsample,),
        "softmax": (activation.Softmax,),
        "prelu": (activation.PReLU,),
    }


def _family(view: LayerView) -> str:
    for family, classes in _classes().items():
        if isinstance(view.layer, classes):
            return family
    return "other"


def _has_bias(view: LayerView) -> bool:
    return bool(getattr(view.layer, "bias", False))


def _taps(view: LayerView) -> int:
    """Kernel elements of a windowed layer (product over the spatial axes)."""
    kernel = view.layer.kernel_size
    return prod(kernel) if isinstance(kernel, list) else kernel ** view.spatial_axes


def _per_axis(value, axes: int) -> list[int]:
    return list(value) if isinstance(value, list) else [value] * axes


def _fallback(view: LayerView, tool: str) -> Count:
    """A layer the tool has no rule for that rfcalc counts: keep rfcalc's MACs and say so."""
    return Count(view.result.macs, tuple(view.result.ops.items()),
                 f"{tool}: no counterpart for {view.type}; rfcalc's count kept")


def _is_2d(view: LayerView) -> bool:
    return view.spatial_axes == 2


def _is_average(view: LayerView) -> bool:
    """Adaptive or global average pooling (as opposed to max)."""
    return view.type.startswith("adaptive_avgpool") or view.type == "global_avgpool"


# --- rfcalc ---------------------------------------------------------------------------------------

def _count_rfcalc(view: LayerView) -> Count:
    return Count(view.result.macs, tuple(view.result.ops.items()))


# --- torchvision ----------------------------------------------------------------------------------

def _count_torchvision(view: LayerView) -> Count:
    # pytorch/vision pull request #6936 (the script in its description computes the "GFLOPS" of the
    # model tables): a TorchDispatchMode counter over aten.convolution / aten.addmm / aten.mm whose
    # conv handle is batch * prod(w_shape) * prod(out spatial) (input spatial when transposed),
    # i.e. multiply-accumulates, bias excluded; nothing else is counted. FLOPs: 2 x, as
    # pytorch/pytorch torch/utils/flop_counter.py conv_flop_count / mm_flop count them.
    family = _family(view)
    if family in ("conv", "transposed"):
        return _mac_count(conv=view.result.macs)
    if family == "linear":
        return _mac_count(linear=view.result.macs)
    if family == "no_torch":
        return _fallback(view, "torchvision")
    return Count()


# --- fvcore ---------------------------------------------------------------------------------------

def _count_fvcore(view: LayerView) -> Count:
    # facebookresearch/fvcore fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS lists the counted ops;
    # the handles are in fvcore/nn/jit_handles.py. One fused multiply-add = one flop. Ops not in
    # the table (relu, max/avg pooling, add, cat, softmax, ...) count 0.
    family, layer = _family(view), view.layer
    if family in ("conv", "transposed"):
        # conv_flop_jit / conv_flop_count: batch * prod(w_shape) * prod(conv_shape), conv_shape the
        # output spatial size (the input's when transposed); "Computation for addition and bias is
        # ignored."
        return _mac_count(conv=view.result.macs)
    if family == "linear":
        # linear_flop_jit: prod(input_shape) * output_feature_dim (bias ignored).
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
    if family in ("adaptive", "global") and _is_average(view) and _is_2d(view):
        # "aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0): one per input element.
        # global_avgpool is taken as nn.AdaptiveAvgPool2d(1), torchvision's way to write it.
        return _mac_count(adaptive_avg_pool=view.in_elements)
    if family == "upsample" and _is_2d(view):
        # "aten::upsample_nearest2d": elementwise_flop_counter(0, 1), one per output element;
        # "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4), four per output element.
        if layer.mode == "nearest":
            return _mac_count(upsample=view.out_elements)
        if layer.mode == "bilinear":
            return _mac_count(upsample=4 * view.out_elements)
        return Count()
    if family == "no_torch":
        return _fallback(view, "fvcore")
    return Count()


# --- ptflops --------------------------------------------------------------------------------------

def _count_ptflops(view: LayerView) -> Count:
    # sovrasov/flops-counter.pytorch ptflops/aten_ops.py (commit fe667a2), the default "aten"
    # backend: ATEN_OPS_MAPPING counts aten.convolution and aten.mm/matmul/addmm/bmm only.
    family = _family(view)
    if family in ("conv", "transposed"):
        # conv_flop_count(..., bias=b is not None): batch * prod(w_shape) * prod(conv_shape)
        # (input spatial when transposed) + batch * out_channels * prod(out spatial) for the bias.
        return _mac_count(conv=view.result.macs, bias=view.out_elements if _has_bias(view) else 0)
    if family == "linear":
        # addmm_flop: batch * input_dim * output_dim (the bias operand of addmm is not counted).
        return _mac_count(linear=view.result.macs)
    if family == "no_torch":
        return _fallback(view, "ptflops")
    return Count()


# --- thop -----------------------------------------------------------------------------------------

# thop's count_upsample / calculate_upsample: ops per output element by mode; modes outside
# ("nearest", "linear", "bilinear", "bicubic") count 0 ("take it a zero op"), trilinear included.
_THOP_UPSAMPLE = {"nearest": 1, "linear": 5, "bilinear": 11}


def _count_thop(view: LayerView) -> Count:
    # Lyken17/pytorch-OpCounter thop/profile.py register_hooks maps module types to the hooks in
    # thop/vision/basic_hooks.py, whose formulas are in thop/vision/calc_func.py. Module types
    # without a hook count 0 ("Treat it as zero Macs").
    family, layer, out = _family(view), view.layer, view.result.output_shape
    if family == "conv":
        # count_convNd -> calculate_conv2d_flops: prod(output_size) * (in_c // g) * prod(kernel);
        # bias not counted. A separable conv is two nn.Conv modules, counted the same way.
        return _mac_count(conv=view.result.macs)
    if family == "transposed":
        # ConvTranspose also goes to count_convNd: per OUTPUT element, output numel * (in_c // g)
        # * kernel, which over-counts a stride-s transposed conv by about s^d.
        return _mac_count(conv=view.out_elements * (view.in_shape[0] // layer.groups) * _taps(view))
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
    if family == "softmax" and view.type == "softmax":
        # count_softmax -> calculate_softmax: batch * (nfeatures exp + (nfeatures - 1) add +
        # nfeatures div), batch = numel // nfeatures; nn.LogSoftmax has no hook.
        features = view.in_shape[layer.dim % len(view.in_shape)]
        return _mac_count(softmax=view.in_elements // features * (3 * features - 1))
    if family == "avgpool":
        # count_avgpool -> calculate_avgpool: one per output element.
        return _mac_count(avg_pool=view.out_elements)
    if family in ("adaptive", "global") and _is_average(view):
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
    if family == "no_torch":
        return _fallback(view, "thop")
    # ReLU, ReLU6, MaxPool*, AdaptiveMaxPool*, Dropout, ZeroPad2d: zero_ops; LeakyReLU: count_relu
    # -> calculate_relu_flops returns 0; every other module (sigmoid, tanh, SiLU, GELU, ELU,
    # Hardswish, LPPool, Flatten, Identity) has no hook; add / multiply / cat are not modules.
    return Count()


# --- calflops (DeepSpeed's profiler rules) ------------------------------------------------------

def _calflops_conv_bias_positions(view: LayerView) -> int:
    """Output positions _conv_flops_compute computes for the bias: its own floor formula with
    symmetric padding (padding='same' as d * (k - 1) // 2 on each side)."""
    layer, sizes = view.layer, view.in_shape[1:]
    axes = len(sizes)
    padding = layer.padding
    if isinstance(padding, list) and any(isinstance(p, list) for p in padding):
        return view.out_positions  # asymmetric pads are an F.pad before the conv: the real size
    kernels = _per_axis(layer.kernel_size, axes)
    strides = _per_axis(layer.stride, axes)
    dilations = _per_axis(layer.dilation, axes)
    if padding == "same":
        pads = [d * (k - 1) // 2 for d, k in zip(dilations, kernels)]
    elif padding == "valid":
        pads = [0] * axes
    else:
        pads = _per_axis(padding, axes)
    return prod((n + 2 * p - (d * (k - 1) + 1)) // s + 1
                for n, p, d, k, s in zip(sizes, pads, dilations, kernels, strides))


def _count_calflops(view: LayerView) -> Count:
    # MrYxJ/calculate-flops.pytorch calflops/pytorch_ops.py: _patch_functionals wraps torch.nn.functional
    # calls and each *_flops_compute returns (flops, macs). Calls it does not wrap count 0: sigmoid,
    # tanh, hardswish (not in torch.nn.functional's wrapped set), nn.ReLU6 (it calls F.hardtanh, not
    # F.relu6), log_softmax, torch.cat, and `a + b` / `a * b` (the operators are not torch.add /
    # Tensor.add, which it wraps). The same formulas are DeepSpeed's flops profiler's.
    family, layer = _family(view), view.layer
    if family == "conv":
        # _conv_flops_compute: macs = kernel * in_channels * (out_channels // groups) * output
        # positions; flops = 2 * macs + out_channels * positions when there is a bias.
        bias = view.result.output_shape[0] * _calflops_conv_bias_positions(view) if _has_bias(view) else 0
        macs = view.result.macs
        return Count(macs, tuple((k, v) for k, v in (("conv", 2 * macs), ("bias", bias)) if v))
    if family == "transposed":
        # _conv_trans_flops_compute: out_channels = weight.shape[1] (already out/groups) and
        # filters_per_channel = out_channels // groups again; macs = kernel * in_channels *
        # filters_per_channel * INPUT positions; the bias term uses the forward-conv size formula
        # (n + 2p - d(k-1) - 1) // s + 1 on the input size, with weight.shape[1] channels.
        groups = layer.groups
        per_group = view.result.output_shape[0] // groups
        macs = _taps(view) * view.in_shape[0] * (per_group // groups) * prod(view.in_shape[1:])
        bias = 0
        if _has_bias(view):
            axes = view.spatial_axes
            pads = [p[0] if isinstance(p, list) else p for p in _per_axis(layer.padding, axes)]
            bias = per_group * prod(
                (n + 2 * p - (d * (k - 1) + 1)) // s + 1
                for n, p, d, k, s in zip(view.in_shape[1:], pads, _per_axis(layer.dilation, axes),
                                         _per_axis(layer.kernel_size, axes), _per_axis(layer.stride, axes)))
        return Count(macs, tuple((k, v) for k, v in (("conv", 2 * macs), ("bias", bias)) if v))
    if family == "linear":
        # _linear_flops_compute: macs = input numel * out_features; flops = 2 * macs (bias not counted).
        return Count(view.result.macs, (("linear", 2 * view.result.macs),) if view.result.macs else ())
    if view.type in ("relu", "leaky_relu", "elu", "silu", "gelu") or family == "prelu":
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
    if family in ("maxpool", "avgpool", "adaptive", "global"):
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
    if family == "softmax" and view.type == "softmax":
        # _softmax_flops_compute: input numel.
        return Count(0, (("softmax", view.in_elements),))
    if family in ("no_torch", "lppool"):
        # lp_pool runs through several wrapped calls whose mix depends on the PyTorch version.
        return _fallback(view, "calflops")
    return Count()


# --- torchinfo ------------------------------------------------------------------------------------

def _count_torchinfo(view: LayerView) -> Count:
    # TylerYep/torchinfo torchinfo/layer_info.py LayerInfo.calculate_macs: for every parameter named
    # "weight" or "bias" of a module, if "Conv" is in the class name: param count * batch * output
    # spatial positions, else batch * param count. So a conv counts its bias once per output
    # element, a linear layer its bias once, batch norm / layer norm / PReLU their parameter count,
    # and a transposed conv its weights once per OUTPUT position (about stride^d too many).
    family, layer = _family(view), view.layer
    if family == "conv":
        # nn.Conv (a separable conv is two of them, a spatially separable one two as well): weights
        # times their output positions = rfcalc's MACs, plus bias x output positions.
        return _mac_count(conv=view.result.macs, bias=view.out_elements if _has_bias(view) else 0)
    if family == "transposed":
        weights = view.in_shape[0] * (view.result.output_shape[0] // layer.groups) * _taps(view)
        return _mac_count(conv=weights * view.out_positions,
                          bias=view.out_elements if _has_bias(view) else 0)
    if family == "linear":
        return _mac_count(linear=view.result.macs, bias=view.result.output_shape[0] if _has_bias(view) else 0)
    if family == "batchnorm":
        return _mac_count(norm_params=2 * view.in_shape[0] if layer.affine else 0)
    if family == "layernorm":
        normalized = prod(layer.normalized_shape or view.in_shape)
        return _mac_count(norm_params=2 * normalized if layer.elementwise_affine else 0)
    if family == "prelu":
        return _mac_count(prelu_params=layer.num_parameters)
    if family == "no_torch":
        return _fallback(view, "torchinfo")
    return Count()


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("rfcalc", "rfcalc (default)", "rfcalc's own conventions",
            (), _count_rfcalc),
    Profile("torchvision", "torchvision model tables / torch.utils.flop_counter",
            "MACs = torchvision's 'GFLOPS' column x 1e9; FLOPs = torch.utils.flop_counter",
            ("counted: convolution and transposed convolution MACs (transposed: per input position), "
             "linear MACs; bias excluded; nothing else (batch norm, activations, pooling, merges: 0)",
             "FLOPs = 2 x MACs"),
            _count_torchvision),
    Profile("fvcore", "fvcore FlopCountAnalysis (default handles)",
            "MACs = fvcore's FlopCountAnalysis(...).total() (fvcore: one multiply-add = one flop)",
            ("counted: conv/transposed conv/linear MACs without bias; batch norm (eval) 2 per element "
             "(1 without affine); layer norm 5 per element (4 without affine); adaptive average pooling "
             "2-D (and global average pooling) 1 per input element; nearest upsampling 2-D 1 and "
             "bilinear 4 per output element",
             "not counted: activations, max/average pooling, add/multiply/concat, softmax, dropout, "
             "1-D/3-D pooling and upsampling",
             "FLOPs = 2 x fvcore's count"),
            _count_fvcore),
    Profile("ptflops", "ptflops (aten backend, the default)",
            "MACs = ptflops get_model_complexity_info(..., as_strings=False)[0]",
            ("counted: conv/transposed conv MACs plus 1 per output element for a bias; linear MACs "
             "(its bias not counted); nothing else",
             "FLOPs = 2 x ptflops' MACs"),
            _count_ptflops),
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
            _count_thop),
    Profile("calflops", "calflops / DeepSpeed flops profiler",
            "MACs and FLOPs = calflops calculate_flops(..., output_as_string=False) macs and flops",
            ("MACs: conv/transposed conv/linear only (transposed conv with groups g: divided by g once "
             "more, as calflops does)",
             "FLOPs: 2 x MACs, plus conv bias 1 per output element (linear bias not counted); ReLU, "
             "LeakyReLU, ELU, PReLU, SiLU, GELU 1 per element; batch norm 2 per element (eval, affine); "
             "layer norm 5; max/avg/adaptive/global pooling 1 per INPUT element; softmax 1 per element; "
             "upsampling: the input numel (scale factor) or the size itself",
             "not counted: sigmoid, tanh, hardswish, ReLU6, log-softmax, add/multiply (a + b), concat"),
            _count_calflops),
    Profile("torchinfo", "torchinfo summary() 'Mult-Adds'",
            "MACs = torchinfo summary(...).total_mult_adds",
            ("counted: conv weights and bias x output positions (so conv MACs + 1 per output element "
             "for the bias); transposed conv weights x OUTPUT positions (over by about stride^d); linear "
             "in x out + out (bias); batch norm, layer norm and PReLU: their parameter count",
             "not counted: layers without weight/bias parameters",
             "FLOPs = 2 x torchinfo's count"),
            _count_torchinfo),
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


def apply_profile(report: "Report", spec: "Spec", name: str = DEFAULT_PROFILE) -> "Report":
    """The report with MACs and FLOPs counted under profile `name`; everything else unchanged."""
    if name == DEFAULT_PROFILE:
        return report
    profile = get_profile(name)
    layers = []
    for result, count in zip(report.layers, profile_counts(report, spec, name)):
        notes = result.notes + ((count.note,) if count.note else ())
        layers.append(replace(result, macs=count.macs, ops=dict(count.flops), notes=notes))
    ops: dict[str, int] = {}
    for layer in layers:
        for kind, value in layer.ops.items():
            ops[kind] = ops.get(kind, 0) + value
    totals = replace(report.totals, macs=sum(layer.macs for layer in layers), flops=sum(ops.values()),
                     ops=ops)
    conventions = tuple(c for c in report.conventions if not c.startswith(("MACs:", "FLOPs"))) + (
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
