"""The same layers computed by torch.nn.functional, from the backend's own weights: the reference that
tests and benchmarks compare the numpy kernels with. Needs PyTorch; nothing else imports this module.

Two registries keyed by layer model class, filed with decorators: `REFERENCES` (`@reference`) holds
one function per layer model computing it with torch, `LAYOUTS` (`@layout`) the conversions of a
kernel's arrays into PyTorch's layouts (arrays without one are used as they are). Models without a
torch.nn.functional counterpart are listed in NO_TORCH_REFERENCE and tested against loops instead.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..layers import (AdaptiveAvgPool, AdaptiveMaxPool, Add, AvgPool, BatchNorm, Concat, Conv, ConvTranspose,
                      DepthwiseConv, Divide, Dropout, ELU, Flatten, GELU, GlobalAvgPool, GlobalMaxPool, GroupNorm,
                      Hardsigmoid, Hardswish, Identity, LayerModel, LayerNorm, LeakyReLU, Linear, LocallyConnected,
                      LogSoftmax, LPPool, Maximum, MaxPool, Multiply, Pad, PReLU, ReLU, ReLU6, SeparableConv, Sigmoid,
                      SiLU, Softmax, SpatiallySeparableConv, Subtract, Tanh, TiledConv, Upsample)
from ..spec import INPUT
from .engine import Network, Weights
from .registry import Kernel, Params

Tensors = dict[str, torch.Tensor]
Reference = Callable[[Kernel, Tensors, list[torch.Tensor]], torch.Tensor]
Layout = Callable[[Params], Params]

REFERENCES: dict[type[LayerModel], Reference] = {}
LAYOUTS: dict[type[LayerModel], Layout] = {}

# Layer models with no torch.nn.functional counterpart: tests check them against loops instead.
NO_TORCH_REFERENCE: tuple[type[LayerModel], ...] = (LocallyConnected, TiledConv)


def _filed_in(table: dict, models: tuple[type[LayerModel], ...]):
    """Decorator filing a function in `table` under each layer model class, once."""
    def decorate(fn):
        for model in models:
            if model in table:
                raise RuntimeError(f"two entries for {model.__name__}: {table[model].__name__} and {fn.__name__}")
            table[model] = fn
        return fn
    return decorate


def reference(*models: type[LayerModel]):
    """Decorator: fn(kernel, torch params, inputs) computes these layer models with torch (channels first)."""
    return _filed_in(REFERENCES, models)


def layout(*models: type[LayerModel]):
    """Decorator: fn(arrays) gives these layer models' arrays in PyTorch's layouts."""
    return _filed_in(LAYOUTS, models)


def torch_params(kernel: Kernel, p: Params) -> Tensors:
    """The kernel's arrays in PyTorch's layouts."""
    convert = LAYOUTS.get(type(kernel.layer))
    arrays = convert(p) if convert else p
    return {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()}


def run_layer(kernel: Kernel, t: Tensors, xs: list[torch.Tensor]) -> torch.Tensor:
    """One layer with torch.nn.functional, given its torch_params; xs and the result are channels first
    with a batch axis."""
    model = type(kernel.layer)
    if model not in REFERENCES:
        raise NotImplementedError(f"no torch reference for {model.__name__} (layer type '{kernel.layer.type}')")
    return REFERENCES[model](kernel, t, xs)


# -- layouts ---------------------------------------------------------------------------------------------

def _filter_bank(w: np.ndarray) -> np.ndarray:
    """(groups, *k, a/g, b/g) -> (groups * b/g, a/g, *k): a convolution's (c_out, c_in/g, *k), a transposed
    one's (c_in, c_out/g, *k) from its (groups, *k, c_out/g, c_in/g)."""
    nd = w.ndim - 3
    return np.moveaxis(w, (-1, -2), (1, 2)).reshape(-1, w.shape[-2], *w.shape[1:1 + nd])


@layout(Conv, DepthwiseConv, ConvTranspose, SeparableConv, SpatiallySeparableConv)
def _conv_layout(p: Params) -> Params:
    """Every filter bank of the layer (all arrays but the bias) in torch's layout."""
    return {name: a if name == "bias" else _filter_bank(a) for name, a in p.items()}


@layout(Linear)
def _linear_layout(p: Params) -> Params:
    """torch's weight is (out, in)."""
    return {**p, "weight": p["weight"].T}


# -- references ------------------------------------------------------------------------------------------

def _conv_fn(nd: int, transposed: bool = False):
    return getattr(F, f"conv_transpose{nd}d" if transposed else f"conv{nd}d")


def _nd(x: torch.Tensor) -> int:
    """Spatial axes of a channels-first tensor with a batch axis."""
    return x.dim() - 2


def _explicit_pad(x: torch.Tensor, pads, value: float = 0.0) -> torch.Tensor:
    """F.pad with per-axis (before, after) pairs given first axis first."""
    flat = [v for before, after in reversed(pads) for v in (before, after)]
    return F.pad(x, flat, value=value) if any(flat) else x


def _symmetric(pads) -> bool:
    return all(b == a for b, a in pads)


@reference(Conv, DepthwiseConv)
def _conv(kernel, t, xs):
    x, g = xs[0], kernel.grid
    if kernel.layer.padding == "same" and all(s == 1 for s in g.strides):
        padding, x_in = "same", x
    elif _symmetric(kernel.pads):
        padding, x_in = tuple(b for b, _ in kernel.pads), x
    else:
        padding, x_in = 0, _explicit_pad(x, kernel.pads)
    return _conv_fn(_nd(x))(x_in, t["weight"], t.get("bias"), stride=g.strides, padding=padding,
                            dilation=g.dilations, groups=kernel.groups)


@reference(ConvTranspose)
def _conv_transpose(kernel, t, xs):
    layer, x = kernel.layer, xs[0]
    pads = layer.padding
    padding = pads if isinstance(pads, int) else tuple(v if isinstance(v, int) else v[0] for v in pads)
    return _conv_fn(_nd(x), True)(x, t["weight"], t.get("bias"), stride=kernel.grid.strides, padding=padding,
                                  output_padding=layer.output_padding, groups=kernel.groups,
                                  dilation=kernel.grid.dilations)


@reference(SeparableConv)
def _separable_conv(kernel, t, xs):
    x = xs[0]
    conv = _conv_fn(_nd(x))
    mid = conv(_explicit_pad(x, kernel.pads), t["depthwise_weight"], None, stride=kernel.grid.strides,
               dilation=kernel.grid.dilations, groups=kernel.c_in)
    return conv(mid, t["pointwise_weight"], t.get("bias"))


@reference(SpatiallySeparableConv)
def _spatially_separable_conv(kernel, t, xs):
    x = xs[0]
    conv = _conv_fn(_nd(x))
    for index, (grid, pads, _) in enumerate(kernel.stages):
        bias = t.get("bias") if index == len(kernel.stages) - 1 else None
        x = conv(_explicit_pad(x, pads), t[f"weight{index}"], bias, stride=grid.strides, dilation=grid.dilations)
    return x


def _pool_padding(kernel) -> tuple[int, ...]:
    """Per-axis padding of a window pool (torch pools pad symmetrically)."""
    return tuple(a.before for a in kernel.axes)


@reference(MaxPool)
def _maxpool(kernel, t, xs):
    g, x = kernel.grid, xs[0]
    return getattr(F, f"max_pool{_nd(x)}d")(x, g.kernels, g.strides, _pool_padding(kernel), g.dilations,
                                            ceil_mode=kernel.layer.ceil_mode)


@reference(AvgPool)
def _avgpool(kernel, t, xs):
    g, x, layer = kernel.grid, xs[0], kernel.layer
    return getattr(F, f"avg_pool{_nd(x)}d")(x, g.kernels, g.strides, _pool_padding(kernel), ceil_mode=layer.ceil_mode,
                                            count_include_pad=layer.count_include_pad)


@reference(LPPool)
def _lppool(kernel, t, xs):
    g, x, layer = kernel.grid, xs[0], kernel.layer
    nd = _nd(x)
    k, s = (g.kernels[0], g.strides[0]) if nd == 1 else (g.kernels, g.strides)  # lp_pool1d wants ints
    return getattr(F, f"lp_pool{nd}d")(x, layer.norm_type, k, s, ceil_mode=layer.ceil_mode)


@reference(AdaptiveAvgPool)
def _adaptive_avgpool(kernel, t, xs):
    return getattr(F, f"adaptive_avg_pool{_nd(xs[0])}d")(xs[0], kernel.outs)


@reference(AdaptiveMaxPool)
def _adaptive_maxpool(kernel, t, xs):
    return getattr(F, f"adaptive_max_pool{_nd(xs[0])}d")(xs[0], kernel.outs)


def _spatial_dims(x: torch.Tensor) -> tuple[int, ...]:
    return tuple(range(2, x.dim()))


@reference(GlobalAvgPool)
def _global_avgpool(kernel, t, xs):
    return xs[0].mean(dim=_spatial_dims(xs[0]), keepdim=kernel.layer.keepdims)


@reference(GlobalMaxPool)
def _global_maxpool(kernel, t, xs):
    return xs[0].amax(dim=_spatial_dims(xs[0]), keepdim=kernel.layer.keepdims)


@reference(BatchNorm)
def _batchnorm(kernel, t, xs):
    mean = t.get("running_mean")
    return F.batch_norm(xs[0], mean, t.get("running_var"), t.get("weight"), t.get("bias"),
                        training=mean is None, eps=kernel.layer.eps)


@reference(LayerNorm)
def _layernorm(kernel, t, xs):
    return F.layer_norm(xs[0], kernel.norm, t.get("weight"), t.get("bias"), eps=kernel.layer.eps)


@reference(GroupNorm)
def _groupnorm(kernel, t, xs):
    return F.group_norm(xs[0], kernel.layer.num_groups, t.get("weight"), t.get("bias"), eps=kernel.layer.eps)


@reference(Dropout, Identity)
def _identity(kernel, t, xs):
    return xs[0]


def _unary(fn: Callable[[torch.Tensor], torch.Tensor]) -> Reference:
    """A reference applying fn to the layer's input."""
    return lambda kernel, t, xs: fn(xs[0])


for _model, _fn in ((ReLU, F.relu), (ReLU6, F.relu6), (Sigmoid, torch.sigmoid), (Tanh, torch.tanh), (SiLU, F.silu),
                    (Hardswish, F.hardswish), (Hardsigmoid, F.hardsigmoid), (Flatten, lambda x: x.flatten(1))):
    reference(_model)(_unary(_fn))


@reference(LeakyReLU)
def _leaky_relu(kernel, t, xs):
    return F.leaky_relu(xs[0], kernel.layer.negative_slope)


@reference(ELU)
def _elu(kernel, t, xs):
    return F.elu(xs[0], kernel.layer.alpha)


@reference(PReLU)
def _prelu(kernel, t, xs):
    return F.prelu(xs[0], t["weight"])


@reference(GELU)
def _gelu(kernel, t, xs):
    return F.gelu(xs[0], approximate=kernel.layer.approximate)


def _softmax_dim(kernel, x: torch.Tensor) -> int:
    """The layer's dim (channels first, batch excluded) as a dim of x."""
    return kernel.layer.dim % (x.dim() - 1) + 1


@reference(Softmax)
def _softmax(kernel, t, xs):
    return F.softmax(xs[0], dim=_softmax_dim(kernel, xs[0]))


@reference(LogSoftmax)
def _log_softmax(kernel, t, xs):
    return F.log_softmax(xs[0], dim=_softmax_dim(kernel, xs[0]))


@reference(Linear)
def _linear(kernel, t, xs):
    return F.linear(xs[0], t["weight"], t.get("bias"))


@reference(Pad)
def _pad(kernel, t, xs):
    return _explicit_pad(xs[0], kernel.pads, kernel.layer.value)


@reference(Upsample)
def _upsample(kernel, t, xs):
    layer, x = kernel.layer, xs[0]
    nd = _nd(x)
    mode = layer.mode if layer.mode == "nearest" else {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
    if layer.size is not None:
        return F.interpolate(x, size=kernel.outs, mode=mode, align_corners=layer.align_corners)
    factor = layer.scale_factor if isinstance(layer.scale_factor, list) else [layer.scale_factor] * nd
    return F.interpolate(x, scale_factor=[float(f) for f in factor], mode=mode, align_corners=layer.align_corners)


@reference(Add)
def _add(kernel, t, xs):
    return sum(xs[1:], xs[0])


@reference(Multiply)
def _multiply(kernel, t, xs):
    out = xs[0]
    for other in xs[1:]:
        out = out * other
    return out


@reference(Subtract)
def _subtract(kernel, t, xs):
    return xs[0] - xs[1]


@reference(Divide)
def _divide(kernel, t, xs):
    return xs[0] / xs[1]


@reference(Maximum)
def _maximum(kernel, t, xs):
    out = xs[0]
    for other in xs[1:]:
        out = torch.maximum(out, other)
    return out


@reference(Concat)
def _concat(kernel, t, xs):
    return torch.cat(xs, dim=1)


def to_torch(x: np.ndarray) -> torch.Tensor:
    """A channels-last numpy array (batch first) as a channels-first tensor."""
    if x.ndim > 2:
        x = np.moveaxis(x, -1, 1)
    return torch.from_numpy(np.ascontiguousarray(x))


def run_network(network: Network, weights: Weights, x: np.ndarray) -> dict[str, torch.Tensor]:
    """Every node's output computed with torch (channels first), from the same weights and input."""
    model = TorchModel(network, weights)
    return model.all_outputs(to_torch(x))


class TorchModel(torch.nn.Module):
    """A spec as a torch module holding the backend's weights in torch layouts (converted once)."""

    def __init__(self, network: Network, weights: Weights):
        super().__init__()
        self.network = network
        self.converted = [torch_params(kernel, weights.prepared[node.name])
                          for node, kernel in zip(network.spec.nodes, network.kernels)]

    def all_outputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every node's output, by name (the input under INPUT)."""
        tensors = {INPUT: x}
        for node, kernel, t in zip(self.network.spec.nodes, self.network.kernels, self.converted):
            tensors[node.name] = run_layer(kernel, t, [tensors[n] for n in node.inputs])
        return tensors

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = {INPUT: x}
        last_use = self.network.last_use
        out = x
        for node, kernel, t in zip(self.network.spec.nodes, self.network.kernels, self.converted):
            out = tensors[node.name] = run_layer(kernel, t, [tensors[n] for n in node.inputs])
            for name in set(node.inputs):
                if last_use.get(name) == node.index:
                    del tensors[name]
        return out


def channels_first(y: np.ndarray) -> np.ndarray:
    """A channels-last backend array as channels first."""
    return np.moveaxis(y, -1, 1) if y.ndim > 2 else y


__all__ = ["LAYOUTS", "NO_TORCH_REFERENCE", "REFERENCES", "TorchModel", "channels_first", "layout", "reference",
           "run_layer", "run_network", "to_torch", "torch_params"]
