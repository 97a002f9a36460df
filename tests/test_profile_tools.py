"""Every counting profile against the tool it reproduces, run for real: for each network, the tool's
own total on a PyTorch module written to match the spec (tests/torch_nets.py) must equal the
profile's total exactly. Each tool's tests skip where the tool is not installed (and all of them
where PyTorch is not). Checked with torch 2.13.0, thop 0.1.1.post2209072238, ptflops 0.7.5,
fvcore 0.1.5.post20221221, torchinfo 1.8.0 and calflops 0.3.2 (pinned in .ci/run)."""
from __future__ import annotations

import contextlib
import io
import logging
import textwrap
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: the counting tools need it")

from torch_nets import SMALL_NETS, MobileNetV2, ResNet18, UNet, m5_audio  # noqa: E402

from rfcalc.analyzer import analyze  # noqa: E402
from rfcalc.profiles import analyze_profiled  # noqa: E402
from rfcalc.sources import load_spec_source  # noqa: E402
from rfcalc.spec import parse_spec  # noqa: E402

SPECS = Path(__file__).resolve().parents[1] / "specs"


def _zoo(name):
    return lambda: load_spec_source(str(SPECS / f"{name}.yaml"))


def _small(name, shape, layers):
    text = f"name: {name}\ninput: {{shape: {list(shape)}}}\n" + textwrap.dedent(layers)
    return lambda: parse_spec(text, f"{name}.yaml")


# name -> (spec factory, module factory, input shape without batch)
NETS = {
    "resnet18": (_zoo("resnet18"), ResNet18, (3, 224, 224)),
    "mobilenet_v2": (_zoo("mobilenet_v2"), MobileNetV2, (3, 224, 224)),
    "audio1d": (_zoo("audio1d"), m5_audio, (1, 32000)),
    "unet": (_zoo("unet"), UNet, (1, 256, 256)),
    **{name: (_small(name, shape, layers), module, shape) for name, shape, layers, module in SMALL_NETS},
}


def profile_total(net: str, profile: str, flops: bool = False) -> int:
    """rfcalc's total for `net` under `profile`: MACs, or FLOPs."""
    totals = analyze_profiled(NETS[net][0](), profile).totals
    return totals.flops if flops else totals.macs


def module(net: str):
    """A fresh instance of the PyTorch module of `net` (tools leave hooks and buffers behind otherwise)."""
    return NETS[net][1]()


def sample(net: str):
    return torch.randn(1, *NETS[net][2])


@pytest.fixture(autouse=True)
def _quiet():
    """The tools warn and log about every op they skip; the totals are what is tested."""
    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    logging.disable(logging.NOTSET)


# --- the two networks are the same network ---------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_module_matches_spec(net):
    # Same parameter count and the same output shape: a guard that tool and profile count one network.
    report = analyze(NETS[net][0]())
    model = module(net).eval()
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    with torch.no_grad():
        out = model(sample(net))
    expected = report.layers[-1].output_shape
    assert tuple(out.shape) == (1, *expected)


# --- torchvision: torch.utils.flop_counter.FlopCounterMode / 2 ------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_torchvision_profile_is_flop_counter_mode_halved(net):
    from torch.utils.flop_counter import FlopCounterMode

    model = module(net).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(sample(net))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    assert flops // 2 == profile_total(net, "torchvision")


# --- fvcore -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_fvcore_profile_is_flop_count_analysis_total(net):
    fvcore_nn = pytest.importorskip("fvcore.nn", reason="fvcore not installed (pip install fvcore)")
    # The profile counts batch norm in eval mode; FlopCountAnalysis traces the model in whatever mode
    # it is in, so the model is put in eval mode, as for inference.
    analysis = fvcore_nn.FlopCountAnalysis(module(net).eval(), sample(net))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    assert analysis.total() == profile_total(net, "fvcore")


# --- ptflops (aten backend) ---------------------------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_ptflops_profile_is_aten_backend_macs(net):
    ptflops = pytest.importorskip("ptflops", reason="ptflops not installed (pip install ptflops)")
    # The profile reproduces backend='aten' (ptflops/aten_ops.py). ptflops 0.7.5's default backend is
    # 'pytorch' (module hooks plus patched functionals), which counts differently; see profiles.py.
    with contextlib.redirect_stdout(io.StringIO()):
        macs, params = ptflops.get_model_complexity_info(
            module(net), NETS[net][2], as_strings=False, print_per_layer_stat=False, verbose=False,
            backend="aten")
    assert macs == profile_total(net, "ptflops")


# --- thop ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_thop_profile_is_thop_profile(net):
    thop = pytest.importorskip("thop", reason="thop not installed (pip install thop)")
    macs, params = thop.profile(module(net), inputs=(sample(net),), verbose=False)
    assert macs == profile_total(net, "thop")  # thop sums in float64: exact at these sizes


def test_thop_does_not_see_torchvisions_functional_pooling():
    # torchvision's MobileNetV2 pools with F.adaptive_avg_pool2d in forward(), not with a module, and
    # thop only counts modules: on torchvision's own model thop reports the profile's total minus the
    # pool's count, (7 x 7 window + 1) x 1280 outputs = 64000. The spec cannot say whether a layer is
    # a module or a call; the profile takes it as a module (nn.AdaptiveAvgPool2d). No other tool here
    # tells the two apart (fvcore traces aten::adaptive_avg_pool2d, calflops patches F.*).
    thop = pytest.importorskip("thop", reason="thop not installed (pip install thop)")
    functional = MobileNetV2(functional_pool=True)
    macs, _ = thop.profile(functional, inputs=(sample("mobilenet_v2"),), verbose=False)
    assert macs == profile_total("mobilenet_v2", "thop") - (7 * 7 + 1) * 1280


# --- torchinfo ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_torchinfo_profile_is_total_mult_adds(net):
    torchinfo = pytest.importorskip("torchinfo", reason="torchinfo not installed (pip install torchinfo)")
    stats = torchinfo.summary(module(net), input_size=(1, *NETS[net][2]), verbose=0)
    assert stats.total_mult_adds == profile_total(net, "torchinfo")


# --- calflops -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("net", NETS)
def test_calflops_profile_is_calculate_flops(net):
    # calflops/__init__.py imports transformers (not among calflops' declared dependencies).
    calflops = pytest.importorskip(
        "calflops", reason="calflops (and transformers, which it imports) not installed")
    flops, macs, params = calflops.calculate_flops(
        module(net), input_shape=(1, *NETS[net][2]), output_as_string=False, print_results=False,
        print_detailed=False)
    assert macs == profile_total(net, "calflops")
    assert flops == profile_total(net, "calflops", flops=True)



# --- the profile table's differences, against the tool's own breakdown -----------------------------

def test_profile_table_differences_are_fvcores_per_operator_counts():
    fvcore_nn = pytest.importorskip("fvcore.nn", reason="fvcore not installed (pip install fvcore)")
    from rfcalc.profiles.compare import compare_profiles

    analysis = fvcore_nn.FlopCountAnalysis(module("resnet18").eval(), sample("resnet18"))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    by_operator = analysis.by_operator()
    differences = {d.family: d.delta for d in compare_profiles(NETS["resnet18"][0]()).differences
                   if d.profile == "fvcore"}
    # rfcalc counts the conv and linear MACs as fvcore does, so what fvcore adds is exactly its
    # batch-norm and adaptive-pooling counts.
    assert differences == {"batchnorm": by_operator["batch_norm"], "adaptive_avg": by_operator["adaptive_avg_pool2d"]}
