"""Parameter, MAC/FLOP and memory derivations: C_out (C_in/g H_K W_K + 1) with the numbers, the bias
and batch-norm buffers stated, MACs C_out H_out W_out C_in/g H_K W_K, FLOPs 2 MACs plus the other
operations by kind, and the activation memory C_out H_out W_out x batch x bytes."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from ..dtypes import DTYPE_BYTES
from ..layers.activation import PointwiseActivation, PReLU
from ..layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv, TiledConv
from ..layers.merge import ElementwiseMerge
from ..layers.norm import BatchNorm
from ..layers.pool import AvgPool, MaxPool
from ..layers.reshape import Linear
from ..units import format_bytes
from .context import LayerContext
from .derivation import Equation, Step, Words, equation
from .mathexpr import Expr, Num, plain_number, sym

_KIND_WORDS = {"add": "additions", "mul": "multiplications", "div": "divisions", "cmp": "comparisons",
               "exp": "exponential-kind operations"}


@dataclass(frozen=True)
class Counts:
    """A layer's parameter and MAC formulas with their numbers (None: not derived for this layer)."""

    env: dict
    params: Optional[Expr] = None
    macs: Optional[Expr] = None
    remarks: tuple[Words, ...] = ()
    mac_remarks: tuple[Words, ...] = ()


def kernel_product(ctx: LayerContext) -> tuple[Expr, dict]:
    """H_K W_K (one kernel symbol per axis) and their values."""
    windows = ctx.facts.windows
    expr: Expr = sym("k@0")
    for a in range(1, len(windows)):
        expr = expr * sym(f"k@{a}")
    return expr, {f"k@{a}": w.kernel for a, w in enumerate(windows)}


def size_product(prefix: str, sizes) -> tuple[Expr, dict]:
    """H_out W_out (or H_in W_in) and their values."""
    expr: Expr = sym(f"{prefix}@0")
    for a in range(1, len(sizes)):
        expr = expr * sym(f"{prefix}@{a}")
    return expr, {f"{prefix}@{a}": n for a, n in enumerate(sizes)}


def elements_of(ctx: LayerContext) -> tuple[Expr, dict]:
    """C_out H_out W_out (or N_out for a flat output) and the values."""
    shape = ctx.out_shape
    if len(shape) == 1:
        return sym("f_out"), {"f_out": shape[0]}
    spatial, env = size_product("n_out", shape[1:])
    return sym("c_out") * spatial, {**env, "c_out": shape[0]}


def _per_group(ctx: LayerContext) -> Expr:
    """C_in, or C_in/g for a grouped convolution."""
    return sym("c_in") / sym("g") if ctx.layer.groups not in (None, 1) else sym("c_in")


def _conv_counts(ctx: LayerContext) -> Counts:
    layer = ctx.layer
    groups = ctx.in_shape[0] if isinstance(layer, DepthwiseConv) else layer.groups
    kernel, env = kernel_product(ctx)
    outputs, out_env = size_product("n_out", ctx.out_shape[1:])
    env = {**env, **out_env, "c_in": ctx.in_shape[0], "c_out": ctx.out_shape[0], "g": groups}
    channels = sym("c_in") / sym("g") if groups != 1 else sym("c_in")
    per_filter = channels * kernel
    params = sym("c_out") * (per_filter + 1) if layer.bias else sym("c_out") * per_filter
    remarks: list[Words] = []
    weights = Fraction(ctx.in_shape[0], groups) * _product(w.kernel for w in ctx.facts.windows)
    if isinstance(layer, DepthwiseConv) or groups > 1:
        remarks.append((f"{'depthwise' if groups == ctx.in_shape[0] else 'grouped'}: g = {groups} groups, so each "
                        f"filter spans C_in/g = {plain_number(Fraction(ctx.in_shape[0], groups))} input channel(s)",))
    remarks.append(("each filter spans all of its input channels: ", per_filter, " = ",
                    per_filter.substitute(env), f" = {plain_number(weights)} weights"
                    + (" (+1 for its bias)" if layer.bias else ""),))
    if layer.bias:
        remarks.append((f"bias: one per filter, {ctx.out_shape[0]:,} in all (without it: "
                        f"{plain_number(weights * ctx.out_shape[0])})",))
    else:
        remarks.append(("no bias (bias: false)",))
    macs = sym("c_out") * outputs * per_filter
    return Counts(env, params, macs, tuple(remarks), ((
        "each output value is a dot product of ", per_filter, " weights with as many input values",),))


def _transposed_counts(ctx: LayerContext) -> Counts:
    layer = ctx.layer
    kernel, env = kernel_product(ctx)
    inputs, in_env = size_product("n_in", ctx.in_shape[1:])
    env = {**env, **in_env, "c_in": ctx.in_shape[0], "c_out": ctx.out_shape[0], "g": layer.groups}
    per_input = (sym("c_out") / sym("g") if layer.groups != 1 else sym("c_out")) * kernel
    params = sym("c_in") * per_input + (sym("c_out") if layer.bias else 0)
    if not layer.bias:
        params = sym("c_in") * per_input
    macs = sym("c_in") * inputs * per_input
    return Counts(env, params, macs, (("bias: one per output channel" if layer.bias else "no bias",),), ((
        "counted as frameworks compute it: every input element is multiplied into ", per_input,
        " outputs (scatter), not per output pixel",),))


def _separable_counts(ctx: LayerContext) -> Counts:
    layer = ctx.layer
    kernel, env = kernel_product(ctx)
    outputs, out_env = size_product("n_out", ctx.out_shape[1:])
    env = {**env, **out_env, "c_in": ctx.in_shape[0], "c_out": ctx.out_shape[0], "m_depth": layer.depth_multiplier}
    depthwise = sym("c_in") * sym("m_depth") * kernel
    pointwise = sym("c_in") * sym("m_depth") * sym("c_out")
    params = depthwise + pointwise + (sym("c_out") if layer.bias else 0)
    if not layer.bias:
        params = depthwise + pointwise
    return Counts(env, params, outputs * (depthwise + pointwise),
                  (("a depthwise window (", depthwise, ") then a 1x1 pointwise convolution (", pointwise, ")"),))


def _locally_connected_counts(ctx: LayerContext) -> Counts:
    kernel, env = kernel_product(ctx)
    elements, out_env = elements_of(ctx)
    env = {**env, **out_env, "c_in": ctx.in_shape[0]}
    per_output = sym("c_in") * kernel
    params = elements * (per_output + 1) if ctx.layer.bias else elements * per_output
    return Counts(env, params, elements * per_output,
                  (("unshared: a separate filter at every output position (no parameter sharing)",),))


def _tiled_counts(ctx: LayerContext) -> Counts:
    kernel, env = kernel_product(ctx)
    outputs, out_env = size_product("n_out", ctx.out_shape[1:])
    tiles = ctx.layer.tile_size
    count = tiles ** len(ctx.facts.windows) if isinstance(tiles, int) else _product(tiles)
    env = {**env, **out_env, "c_in": ctx.in_shape[0], "c_out": ctx.out_shape[0], "tiles": count}
    per_filter = sym("c_in") * kernel
    params = sym("tiles") * sym("c_out") * ((per_filter + 1) if ctx.layer.bias else per_filter)
    return Counts(env, params, sym("c_out") * outputs * per_filter,
                  ((f"tiled: {count} filter banks used in rotation across positions",),))


def _linear_counts(ctx: LayerContext) -> Counts:
    env = {"f_in": ctx.in_shape[0], "f_out": ctx.out_shape[0]}
    params = sym("f_in") * sym("f_out") + sym("f_out") if ctx.layer.bias else sym("f_in") * sym("f_out")
    return Counts(env, params, sym("f_in") * sym("f_out"),
                  (("every output is connected to every input: one weight per pair",
                    ", plus one bias per output" if ctx.layer.bias else ""),))


def _batchnorm_counts(ctx: LayerContext) -> Counts:
    layer = ctx.layer
    env = {"c_out": ctx.out_shape[0]}
    remarks: list[Words] = []
    if layer.affine:
        remarks.append(("gamma and beta, one of each per channel",))
    if layer.track_running_stats:
        remarks.append((f"buffers: the running mean and variance, 2 x {ctx.out_shape[0]} = {2 * ctx.out_shape[0]} "
                        f"values, are not trained (Keras lists them as non-trainable params)",))
    return Counts(env, 2 * sym("c_out") if layer.affine else None, None, tuple(remarks))


def _prelu_counts(ctx: LayerContext) -> Counts:
    return Counts({}, Num(ctx.layer.num_parameters), None, (("the learned negative slope(s)",),))


_COUNTS: tuple[tuple[type, Callable[[LayerContext], Counts]], ...] = (
    (DepthwiseConv, _conv_counts), (Conv, _conv_counts), (ConvTranspose, _transposed_counts),
    (SeparableConv, _separable_counts), (LocallyConnected, _locally_connected_counts), (TiledConv, _tiled_counts),
    (Linear, _linear_counts), (BatchNorm, _batchnorm_counts), (PReLU, _prelu_counts),
)


def _product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _counts(ctx: LayerContext) -> Optional[Counts]:
    for kind, count in _COUNTS:
        if isinstance(ctx.layer, kind):
            return count(ctx)
    return None


def param_steps(ctx: LayerContext) -> list[Step]:
    """The parameter step: the formula with numbers, the bias and buffers stated."""
    result, node = ctx.result, ctx.node
    if node.share_params_with:
        return [Step("params", "parameters", case=(f"shares the parameters of '{node.share_params_with}': "
                                                   f"counted once, so 0 here",))]
    counts = _counts(ctx)
    if counts is None or counts.params is None:
        if result.params or result.buffers:
            return [Step("params", "parameters", case=(f"{result.params:,} parameters, {result.buffers:,} buffers "
                                                       f"({_rule(ctx)})",))]
        if isinstance(ctx.layer, (MaxPool, AvgPool)):
            return [Step("params", "parameters", case=("0: a pooling window has nothing to learn",))]
        return []
    formula = counts.params
    equations = [equation(sym("params"), formula, counts.env, result.params, what="the parameters")]
    remarks = list(counts.remarks)
    if not node.trainable:
        remarks.append(("frozen (trainable: false): counted, but not trained",))
    return [Step("params", "parameters", (), (), tuple(equations), tuple(remarks))]


def cost_steps(ctx: LayerContext) -> list[Step]:
    """MACs and FLOPs: the MAC formula, FLOPs = 2 MACs + the other operations by kind."""
    result = ctx.result
    if not result.flops:
        return []
    counts = _counts(ctx)
    equations: list[Equation] = []
    remarks: list[Words] = []
    if result.macs:
        if counts is None or counts.macs is None:
            return [Step("macs", "MACs and FLOPs", case=(f"{result.macs:,} MACs, {result.flops:,} FLOPs ({_rule(ctx)})",))]
        equations.append(equation(sym("macs"), counts.macs, counts.env, result.macs, what="the MACs"))
        remarks.extend(counts.mac_remarks)
    others = {kind: n for kind, n in result.flops_by_kind.items() if kind != "mac"}
    other_equations, other_remarks = _other_ops(ctx, others)
    equations.extend(other_equations)
    remarks.extend(other_remarks)
    if result.macs:
        formula: Expr = 2 * sym("macs")
        env = {"macs": result.macs}
        for kind, n in others.items():
            formula = formula + sym(f"ops_{kind}")
            env[f"ops_{kind}"] = n
        equations.append(equation(sym("flops"), formula, env, result.flops, what="the FLOPs"))
        remarks.append(("a multiply-accumulate is 2 FLOPs (the notes' 2(C_out H_out W_out)(C_in H_K W_K)); "
                        "MACs leave the bias out",))
    title = "MACs and FLOPs" if result.macs else "FLOPs"
    return [Step("macs", title, (), (), tuple(equations), tuple(remarks))]


def _other_ops(ctx: LayerContext, others: dict[str, int]) -> tuple[list[Equation], list[Words]]:
    """Equations for the non-MAC operations: per element, per output window, or the layer's rule."""
    if not others:
        return [], []
    elements, env = elements_of(ctx)
    layer = ctx.layer
    rules: dict[str, Expr] = {}
    if isinstance(layer, MaxPool):
        rules = {"cmp": (_window_taps(ctx, env) - 1) * elements}
    elif isinstance(layer, AvgPool):
        rules = {"add": (_window_taps(ctx, env) - 1) * elements, "div": elements}
    elif isinstance(layer, PointwiseActivation):
        rules = {kind: (n * elements if n != 1 else elements) for kind, n in layer.ops_per_element.items()}
    elif isinstance(layer, ElementwiseMerge):
        env["inputs"] = len(ctx.input_shapes)
        rules = {layer.op_kind: (sym("inputs") - 1) * elements}
    elif isinstance(layer, BatchNorm):
        rules = {"mul": elements, "add": elements}
    elif isinstance(layer, (Conv, ConvTranspose, SeparableConv, LocallyConnected, TiledConv, Linear)) and \
            set(others) == {"add"}:
        rules = {"add": elements}
    if set(rules) != set(others):
        per_element = {kind: Fraction(n, ctx.elements) for kind, n in others.items()}
        if all(v.denominator == 1 for v in per_element.values()):
            rules = {kind: (int(v) * elements if v != 1 else elements) for kind, v in per_element.items()}
            words = f"per element ({_rule(ctx)})"
        else:
            listed = ", ".join(f"{kind} {n:,}" for kind, n in others.items())
            return [], [(f"other operations: {listed} ({_rule(ctx)})",)]
    else:
        words = ""
    equations = [equation(sym(f"ops_{kind}"), rules[kind], env, n, what=f"the {kind} operations")
                 for kind, n in others.items()]
    remarks: list[Words] = []
    if isinstance(layer, (Conv, ConvTranspose, SeparableConv, LocallyConnected, TiledConv, Linear)):
        remarks.append(("add: the bias, one addition per output value",))
    elif words:
        remarks.append((words,))
    return equations, remarks


def _window_taps(ctx: LayerContext, env: dict) -> Expr:
    """H_K W_K of a pooling window (adds the kernel sizes to env)."""
    kernel, kernel_env = kernel_product(ctx)
    env.update(kernel_env)
    return kernel


def _rule(ctx: LayerContext) -> str:
    """The layer's counting rule, from its docstring."""
    doc = " ".join((type(ctx.layer).__doc__ or "").split())
    return f"the rule of {ctx.layer.type}: {doc}" if doc else f"as {ctx.layer.type} counts them"


def memory_steps(ctx: LayerContext) -> list[Step]:
    """Activation memory of the output: elements x batch x bytes."""
    report = ctx.report
    elements, env = elements_of(ctx)
    env = {**env, "batch": report.batch, "bytes": DTYPE_BYTES[report.dtype]}
    formula = elements * sym("batch") * sym("bytes")
    eq = equation(sym("memory"), formula, env, ctx.result.activation_bytes, what="the activation memory")
    return [Step("memory", "activation memory", (), (), (eq,),
                 ((f"{format_bytes(ctx.result.activation_bytes)} ({report.dtype}: {env['bytes']} bytes per value)",),))]


def kind_words(kind: str) -> str:
    """'additions' for 'add', ..."""
    return _KIND_WORDS.get(kind, kind)
