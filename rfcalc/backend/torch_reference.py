"""The same layers computed by torch.nn.functional, from the backend's own weights: the reference that
tests and benchmarks compare the numpy kernels with. Needs PyTorch; nothing else imports this module."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..spec import INPUT
from .engine import Network, Weights
from .registry import Kernel


def torch_params(kernel: Kernel, p: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The kernel's arrays in PyTorch's layouts."""
    kind = kernel.layer.type
    t = {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in p.items()}
    if kind.startswith(("conv", "depthwise_conv")) and not kind.startswith("conv_transpose"):
        w = p["weight"]  # (groups, *k, cin_g, cout_g) -> (cout, cin_g, *k)
        nd = w.ndim - 3
        w = np.moveaxis(w, (-1, -2), (1, 2)).reshape(-1, w.shape[-2], *w.shape[1:1 + nd])
        t["weight"] = torch.from_numpy(np.ascontiguousarray(w))
    elif kind.startswith("conv_transpose"):
        w = p["weight"]  # (groups, *k, cout_g, cin_g) -> (cin, cout_g, *k)
        nd = w.ndim - 3
        w = np.moveaxis(w, (-1, -2), (1, 2)).reshape(-1, w.shape[-2], *w.shape[1:1 + nd])
        t["weight"] = torch.from_numpy(np.ascontiguousarray(w))
    elif kind.startswith("separable_conv"):
        dw = p["depthwise_weight"]  # (C, *k, 1, m) -> (C*m, 1, *k)
        nd = dw.ndim - 3
        t["depthwise_weight"] = torch.from_numpy(np.ascontiguousarray(
            np.moveaxis(dw, (-1, -2), (1, 2)).reshape(-1, 1, *dw.shape[1:1 + nd])))
        pw = p["pointwise_weight"]  # (1, 1.., mid, cout) -> (cout, mid, 1..)
        t["pointwise_weight"] = torch.from_numpy(np.ascontiguousarray(
            pw.reshape(pw.shape[-2], pw.shape[-1]).T.reshape(pw.shape[-1], pw.shape[-2], *(1,) * nd)))
    elif kind.startswith("spatially_separable"):
        for name, w in p.items():
            if name.startswith("weight"):
                nd = w.ndim - 3
                t[name] = torch.from_numpy(np.ascontiguousarray(
                    np.moveaxis(w, (-1, -2), (1, 2)).reshape(w.shape[-1], w.shape[-2], *w.shape[1:1 + nd])))
    elif kind in ("linear", "dense"):
        t["weight"] = torch.from_numpy(np.ascontiguousarray(p["weight"].T))
    return t


def _conv_fn(nd: int, transposed: bool = False):
    return getattr(F, f"conv_transpose{nd}d" if transposed else f"conv{nd}d")


def _explicit_pad(x: torch.Tensor, pads, value: float = 0.0) -> torch.Tensor:
    """F.pad with per-axis (before, after) pairs given first axis first."""
    flat = [v for before, after in reversed(pads) for v in (before, after)]
    return F.pad(x, flat, value=value) if any(flat) else x


def _symmetric(pads) -> bool:
    return all(b == a for b, a in pads)


def run_layer(kernel: Kernel, t: dict[str, torch.Tensor], xs: list[torch.Tensor]) -> torch.Tensor:
    """One layer with torch.nn.functional, given its torch_params; xs and the result are channels first
    with a batch axis."""
    layer, kind = kernel.layer, kernel.layer.type
    x = xs[0]
    nd = x.dim() - 2
    if kind.startswith(("conv", "depthwise_conv")) and not kind.startswith("conv_transpose"):
        g = kernel.grid
        if layer.padding == "same" and all(s == 1 for s in g.strides):
            padding, x_in = "same", x
        elif _symmetric(kernel.pads):
            padding, x_in = tuple(b for b, _ in kernel.pads), x
        else:
            padding, x_in = 0, _explicit_pad(x, kernel.pads)
        return _conv_fn(nd)(x_in, t["weight"], t.get("bias"), stride=g.strides, padding=padding,
                            dilation=g.dilations, groups=kernel.groups)
    if kind.startswith("conv_transpose"):
        pads = layer.padding
        padding = pads if isinstance(pads, int) else tuple(v if isinstance(v, int) else v[0] for v in pads)
        return _conv_fn(nd, True)(x, t["weight"], t.get("bias"), stride=kernel.grid.strides, padding=padding,
                                  output_padding=layer.output_padding, groups=kernel.groups,
                                  dilation=kernel.grid.dilations)
    if kind.startswith("separable_conv"):
        mid = _conv_fn(nd)(_explicit_pad(x, kernel.pads), t["depthwise_weight"], None, stride=kernel.grid.strides,
                           dilation=kernel.grid.dilations, groups=kernel.c_in)
        return _conv_fn(nd)(mid, t["pointwise_weight"], t.get("bias"))
    if kind.startswith("spatially_separable"):
        for index, (grid, pads, _) in enumerate(kernel.stages):
            bias = t.get("bias") if index == len(kernel.stages) - 1 else None
            x = _conv_fn(nd)(_explicit_pad(x, pads), t[f"weight{index}"], bias, stride=grid.strides,
                             dilation=grid.dilations)
        return x
    if kind.startswith(("maxpool", "avgpool", "lppool")):
        g = kernel.grid
        pads = tuple(a.before for a in kernel.axes)  # torch pools pad symmetrically
        if kind.startswith("maxpool"):
            return getattr(F, f"max_pool{nd}d")(x, g.kernels, g.strides, pads, g.dilations,
                                                ceil_mode=layer.ceil_mode)
        if kind.startswith("avgpool"):
            return getattr(F, f"avg_pool{nd}d")(x, g.kernels, g.strides, pads, ceil_mode=layer.ceil_mode,
                                                count_include_pad=layer.count_include_pad)
        k, s = (g.kernels[0], g.strides[0]) if nd == 1 else (g.kernels, g.strides)  # lp_pool1d wants ints
        return getattr(F, f"lp_pool{nd}d")(x, layer.norm_type, k, s, ceil_mode=layer.ceil_mode)
    if kind.startswith("adaptive"):
        fn = getattr(F, f"adaptive_{'max' if 'max' in kind else 'avg'}_pool{nd}d")
        return fn(x, kernel.outs)
    if kind == "global_avgpool":
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=layer.keepdims)
    if kind == "global_maxpool":
        return x.amax(dim=tuple(range(2, x.dim())), keepdim=layer.keepdims)
    if kind.startswith("batchnorm"):
        mean = t.get("running_mean")
        return F.batch_norm(x, mean, t.get("running_var"), t.get("weight"), t.get("bias"),
                            training=mean is None, eps=layer.eps)
    if kind == "layernorm":
        return F.layer_norm(x, kernel.norm, t.get("weight"), t.get("bias"), eps=layer.eps)
    if kind.startswith("dropout") or kind == "identity":
        return x
    simple = {"relu": F.relu, "relu6": F.relu6, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "silu": F.silu,
              "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid}
    if kind in simple:
        return simple[kind](x)
    if kind == "leaky_relu":
        return F.leaky_relu(x, layer.negative_slope)
    if kind == "elu":
        return F.elu(x, layer.alpha)
    if kind == "prelu":
        return F.prelu(x, t["weight"])
    if kind == "gelu":
        return F.gelu(x, approximate=layer.approximate)
    if kind in ("softmax", "log_softmax"):
        dim = layer.dim % (x.dim() - 1) + 1
        return (F.softmax if kind == "softmax" else F.log_softmax)(x, dim=dim)
    if kind == "flatten":
        return x.flatten(1)
    if kind in ("linear", "dense"):
        return F.linear(x, t["weight"], t.get("bias"))
    if kind in ("pad", "zero_pad", "constant_pad"):
        return _explicit_pad(x, kernel.pads, layer.value)
    if kind.startswith("upsample"):
        mode = layer.mode
        if mode != "nearest":
            mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
        if layer.size is not None:
            return F.interpolate(x, size=kernel.outs, mode=mode, align_corners=layer.align_corners)
        factor = layer.scale_factor if isinstance(layer.scale_factor, list) else [layer.scale_factor] * nd
        return F.interpolate(x, scale_factor=[float(f) for f in factor], mode=mode,
                             align_corners=layer.align_corners)
    if kind == "add":
        return sum(xs[1:], xs[0])
    if kind == "multiply":
        out = xs[0]
        for other in xs[1:]:
            out = out * other
        return out
    if kind == "concat":
        return torch.cat(xs, dim=1)
    raise NotImplementedError(f"no torch reference for layer type '{kind}'")


# Layer types with no torch.nn.functional counterpart: tests check them against loops instead.
NO_TORCH_REFERENCE = ("locally_connected", "tiled_conv")


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


__all__ = ["NO_TORCH_REFERENCE", "TorchModel", "channels_first", "run_layer", "run_network", "to_torch",
           "torch_params"]
