"""The spec zoo (specs/*.yaml): every spec analyzes, and its numbers match published figures.

Expected values come from outside rfcalc: torchvision's model documentation (parameter
counts and the "GFLOPS" column, which counts multiply-accumulates), the papers, the
google-research/receptive_field table, the lecture notes in the shared seeds, or
parameter arithmetic written out by hand from the architecture. None of them was
produced by running rfcalc.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from rfcalc.analyzer import analyze
from rfcalc.spec import parse_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"
SPEC_FILES = sorted(SPECS.glob("*.yaml"))


@lru_cache(maxsize=None)
def report(name: str):
    """The analysis of specs/<name>.yaml (each spec is analyzed once per test session)."""
    path = SPECS / f"{name}.yaml"
    return analyze(parse_spec(path.read_text(), str(path)))


def layer(name: str, layer_name: str):
    """One layer's result, by its dotted name."""
    matches = [result for result in report(name).layers if result.name == layer_name]
    assert matches, f"{name}: no layer named {layer_name!r}"
    return matches[0]


def warnings_about(name: str, layer_name: str) -> list[str]:
    """Every warning of the report (layer or network level) that names this layer."""
    return [w for w in report(name).all_warnings() if w.startswith(f"{layer_name}:") or f"'{layer_name}'" in w]


def test_the_zoo_is_there():
    expected = {
        "alexnet", "vgg16", "resnet18", "resnet50", "resnet152", "googlenet", "mobilenet_v2",
        "inception_v3", "densenet121", "squeezenet1_0", "unet", "unet_original", "dilated_stack", "audio1d",
        "volumetric3d", "cifar10_walkthrough", "keras_mnist", "lenet5", "conv_examples",
    }
    assert expected <= {path.stem for path in SPEC_FILES}


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_spec_parses_and_analyzes(path):
    result = report(path.stem)
    assert result.layers
    assert len({layer.name for layer in result.layers}) == len(result.layers)


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_spec_is_documented(path):
    text = path.read_text()
    assert text.startswith("#"), "a spec opens with a comment saying what the network is"
    assert "\ndescription:" in text


# ---------------------------------------------------------------------------------------
# torchvision models: published parameter counts and GFLOPS (MACs, in G).
# https://pytorch.org/vision/stable/models.html ("Table of all available classification
# weights": Params, GFLOPS), all at 224x224 except Inception v3 at 299x299.
# ---------------------------------------------------------------------------------------
TORCHVISION = {
    #  spec            params       GMACs
    "alexnet":       (61_100_840, 0.71),
    "vgg16":         (138_357_544, 15.47),
    "resnet18":      (11_689_512, 1.81),
    "resnet50":      (25_557_032, 4.09),
    "resnet152":     (60_192_808, 11.51),
    "googlenet":     (6_624_904, 1.50),
    "mobilenet_v2":  (3_504_872, 0.30),
    # torchvision publishes 27,161,264 parameters for inception_v3, which include the
    # auxiliary classifier (AuxLogits: conv0 98,560 + conv1 2,459,136 + fc 769,000 =
    # 3,326,696). The spec leaves AuxLogits out, as eval mode does: 27,161,264 - 3,326,696.
    # The 5.71 GFLOPS is the eval-mode figure: with the aux head's 5.68M MACs it would be 5.72.
    "inception_v3":  (27_161_264 - 3_326_696, 5.71),
    "densenet121":   (7_978_856, 2.83),
    "squeezenet1_0": (1_248_424, 0.82),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_params_equal_torchvision(name):
    assert report(name).totals.params == TORCHVISION[name][0]


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_macs_agree_with_torchvision_gflops(name):
    published = TORCHVISION[name][1]
    assert abs(report(name).totals.macs / 1e9 - published) <= 0.005


def test_inception_v3_published_total_is_with_the_aux_head():
    assert 27_161_264 - (98_560 + 2_459_136 + 769_000) == TORCHVISION["inception_v3"][0]
    # aux head MACs: conv0 1x1 768->128 on 5x5, conv1 5x5 128->768 on 1x1, fc 768->1000
    aux_macs = 768 * 128 * 25 + 128 * 768 * 25 + 768 * 1000
    assert round((report("inception_v3").totals.macs + aux_macs) / 1e9, 2) == 5.72


def test_batch_norm_running_stats_are_buffers_not_params():
    # resnet18's batch norms have 4,800 channels in all; gamma and beta are among the
    # 11,689,512 params, running mean and variance are the 2 x 4,800 buffers.
    bn_channels = 64 + 2 * 2 * 64 + (2 * 2 + 1) * 128 + (2 * 2 + 1) * 256 + (2 * 2 + 1) * 512
    assert report("resnet18").totals.buffers == 2 * bn_channels


# ---------------------------------------------------------------------------------------
# Layer names: torchvision's module names, torch.fx names for functional calls and reuse.
# ---------------------------------------------------------------------------------------
TORCHVISION_NAMES = {
    "alexnet": ["features.0", "features.12", "avgpool", "flatten", "classifier.1", "classifier.6"],
    "vgg16": ["features.0", "features.28", "features.30", "avgpool", "flatten", "classifier.6"],
    "resnet18": ["conv1", "bn1", "relu", "maxpool", "layer1.0.conv1", "layer1.1.relu_1",
                 "layer2.0.downsample.0", "layer2.0.downsample.1", "layer4.1.add", "avgpool", "fc"],
    "resnet50": ["conv1", "maxpool", "layer1.0.conv1", "layer1.0.relu", "layer1.0.relu_1",
                 "layer1.0.relu_2", "layer1.0.add", "layer1.0.downsample.0", "layer1.0.downsample.1",
                 "layer4.2.conv3", "avgpool", "flatten", "fc"],
    "resnet152": ["layer2.7.conv3", "layer3.35.bn3", "layer3.0.downsample.0", "layer4.2.relu_2", "fc"],
    "googlenet": ["conv1.conv", "conv1.bn", "conv1.relu", "maxpool1", "conv3.conv",
                  "inception3a.branch1.conv", "inception3a.branch2.1.conv", "inception3a.branch3.1.bn",
                  "inception3a.branch4.0", "inception3a.branch4.1.conv", "inception3a.cat",
                  "inception5b.cat", "avgpool", "dropout", "fc"],
    "mobilenet_v2": ["features.0.0", "features.0.1", "features.0.2",
                     "features.1.conv.0.0", "features.1.conv.1", "features.1.conv.2",
                     "features.2.conv.0.0", "features.2.conv.1.0", "features.2.conv.2", "features.2.conv.3",
                     "features.3.add", "features.17.conv.3", "features.18.0",
                     "adaptive_avg_pool2d", "flatten", "classifier.1"],
    "inception_v3": ["Conv2d_1a_3x3.conv", "Conv2d_4a_3x3.bn", "maxpool2", "Mixed_5b.branch5x5_2.conv",
                     "Mixed_5b.avg_pool2d", "Mixed_5b.cat", "Mixed_6a.max_pool2d",
                     "Mixed_6e.branch7x7dbl_5.conv", "Mixed_7a.branch7x7x3_4.relu",
                     "Mixed_7c.branch3x3_2b.conv", "Mixed_7c.cat", "Mixed_7c.cat_1", "Mixed_7c.cat_2",
                     "avgpool", "dropout", "flatten", "fc"],
    "densenet121": ["features.conv0", "features.norm0", "features.pool0",
                    "features.denseblock1.denselayer1.norm1", "features.denseblock1.denselayer2.cat",
                    "features.denseblock1.denselayer6.conv2", "features.denseblock1.cat",
                    "features.transition1.conv", "features.transition3.pool",
                    "features.denseblock3.denselayer24.conv2", "features.denseblock4.denselayer16.relu2",
                    "features.norm5", "relu", "adaptive_avg_pool2d", "flatten", "classifier"],
    "squeezenet1_0": ["features.0", "features.2", "features.3.squeeze", "features.3.expand1x1_activation",
                      "features.3.expand3x3", "features.3.cat", "features.12.cat",
                      "classifier.1", "classifier.3", "flatten"],
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_NAMES))
def test_torchvision_layer_names(name):
    names = {result.name for result in report(name).layers}
    missing = [n for n in TORCHVISION_NAMES[name] if n not in names]
    assert not missing


def test_resnet_block_structure():
    # a bottleneck's shortcut reads the block input; the add joins it with bn3
    add = layer("resnet50", "layer1.0.add")
    assert add.inputs == ("layer1.0.bn3", "layer1.0.downsample.1")
    assert layer("resnet50", "layer1.1.add").inputs == ("layer1.1.bn3", "layer1.0.relu_2")
    assert layer("resnet50", "layer1.0.downsample.0").inputs == ("maxpool",)
    assert "layer1.0.downsample.0" not in {r.name for r in report("resnet18").layers}


@pytest.mark.parametrize("name, layer_name, shape", [
    ("alexnet", "features.0", (64, 55, 55)),
    ("alexnet", "features.12", (256, 6, 6)),
    ("vgg16", "features.30", (512, 7, 7)),
    ("resnet50", "layer1.2.relu_2", (256, 56, 56)),
    ("resnet50", "layer4.2.relu_2", (2048, 7, 7)),
    ("googlenet", "maxpool1", (64, 56, 56)),
    ("googlenet", "inception3b.cat", (480, 28, 28)),
    ("googlenet", "inception4e.cat", (832, 14, 14)),
    ("googlenet", "inception5b.cat", (1024, 7, 7)),
    ("inception_v3", "Conv2d_1a_3x3.relu", (32, 149, 149)),   # torchvision's forward() comments
    ("inception_v3", "maxpool1", (64, 73, 73)),
    ("inception_v3", "Conv2d_4a_3x3.relu", (192, 71, 71)),
    ("inception_v3", "Mixed_5b.cat", (256, 35, 35)),
    ("inception_v3", "Mixed_6a.cat", (768, 17, 17)),
    ("inception_v3", "Mixed_7a.cat", (1280, 8, 8)),
    ("inception_v3", "Mixed_7c.cat_2", (2048, 8, 8)),
    ("densenet121", "features.denseblock1.cat", (256, 56, 56)),
    ("densenet121", "features.denseblock4.cat", (1024, 7, 7)),
    ("mobilenet_v2", "features.17.conv.3", (320, 7, 7)),
    ("mobilenet_v2", "features.18.2", (1280, 7, 7)),
    ("squeezenet1_0", "features.12.cat", (512, 13, 13)),
])
def test_published_shapes(name, layer_name, shape):
    assert layer(name, layer_name).output_shape == shape


# ---------------------------------------------------------------------------------------
# Receptive fields published by google-research/receptive_field (README table; TF-slim
# models with the same kernels, strides and paddings as torchvision's, except AlexNet's
# first two convs, which torchvision pads by 2 where slim's alexnet_v2 pads 0 and 2: the
# RF and stride agree, the effective padding is 66 here, 64 there).
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, layer_name, size, stride, padding", [
    ("alexnet", "features.12", 195, 32, None),
    ("vgg16", "features.30", 212, 32, 90),
    ("inception_v3", "Mixed_7c.cat_2", 1311, 32, 618),
])
def test_receptive_fields_match_google_research_table(name, layer_name, size, stride, padding):
    for rf in layer(name, layer_name).rf:
        assert (rf.size_min, rf.size_max, rf.jump) == (size, size, stride)
        if padding is not None:
            assert rf.effective_padding == padding


# ---------------------------------------------------------------------------------------
# Non-torchvision networks: parameters counted by hand from the papers' architectures.
# ---------------------------------------------------------------------------------------
def conv_params(c_in, c_out, taps, bias=True):
    """Weights (+ biases) of a convolution with `taps` kernel positions."""
    return c_out * (c_in * taps + bias)


def test_unet_params_and_shapes():
    double = lambda c_in, c_out: conv_params(c_in, c_out, 9) + conv_params(c_out, c_out, 9)
    encoder = double(1, 64) + double(64, 128) + double(128, 256) + double(256, 512)
    bottleneck = double(512, 1024)
    decoder = sum(conv_params(2 * c, c, 4) + double(2 * c, c) for c in (512, 256, 128, 64))
    head = conv_params(64, 2, 1)
    assert report("unet").totals.params == encoder + bottleneck + decoder + head == 31_030_658
    for stage, size, channels in [("enc4.relu2", 32, 512), ("bottleneck.relu2", 16, 1024),
                                  ("dec4.cat", 32, 1024), ("dec1.conv.relu2", 256, 64)]:
        assert layer("unet", stage).output_shape == (channels, size, size)
    assert layer("unet", "head").output_shape == (2, 256, 256)
    assert layer("unet", "dec4.upconv").type == "conv_transpose2d"


def test_unet_original_params_and_figure_1_sizes():
    # Ronneberger et al. 2015: unpadded 3x3 convs, so the counts are those of the padded U-Net.
    # 3x3 conv: Cin*Cout*9 + Cout; 2x2 up-conv: Cin*Cout*4 + Cout; 1x1 head: 64*2 + 2.
    #   enc1: 1*64*9+64 = 640;            64*64*9+64 = 36,928          ->     37,568
    #   enc2: 64*128*9+128 = 73,856;      128*128*9+128 = 147,584      ->    221,440
    #   enc3: 128*256*9+256 = 295,168;    256*256*9+256 = 590,080      ->    885,248
    #   enc4: 256*512*9+512 = 1,180,160;  512*512*9+512 = 2,359,808    ->  3,539,968
    #   bottom: 512*1024*9+1024 = 4,719,616; 1024*1024*9+1024 = 9,438,208 -> 14,157,824
    #   dec4: up 1024*512*4+512 = 2,097,664; 1024*512*9+512 = 4,719,104; 2,359,808 -> 9,176,576
    #   dec3: up 512*256*4+256 = 524,544;    512*256*9+256 = 1,179,904;  590,080   -> 2,294,528
    #   dec2: up 256*128*4+128 = 131,200;    256*128*9+128 = 295,040;    147,584   ->   573,824
    #   dec1: up 128*64*4+64 = 32,832;       128*64*9+64 = 73,792;       36,928    ->   143,552
    #   head: 64*2+2 = 130
    #   total: 4,684,224 (encoder) + 14,157,824 + 12,188,480 (decoder) + 130 = 31,030,658
    double = lambda c_in, c_out: conv_params(c_in, c_out, 9) + conv_params(c_out, c_out, 9)
    encoder = double(1, 64) + double(64, 128) + double(128, 256) + double(256, 512)
    bottom = double(512, 1024)
    decoder = sum(conv_params(2 * c, c, 4) + double(2 * c, c) for c in (512, 256, 128, 64))
    head = conv_params(64, 2, 1)
    assert (encoder, bottom, decoder, head) == (4_684_224, 14_157_824, 12_188_480, 130)
    assert report("unet_original").totals.params == encoder + bottom + decoder + head == 31_030_658
    # Figure 1's sizes (lower left of each box), with the channels written above the boxes.
    figure_1 = [
        ("enc1.conv1", 64, 570), ("enc1.relu2", 64, 568), ("pool1", 64, 284),
        ("enc2.conv1", 128, 282), ("enc2.relu2", 128, 280), ("pool2", 128, 140),
        ("enc3.conv1", 256, 138), ("enc3.relu2", 256, 136), ("pool3", 256, 68),
        ("enc4.conv1", 512, 66), ("enc4.relu2", 512, 64), ("pool4", 512, 32),
        ("bottleneck.conv1", 1024, 30), ("bottleneck.relu2", 1024, 28),
        ("dec4.upconv", 512, 56), ("dec4.cat", 1024, 56), ("dec4.conv.conv1", 512, 54), ("dec4.conv.relu2", 512, 52),
        ("dec3.upconv", 256, 104), ("dec3.cat", 512, 104), ("dec3.conv.conv1", 256, 102), ("dec3.conv.relu2", 256, 100),
        ("dec2.upconv", 128, 200), ("dec2.cat", 256, 200), ("dec2.conv.conv1", 128, 198), ("dec2.conv.relu2", 128, 196),
        ("dec1.upconv", 64, 392), ("dec1.cat", 128, 392), ("dec1.conv.conv1", 64, 390), ("dec1.conv.relu2", 64, 388),
        ("head", 2, 388),
    ]
    for name, channels, size in figure_1:
        assert layer("unet_original", name).output_shape == (channels, size, size), name
    assert report("unet_original").input_shape[-2:] == (572, 572)
    # The skips are centre-cropped with a negative pad: (n - m)/2 pixels off each side, so the
    # cropped map's centre is the skip's centre (in input pixels: start + (size - 1)/2 * jump).
    for stage, skip, n, m in [("dec4", "enc4.relu2", 64, 56), ("dec3", "enc3.relu2", 136, 104),
                              ("dec2", "enc2.relu2", 280, 200), ("dec1", "enc1.relu2", 568, 392)]:
        crop = layer("unet_original", f"{stage}.crop")
        assert crop.type == "pad" and crop.inputs == (skip,)
        assert layer("unet_original", f"{stage}.cat").inputs == (f"{stage}.crop", f"{stage}.upconv")
        for before, after in zip(layer("unet_original", skip).rf, crop.rf):
            assert after.start == before.start + (n - m) // 2 * before.jump
            assert after.start + (m - 1) * after.jump / 2 == before.start + (n - 1) * before.jump / 2
    # 572 is a tile size for which every 2x2 max pool sees an even size: no pixel is dropped.
    assert not [w for w in report("unet_original").all_warnings() if "never read" in w or "never seen" in w]


def test_templated_repeat_binds_i_inside_block_calls_and_groups():
    # What densenet121 (args: {k: "${i + 1}"}) and dilated_stack (args: {d: "${dilations[i]}"})
    # need from a templated repeat: each sibling's `i` reaches its block's args and a group's body.
    text = """
input: {shape: [1, 16]}
vars: {ks: [1, 3, 5]}
blocks:
  b:
    params: {k: 1}
    layers: [{name: conv, type: conv1d, out_channels: 1, kernel_size: "${k}"}]
layers:
  - {name: "blk${i + 1}", repeat: 3, block: b, args: {k: "${ks[i]}"}}
  - {name: "grp${i + 1}", repeat: 3, layers: [{name: conv, type: conv1d, out_channels: 1, kernel_size: "${ks[i]}"}]}
"""
    kernels = {node.name: node.layer.kernel_size for node in parse_spec(text).nodes}
    assert kernels == {"blk1.conv": 1, "blk2.conv": 3, "blk3.conv": 5, "grp1.conv": 1, "grp2.conv": 3, "grp3.conv": 5}


def test_dilated_stack_matches_yu_koltun_table_1():
    c = 21
    assert report("dilated_stack").totals.params == 7 * conv_params(c, c, 9) + conv_params(c, c, 1)
    # Table 1 of the paper: receptive field after layers 1..8
    expected = [3, 5, 9, 17, 33, 65, 67, 67]
    convs = [result for result in report("dilated_stack").layers if result.type == "conv2d"]
    assert [result.rf[0].size for result in convs] == expected
    for result in convs:
        assert result.output_shape == (c, 64, 64)
        # the schedule leaves no holes: every unit sees every pixel of its span
        assert all(rf.support_min == rf.size_min for rf in result.rf)
        assert not any("gridding" in w for w in result.warnings)


def test_audio1d_m5():
    result = report("audio1d")
    bn = lambda c: 2 * c
    expected = (80 * 128 + bn(128) + 3 * 128 * 128 + bn(128) + 3 * 128 * 256 + bn(256)
                + 3 * 256 * 512 + bn(512) + 512 * 10 + 10)
    assert result.totals.params == expected
    assert 0.5e6 <= expected < 0.6e6  # the paper's "0.5M"
    # the paper's output sizes: 32000 samples -> /4 (conv stride) -> /4 per pool
    for name, shape in [("stage1.conv", (128, 8000)), ("stage1.pool", (128, 2000)),
                        ("stage2.pool", (128, 500)), ("stage3.pool", (256, 125)),
                        ("stage4.pool", (512, 31)), ("avgpool", (512,)), ("softmax", (10,))]:
        assert layer("audio1d", name).output_shape == shape
    assert layer("audio1d", "stage1.conv").type == "conv1d"
    assert any("never read" in w for w in warnings_about("audio1d", "stage4.pool"))  # 125 = 4*31 + 1


def test_volumetric3d_voxnet():
    expected = (conv_params(1, 32, 125) + conv_params(32, 32, 27)
                + 6 * 6 * 6 * 32 * 128 + 128 + 128 * 40 + 40)
    assert report("volumetric3d").totals.params == expected == 921_736
    assert layer("volumetric3d", "conv1").output_shape == (32, 14, 14, 14)
    assert layer("volumetric3d", "conv2").output_shape == (32, 12, 12, 12)
    assert layer("volumetric3d", "pool").output_shape == (32, 6, 6, 6)
    assert layer("volumetric3d", "flatten").output_shape == (6912,)
    assert len(layer("volumetric3d", "conv1").rf) == 3


# ---------------------------------------------------------------------------------------
# Lecture notes (shared seeds): the worked examples' numbers, quoted from the notes.
# ---------------------------------------------------------------------------------------
def test_cifar10_walkthrough_from_notes_001():
    # "CONV with 10 3x3 filters, stride 1, pad 1: gives [32x32x10], new parameters 280" ...
    quoted = [("conv1", (10, 32, 32), 280), ("conv2", (10, 32, 32), 910),
              ("pool1", (10, 16, 16), 0), ("conv3", (10, 16, 16), 910),
              ("conv4", (10, 16, 16), 910), ("pool2", (10, 8, 8), 0)]
    for name, shape, params in quoted:
        result = layer("cifar10_walkthrough", name)
        assert (result.output_shape, result.params) == (shape, params), name
    assert report("cifar10_walkthrough").totals.params == 280 + 3 * 910


def test_keras_mnist_from_notes_002():
    # 1x28x28 -> 25x26x26 -> 25x13x13 -> 50x11x11 -> 50x5x5 -> 1250 -> 100 -> 10
    quoted = [("conv2d_1", (25, 26, 26)), ("max_pooling2d_1", (25, 13, 13)),
              ("conv2d_2", (50, 11, 11)), ("max_pooling2d_2", (50, 5, 5)),
              ("flatten_1", (1250,)), ("dense_1", (100,)), ("dense_2", (10,)),
              ("activation_2", (10,))]
    for name, shape in quoted:
        assert layer("keras_mnist", name).output_shape == shape, name
    # "How many parameters for each filter?" 9, then 225 (weights; one bias each besides)
    assert layer("keras_mnist", "conv2d_1").params == 25 * (9 + 1)
    assert layer("keras_mnist", "conv2d_2").params == 50 * (225 + 1)


def test_lenet5_common_pytorch_rendition():
    assert report("lenet5").totals.params == 61_706
    for name, shape, params in [("c1", (6, 28, 28), 156), ("s2", (6, 14, 14), 0),
                                ("c3", (16, 10, 10), 2_416), ("s4", (16, 5, 5), 0),
                                ("f5", (120,), 48_120), ("f6", (84,), 10_164), ("f7", (10,), 850)]:
        result = layer("lenet5", name)
        assert (result.output_shape, result.params) == (shape, params), name


def test_conv_examples_from_notes_001():
    # Example 1: 10 5x5 filters at stride 1 -> 28x28x10, 76 * 10 = 760 parameters
    assert layer("conv_examples", "example1").output_shape == (10, 28, 28)
    assert layer("conv_examples", "example1").params == 760
    # stride 2: "Cannot: (32 - 5)/2 + 1 = 14.5"; PyTorch floors to 14 and drops a pixel
    stride2 = layer("conv_examples", "example1_stride2")
    assert stride2.output_shape == (10, 14, 14)
    # (as a branch beside stride-1 convs on the same input, the pixel is lost to this output only)
    assert len([w for w in warnings_about("conv_examples", "example1_stride2")
                if "never read" in w or "never seen" in w]) == 2
    # stride 3: (32 - 5)/3 + 1 = 10 -> 10x10x10, 760 parameters (unchanged)
    assert layer("conv_examples", "example1_stride3").output_shape == (10, 10, 10)
    assert layer("conv_examples", "example1_stride3").params == 760
    assert not warnings_about("conv_examples", "example1_stride3")
    # Example 2: 30 filters 5x5, stride 1, pad 2 -> 32x32x30, (30 * 75) + 30 = 2280
    assert layer("conv_examples", "example2").output_shape == (30, 32, 32)
    assert layer("conv_examples", "example2").params == 2280
    # "if we had 6 5x5 filters, we'll get 6 separate activation maps" of 28x28
    assert layer("conv_examples", "six_filters").output_shape == (6, 28, 28)


def test_conv_cost_example_from_notes_003():
    conv = layer("conv_cost_example", "conv")
    assert conv.params == 3_216                          # 16 x (8 x 5 x 5 + 1)
    assert conv.output_shape == (16, 32, 32)             # 16,384 values
    assert conv.macs == 16_384 * 200                     # 3,276,800: the notes' "~3.25M" MACs
    assert 2 * conv.macs == 6_553_600                    # the notes' "~6.5M" FLOPs


def test_padding_examples_from_notes_003():
    assert layer("padding_examples", "valid").output_shape == (1, 4, 7)
    assert layer("padding_examples", "padded").output_shape == (1, 6, 9)
    assert layer("padding_examples", "padded_stride2").output_shape == (1, 3, 5)


def test_transposed_example_from_notes_004():
    # a 4x4 input and a 3x3 kernel give the 6x6 "1 2 3 3 2 1" output; 2x nearest: 8x8
    assert layer("transposed_example", "transposed").output_shape == (1, 6, 6)
    assert layer("transposed_example", "nearest").output_shape == (1, 8, 8)
    assert layer("transposed_example", "nearest").rf[0].jump == 0.5


def test_squeezenet_stem_warns_about_the_dropped_pixel():
    # (224 - 7) / 2 is not an integer: the last row and column are never read
    assert len([w for w in warnings_about("squeezenet1_0", "features.0") if "never read" in w]) == 2
