"""Every counting profile of one spec side by side, and why their MACs differ from rfcalc's.

Each difference is traced to the layers it comes from: per profile and layer family, the MACs the
tool's rule gives minus rfcalc's MACs of the same layers, with the rule itself (the first sentence of
the rule's docstring, which cites the tool's source) and the count per input or output element when
it is a whole number. The differences of a profile add up to its total minus rfcalc's."""
from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Optional

from . import DEFAULT_PROFILE, PROFILE_NAMES, apply_profile, get_profile, profile_counts

if TYPE_CHECKING:  # pragma: no cover
    from ..report import Report
    from ..spec import Spec


@dataclass(frozen=True)
class ProfileTotal:
    """One tool's totals for the spec."""

    profile: str
    title: str
    compare: str  # which of the tool's outputs the MACs reproduce
    macs: int
    flops: int


@dataclass(frozen=True)
class Difference:
    """MACs a profile counts beyond (or short of) rfcalc's for the layers of one family."""

    profile: str
    family: str
    types: tuple[str, ...]  # the spec's layer types in the family, in order of appearance
    layers: int
    delta: int
    in_elements: int
    out_elements: int
    rule: str

    def per_element(self) -> str:
        """'2 per input element' when the difference is a whole number per element, else ''."""
        for elements, where in ((self.in_elements, "input"), (self.out_elements, "output")):
            if elements and self.delta % elements == 0:
                return f"{self.delta // elements:+d} per {where} element"
        return ""


@dataclass(frozen=True)
class ProfileComparison:
    """The spec's totals under every profile, and the differences from rfcalc's MACs, by rule."""

    report: "Report"  # rfcalc's own analysis
    totals: tuple[ProfileTotal, ...]
    differences: tuple[Difference, ...]


def rule_text(rule) -> str:
    """The first sentence of a rule's docstring (it names the tool's function and formula)."""
    text = " ".join((rule.__doc__ or "").split())
    return re.match(r"(.*?\.[\"']?)(?:\s+(?=[A-Z\"])|$)", text).group(1) if "." in text else text


def compare_profiles(spec: "Spec", report: Optional["Report"] = None) -> ProfileComparison:
    """Analyse `spec` (or take its `report`) under every profile and explain each MACs difference."""
    from ..analyzer import analyze

    from ..spec import INPUT

    report = report or analyze(spec)
    families = {node.index: type(node.layer).family for node in spec.nodes}
    shapes = {INPUT: tuple(report.input_shape), **{layer.name: layer.output_shape for layer in report.layers}}
    in_elements = {layer.index: prod(shapes[layer.inputs[0]]) for layer in report.layers}
    totals, differences = [], []
    for name in PROFILE_NAMES:
        profile = get_profile(name)
        profiled = apply_profile(report, spec, name)
        totals.append(ProfileTotal(name, profile.title, profile.compare, profiled.totals.macs, profiled.totals.flops))
        if name == DEFAULT_PROFILE:
            continue
        grouped: dict = {}
        for layer, count in zip(report.layers, profile_counts(report, spec, name)):
            if count.macs != layer.macs:
                grouped.setdefault(families[layer.index], []).append((layer, count.macs - layer.macs))
        for family, items in grouped.items():
            differences.append(Difference(
                name, family.value, tuple(dict.fromkeys(layer.type for layer, _ in items)), len(items),
                sum(delta for _, delta in items), sum(in_elements[layer.index] for layer, _ in items),
                sum(prod(layer.output_shape) for layer, _ in items), _rule_of(profile, family)))
    return ProfileComparison(report, tuple(totals), tuple(differences))


def _rule_of(profile, family) -> str:
    """The words of the profile's rule for a family (or why it has none)."""
    if family in profile.rules:
        return rule_text(profile.rules[family])
    return "not counted by the tool" if family in profile.zero else "no rule: rfcalc's count is kept"


def comparison_to_dict(comparison: ProfileComparison) -> dict:
    """The JSON document of `rfcalc profiles --format json`."""
    report = comparison.report
    return {
        "schema_version": 1, "name": report.name, "source": report.source,
        "input": {"shape": list(report.input_shape), "batch": report.batch, "dtype": report.dtype},
        "baseline": DEFAULT_PROFILE,
        "profiles": [{"profile": t.profile, "title": t.title, "compare": t.compare, "macs": t.macs,
                      "flops": t.flops, "macs_vs_baseline": t.macs - report.totals.macs} for t in comparison.totals],
        "differences": [{"profile": d.profile, "family": d.family, "types": list(d.types), "layers": d.layers,
                         "macs": d.delta, "per_element": d.per_element() or None, "rule": d.rule}
                        for d in comparison.differences],
    }
