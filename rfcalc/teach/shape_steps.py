"""Output-size derivations: which case a layer is (no padding, same, full, strided, dilated,
ceil_mode, transposed; the conv_arithmetic relationship where one applies), the formula in the
notation, the numbers, the result, and the floor's remainder (the input pixels never read)."""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

from ..layers import Window
from ..layers.conv import ConvTranspose
from ..layers.merge import Concat, ElementwiseMerge
from ..layers.pool import AdaptivePool, GlobalPool, WindowPool, adaptive_bounds
from ..layers.reshape import Flatten, Linear, Pad, Upsample
from .context import LayerContext, axis_words, group_axes
from .derivation import Equation, Step, Words, definition, equation
from .mathexpr import Expr, Num, ceil, floor, maximum, plain_number, sym
from .notation import Notation

RELATIONSHIP = "conv_arithmetic relationship"  # Dumoulin & Visin, A guide to convolution arithmetic (2016)


def shape_steps(ctx: LayerContext) -> list[Step]:
    """The output-size steps of a layer."""
    layer = ctx.layer
    if isinstance(layer, ConvTranspose):
        return transposed_steps(ctx)
    if ctx.facts.windows:
        return _padding_steps(ctx) + window_steps(ctx)
    for kind, explain in _OTHER_SHAPES:
        if isinstance(layer, kind):
            return explain(ctx)
    return [Step("shape", "output shape", case=(f"{_shape(ctx.out_shape)}: the same shape as the input "
                                                f"(the layer acts element by element)",))]


def _shape(shape) -> str:
    return "x".join(map(str, shape))


def out_lhs(axes: tuple[int, ...]) -> tuple[Expr, ...]:
    """H_out = W_out: the output-size symbols of every axis in a step."""
    return tuple(sym(f"n_out@{a}") for a in axes) if len(axes) > 1 else (sym("n_out"),)


def window_env(w: Window, n: int, out: int) -> dict[str, int]:
    """Every symbol of a window's size formulas, for one axis."""
    return {"n_in": n, "k": w.kernel, "s": w.stride, "p": w.pad_before, "p_l": w.pad_before,
            "p_r": w.pad_after, "p_total": w.pad_before + w.pad_after, "d": w.dilation, "k_eff": w.extent,
            "n_out": out}


def window_size_formula(notation: Notation, w: Window) -> tuple[Expr, bool]:
    """(formula, then_floor) for a window's output size in the notation's form."""
    kernel = sym("k_eff") if w.dilation > 1 else sym("k")
    symmetric = w.pad_before == w.pad_after
    padding = 2 * sym("p") if symmetric else sym("p_l") + sym("p_r")
    rounding = ceil if w.ceil_mode else floor
    if notation.size_form == "then-floor":
        quotient = (sym("n_in") - kernel + padding) / sym("s")
        return (rounding(quotient) + 1, False) if w.ceil_mode else (quotient + 1, True)
    if notation.size_form == "d2l":
        if w.ceil_mode:
            return rounding((sym("n_in") - kernel + sym("p_total")) / sym("s")) + 1, False
        return floor((sym("n_in") - kernel + sym("p_total") + sym("s")) / sym("s")), False
    if notation.size_form == "distill":
        return rounding((sym("n_in") + sym("p_l") + sym("p_r") - kernel) / sym("s")) + 1, False
    return rounding((sym("n_in") + padding - kernel) / sym("s")) + 1, False


def window_case(ctx: LayerContext, w: Window) -> Words:
    """Which case of the output-size rule a window is in, in words."""
    pooling = isinstance(ctx.layer, WindowPool)
    p, k, s = w.pad_before, w.kernel, w.stride
    if w.ceil_mode:
        return ("ceil_mode: the division rounds up (PyTorch), but a last window that would start in the "
                "right padding is dropped",)
    if w.pad_before != w.pad_after:
        return (f"asymmetric padding ({w.pad_before} before, {w.pad_after} after): ", sym("p_l") + sym("p_r"),
                " takes the place of ", 2 * sym("p"))
    if w.dilation > 1:
        return (f"dilated {'pooling' if pooling else 'convolution'} ({RELATIONSHIP} 15): the kernel's taps are ",
                sym("d"), " apart, so it spans ", sym("k_eff"), " = ", sym("d") * (sym("k") - 1) + 1, " pixels")
    if pooling and p == 0:
        return (f"pooling ({RELATIONSHIP} 7)",)
    if s == 1:
        if p == 0:
            return (f"no zero padding, unit stride ({RELATIONSHIP} 1): the output shrinks by ", sym("k") - 1,)
        if k % 2 == 1 and p == k // 2:
            return (f"half ('same') padding, unit stride ({RELATIONSHIP} 3): ", sym("p"), " = ",
                    floor(sym("k") / 2), " keeps the size")
        if p == k - 1:
            return (f"full padding, unit stride ({RELATIONSHIP} 4): ", sym("p"), " = ", sym("k") - 1,
                    " grows the output by ", sym("k") - 1)
        return (f"zero padding, unit stride ({RELATIONSHIP} 2)",)
    if p == 0:
        return (f"no zero padding, stride {s} ({RELATIONSHIP} 5)",)
    return (f"zero padding, stride {s} ({RELATIONSHIP} 6)",)


def window_steps(ctx: LayerContext) -> list[Step]:
    """Output size of a sliding-window layer (convolution, pooling), axis by axis."""
    windows = ctx.facts.windows
    sizes_in, sizes_out = ctx.in_shape[1:], ctx.out_shape[1:]
    steps = []
    for axes in group_axes([(w, n, o) for w, n, o in zip(windows, sizes_in, sizes_out)]):
        w, n, out = windows[axes[0]], sizes_in[axes[0]], sizes_out[axes[0]]
        env = window_env(w, n, out)
        equations = []
        if w.dilation > 1:
            equations.append(equation(sym("k_eff"), sym("d") * (sym("k") - 1) + 1, env, w.extent,
                                      what="the effective kernel"))
        formula, then_floor = window_size_formula(ctx.notation, w)
        if w.ceil_mode:
            equations.extend(_ceil_mode_equations(axes, formula, env, w, n, out))
        else:
            equations.append(equation(out_lhs(axes), formula, env, out, then_floor, what="the output size"))
        steps.append(Step("shape", "output size", axes, window_case(ctx, w), tuple(equations),
                          _floor_remarks(ctx, axes, w, n, out)))
    return steps


def _ceil_mode_equations(axes, formula: Expr, env: dict, w: Window, n: int, out: int) -> list[Equation]:
    """ceil_mode: the rounded-up size, then PyTorch's rule dropping a window that starts in the padding."""
    rounded = formula.evaluate({k: Fraction(v) for k, v in env.items()})
    if rounded == out:
        return [equation(out_lhs(axes), formula, env, out, what="the ceil_mode output size")]
    first = equation(out_lhs(axes), formula, env, rounded, what="the ceil_mode output size")
    return [first, equation(out_lhs(axes), Num(rounded) - 1, {}, out, what="the ceil_mode output size")]


def _floor_remarks(ctx: LayerContext, axes: tuple[int, ...], w: Window, n: int, out: int) -> tuple[Words, ...]:
    """Why the floor matters: the remainder, and which input pixels are never read."""
    span = n + w.pad_before + w.pad_after - w.extent
    where = axis_words(axes, ctx.ndim)
    if w.ceil_mode:
        if span % w.stride == 0:
            return ()
        rounded = span // w.stride + 2
        start, limit = (rounded - 1) * w.stride, n + w.pad_before
        if rounded != out:
            return ((f"the last window would start at (n_out - 1) S = {start} >= n_in + P_l = {limit}, in the right "
                     f"padding, so PyTorch drops it",),)
        return ((f"rounding up keeps a last, partial window: it starts at {start} < n_in + P_l = {limit} "
                 f"(padded coordinates)",),)
    if span % w.stride == 0:
        return ()
    unfloored = plain_number(Fraction(span, w.stride) + 1)
    dropped = w.dropped(n)
    words: list = [f"{unfloored} is not whole (\"Cannot\" in the notes): n + padding - kernel = {span} is not a "
                   f"multiple of the stride {w.stride}, so PyTorch floors to {out}"]
    if dropped:
        first = n - dropped
        which = f"index {first}" if dropped == 1 else f"indices {first}-{n - 1}"
        count = "" if dropped == 1 else f"{dropped} "
        verb = "are" if dropped > 1 or len(axes) > 1 else "is"
        words.append(f" and the last {count}input {axis_words(axes, ctx.ndim, dropped > 1)} ({which}) {verb} "
                     f"never read")
    else:
        words.append(f"; the {span % w.stride} position(s) never reached are padding, so every input {where} "
                     f"is still read")
    return (tuple(words),)


def _padding_steps(ctx: LayerContext) -> list[Step]:
    """How padding: 'same' or 'valid' turns into explicit pads before and after, axis by axis."""
    padding = getattr(ctx.layer, "padding", 0)
    if padding == "valid":
        return [Step("shape", "padding 'valid'", case=("'valid' means no zero padding: ", sym("p"), " = 0"))]
    if padding != "same":
        return []
    steps = []
    windows, sizes = ctx.facts.windows, ctx.in_shape[1:]
    for axes in group_axes([(w, n) for w, n in zip(windows, sizes)]):
        w, n = windows[axes[0]], sizes[axes[0]]
        out = -(-n // w.stride)
        env = {**window_env(w, n, out)}
        kernel = sym("k_eff") if w.dilation > 1 else sym("k")
        equations = (
            equation(sym("n_out"), ceil(sym("n_in") / sym("s")), env, out, what="'same' output size"),
            equation(sym("p_total"), maximum((sym("n_out") - 1) * sym("s") + kernel - sym("n_in"), 0), env,
                     w.pad_before + w.pad_after, what="'same' total padding"),
            equation(sym("p_l"), floor(sym("p_total") / 2), env, w.pad_before, what="'same' padding before"),
            equation(sym("p_r"), sym("p_total") - sym("p_l"), env, w.pad_after, what="'same' padding after"),
        )
        remarks: list[Words] = [(
            "TensorFlow's rule (Keras padding='same', ONNX auto_pad SAME_UPPER): the odd pixel, if any, goes after "
            "(bottom, right); ONNX SAME_LOWER puts it before; PyTorch's padding='same' allows stride 1 only "
            "and also puts it after",)]
        total = w.pad_before + w.pad_after
        if w.stride == 1 and w.extent % 2 == 1:
            remarks.append(("an odd kernel at stride 1 pads (K - 1)/2 = ", Num(Fraction(w.extent - 1, 2)),
                            " on each side",))
        elif total % 2:
            remarks.append((f"the total padding {total} is odd, so the padding is asymmetric: "
                            f"{w.pad_before} before, {w.pad_after} after" + (" (an even kernel)" if w.kernel % 2 == 0
                                                                              else ""),))
        steps.append(Step("shape", "padding 'same'", axes, (), equations, tuple(remarks)))
    return steps


def transposed_steps(ctx: LayerContext) -> list[Step]:
    """Output size of a transposed convolution, and why output_padding exists."""
    layer = ctx.layer
    windows, sizes_in, sizes_out = ctx.facts.windows, ctx.in_shape[1:], ctx.out_shape[1:]
    extra = layer.output_padding
    extras = (extra,) * len(windows) if isinstance(extra, int) else tuple(extra)
    steps = []
    for axes in group_axes([(w, n, o, a) for w, n, o, a in zip(windows, sizes_in, sizes_out, extras)]):
        w, n, out, a = windows[axes[0]], sizes_in[axes[0]], sizes_out[axes[0]], extras[axes[0]]
        env = {**window_env(w, n, out), "a": a}
        kernel = sym("k_eff") if w.dilation > 1 else sym("k")
        padding = 2 * sym("p") if w.pad_before == w.pad_after else sym("p_l") + sym("p_r")
        formula = sym("s") * (sym("n_in") - 1) + kernel - padding
        if w.stride > 1 or a:
            formula = formula + sym("a")
        equations = []
        if w.dilation > 1:
            equations.append(equation(sym("k_eff"), sym("d") * (sym("k") - 1) + 1, env, w.extent,
                                      what="the effective kernel"))
        equations.append(equation(out_lhs(axes), formula, env, out, what="the transposed output size"))
        steps.append(Step("shape", "output size", axes, _transposed_case(w, a), tuple(equations),
                          _transposed_remarks(w, n, a)))
    return steps


def _transposed_case(w: Window, a: int) -> Words:
    """The conv_arithmetic relationship of a transposed convolution."""
    p, k, s = w.pad_before, w.kernel, w.stride
    if w.dilation > 1 or w.pad_before != w.pad_after:
        return ("transposed convolution",)
    if s == 1:
        number = 8 if p == 0 else 10 if (k % 2 and p == k // 2) else 11 if p == k - 1 else 9
    else:
        number = 14 if a else 12 if p == 0 else 13
    return (f"transposed convolution ({RELATIONSHIP} {number})",)


def _transposed_remarks(w: Window, n: int, a: int) -> tuple[Words, ...]:
    """The equivalent direct convolution, and the input sizes output_padding chooses between."""
    stretched = w.stride * (n - 1) + 1
    remarks: list[Words] = [(
        f"the same as a stride-1 convolution with kernel K' = K and padding K - P - 1 = "
        f"{w.extent - 1 - w.pad_before} on each side over the input stretched by S - 1 = {w.stride - 1} zero(s) "
        f"between units (S(n_in - 1) + 1 = {stretched} units): each input spreads over K outputs",)]
    if w.stride > 1:
        smallest = w.stride * (n - 1) + w.extent - w.pad_before - w.pad_after
        remarks.append((
            f"why output_padding exists: a stride-{w.stride} convolution with the same kernel and padding maps every "
            f"input size from {smallest} to {smallest + w.stride - 1} to {n} (the floor drops the remainder), so "
            f"the size to restore is ambiguous; output_padding = a in 0..{w.stride - 1} picks one: here a = {a} "
            f"gives {smallest + a}",))
    return tuple(remarks)


def _upsample_steps(ctx: LayerContext) -> list[Step]:
    layer = ctx.layer
    sizes_in, sizes_out = ctx.in_shape[1:], ctx.out_shape[1:]
    steps = []
    for axes in group_axes(list(zip(sizes_in, sizes_out))):
        n, out = sizes_in[axes[0]], sizes_out[axes[0]]
        if layer.size is not None:
            equations = (definition(sym("n_out"), out),)
            case: Words = ("upsampling to a given size",)
        else:
            scales = layer.scale_factor if isinstance(layer.scale_factor, list) else [layer.scale_factor] * len(sizes_in)
            scale = Fraction(str(scales[axes[0]]))
            equations = (equation(out_lhs(axes), floor(sym("n_in") * sym("scale")), {"n_in": n, "scale": scale},
                                  out, what="the upsampled size"),)
            case = (f"upsampling by a factor of {plain_number(scale)}",)
        mode = {"nearest": "nearest: output o copies input floor(o / scale)",
                "linear": "linear interpolation between the two nearest inputs",
                "bilinear": "bilinear interpolation between the 2x2 nearest inputs",
                "trilinear": "trilinear interpolation between the 2x2x2 nearest inputs"}[layer.mode]
        steps.append(Step("shape", "output size", axes, case, equations, ((f"mode {mode}",),)))
    return steps


def _adaptive_steps(ctx: LayerContext) -> list[Step]:
    sizes_in, sizes_out = ctx.in_shape[1:], ctx.out_shape[1:]
    steps = []
    for axes in group_axes(list(zip(sizes_in, sizes_out))):
        n, m = sizes_in[axes[0]], sizes_out[axes[0]]
        windows = [adaptive_bounds(o, n, m) for o in range(min(m, 6))]
        shown = ", ".join(f"[{lo}, {hi})" for lo, hi in windows) + (", ..." if m > 6 else "")
        remark: Words = (f"output o reads [floor(o n_in / m), ceil((o + 1) n_in / m)) = {shown}",)
        if n % m == 0:
            remark = remark + (f": a plain window with K = S = n_in / m = {n // m}",)
        else:
            remark = remark + (": windows of different sizes, so the RF depends on the position",)
        steps.append(Step("shape", "output size", axes, ("adaptive pooling to a fixed size",),
                          (definition(sym("n_out"), m),), (remark,)))
    return steps


def _global_pool_steps(ctx: LayerContext) -> list[Step]:
    return [Step("shape", "output shape", case=(f"global pooling: one value per channel, "
                                                f"{_shape(ctx.in_shape)} -> {_shape(ctx.out_shape)}",))]


def _flatten_steps(ctx: LayerContext) -> list[Step]:
    shape = ctx.in_shape
    if len(shape) == 1:
        return [Step("shape", "output shape", case=("already flat: unchanged",))]
    env = {"c_in": shape[0], **{f"n_in@{a}": n for a, n in enumerate(shape[1:])}}
    formula = sym("c_in")
    for a in range(len(shape) - 1):
        formula = formula * sym(f"n_in@{a}")
    return [Step("shape", "output shape", tuple(range(len(shape) - 1)),
                 ("flatten: every value of the input becomes one feature",),
                 (equation(sym("f_out"), formula, env, ctx.out_shape[0], what="the flattened size"),))]


def _linear_steps(ctx: LayerContext) -> list[Step]:
    return [Step("shape", "output shape", case=(f"fully connected: {ctx.in_shape[0]} inputs -> "
                                                f"{ctx.out_shape[0]} outputs (out_features)",))]


def _pad_steps(ctx: LayerContext) -> list[Step]:
    maps = ctx.facts.axis_maps
    sizes_in, sizes_out = ctx.in_shape[1:], ctx.out_shape[1:]
    steps = []
    for axes in group_axes(list(zip(sizes_in, sizes_out, (m.phases for m in maps)))):
        n, out = sizes_in[axes[0]], sizes_out[axes[0]]
        before = -maps[axes[0]].phases[0][0][0]
        env = {"n_in": n, "p_l": before, "p_r": out - n - before}
        steps.append(Step("shape", "output size", axes, ("explicit padding (negative values crop)",),
                          (equation(out_lhs(axes), sym("n_in") + sym("p_l") + sym("p_r"), env, out,
                                    what="the padded size"),)))
    return steps


def _merge_steps(ctx: LayerContext) -> list[Step]:
    shapes = ", ".join(f"'{name}' {_shape(s)}" for name, s in zip(ctx.input_names, ctx.input_shapes))
    if isinstance(ctx.layer, Concat):
        formula = sym("c", "1")
        for i in range(1, len(ctx.input_shapes)):
            formula = formula + sym("c", str(i + 1))
        env = {f"c[{i + 1}]": s[0] for i, s in enumerate(ctx.input_shapes)}
        return [Step("shape", "output shape", (), (f"concatenation along channels of {shapes}: the spatial sizes "
                                                   f"must agree, the channels add up",),
                     (equation(sym("c_out"), formula, env, ctx.out_shape[0], what="the concatenated channels"),))]
    return [Step("shape", "output shape", (), (f"element-wise {ctx.layer.type} of {shapes}: the shapes must agree; "
                                               f"the output has the same shape",))]


_OTHER_SHAPES: tuple[tuple[type, Callable[[LayerContext], list[Step]]], ...] = (
    (Upsample, _upsample_steps), (AdaptivePool, _adaptive_steps), (GlobalPool, _global_pool_steps),
    (Flatten, _flatten_steps), (Linear, _linear_steps), (Pad, _pad_steps),
    (Concat, _merge_steps), (ElementwiseMerge, _merge_steps),
)
