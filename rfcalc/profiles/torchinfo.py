"""torchinfo's summary() 'Mult-Adds'.

TylerYep/torchinfo 1.8.0 torchinfo/layer_info.py LayerInfo.calculate_macs: for every parameter named
"weight" or "bias" of a module, if "Conv" is in the class name: param count * batch * output spatial
positions, else batch * param count; ModelStatistics sums leaf modules. So a conv counts its bias once
per output element, a linear layer its bias once, batch norm / layer norm / group norm / PReLU their
parameter count, and a transposed conv its weights once per OUTPUT position (about stride^d too many).
"""
from __future__ import annotations

from math import prod

from ..layers.base import Family
from .base import (ACTIVATIONS, CONVOLUTIONS, MERGES, MOVES, NO_TORCH, POOLS, Convention, Count, LayerView,
                   Profile, every, mac_count)
from .rendition import torch_convs


def conv(view: LayerView) -> Count:
    """calculate_macs: weight and bias counts x output positions, per nn.ConvNd / nn.ConvTransposeNd module
    of the rendition (a separable conv is two), so the bias adds 1 per output element."""
    calls = torch_convs(view)
    return mac_count(conv=sum(prod(call.weight_shape) * call.out_positions for call in calls),
                     bias=sum(call.out_elements for call in calls if call.bias))


def linear(view: LayerView) -> Count:
    """calculate_macs: the weight count (in x out) plus the bias count (out) once."""
    return mac_count(linear=view.result.macs, bias=view.result.output_shape[0] if view.has_bias else 0)


def batch_norm(view: LayerView) -> Count:
    """calculate_macs: the parameter count, weight and bias per channel when affine."""
    return mac_count(norm_params=2 * view.in_shape[0] if view.layer.affine else 0)


def layer_norm(view: LayerView) -> Count:
    """calculate_macs: the parameter count, weight and bias over normalized_shape when affine."""
    normalized = prod(view.layer.normalized_shape or view.in_shape)
    return mac_count(norm_params=2 * normalized if view.layer.elementwise_affine else 0)


def group_norm(view: LayerView) -> Count:
    """calculate_macs: the parameter count, weight and bias per channel when affine."""
    return mac_count(norm_params=2 * view.in_shape[0] if view.layer.affine else 0)


def prelu(view: LayerView) -> Count:
    """calculate_macs: the parameter count."""
    return mac_count(prelu_params=view.layer.num_parameters)


PROFILE = Profile(
    "torchinfo", "torchinfo summary() 'Mult-Adds'",
    "MACs = torchinfo summary(...).total_mult_adds",
    (Convention("torchinfo-counted", "counted: conv weights and bias x output positions (so conv MACs + 1 per "
                "output element for the bias); transposed conv weights x OUTPUT positions (over by about "
                "stride^d); linear in x out + out (bias); batch norm, layer norm, group norm and PReLU: their "
                "parameter count"),
     Convention("torchinfo-uncounted", "not counted: layers without weight/bias parameters"),
     Convention("torchinfo-flops", "FLOPs = 2 x torchinfo's count")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear, Family.BATCHNORM: batch_norm,
     Family.LAYERNORM: layer_norm, Family.GROUPNORM: group_norm, Family.PRELU: prelu},
    # Modules without a parameter named weight or bias (nn.Upsample, pooling, parameter-free
    # activations, softmax, ...) and what is not a module at all (`a + b`, torch.cat, torch.flatten).
    frozenset((Family.UPSAMPLE, Family.SOFTMAX, Family.LOG_SOFTMAX, *ACTIVATIONS, *POOLS, *MOVES, *MERGES)),
    NO_TORCH)
