"""Counting profiles: the same network counted the way another tool counts it.

Papers and tools disagree on what a "FLOP" is and on what counts (bias, batch norm, activations,
pooling, merges). A profile is a table of pure rules, one per layer family (rfcalc.layers.Family),
from an analysed layer (its LayerResult, its layer model for the few hyper-parameters a tool's
formula reads, and its input shapes) to that layer's count under the tool's rules; one module per
tool holds its table. Every rule names the file of the tool's source that it reproduces, and the
version it was checked against by running the tool itself (tests/test_profile_tools.py): torch
2.13.0 (torch.utils.flop_counter), fvcore 0.1.5.post20221221, ptflops 0.7.5, thop
0.1.1.post2209072238, calflops 0.3.2, torchinfo 1.8.0.

The tools count PyTorch modules and calls, not specs, so each profile assumes one PyTorch rendition
of the spec (written down in rendition.py and per rule): every layer is one module of its type
(nn.AdaptiveAvgPool2d for adaptive and global average pooling, not F.adaptive_avg_pool2d in a
forward(): thop only sees modules), merges are `a + b`, `a * b`, `a - b`, `a / b`, torch.maximum
and torch.cat, and the model is in eval mode.

What a profiled Report holds, per layer:
- `macs`: the tool's figure in multiply-accumulate units: the number to compare with the tool's
  headline (torchvision's "GFLOPS" column, fvcore's `.total()`, ptflops' "GMac", thop's "macs",
  torchinfo's "Mult-Adds", calflops' "MACs");
- `ops`: FLOPs by category. calflops reports FLOPs itself, and those are its FLOPs; the other tools
  report one MAC-convention figure, and FLOPs are shown as 2 x that figure, per category.

Counts are per sample (batch 1), as rfcalc's own MACs are. Parameters, shapes, receptive fields
and memory are the same under every profile. Each profile lists the families its tool counts as
nothing (`zero`) and those it has no counterpart for (locally connected and tiled convolution have
no PyTorch module: rfcalc's count is kept, with a note); a family a profile does not cover keeps
rfcalc's count with a note too: never a silent 0 (tests/test_profiles.py checks every family is
covered by every profile).
"""
from __future__ import annotations

import importlib
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..report import Report
    from ..spec import Spec
    from .base import Count, Profile

DEFAULT_PROFILE = "rfcalc"
# Profile name -> the module of this package that holds its table.
_MODULES = {"rfcalc": "own", "torchvision": "torchvision", "fvcore": "fvcore", "ptflops": "ptflops",
            "thop": "thop", "calflops": "calflops", "torchinfo": "torchinfo"}
PROFILE_NAMES = tuple(_MODULES)
# The ids of rfcalc's own conventions that a profile's conventions replace.
REPLACED_CONVENTIONS = ("macs", "flops")


def get_profile(name: str) -> "Profile":
    """The profile called `name` (a UsageError naming the choices otherwise)."""
    if name not in _MODULES:
        from ..errors import UsageError

        raise UsageError(f"unknown profile '{name}'; profiles are: {', '.join(PROFILE_NAMES)}")
    return importlib.import_module(f".{_MODULES[name]}", __name__).PROFILE


def __getattr__(name: str):
    """PROFILES (every profile by name), built on first use so that importing this package stays cheap."""
    if name == "PROFILES":
        return {profile: get_profile(profile) for profile in PROFILE_NAMES}
    raise AttributeError(name)


def profile_counts(report: "Report", spec: "Spec", name: str) -> "list[Count]":
    """Per-layer counts of `report` (the analysis of `spec`) under profile `name`."""
    from ..spec import INPUT
    from .base import LayerView

    profile = get_profile(name)
    shapes = {INPUT: tuple(report.input_shape), **{layer.name: tuple(layer.output_shape) for layer in report.layers}}
    layers = {node.index: node.layer for node in spec.nodes}
    return [profile.count(LayerView(result, layers[result.index], tuple(shapes[n] for n in result.inputs)))
            for result in report.layers]


def apply_profile(report: "Report", spec: "Spec", name: str = DEFAULT_PROFILE) -> "Report":
    """The report with MACs and FLOPs counted under profile `name`; everything else unchanged."""
    from ..report import Convention, sum_flops_by_kind

    if name == DEFAULT_PROFILE:
        return report
    profile = get_profile(name)
    layers = []
    for result, count in zip(report.layers, profile_counts(report, spec, name)):
        note = (replace(count.note, layer=result.name, location=result.location),) if count.note else ()
        layers.append(replace(result, macs=count.macs, flops_by_kind=dict(count.flops),
                              findings=result.findings + note))
    by_kind = sum_flops_by_kind(layers)
    totals = replace(report.totals, macs=sum(layer.macs for layer in layers), flops=sum(by_kind.values()),
                     flops_by_kind=by_kind)
    conventions = tuple(c for c in report.conventions if c.id not in REPLACED_CONVENTIONS) + (
        Convention(f"{profile.name}-profile", f"profile {profile.name} ({profile.title}): {profile.compare}"),
        *profile.conventions,
        Convention("profile-batch", "counts per sample (batch 1); layers a tool has no rule for keep rfcalc's "
                                    "count (noted per layer)"),
    )
    return replace(report, layers=tuple(layers), totals=totals, profile=name, conventions=conventions)


def analyze_profiled(spec: "Spec", name: str = DEFAULT_PROFILE) -> "Report":
    """Analyze `spec` and count it under profile `name`."""
    from ..analyzer import analyze

    return apply_profile(analyze(spec), spec, name)
