"""calflops (DeepSpeed's flops profiler rules).

MrYxJ/calculate-flops.pytorch, calflops 0.3.2, calflops/pytorch_ops.py: _patch_functionals wraps
torch.nn.functional calls and each *_flops_compute returns (flops, macs). Calls it does not wrap count
0: sigmoid, tanh, hardswish, F.pad, F.dropout, log_softmax, torch.cat, torch.flatten, nn.ReLU6 (it
calls F.hardtanh, not the wrapped F.relu6), and `a + b` / `a * b` (the operators are not torch.add /
Tensor.add, which it wraps). The model is put in eval mode (calflops/flops_counter.py). The same
formulas are DeepSpeed's flops profiler's.
"""
from __future__ import annotations

from math import prod

from ..layers.base import Family
from .base import CONVOLUTIONS, MERGES, MOVES, NO_TORCH, Convention, Count, LayerView, Profile, every
from .rendition import ConvCall, torch_convs


def _conv_call(call: ConvCall) -> tuple[int, int]:
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


def conv(view: LayerView) -> Count:
    """_conv_flops_compute: macs = kernel * in_channels * (out_channels // groups) * its own output size
    (floor formula, symmetric padding); flops = 2 * macs + out_channels * output positions when there
    is a bias. _conv_trans_flops_compute: see _conv_call."""
    counts = [_conv_call(call) for call in torch_convs(view)]
    macs = sum(m for _, m in counts)
    bias = sum(f for f, _ in counts) - 2 * macs
    return Count(macs, tuple((k, v) for k, v in (("conv", 2 * macs), ("bias", bias)) if v))


def linear(view: LayerView) -> Count:
    """_linear_flops_compute: macs = input numel * out_features; flops = 2 * macs (bias not counted)."""
    return Count(view.result.macs, (("linear", 2 * view.result.macs),) if view.result.macs else ())


def activation(view: LayerView) -> Count:
    """_relu / _leaky_relu / _elu / _silu / _gelu / _prelu_flops_compute: input numel, 0 MACs."""
    return Count(0, (("activation", view.in_elements),))


def batch_norm(view: LayerView) -> Count:
    """_batch_norm_flops_compute: numel * (2 if affine else 1) in eval; numel * (5 / 4) when
    training=True, which nn.BatchNorm passes without running stats."""
    layer = view.layer
    per = (2 if layer.affine else 1) if layer.track_running_stats else (5 if layer.affine else 4)
    return Count(0, (("batch_norm", view.in_elements * per),))


def layer_norm(view: LayerView) -> Count:
    """_layer_norm_flops_compute: numel * (5 if affine else 4)."""
    return Count(0, (("layer_norm", view.in_elements * (5 if view.layer.elementwise_affine else 4)),))


def group_norm(view: LayerView) -> Count:
    """_group_norm_flops_compute: numel * (5 if affine else 4)."""
    return Count(0, (("group_norm", view.in_elements * (5 if view.layer.affine else 4)),))


def pool(view: LayerView) -> Count:
    """_pool_flops_compute (avg/max, adaptive avg/max pooling): input numel. global pooling is taken as
    nn.AdaptiveAvg/MaxPool(1)."""
    return Count(0, (("pool", view.in_elements),))


def upsample(view: LayerView) -> Count:
    """_upsample_flops_compute on F.interpolate(input, size, scale_factor, ...): int(size) for an int
    size, prod(size) for a list (spatial only, channels not counted); with a scale factor the input
    numel (the scaled product is computed and discarded)."""
    size = view.layer.size
    if size is not None:
        return Count(0, (("upsample", prod(size) if isinstance(size, list) else int(size)),))
    return Count(0, (("upsample", view.in_elements),))


def softmax(view: LayerView) -> Count:
    """_softmax_flops_compute: input numel."""
    return Count(0, (("softmax", view.in_elements),))


def lp_pool(view: LayerView) -> Count:
    """nn.LPPool -> F.lp_pool{1,2,3}d (PyTorch 2.13 torch/nn/functional.py): avg_pool(x.pow(p))
    (wrapped: input numel), then (sign(out) * relu(abs(out))).mul(k).pow(1 / p): relu (wrapped:
    output numel) and Tensor.mul (wrapped, _mul_flops_compute with a scalar: output numel); `*`, pow,
    sign and abs are not wrapped. (norm_type is a finite float: no max_pool branch.)"""
    return Count(0, (("pool", view.in_elements), ("activation", view.out_elements), ("mul", view.out_elements)))


ACTIVATIONS_WRAPPED = (Family.RELU, Family.LEAKY_RELU, Family.ELU, Family.SILU, Family.GELU, Family.PRELU)
POOLS_WRAPPED = (Family.MAXPOOL, Family.AVGPOOL, Family.ADAPTIVE_AVG, Family.ADAPTIVE_MAX, Family.GLOBAL_AVG,
                 Family.GLOBAL_MAX)

PROFILE = Profile(
    "calflops", "calflops / DeepSpeed flops profiler",
    "MACs and FLOPs = calflops calculate_flops(..., output_as_string=False) macs and flops",
    (Convention("calflops-macs", "MACs: conv/transposed conv/linear only (transposed conv with groups g: "
                "divided by g once more, as calflops does; a conv with padding 'same' and an even kernel: one "
                "output position per axis fewer, as calflops computes it)"),
     Convention("calflops-flops", "FLOPs: 2 x MACs, plus conv bias 1 per output element (linear bias not "
                "counted); ReLU, LeakyReLU, ELU, PReLU, SiLU, GELU 1 per element; batch norm 2 per element "
                "(eval, affine); layer norm and group norm 5; max/avg/adaptive/global pooling 1 per INPUT "
                "element; LP pooling 1 per input element + 2 per output element; softmax 1 per element; "
                "upsampling: the input numel (scale factor) or the size itself"),
     Convention("calflops-uncounted", "not counted: sigmoid, tanh, hardswish, ReLU6, log-softmax, element-wise "
                "merges (a + b, a * b, a - b, a / b, torch.maximum), concat")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear, **every(ACTIVATIONS_WRAPPED, activation),
     Family.BATCHNORM: batch_norm, Family.LAYERNORM: layer_norm, Family.GROUPNORM: group_norm,
     **every(POOLS_WRAPPED, pool),
     Family.UPSAMPLE: upsample, Family.SOFTMAX: softmax, Family.LPPOOL: lp_pool},
    # Calls calflops does not wrap (see above); Dropout runs F.dropout, which is the identity in eval.
    frozenset((Family.RELU6, Family.SIGMOID, Family.TANH, Family.HARDSWISH, Family.HARDSIGMOID,
               Family.LOG_SOFTMAX, *MOVES, *MERGES)),
    NO_TORCH)
