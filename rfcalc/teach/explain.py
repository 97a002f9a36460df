"""`rfcalc explain`: assemble every layer's derivations (shape, parameters, MACs/FLOPs, memory,
receptive field) and the network's summary (closed forms, totals, unseen pixels) into an Explanation."""
from __future__ import annotations

import re
from typing import Iterable, Optional

from ..analyzer import analyze
from ..errors import UsageError
from ..layers.conv import ChannelMixing, ConvTranspose, WindowedLayer
from ..layers.pool import WindowPool
from ..report import Report
from ..spec import Spec
from .context import LayerContext, contexts
from .cost_steps import cost_steps, memory_steps, param_steps
from .derivation import QUANTITIES, Equation, Explanation, LayerExplanation, Step, equation
from .mathexpr import Expr, sym
from .notation import DEFAULT_NOTATION, notation as notation_named
from .rf_steps import closed_form_steps, rf_steps, unseen_remarks
from .shape_steps import shape_steps

MAX_SUM_TERMS = 16  # totals are written out as sums up to this many layers


def parse_quantities(text: Optional[str]) -> tuple[str, ...]:
    """--quantity shape,rf,params,macs,memory (flops is macs' step); None: all of them."""
    if text is None:
        return QUANTITIES
    names = [q.strip() for q in text.split(",") if q.strip()]
    aliases = {"flops": "macs", "output": "shape", "size": "shape", "parameters": "params"}
    names = [aliases.get(q, q) for q in names]
    unknown = [q for q in names if q not in QUANTITIES]
    if unknown or not names:
        raise UsageError(f"--quantity '{text}': unknown quantity '{unknown[0] if unknown else ''}'; "
                         f"choose from {', '.join(QUANTITIES)} (and flops)")
    return tuple(q for q in QUANTITIES if q in names)


def select_layers(spec: Spec, pattern: Optional[str]) -> set[str]:
    """Layer names chosen by --layer: an exact name, else a regular expression matched in full."""
    names = [node.name for node in spec.nodes]
    if pattern is None:
        return set(names)
    if pattern in names:
        return {pattern}
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--layer '{pattern}' is neither a layer name nor a valid regular expression ({exc})") from None
    chosen = {name for name in names if compiled.fullmatch(name)}
    if not chosen:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise UsageError(f"--layer '{pattern}' matches no layer of {spec.name} (layers: {shown})")
    return chosen


def explain_spec(spec: Spec, notation: str = DEFAULT_NOTATION, layers: Optional[str] = None,
                 quantities: Iterable[str] = QUANTITIES) -> Explanation:
    """The explanation of a spec: every selected layer's derivations, then the summary."""
    chosen_notation = notation_named(notation)
    selected = select_layers(spec, layers)
    wanted = tuple(quantities)
    report = analyze(spec)
    explained = []
    for ctx in contexts(spec, report, chosen_notation):
        if ctx.node.name in selected:
            explained.append(LayerExplanation(ctx.result, headline(ctx), tuple(layer_steps(ctx, wanted))))
    last = [name for name in (r.name for r in report.layers) if name in selected]
    summary = summary_steps(spec, report, chosen_notation, last[-1] if last else None, wanted, selected)
    return Explanation(spec, report, chosen_notation, tuple(explained), tuple(summary))


def layer_steps(ctx: LayerContext, quantities: tuple[str, ...]) -> list[Step]:
    """Every step of one layer, in the order shape, parameters, costs, memory, receptive field."""
    makers = {"shape": shape_steps, "params": param_steps, "macs": cost_steps, "memory": memory_steps,
              "rf": rf_steps}
    steps: list[Step] = []
    for quantity in QUANTITIES:
        if quantity in quantities:
            steps.extend(makers[quantity](ctx))
    return steps


def _sizes(values) -> str:
    """'2' when every axis has that value, else '3x1'."""
    values = list(values)
    return "x".join(map(str, values)) if len(set(values)) > 1 else str(values[0])


def headline(ctx: LayerContext) -> str:
    """'10 filters 3x3, stride 1, padding 1: 3x32x32 -> 10x32x32'."""
    layer = ctx.layer
    inputs = " + ".join("x".join(map(str, s)) for s in ctx.input_shapes)
    shapes = f"{inputs} -> {'x'.join(map(str, ctx.out_shape))}"
    windows = ctx.facts.windows
    if not windows or not isinstance(layer, WindowedLayer):
        return f"{layer.type}: {shapes}"
    parts = []
    kernel = "x".join(str(w.kernel) for w in windows)
    if isinstance(layer, ChannelMixing):
        parts.append(f"{ctx.out_shape[0]} filter{'s' if ctx.out_shape[0] != 1 else ''} {kernel}")
    else:
        parts.append(f"{kernel} window")
    parts.append(f"stride {_sizes(w.stride for w in windows)}")
    if isinstance(layer.padding, str):
        parts.append(f"padding '{layer.padding}'")
    elif any(w.pad_before or w.pad_after for w in windows):
        symmetric = all(w.pad_before == w.pad_after for w in windows)
        parts.append("padding " + (_sizes(w.pad_before for w in windows) if symmetric
                                   else ", ".join(f"{w.pad_before}+{w.pad_after}" for w in windows)))
    if any(w.dilation > 1 for w in windows):
        parts.append(f"dilation {_sizes(w.dilation for w in windows)}")
    if getattr(layer, "groups", 1) not in (None, 1):
        parts.append(f"groups {layer.groups}")
    if isinstance(layer, ConvTranspose) and layer.output_padding:
        parts.append(f"output_padding {layer.output_padding}")
    if isinstance(layer, WindowPool) and layer.ceil_mode:
        parts.append("ceil_mode")
    return f"{layer.type} {', '.join(parts)}: {shapes}"


def summary_steps(spec: Spec, report: Report, notation, last: Optional[str], quantities: tuple[str, ...],
                  selected: set[str]) -> list[Step]:
    """Closed forms at the last explained layer, the totals, and the input pixels no output sees."""
    steps: list[Step] = []
    if "rf" in quantities and last is not None:
        steps.extend(closed_form_steps(spec, report, last, notation))
    layers = [r for r in report.layers if r.name in selected]
    everything = len(layers) == len(report.layers)
    totals = report.totals
    if "params" in quantities and everything:
        steps.append(_total_step("params", "parameters in total", "params",
                                 [(r.name, r.params) for r in layers if r.params], totals.params,
                                 (f"trainable {totals.trainable_params:,}; buffers {totals.buffers:,} "
                                  f"(batch-norm running statistics, not trained)",)))
    if "macs" in quantities and everything:
        steps.append(_total_step("macs", "MACs in total", "macs", [(r.name, r.macs) for r in layers if r.macs],
                                 totals.macs, (f"FLOPs in total: {totals.flops:,}",)))
    if "memory" in quantities and everything:
        steps.append(_total_step("memory", "activation memory in total", "memory",
                                 [("input", totals.input_bytes)] + [(r.name, r.activation_bytes) for r in layers],
                                 totals.activation_bytes,
                                 ("the input plus every layer's output (what training keeps for the backward pass); "
                                  f"the peak of live tensors at inference is {totals.peak_activation_bytes:,} bytes",)))
    unseen = unseen_remarks(report)
    if "rf" in quantities and unseen:
        steps.append(Step("rf", "input pixels no output sees", (), (), (), tuple(unseen)))
    return steps


def _total_step(quantity: str, title: str, symbol: str, parts: list[tuple[str, int]], total: int,
                remark: tuple) -> Step:
    """A total as the sum of its layers (written out when short), checked against the report."""
    if 1 < len(parts) <= MAX_SUM_TERMS:
        formula: Expr = sym(f"part_{0}")
        env = {"part_0": parts[0][1]}
        for i, (_, value) in enumerate(parts[1:], start=1):
            formula = formula + sym(f"part_{i}")
            env[f"part_{i}"] = value
        eq = equation(sym(symbol), formula.substitute(env), {}, total, what=title)
    else:
        eq = equation(sym(symbol), sym("total"), {"total": total}, total, what=title)
        eq = Equation(eq.lhs, eq.sides[1:], None, eq.value)
    return Step(quantity, title, (), (), (eq,), (remark,))
