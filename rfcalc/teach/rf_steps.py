"""Receptive-field derivations: the recurrence r_out = r_in + (k_eff - 1) j_in, j_out = j_in s, start
(or Distill's effective padding) with numbers, layer by layer; per-position sets where the RF depends
on the position (transposed convolution, upsampling, adaptive pooling); merges and their alignment;
holes and unseen pixels; and the closed forms r_L = 1 + L(k - 1) and 1 + sum (k_i - 1) prod s_j."""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

from ..axis import IDENTITY, AxisMap
from ..findings import DroppedPixels, Gridding, MisalignedMerge, UnseenInput
from ..layers.conv import ConvTranspose
from ..layers.pool import AdaptivePool, MaxPool, AvgPool
from ..layers.reshape import Upsample
from ..report import AxisRF, LayerResult, Report
from ..spec import INPUT, Spec
from ..units import format_fraction
from .context import LayerContext, group_axes
from .derivation import Equation, DerivationMismatch, Step, Words, equation
from .notation import Notation
from .mathexpr import BigOp, Expr, Num, Product, Sum, num, sym

MAX_POSITIONS = 4  # per-position sets listed for a non-uniform layer


def rf_steps(ctx: LayerContext) -> list[Step]:
    """The receptive-field steps of a layer."""
    result = ctx.result
    if not result.rf:
        return []
    if all(r.whole_input for r in result.rf):
        if any(all(r.whole_input for r in rfs) for rfs in ctx.input_rfs if rfs):
            return []
        return [Step("rf", "receptive field", case=(
            f"{ctx.layer.type}: every output depends on every input value, so r is the whole input "
            f"({'x'.join(str(n) for n in ctx.report.input_shape[1:])})",))]
    if len(ctx.input_names) > 1:
        return [_merge_step(ctx)]
    source = ctx.input_rfs[0]
    if result.rf == source and all(m == IDENTITY for m in ctx.facts.axis_maps or ()):
        return [Step("rf", "receptive field", case=("unchanged (element by element): ", *_state_words(result.rf)))]
    maps = ctx.facts.axis_maps
    steps = []
    for axes in group_axes([(m, r_in, r_out) for m, r_in, r_out in zip(maps, source, result.rf)]):
        a = axes[0]
        if maps[a].period == 1 and source[a].uniform and not source[a].whole_input and result.rf[a].uniform:
            steps.append(_recurrence_step(ctx, axes))
        else:
            steps.append(_position_step(ctx, axes))
    return steps


def _state_words(rf: tuple[AxisRF, ...]) -> Words:
    """'r = 5, j = 1, start = 0.5' (or per axis)."""
    values = {(r.size, format_fraction(r.jump), format_fraction(r.start)) for r in rf}
    if len(values) == 1:
        r, j, start = values.pop()
        return (f"r = {r}, j = {j}, start = {start}",)
    return ("; ".join(f"axis {a}: r = {r.size}, j = {format_fraction(r.jump)}, start = {format_fraction(r.start)}"
                      for a, r in enumerate(rf)),)


def _window_of(ctx: LayerContext, axis: int) -> tuple[int, int, int, int, int]:
    """(k, dilation, k_eff, stride, pad_before) of a period-1 map: from the layer's window, else the map."""
    if ctx.facts.windows and not isinstance(ctx.layer, ConvTranspose):
        w = ctx.facts.windows[axis]
        return w.kernel, w.dilation, w.extent, w.stride, w.pad_before
    amap: AxisMap = ctx.facts.axis_maps[axis]
    reads = amap.phases[0]
    extent = reads[-1][1] - reads[0][0] + 1
    return extent, 1, extent, amap.step, -reads[0][0]


def _recurrence_step(ctx: LayerContext, axes: tuple[int, ...]) -> Step:
    a = axes[0]
    before, after = ctx.input_rfs[0][a], ctx.result.rf[a]
    k, d, k_eff, s, p_l = _window_of(ctx, a)
    env = {"r_in": before.size, "j_in": before.jump, "start_in": before.start, "k": k, "d": d, "k_eff": k_eff,
           "s": s, "p": p_l, "p_l": p_l}
    kernel = sym("k_eff") if d > 1 else sym("k")
    windows = ctx.facts.windows
    transposed = isinstance(ctx.layer, ConvTranspose)
    symmetric = not windows or transposed or windows[a].pad_before == windows[a].pad_after
    pad = sym("p_eq") if transposed else sym("p") if symmetric else sym("p_l")
    env["p_eq"] = p_l
    equations: list[Equation] = [
        equation(sym("r_out"), sym("r_in") + (kernel - 1) * sym("j_in"), env, after.size, what="r"),
        equation(sym("j_out"), sym("j_in") * sym("s"), env, after.jump, what="j")]
    if ctx.notation.rf_offset == "padding":
        env["start_in"] = before.effective_padding
        equations.append(equation(sym("start_out"), sym("start_in") + pad * sym("j_in"), env,
                                  after.effective_padding, what="the effective padding"))
    else:
        equations.append(equation(sym("start_out"), sym("start_in") + ((kernel - 1) / 2 - pad) * sym("j_in"), env,
                                  after.start, what="start"))
    remarks: list[Words] = []
    if transposed:
        remarks.append((f"at stride 1 a transposed convolution is a plain convolution with padding P' = K - P - 1 = "
                        f"{p_l}",))
    if isinstance(ctx.layer, (MaxPool, AvgPool)) and s > 1:
        remarks.append((f"pooling multiplies the jump by {s}; r grows by only (K - 1) j_in = "
                        f"{(k_eff - 1) * before.jump}",))
    if after.has_holes and not before.has_holes:
        remarks.append((f"holes: a unit spans r = {after.size} input pixels but sees only {after.support_min} of "
                        f"them, because this layer's taps are d j_in = {format_fraction(d * before.jump)} pixels apart "
                        f"while each input unit covers only r_in = {before.size} (gridding)",))
    return Step("rf", "receptive field", axes, (), tuple(equations), tuple(remarks))


def _position_step(ctx: LayerContext, axes: tuple[int, ...]) -> Step:
    """A layer whose RF depends on the output position: one period of per-position sets."""
    a = axes[0]
    rf = ctx.result.rf[a]
    field = ctx.result.fields[a]
    pattern = field.pattern
    env = {"step": pattern.step, "period": pattern.period}
    equations = [equation(sym("j_out"), sym("step") / sym("period"), env, rf.jump, what="the jump")]
    head = field.border_zones()[0]
    base = -(-head // pattern.period) * pattern.period
    if base + pattern.period > field.units:
        base = 0
    sets = []
    for q in range(min(pattern.period, MAX_POSITIONS)):
        reads = pattern.reads(base + q)
        lo, hi = reads[0][0], reads[-1][1]
        seen = sum(h - l + 1 for l, h in reads)
        shown = ", ".join(f"{l}..{h}" if l != h else str(l) for l, h in reads)
        sets.append(f"unit {base + q} sees {shown} (r = {hi - lo + 1}" + (f", {seen} seen)" if seen != hi - lo + 1
                                                                         else ")"))
    more = ", ..." if pattern.period > MAX_POSITIONS else ""
    outside = any(pattern.reads(base + q)[0][0] < 0 or pattern.reads(base + q)[-1][1] >= field.input_size
                  for q in range(min(pattern.period, MAX_POSITIONS)))
    if outside:
        more += f" (indices outside 0..{field.input_size - 1} fall in the padding)"
    jump = Fraction(rf.jump)
    shown_jump = (f"j = {jump.numerator}" if jump.denominator == 1
                  else f"j is the exact fraction {jump.numerator}/{jump.denominator}")
    case: Words = (f"the RF depends on the position: the pattern repeats every {pattern.period} unit(s) and advances "
                   f"{pattern.step} input pixel(s), so {shown_jump}",)
    remarks: list[Words] = [("; ".join(sets) + more,),
                            (f"r ranges over {rf.size_min}..{rf.size_max}" if rf.size_min != rf.size_max
                             else f"every unit spans r = {rf.size_max}",)]
    why = _position_reason(ctx)
    if why:
        remarks.append((why,))
    return Step("rf", "receptive field", axes, case, tuple(equations), tuple(remarks))


def _position_reason(ctx: LayerContext) -> Optional[str]:
    layer = ctx.layer
    if isinstance(layer, ConvTranspose):
        return ("a transposed convolution scatters each input over K outputs, so outputs of different phases "
                "gather different numbers of inputs")
    if isinstance(layer, Upsample):
        return "upsampling repeats (nearest) or blends (linear) inputs: consecutive outputs share inputs"
    if isinstance(layer, AdaptivePool):
        return "adaptive pooling's windows differ in size and stride when the sizes do not divide"
    if any(not r.uniform for r in ctx.input_rfs[0]):
        return "the input's RF already depends on the position (an earlier resampling layer)"
    return None


def _merge_step(ctx: LayerContext) -> Step:
    """A merge: the union of the branches' RFs, and whether the branches are aligned."""
    words = "; ".join(f"'{name}': " + _state_words(rf)[0] for name, rf in zip(ctx.input_names, ctx.input_rfs))
    remarks: list[Words] = [(words,), ("merged: ", *_state_words(ctx.result.rf))]
    misaligned = [f for f in ctx.result.findings if isinstance(f, MisalignedMerge)]
    if misaligned:
        remarks.extend((f.message(),) for f in misaligned)
    elif {"RF201", "RF203"} & set(ctx.node.ignore):
        remarks.append(("alignment not stated: the spec ignores RF201/RF203 for this layer",))
    else:
        remarks.append(("aligned: every branch has the same jump and the same RF centres, so the union is the "
                        "largest branch RF",))
    return Step("rf", "receptive field", (), ("a merge: each unit depends on everything any branch sees (the union "
                                              "of the branches' RFs)",), (), tuple(remarks))


def unseen_remarks(report: Report) -> list[Words]:
    """The input pixels no output sees, each with its causes: floors that drop the last pixels, and
    holes (strides or dilation leaving gaps)."""
    order = [r.name for r in report.layers]
    remarks: list[Words] = []
    for finding in (f for f in report.findings if isinstance(f, UnseenInput)):
        floors = sorted({f.layer for f in report.select(DroppedPixels.code) if f.axis == finding.axis}, key=order.index)
        holes = sorted({f.layer for f in report.select(Gridding.code) if f.axis == finding.axis}, key=order.index)
        causes = ([f"the floor of {', '.join(floors)} drops the last pixels"] if floors else []) + (
            [f"holes open at {', '.join(holes)} (gridding)"] if holes else [])
        remarks.append((finding.text() + ("; " + "; ".join(causes) if causes else ""),))
    return remarks


# --- closed forms ---------------------------------------------------------------------------------

def window_chain(spec: Spec, report: Report, name: str) -> Optional[list[tuple[str, tuple[tuple[int, int], ...]]]]:
    """The single path of window layers from the input to `name`: per layer (name, per axis (k_eff, s)),
    or None when the path branches or resamples (then only the recurrence applies)."""
    by_name = {node.name: node for node in spec.nodes}
    results = {r.name: r for r in report.layers}
    chain = []
    current = name
    while current != INPUT:
        node = by_name[current]
        if len(node.inputs) != 1:
            return None
        result: LayerResult = results[current]
        if not result.rf or any(r.whole_input or not r.uniform for r in result.rf):
            return None
        facts = node.layer.facts([report.input_shape if node.inputs[0] == INPUT
                                  else results[node.inputs[0]].output_shape])
        if facts.axis_maps is None or any(m.period != 1 for m in facts.axis_maps):
            return None
        if isinstance(node.layer, ConvTranspose):
            return None
        if any(m != IDENTITY for m in facts.axis_maps):
            windows = []
            for m in facts.axis_maps:
                reads = m.phases[0]
                windows.append((reads[-1][1] - reads[0][0] + 1, m.step))
            chain.append((current, tuple(windows)))
        current = node.inputs[0]
    return list(reversed(chain))


def closed_form_steps(spec: Spec, report: Report, name: str, notation: Notation) -> list[Step]:
    """r_L = 1 + L(k - 1) for a uniform stack, else 1 + sum (k_i - 1) prod_{j<i} s_j, with numbers."""
    chain = window_chain(spec, report, name)
    result = next(r for r in report.layers if r.name == name)
    if not chain or not result.rf:
        return []
    ndim = len(result.rf)
    steps = []
    for axes in group_axes([tuple(w[a] for _, w in chain) for a in range(ndim)]):
        a = axes[0]
        kernels = [w[a][0] for _, w in chain]
        strides = [w[a][1] for _, w in chain]
        equations = [_closed_form(kernels, strides, result.rf[a].size, notation),
                     _jump_form(strides, result.rf[a].jump, notation)]
        names = ", ".join(n for n, _ in chain)
        remarks: list[Words] = [(f"the {len(chain)} layer(s) that change the RF: {names}",)]
        if any(k2 == 2 and s2 == 2 for k2, s2 in zip(kernels, strides)):
            remarks.append(("a 2x2 pool at stride 2 adds (2 - 1) j to r and doubles j: pooling doubles the jump, "
                            "not r (three 3x3 convs give r = 7; a 2x2 pool after them gives 8, not 14)",))
        steps.append(Step("rf", f"closed form at '{name}'", axes, (), tuple(equations), tuple(remarks)))
    return steps


def _closed_form(kernels: list[int], strides: list[int], expected: int, notation: Notation) -> Equation:
    jumps = [1]
    for s in strides[:-1]:
        jumps.append(jumps[-1] * s)
    value = 1 + sum((k - 1) * j for k, j in zip(kernels, jumps))
    if value != expected:
        raise DerivationMismatch(f"explain: the closed form gives r = {value} but the analyzer says {expected}")
    if len(set(kernels)) == 1 and set(strides) == {1}:
        symbolic: Expr = 1 + sym("L") * (sym("k") - 1)
        numeric: Expr = 1 + Product((num(len(kernels)), Sum(((1, num(kernels[0])), (-1, num(1))))))
    else:
        outer, inner = notation.closed_indices
        symbolic = 1 + BigOp("sum", outer, "1", "L", (sym("k_sum") - 1) * BigOp("prod", inner, "", "", sym("s_prod")))
        terms = [(1, num(1))] + [(1, Product((Sum(((1, num(k)), (-1, num(1)))), num(j))))
                                 for k, j in zip(kernels, jumps)]
        numeric = Sum(tuple(terms))
    return Equation((sym("r"),), (symbolic, numeric, Num(Fraction(value))), None, Fraction(value))


def _jump_form(strides: list[int], expected: Fraction, notation: Notation) -> Equation:
    value = 1
    for s in strides:
        value *= s
    if value != expected:
        raise DerivationMismatch(f"explain: the product of strides gives j = {value} but the analyzer says {expected}")
    symbolic = BigOp("prod", notation.closed_indices[1][0], "1", "L", sym("s_prod"))
    numeric = Product(tuple(num(s) for s in strides)) if len(strides) > 1 else num(strides[0])
    sides = (symbolic, numeric, Num(Fraction(value))) if len(strides) > 1 else (symbolic, Num(Fraction(value)))
    return Equation((sym("j"),), sides, None, Fraction(value))

