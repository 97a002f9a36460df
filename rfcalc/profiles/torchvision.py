"""torchvision's model tables / torch.utils.flop_counter.

pytorch/vision pull request #6936 (the script in its description computes the "GFLOPS" of the model
tables): torch.utils.flop_counter.FlopCounterMode's total / 2. Its registry (PyTorch 2.13
torch/utils/flop_counter.py) counts aten.convolution (conv_flop_count, 2 per MAC, bias excluded, per
input position when transposed) and aten.mm / addmm / bmm (2 * m * n * k, the bias operand of addmm
excluded); nothing else. Checked against FlopCounterMode itself in tests/test_profile_tools.py.
"""
from __future__ import annotations

from ..layers.base import Family
from .base import (ACTIVATIONS, CONVOLUTIONS, MERGES, MOVES, NO_TORCH, POOLS, Convention, Count, LayerView,
                   Profile, every, mac_count)
from .rendition import torch_convs


def conv(view: LayerView) -> Count:
    """aten.convolution: conv_flop_count per call of the rendition, bias excluded."""
    return mac_count(conv=sum(call.macs for call in torch_convs(view)))


def linear(view: LayerView) -> Count:
    """aten.mm / addmm: in x out, the bias operand excluded."""
    return mac_count(linear=view.result.macs)


# Only convolution and matrix products are in FlopCounterMode's registry.
MATMULS_ONLY = frozenset((Family.BATCHNORM, Family.LAYERNORM, Family.GROUPNORM, Family.UPSAMPLE, Family.PRELU,
                          Family.SOFTMAX, Family.LOG_SOFTMAX, *ACTIVATIONS, *POOLS, *MOVES, *MERGES))

PROFILE = Profile(
    "torchvision", "torchvision model tables / torch.utils.flop_counter",
    "MACs = torchvision's 'GFLOPS' column x 1e9; FLOPs = torch.utils.flop_counter",
    (Convention("torchvision-counted", "counted: convolution and transposed convolution MACs (transposed: per "
                "input position), linear MACs; bias excluded; nothing else (batch norm, activations, pooling, "
                "merges: 0)"),
     Convention("torchvision-flops", "FLOPs = 2 x MACs")),
    {**every(CONVOLUTIONS, conv), Family.LINEAR: linear},
    MATMULS_ONLY, NO_TORCH)
