"""ptflops' aten backend.

sovrasov/flops-counter.pytorch, ptflops 0.7.5, ptflops/aten_ops.py: the "aten" backend
(get_model_complexity_info(..., backend='aten'); ptflops 0.7.5's default is backend='pytorch', whose
module hooks this profile does not reproduce). ATEN_OPS_MAPPING counts aten.convolution and
aten.mm/matmul/addmm/bmm only.
"""
from __future__ import annotations

from ..layers.base import Family
from .base import CONVOLUTIONS, NO_TORCH, Convention, Count, LayerView, Profile, every, mac_count
from .rendition import torch_convs
from .torchvision import MATMULS_ONLY


def conv(view: LayerView) -> Count:
    """conv_flop(...) -> conv_flop_count(..., bias=b is not None): batch * prod(w_shape) *
    prod(conv_shape) (input spatial when transposed) + batch * out_channels * prod(out spatial) for
    the bias, per conv call of the layer."""
    calls = torch_convs(view)
    return mac_count(conv=sum(call.macs for call in calls),
                     bias=sum(call.out_elements for call in calls if call.bias))


def linear(view: LayerView) -> Count:
    """addmm_flop: batch * input_dim * output_dim, "+ batch * output_dim" when the bias operand is
    not None (nn.Linear on a flat input with a bias runs as aten.addmm; without as aten.mm)."""
    return mac_count(linear=view.result.macs, bias=view.result.output_shape[0] if view.has_bias else 0)


PROFILE = Profile(
    "ptflops", "ptflops (aten backend)",
    "MACs = ptflops get_model_complexity_info(..., as_strings=False, backend='aten')[0] "
    "(ptflops 0.7.5's default backend is 'pytorch', which counts differently)",
    (Convention("ptflops-counted", "counted: conv/transposed conv MACs plus 1 per output element for a bias; "
                "linear MACs plus 1 per output for a bias; nothing else"),
     Convention("ptflops-flops", "FLOPs = 2 x ptflops' MACs")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear},
    MATMULS_ONLY,  # ATEN_OPS_MAPPING: convolution and matrix products only, as torch's
    NO_TORCH)
