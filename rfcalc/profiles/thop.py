"""thop's profile().

Lyken17/pytorch-OpCounter, thop 0.1.1.post2209072238, thop/profile.py register_hooks maps module types
to the hooks in thop/vision/basic_hooks.py, whose formulas are in thop/vision/calc_func.py. Module
types without a hook count 0 ("Treat it as zero Macs"), and so do functional calls
(F.adaptive_avg_pool2d in a forward(), torch.flatten, `a + b`).
"""
from __future__ import annotations

from math import prod

from ..layers.base import Family
from .base import (ACTIVATIONS, CONVOLUTIONS, MERGES, MOVES, NO_TORCH, Convention, Count, LayerView, Profile, every,
                   mac_count)
from .rendition import torch_convs

# thop's count_upsample / calculate_upsample: ops per output element by mode; modes outside
# ("nearest", "linear", "bilinear", "bicubic") count 0 ("take it a zero op"), trilinear included.
UPSAMPLE_OPS = {"nearest": 1, "linear": 5, "bilinear": 11}


def conv(view: LayerView) -> Count:
    """count_convNd -> calculate_conv2d_flops: prod(output_size) * (in_c // g) * prod(kernel), per
    module; bias not counted. ConvTranspose goes to the same hook, so it is counted per OUTPUT
    element, which over-counts a stride-s transposed conv by about s^d."""
    return mac_count(conv=sum(call.out_elements * (call.in_shape[0] // call.groups) * call.taps
                              for call in torch_convs(view)))


def linear(view: LayerView) -> Count:
    """count_linear -> calculate_linear: in_features * output numel (bias not counted)."""
    return mac_count(linear=view.result.macs)


def batch_norm(view: LayerView) -> Count:
    """count_normalization -> calculate_norm: 2 * numel, doubled when affine: 4 per element with the
    usual affine layer."""
    return mac_count(norm=2 * view.in_elements * (2 if view.layer.affine else 1))


def layer_norm(view: LayerView) -> Count:
    """count_normalization -> calculate_norm as for batch norm, `elementwise_affine` for affine."""
    return mac_count(norm=2 * view.in_elements * (2 if view.layer.elementwise_affine else 1))


def prelu(view: LayerView) -> Count:
    """count_prelu (eval): calculate_relu(numel): one per input element."""
    return mac_count(prelu=view.in_elements)


def softmax(view: LayerView) -> Count:
    """count_softmax -> calculate_softmax: batch * (nfeatures exp + (nfeatures - 1) add + nfeatures
    div), batch = numel // nfeatures; nn.LogSoftmax has no hook."""
    features = view.in_shape[view.layer.dim % len(view.in_shape)]
    return mac_count(softmax=view.in_elements // features * (3 * features - 1))


def avg_pool(view: LayerView) -> Count:
    """count_avgpool -> calculate_avgpool: one per output element."""
    return mac_count(avg_pool=view.out_elements)


def adaptive_avg_pool(view: LayerView) -> Count:
    """count_adap_avgpool: kernel = prod(input spatial / output spatial) in float64;
    calculate_adaptive_avg: int((kernel + 1) * output numel), truncated; reproduced in float
    arithmetic, so (10/3)^2 windows give int(436.00000000000006) = 436 as thop does. global_avgpool is
    taken as nn.AdaptiveAvgPool(1)."""
    out = view.result.output_shape
    out_spatial = out[1:] if len(out) > 1 else (1,) * view.spatial_axes
    kernel = 1.0
    for n, m in zip(view.in_shape[1:], out_spatial):
        kernel *= n / m
    return mac_count(adaptive_avg_pool=int((kernel + 1) * (view.in_shape[0] * prod(out_spatial))))


def upsample(view: LayerView) -> Count:
    """count_upsample: UPSAMPLE_OPS per output element by mode."""
    return mac_count(upsample=UPSAMPLE_OPS.get(view.layer.mode, 0) * view.out_elements)


PROFILE = Profile(
    "thop", "thop profile()",
    "MACs = thop.profile(...)[0]",
    (Convention("thop-counted", "counted: conv MACs without bias; transposed conv per OUTPUT element (output "
                "numel x in/groups x kernel); linear in x out; batch norm and layer norm 4 per element (2 "
                "without affine); PReLU 1 per element; softmax 3n - 1 per group of n; average pooling 1 per "
                "output; adaptive/global average pooling (window + 1) per output; upsampling per output: "
                "nearest 1, linear 5, bilinear 11"),
     Convention("thop-uncounted", "not counted: ReLU, ReLU6, LeakyReLU, max pooling, dropout, padding; modules "
                "without a thop hook (sigmoid, tanh, SiLU, GELU, ELU, hardswish, LP pooling, log-softmax, "
                "trilinear upsampling, group norm) and element-wise merges and concat"),
     Convention("thop-flops", "FLOPs = 2 x thop's count")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear, Family.BATCHNORM: batch_norm,
     Family.LAYERNORM: layer_norm, Family.PRELU: prelu, Family.SOFTMAX: softmax, Family.AVGPOOL: avg_pool,
     **every((Family.ADAPTIVE_AVG, Family.GLOBAL_AVG), adaptive_avg_pool), Family.UPSAMPLE: upsample},
    # ReLU, ReLU6, MaxPool*, AdaptiveMaxPool*, Dropout, ZeroPad2d: zero_ops; LeakyReLU: count_relu ->
    # calculate_relu_flops returns 0; every other module (sigmoid, tanh, SiLU, GELU, ELU, Hardswish,
    # Hardsigmoid, LPPool, LogSoftmax, GroupNorm, Flatten, Identity) has no hook; add / multiply / cat are not modules.
    frozenset((Family.MAXPOOL, Family.LPPOOL, Family.ADAPTIVE_MAX, Family.GLOBAL_MAX, Family.LOG_SOFTMAX,
               Family.GROUPNORM, *ACTIVATIONS, *MOVES, *MERGES)),
    NO_TORCH)
