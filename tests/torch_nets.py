"""PyTorch modules written by hand to match specs of this repository, layer for layer, for the
tests that run other tools (thop, ptflops, fvcore, torchinfo, calflops, torch.utils.flop_counter)
on them (tests/test_profile_tools.py). Needs PyTorch; only that test module imports this one.

ResNet-18 and MobileNetV2 follow torchvision's source (torchvision/models/resnet.py and
mobilenetv2.py) module for module, without importing torchvision; the small networks pair a spec
with its nn.Sequential. The tests check each pair has the same parameter count and output shape.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from conftest import SQUEEZE_EXCITE_LAYERS


# --- ResNet-18 (torchvision.models.resnet18) -------------------------------------------------------

class BasicBlock(nn.Module):
    """torchvision's BasicBlock: conv3x3 (stride) - BN - ReLU - conv3x3 - BN, `out += identity`, ReLU;
    one nn.ReLU module used twice."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    """torchvision.models.resnet18(): stem, four stages of two BasicBlocks, AdaptiveAvgPool2d, fc."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = 64
        stages = []
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                           nn.BatchNorm2d(planes))
            stages.append(nn.Sequential(BasicBlock(inplanes, planes, stride, downsample),
                                        BasicBlock(planes, planes)))
            inplanes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# --- MobileNetV2 (torchvision.models.mobilenet_v2) -------------------------------------------------

def _conv_bn_relu6(inp: int, oup: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """torchvision's Conv2dNormActivation (an nn.Sequential): conv (no bias) - BN - ReLU6."""
    return nn.Sequential(nn.Conv2d(inp, oup, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """torchvision's InvertedResidual: [1x1 expand] - 3x3 depthwise - 1x1 project - BN; `x + conv(x)`
    when the stride is 1 and the channels match."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers = [] if expand_ratio == 1 else [_conv_bn_relu6(inp, hidden)]
        layers += [_conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision.models.mobilenet_v2() (width 1.0). torchvision pools with F.adaptive_avg_pool2d in
    forward(); `functional_pool=False` pools with an nn.AdaptiveAvgPool2d module instead, which is
    what the spec's `adaptive_avg_pool2d` layer says and what module-hook tools (thop) can see."""

    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))  # (t, c, n, s), the paper's Table 2

    def __init__(self, num_classes: int = 1000, functional_pool: bool = False):
        super().__init__()
        features = [_conv_bn_relu6(3, 32, 3, 2)]
        inp = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                features.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        features.append(_conv_bn_relu6(inp, 1280))
        self.features = nn.Sequential(*features)
        self.functional_pool = functional_pool
        if not functional_pool:
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1)) if self.functional_pool else self.pool(x)
        return self.classifier(torch.flatten(x, 1))


# --- M5 raw-waveform network (specs/audio1d.yaml) -------------------------------------------------

def m5_audio() -> nn.Sequential:
    """specs/audio1d.yaml: four conv1d (no bias) - BN - ReLU - maxpool 4 stages, global average pooling,
    linear, softmax. The spec's `padding: same` is nn.Conv1d's padding='same' where PyTorch accepts it
    (stride 1); the stride-4 stem gets TensorFlow's 'same' padding, here symmetric: (8000 - 1) x 4 +
    80 - 32000 = 76 = 38 + 38."""
    layers, inp = [], 1
    for out, k, s in ((128, 80, 4), (128, 3, 1), (256, 3, 1), (512, 3, 1)):
        layers += [nn.Conv1d(inp, out, k, stride=s, padding=38 if s == 4 else "same", bias=False),
                   nn.BatchNorm1d(out), nn.ReLU(), nn.MaxPool1d(4)]
        inp = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(512, 10), nn.Softmax(dim=1))


# --- U-Net with padded convs (specs/unet.yaml) -------------------------------------------------------

def _double_conv(inp: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inp, out, 3, padding=1), nn.ReLU(), nn.Conv2d(out, out, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """specs/unet.yaml: four encoder stages (double conv, max pool 2), a bottleneck, four decoder stages
    (2x2 stride-2 transposed conv, torch.cat with the encoder map, double conv), a 1x1 head."""

    def __init__(self):
        super().__init__()
        widths = (64, 128, 256, 512)
        self.encoders = nn.ModuleList(_double_conv(i, o) for i, o in zip((1, *widths[:-1]), widths))
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(512, 1024)
        self.upconvs = nn.ModuleList(nn.ConvTranspose2d(2 * o, o, 2, stride=2) for o in reversed(widths))
        self.decoders = nn.ModuleList(_double_conv(2 * o, o) for o in reversed(widths))
        self.head = nn.Conv2d(64, 2, 1)

    def forward(self, x):
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for upconv, decoder, skip in zip(self.upconvs, self.decoders, reversed(skips)):
            x = decoder(torch.cat([skip, upconv(x)], dim=1))
        return self.head(x)


# --- squeeze-and-excitation with broadcasting merges ---------------------------------------------------

class SqueezeExciteMerges(nn.Module):
    """The broadcasting merges' small net: torchvision's SqueezeExcitation (torchvision/ops/misc.py:
    AdaptiveAvgPool2d(1), 1x1 fc1, ReLU, 1x1 fc2, Sigmoid, `scale * input`) after a conv, then
    `a - b`, torch.maximum and `a / b` against the [C, 1, 1] tensors."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.relu, self.fc2, self.gate = nn.Conv2d(8, 2, 1), nn.ReLU(), nn.Conv2d(2, 8, 1), nn.Sigmoid()

    def forward(self, x):
        conv = self.conv(x)
        pool = self.pool(conv)
        gate = self.gate(self.fc2(self.relu(self.fc1(pool))))
        shift = conv * gate - pool
        return torch.maximum(shift, conv) / gate


# --- small networks: (name, input shape, spec YAML, module factory) -------------------------------
# Each one exercises what some profile treats specially. Input shapes are channels first, no batch.

SMALL_NETS = [
    # Broadcasting merges: [8, 6, 6] against [8, 1, 1] (tests/test_profiles.py SQUEEZE_EXCITE).
    ("squeeze_excite_merges", (4, 6, 6), SQUEEZE_EXCITE_LAYERS, SqueezeExciteMerges),

    ("conv_bias_bn_pools_linear", (3, 8, 8), """
layers:
  - {name: conv, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: bn, type: batchnorm2d}
  - {name: relu, type: relu}
  - {name: pool, type: maxpool2d, kernel_size: 2}
  - {name: avg, type: avgpool2d, kernel_size: 2}
  - {name: gap, type: adaptive_avgpool2d, output_size: 1}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 10}
""", lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                           nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))),

    ("transposed_upsample_prelu_softmax_layernorm", (2, 4, 4), """
layers:
  - {name: up, type: conv_transpose2d, out_channels: 3, kernel_size: 2, stride: 2}
  - {name: near, type: upsample, scale_factor: 2}
  - {name: act, type: prelu}
  - {name: soft, type: softmax, dim: 0}
  - {name: norm, type: layernorm}
""", lambda: nn.Sequential(nn.ConvTranspose2d(2, 3, 2, stride=2), nn.Upsample(scale_factor=2), nn.PReLU(),
                           nn.Softmax(dim=1), nn.LayerNorm([3, 16, 16]))),

    ("depthwise_adaptive_non_divisible", (4, 10, 10), """
layers:
  - {name: dw, type: depthwise_conv2d, kernel_size: 3, padding: 1, bias: false}
  - {name: ada, type: adaptive_avgpool2d, output_size: 3}
  - {name: gap, type: global_avgpool}
""", lambda: nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.AdaptiveAvgPool2d(3),
                           nn.AdaptiveAvgPool2d(1), nn.Flatten())),

    # Strided convolutions whose windows do not divide the input (pixels dropped), with and without
    # bias, 'same' padding, a grouped transposed conv with bias and output padding, batch norm
    # without affine, bilinear upsampling, adaptive pooling 7 -> 5 (overlapping windows).
    ("strided_grouped_bilinear", (4, 11, 11), """
layers:
  - {name: c1, type: conv2d, out_channels: 6, kernel_size: 3, stride: 2}
  - {name: c2, type: conv2d, out_channels: 6, kernel_size: 3, padding: same, bias: false}
  - {name: bn, type: batchnorm2d, affine: false}
  - {name: lrelu, type: leaky_relu}
  - {name: tc, type: conv_transpose2d, out_channels: 4, kernel_size: 3, stride: 2, padding: 1, output_padding: 1, groups: 2}
  - {name: bil, type: upsample, scale_factor: 2, mode: bilinear}
  - {name: ada, type: adaptive_avgpool2d, output_size: 7}
  - {name: ada2, type: adaptive_avgpool2d, output_size: 5}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 3, bias: false}
""", lambda: nn.Sequential(nn.Conv2d(4, 6, 3, stride=2), nn.Conv2d(6, 6, 3, padding="same", bias=False),
                           nn.BatchNorm2d(6, affine=False), nn.LeakyReLU(),
                           nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
                           nn.Upsample(scale_factor=2, mode="bilinear"), nn.AdaptiveAvgPool2d(7),
                           nn.AdaptiveAvgPool2d(5), nn.Flatten(), nn.Linear(100, 3, bias=False))),

    # Upsampling to a size, batch norm without running statistics (PyTorch normalises with the batch's
    # statistics even in eval mode), layer norm without affine, softmax over the last axis, ReLU6.
    ("sized_upsample_bn_no_stats", (3, 6, 6), """
layers:
  - {name: conv, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: up, type: upsample, size: 9}
  - {name: bn, type: batchnorm2d, track_running_stats: false}
  - {name: r6, type: relu6}
  - {name: norm, type: layernorm, elementwise_affine: false}
  - {name: soft, type: softmax, dim: 2}
""", lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Upsample(size=9),
                           nn.BatchNorm2d(4, track_running_stats=False), nn.ReLU6(),
                           nn.LayerNorm([4, 9, 9], elementwise_affine=False), nn.Softmax(dim=3))),

    # Group norm with and without affine (fvcore and calflops count it, torchinfo its parameters).
    ("group_norm", (4, 6, 6), """
layers:
  - {name: conv, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
  - {name: gn, type: group_norm, num_groups: 4}
  - {name: relu, type: relu}
  - {name: gn2, type: group_norm, num_groups: 2, affine: false}
""", lambda: nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.GroupNorm(4, 8), nn.ReLU(),
                           nn.GroupNorm(2, 8, affine=False))),

    # One spatial axis: conv1d, avg pooling, linear upsampling, adaptive average pooling 1-D, PReLU
    # per channel, linear on the flattened features.
    ("one_d", (2, 20), """
layers:
  - {name: conv, type: conv1d, out_channels: 4, kernel_size: 5, stride: 2, padding: 1}
  - {name: act, type: prelu, num_parameters: 4}
  - {name: avg, type: avgpool1d, kernel_size: 3, stride: 2}
  - {name: up, type: upsample1d, scale_factor: 2, mode: linear}
  - {name: ada, type: adaptive_avgpool1d, output_size: 3}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 5}
""", lambda: nn.Sequential(nn.Conv1d(2, 4, 5, stride=2, padding=1), nn.PReLU(4), nn.AvgPool1d(3, 2),
                           nn.Upsample(scale_factor=2, mode="linear"), nn.AdaptiveAvgPool1d(3), nn.Flatten(),
                           nn.Linear(12, 5))),

    # Separable and spatially separable convs (each two nn.Conv2d), 'same' padding at stride 1 (string
    # padding) with an odd and an even kernel, 'valid' padding, TensorFlow 'same' at stride 2 that
    # needs an asymmetric pad (nn.ZeroPad2d before the conv), explicit asymmetric padding.
    ("separable_and_padding_forms", (3, 9, 9), """
layers:
  - {name: sep, type: separable_conv2d, out_channels: 4, kernel_size: 3, padding: same, depth_multiplier: 2}
  - {name: even, type: conv2d, out_channels: 4, kernel_size: 4, padding: same}
  - {name: dw, type: depthwise_conv2d, kernel_size: 3, padding: valid, bias: false}
  - {name: ss, type: spatially_separable_conv2d, out_channels: 5, kernel_size: [3, 5], stride: [2, 1], padding: [1, 2]}
  - {name: tfsame, type: conv2d, out_channels: 3, kernel_size: 2, stride: 2, padding: same}
  - {name: asym, type: conv2d, out_channels: 2, kernel_size: 2, padding: [[1, 0], [0, 1]]}
""", lambda: nn.Sequential(
        nn.Conv2d(3, 6, 3, padding="same", groups=3, bias=False), nn.Conv2d(6, 4, 1),
        nn.Conv2d(4, 4, 4, padding="same"),
        nn.Conv2d(4, 4, 3, padding="valid", groups=4, bias=False),
        nn.Conv2d(4, 5, (3, 1), stride=(2, 1), padding=(1, 0), bias=False), nn.Conv2d(5, 5, (1, 5), padding=(0, 2)),
        nn.ZeroPad2d((0, 1, 0, 0)), nn.Conv2d(5, 3, 2, stride=2),
        nn.ZeroPad2d((0, 1, 1, 0)), nn.Conv2d(3, 2, 2))),

    # Three spatial axes: conv3d, batch norm 3-D, sigmoid, max pooling, trilinear upsampling,
    # adaptive average pooling with windows that do not divide, tanh, global max pooling, linear,
    # log-softmax.
    ("three_d", (2, 4, 6, 6), """
layers:
  - {name: conv, type: conv3d, out_channels: 4, kernel_size: 3, padding: 1}
  - {name: bn, type: batchnorm3d}
  - {name: sig, type: sigmoid}
  - {name: pool, type: maxpool3d, kernel_size: 2}
  - {name: up, type: upsample3d, scale_factor: 2, mode: trilinear}
  - {name: ada, type: adaptive_avgpool3d, output_size: [3, 4, 4]}
  - {name: tanh, type: tanh}
  - {name: gmp, type: global_maxpool}
  - {name: fc, type: linear, out_features: 3}
  - {name: lsm, type: log_softmax}
""", lambda: nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.BatchNorm3d(4), nn.Sigmoid(), nn.MaxPool3d(2),
                           nn.Upsample(scale_factor=2, mode="trilinear"), nn.AdaptiveAvgPool3d((3, 4, 4)),
                           nn.Tanh(), nn.AdaptiveMaxPool3d(1), nn.Flatten(), nn.Linear(4, 3),
                           nn.LogSoftmax(dim=1))),

    # Activations some tools count and others do not, LP pooling, average pooling with padding and
    # ceil mode, global average pooling, dropout.
    ("activations_and_lppool", (3, 8, 8), """
layers:
  - {name: conv, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, bias: false}
  - {name: silu, type: silu}
  - {name: gelu, type: gelu}
  - {name: elu, type: elu}
  - {name: hsw, type: hardswish}
  - {name: lp, type: lppool2d, kernel_size: 2, norm_type: 2}
  - {name: avg, type: avgpool2d, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}
  - {name: gap, type: global_avgpool}
  - {name: drop, type: dropout, p: 0.3}
  - {name: fc, type: linear, out_features: 6}
""", lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.SiLU(), nn.GELU(), nn.ELU(),
                           nn.Hardswish(), nn.LPPool2d(2, 2),
                           nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                           nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(4, 6))),
]
