"""The PyTorch rendition of convolution layers: the tools count PyTorch calls, so a profile has to
know which calls a spec's convolution becomes. One rendition is assumed, the one a spec says literally:

- conv / depthwise conv: one nn.ConvNd (groups = channels for depthwise). `padding: same` at
  stride 1 and `padding: valid` are passed as nn.ConvNd's string padding (PyTorch then runs
  aten::_convolution_mode); symmetric padding as ints; asymmetric padding (explicit pairs, or
  TensorFlow's 'same' at a stride, which PyTorch's string padding does not accept) as an F.pad
  before a conv with padding 0;
- separable conv: a depthwise nn.ConvNd (the layer's window and padding, no bias), then a 1x1
  nn.ConvNd (the bias);
- spatially separable conv: one nn.ConvNd per axis, kernel k along that axis and 1 elsewhere,
  padding by the rule above, the bias on the last;
- transposed conv: one nn.ConvTransposeNd (padding = the pixels cropped before each axis).

The windows are the ones the analyzer built for the layer (LayerResult.windows).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..layers import conv
from ..layers.base import Window
from .base import LayerView, Shape


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


def torch_convs(view: LayerView) -> tuple[ConvCall, ...]:
    """The convolution calls of a conv-family layer's PyTorch rendition."""
    layer = view.layer
    if isinstance(layer, conv.ConvTranspose):
        return (_transposed_call(view),)
    if isinstance(layer, conv.SeparableConv):
        return _separable_calls(view)
    if isinstance(layer, conv.SpatiallySeparableConv):
        return _spatially_separable_calls(view)
    windows, shape, out = view.result.windows, view.in_shape, view.result.output_shape
    groups = shape[0] if isinstance(layer, conv.DepthwiseConv) else layer.groups
    padding, padded = _rendition_padding(layer.padding, windows, shape[1:])
    return (ConvCall((shape[0], *padded), out, (out[0], shape[0] // groups, *_kernels(windows)), groups,
                     _strides(windows), padding, _dilations(windows), view.has_bias),)


def _kernels(windows) -> tuple[int, ...]:
    return tuple(w.kernel for w in windows)


def _strides(windows) -> tuple[int, ...]:
    return tuple(w.stride for w in windows)


def _dilations(windows) -> tuple[int, ...]:
    return tuple(w.dilation for w in windows)


def _transposed_call(view: LayerView) -> ConvCall:
    windows, shape, out, groups = view.result.windows, view.in_shape, view.result.output_shape, view.layer.groups
    return ConvCall(shape, out, (shape[0], out[0] // groups, *_kernels(windows)), groups, _strides(windows),
                    tuple(w.pad_before for w in windows), _dilations(windows), view.has_bias, transposed=True)


def _separable_calls(view: LayerView) -> tuple[ConvCall, ...]:
    windows, shape, out = view.result.windows, view.in_shape, view.result.output_shape
    c_in, ones = shape[0], (1,) * view.spatial_axes
    mid = c_in * view.layer.depth_multiplier
    padding, padded = _rendition_padding(view.layer.padding, windows, shape[1:])
    return (ConvCall((c_in, *padded), (mid, *out[1:]), (mid, 1, *_kernels(windows)), c_in, _strides(windows),
                     padding, _dilations(windows), False),
            ConvCall((mid, *out[1:]), out, (out[0], mid, *ones), 1, ones, (0,) * len(ones), ones, view.has_bias))


def _spatially_separable_calls(view: LayerView) -> tuple[ConvCall, ...]:
    windows, out, nd = view.result.windows, view.result.output_shape, view.spatial_axes
    calls, current, channels = [], tuple(view.in_shape[1:]), view.in_shape[0]
    for axis, w in enumerate(windows):
        axis_windows = tuple(w if a == axis else Window(1) for a in range(nd))
        padding, padded = _rendition_padding(view.layer.padding, axis_windows, current)
        after = tuple(out[1 + a] if a == axis else n for a, n in enumerate(current))
        calls.append(ConvCall((channels, *padded), (out[0], *after), (out[0], channels, *_kernels(axis_windows)),
                              1, _strides(axis_windows), padding, _dilations(axis_windows),
                              view.has_bias and axis == nd - 1))
        current, channels = after, out[0]
    return tuple(calls)
