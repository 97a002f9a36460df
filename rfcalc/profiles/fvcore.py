"""fvcore's FlopCountAnalysis with its default handles.

facebookresearch/fvcore 0.1.5.post20221221 fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS lists the
counted ops of the jit trace; the handles are in fvcore/nn/jit_handles.py. One fused multiply-add =
one flop. Ops not in the table (relu, max/avg pooling, add, cat, softmax, ...) count 0. The model is
taken in eval mode (FlopCountAnalysis traces it in whatever mode it is).
"""
from __future__ import annotations

from dataclasses import replace

from ..findings import StringPaddingUncounted
from ..layers.base import Family
from .base import (ACTIVATIONS, CONVOLUTIONS, MERGES, MOVES, NO_TORCH, Convention, Count, LayerView, Profile, every,
                   mac_count)
from .rendition import torch_convs

def conv(view: LayerView) -> Count:
    """"aten::_convolution": conv_flop_jit / conv_flop_count: batch * prod(w_shape) *
    prod(conv_shape), conv_shape the output spatial size (the input's when transposed); "Computation
    for addition and bias is ignored." A conv given string padding ('same' / 'valid') is traced as
    aten::_convolution_mode instead, which has no handle: 0."""
    calls = torch_convs(view)
    counted = [call for call in calls if call.transposed or not isinstance(call.padding, str)]
    note = StringPaddingUncounted() if len(counted) < len(calls) else None
    return replace(mac_count(conv=sum(call.macs for call in counted)), note=note)


def linear(view: LayerView) -> Count:
    """"aten::linear": linear_flop_jit: prod(input_shape) * output_feature_dim (bias ignored)."""
    return mac_count(linear=view.result.macs)


def batch_norm(view: LayerView) -> Count:
    """batchnorm_flop_jit: in eval mode input numel * (2 if affine else 1). PyTorch runs batch norm in
    training form when track_running_stats is false: norm_flop_counter, 5 / 4."""
    layer = view.layer
    if not layer.track_running_stats:
        return mac_count(batch_norm=view.in_elements * (5 if layer.affine else 4))
    return mac_count(batch_norm=view.in_elements * (2 if layer.affine else 1))


def layer_norm(view: LayerView) -> Count:
    """norm_flop_counter(2) for aten::layer_norm: input numel * (5 if affine else 4)."""
    return mac_count(layer_norm=view.in_elements * (5 if view.layer.elementwise_affine else 4))


def group_norm(view: LayerView) -> Count:
    """norm_flop_counter(2) for aten::group_norm: input numel * (5 if affine else 4)."""
    return mac_count(group_norm=view.in_elements * (5 if view.layer.affine else 4))


def adaptive_avg_pool(view: LayerView) -> Count:
    """"aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0): one per input element.
    global_avgpool is taken as nn.AdaptiveAvgPool2d(1), torchvision's way to write it. The 1-D and
    3-D ops have no handle: 0."""
    return mac_count(adaptive_avg_pool=view.in_elements) if view.is_2d else Count()


def upsample(view: LayerView) -> Count:
    """"aten::upsample_nearest2d": elementwise_flop_counter(0, 1), one per output element;
    "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4), four per output element. Other
    modes and 1-D / 3-D upsampling have no handle: 0."""
    per_output = {"nearest": 1, "bilinear": 4}.get(view.layer.mode, 0) if view.is_2d else 0
    return mac_count(upsample=per_output * view.out_elements)


PROFILE = Profile(
    "fvcore", "fvcore FlopCountAnalysis (default handles)",
    "MACs = fvcore's FlopCountAnalysis(...).total() (fvcore: one multiply-add = one flop)",
    (Convention("fvcore-counted", "counted: conv/transposed conv/linear MACs without bias; batch norm (eval) 2 "
                "per element (1 without affine; 5 / 4 without running stats); layer norm and group norm 5 per "
                "element (4 without affine); adaptive average pooling 2-D (and global average pooling) 1 per input "
                "element; nearest upsampling 2-D 1 and bilinear 4 per output element"),
     Convention("fvcore-uncounted", "not counted: convs with padding 'same' (stride 1) or 'valid' (PyTorch's "
                "string padding runs as aten::_convolution_mode, which fvcore has no handle for), activations, "
                "max/average pooling, element-wise merges (add, multiply, subtract, divide, maximum), concat, softmax, dropout, 1-D/3-D pooling and upsampling"),
     Convention("fvcore-flops", "FLOPs = 2 x fvcore's count")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear, Family.BATCHNORM: batch_norm,
     Family.LAYERNORM: layer_norm, Family.GROUPNORM: group_norm,
     **every((Family.ADAPTIVE_AVG, Family.GLOBAL_AVG), adaptive_avg_pool),
     Family.UPSAMPLE: upsample},
    # Ops without a handle in _DEFAULT_SUPPORTED_OPS.
    frozenset((Family.PRELU, Family.SOFTMAX, Family.LOG_SOFTMAX, Family.MAXPOOL, Family.AVGPOOL, Family.LPPOOL,
               Family.ADAPTIVE_MAX, Family.GLOBAL_MAX, *ACTIVATIONS, *MOVES, *MERGES)),
    NO_TORCH)
