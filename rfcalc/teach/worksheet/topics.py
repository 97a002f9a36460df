"""The exercise templates, one per topic of the lecture notes: how a topic draws well-posed numbers
at a difficulty level, and what it makes of them (the network as a small spec, the question in the
notes' words, the blanks and the misconceptions behind wrong answers). Each template also lists the
notes' own worked examples: its numbers for them give the notes' figures (tests/test_worksheet.py).

A draw returns None when its numbers make a degenerate exercise (a kernel larger than the input,
a stride that does not divide where the question says it does); the generator draws again."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, prod
from random import Random
from typing import Callable, Optional

from .model import Ask, Draft, Misconception, Network, Reader, Search

Params = dict  # a template's numbers (plain ints, strings, lists)


@dataclass(frozen=True)
class Example:
    """A worked example of the lecture notes: the template's numbers and the notes' figures, one per
    ask of the draft (None where the notes state no figure for that blank)."""

    source: str
    params: Params
    figures: tuple


@dataclass(frozen=True)
class Topic:
    """One topic: code (T1...), name (--topics), title, drawing and building, the notes' examples."""

    code: str
    name: str
    title: str
    draw: Callable[[Random, int], Optional[Params]]
    build: Callable[[Params], Draft]
    examples: tuple[Example, ...] = ()


# -- the pieces every template uses -----------------------------------------------------------------

def flow(mapping: dict) -> str:
    """A YAML flow mapping: {name: c, type: conv2d, kernel_size: 5}."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(map(str, v)) + "]"
        return str(v)
    return "{" + ", ".join(f"{k}: {value(v)}" for k, v in mapping.items()) + "}"


def network_yaml(name: str, shape: list[int], layers: list[dict], dtype: str = "float32") -> str:
    """A spec's YAML text: its input and its layers."""
    lines = [f"name: {name}", f"input: {{shape: {list(shape)}, batch: 1, dtype: {dtype}}}", "layers:"]
    lines += [f"  - {flow(layer)}" for layer in layers]
    return "\n".join(lines) + "\n"


def conv(name: str, dims: int, c_out: int, k, s=1, p=0, d=1, groups=1, bias=True, **extra) -> dict:
    """A convolution layer's spec entry (defaults left out)."""
    layer = {"name": name, "type": f"conv{dims}d", "out_channels": c_out, "kernel_size": k}
    for key, val, default in (("stride", s, 1), ("padding", p, 0), ("dilation", d, 1), ("groups", groups, 1),
                              ("bias", bias, True)):
        if val != default:
            layer[key] = val
    layer.update(extra)
    return layer


def out_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> Fraction:
    """(n + 2p - k_eff)/s + 1, unfloored: a template's own arithmetic for drawing and distractors
    (keys are read from the analyzer, never from this)."""
    return Fraction(n + 2 * p - (d * (k - 1) + 1), s) + 1


def wrong(*pairs) -> tuple[Misconception, ...]:
    """Misconceptions from (name, value) pairs, skipping those that do not apply (value None)."""
    return tuple(Misconception(name, Fraction(value)) for name, value in pairs if value is not None)


def square(n: int, m: Optional[int] = None) -> str:
    """'32x32' (or '6x9')."""
    return f"{n}x{n if m is None else m}"


def kernel_words(k: int, d: int = 1, dims: int = 2) -> str:
    """'5x5', '3x3 with dilation 2'."""
    text = "x".join([str(k)] * dims)
    return text + (f" with dilation {d}" if d > 1 else "")


def pick(rng: Random, values):
    """One of the values."""
    return values[rng.randrange(len(values))]


# -- T1 output size ------------------------------------------------------------------------------

def draw_output_size(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (3, 5) if level == 1 else (3, 5, 7))
    n = rng.randint(max(k, 5), 32 if level < 3 else 48)
    m = n if level < 3 else rng.randint(max(k, 5), 48)
    s = 1 if level == 1 else pick(rng, (1, 2) if level == 2 else (1, 2, 3))
    p = 0 if level == 1 else rng.randint(0, (k - 1) // 2 + (level == 3))
    d = 1 if level < 3 else pick(rng, (1, 1, 2))
    params = dict(n=n, m=m, c_in=pick(rng, (1, 3) if level == 1 else (1, 3, 8, 16)),
                  c_out=rng.randint(2, 32), k=k, s=s, p=p, d=d)
    sizes = [out_size(x, k, s, p, d) for x in (n, m)]
    if any(v.denominator != 1 or v < 2 for v in sizes) or p >= d * (k - 1) + 1:
        return None
    return params


def build_output_size(q: Params) -> Draft:
    n, m, k, s, p, d = q["n"], q["m"], q["k"], q["s"], q["p"], q["d"]
    layer = conv("conv", 2, q["c_out"], k, s, p, d)
    net = Network("output_size", network_yaml("output_size", [q["c_in"], n, m], [layer]))

    def misconceptions(x: int):
        keff = d * (k - 1) + 1
        return wrong(("forgot the +1", Fraction(x + 2 * p - keff, s)),
                     ("p instead of 2p", out_size(x, k, s, 0, d) + Fraction(p, s) if p else None),
                     ("padding left out", out_size(x, k, s, 0, d) if p else None),
                     ("the +1 inside the division", Fraction(x + 2 * p - keff + 1, s) if s > 1 else None),
                     ("stride left out", out_size(x, k, 1, p, d) if s > 1 else None),
                     ("dilation left out (k instead of k_eff)", out_size(x, k, s, p) if d > 1 else None),
                     ("input size kept", x))

    asks = [Ask("H_out", Reader("size", "conv", 0), misconceptions(n))]
    if m != n:
        asks.append(Ask("W_out", Reader("size", "conv", 1), misconceptions(m)))
    asks.append(Ask("depth of the output", Reader("channels", "conv")))
    details = f"stride {s}" + (f", pad {p}" if p else "") + (f", dilation {d}" if d > 1 else "")
    statement = (f"Input volume: {square(n, m)}x{q['c_in']}. {q['c_out']} filters of {k}x{k}, {details}. "
                 f"What is the output volume size?")
    return Draft(statement, (net,), tuple(asks), ((0, "conv", ("shape",)),))


# -- T2 valid or "Cannot" ------------------------------------------------------------------------

def draw_valid(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (3, 5))
    s = pick(rng, (2, 3) if level < 3 else (2, 3, 4))
    p = 0 if level == 1 else rng.randint(0, (k - 1) // 2)
    n = rng.randint(max(k, 7), 32 if level < 3 else 64)
    want_valid = rng.random() < 0.4
    raw = out_size(n, k, s, p)
    if raw < 2 or (raw.denominator == 1) != want_valid:
        return None
    return dict(n=n, c_in=pick(rng, (1, 3)), c_out=rng.randint(2, 16), k=k, s=s, p=p)


def build_valid(q: Params) -> Draft:
    n, k, s, p = q["n"], q["k"], q["s"], q["p"]
    layer = conv("conv", 2, q["c_out"], k, s, p)
    net = Network("valid", network_yaml("valid", [q["c_in"], n, n], [layer]))
    raw = out_size(n, k, s, p)
    raw_wrong = wrong(("forgot the +1", raw - 1), ("p instead of 2p", out_size(n, k, s, 0) + Fraction(p, s) if p else None),
                      ("the +1 inside the division", Fraction(n + 2 * p - k + 1, s)),
                      ("stride left out", out_size(n, k, 1, p)))
    floor_wrong = wrong(("ceil instead of floor", ceil(raw)), ("forgot the +1", floor(raw - 1)),
                        ("rounded to the nearest", round(raw) if round(raw) != floor(raw) else None),
                        ("stride left out", out_size(n, k, 1, p)), ("input size kept", n))
    asks = (Ask("(W - F + 2P)/S + 1", Reader("raw_size", "conv"), raw_wrong, whole=False),
            Ask("valid or Cannot", Reader("valid", "conv"), words=("valid", "Cannot")),
            Ask("output size PyTorch gives (floor)", Reader("size", "conv"), floor_wrong))
    statement = (f"Input volume: {square(n)}x{q['c_in']}. Receptive fields FxF: {k}x{k}, stride {s}"
                 + (f", pad {p}" if p else "") + f". Number of filters: {q['c_out']}. Output volume size? "
                 f"Is the layer valid (the filters fit exactly) or does it not fit (\"Cannot\")?")
    return Draft(statement, (net,), asks, ((0, "conv", ("shape",)),),
                 note="PyTorch (and rfcalc) floor a size that is not whole; the last pixels are never read")


# -- T3 padding for 'same' -----------------------------------------------------------------------

def draw_same(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (3, 5) if level == 1 else (3, 5, 7, 9))
    d = 1 if level < 3 else pick(rng, (1, 2, 3))
    n = rng.randint(max(8, d * (k - 1) + 2), 64)
    return dict(n=n, c_in=pick(rng, (1, 3, 16)), c_out=rng.randint(2, 32), k=k, d=d)


def build_same(q: Params) -> Draft:
    n, k, d = q["n"], q["k"], q["d"]
    keff = d * (k - 1) + 1
    net = Network("same", network_yaml("same", [q["c_in"], n, n], [conv("conv", 2, q["c_out"], k, d=d,
                                                                          p="same")]))
    misconceptions = wrong(("both sides' total (k - 1)", keff - 1), ("k/2 rounded up", (keff + 1) // 2),
                           ("P = k", keff), ("'same' taken for no padding", 0),
                           ("dilation left out", (k - 1) // 2 if d > 1 else None))
    statement = (f"Input {square(n)}x{q['c_in']}, {q['c_out']} filters of {kernel_words(k, d)} at stride 1. "
                 f"How much zero padding P on each side keeps the output {square(n)} (padding 'same')?")
    return Draft(statement, (net,), (Ask("P", Reader("pad_before", "conv"), misconceptions),),
                 ((0, "conv", ("shape",)),))


# -- T4 parameters -------------------------------------------------------------------------------

def draw_params(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (1, 3, 5) if level > 1 else (3, 5))
    c_in = pick(rng, (1, 3) if level == 1 else (3, 8, 16, 32, 64))
    c_out = pick(rng, (4, 6, 10, 16, 20, 32) if level < 3 else (16, 32, 64, 128))
    bias = True if level == 1 else rng.random() < 0.7
    groups = 1
    if level == 3:
        groups = pick(rng, (1, 2, 4, c_in))
        if groups == c_in:
            c_out = c_in * pick(rng, (1, 2))
    if c_in % groups or c_out % groups or (level == 3 and groups == 1 and k == 1):
        return None
    return dict(c_in=c_in, c_out=c_out, k=k, bias=bias, groups=groups)


def build_params(q: Params) -> Draft:
    c_in, c_out, k, bias, g = q["c_in"], q["c_out"], q["k"], q["bias"], q["groups"]
    layers = [conv("conv", 2, c_out, k, groups=g, bias=bias, inputs=["input"])]
    asks = []
    if g == 1:
        layers.append(conv("one_filter", 2, 1, k, bias=False, inputs=["input"]))
        asks.append(Ask("weights per filter (without its bias)", Reader("params", "one_filter"),
                        wrong(("the kernel taken as one channel", k * k), ("bias counted", c_in * k * k + 1),
                              ("k instead of k*k", c_in * k))))
    weights = c_out * (c_in // g) * k * k
    with_bias = weights + (c_out if bias else 0)
    asks.append(Ask("parameters of the layer", Reader("params", "conv"), wrong(
        ("bias omitted", weights if bias else None), ("bias counted", weights + c_out if not bias else None),
        ("the kernel taken as one channel (no C_in)", c_out * (k * k + bias) if c_in > 1 else None),
        ("groups left out", c_out * (c_in * k * k + bias) if g > 1 else None),
        ("one bias for the whole layer", weights + 1 if bias else None),
        ("k instead of k*k", c_out * ((c_in // g) * k + bias) if k > 1 else None),
        ("input and output channels added", (c_in + c_out) * k * k + (c_out if bias else 0))),
        ))
    kind = ("depthwise " if g == c_in and g > 1 else f"grouped (groups = {g}) " if g > 1 else "")
    statement = (f"Input volume: 32x32x{c_in}. A {kind}convolutional layer with {c_out} filters of {k}x{k}, "
                 + ("with" if bias else "without") + f" bias. How many learnable parameters does it have?")
    if g == 1:
        statement += " How many weights does each filter have?"
    net = Network("params", network_yaml("params", [c_in, 32, 32], layers))
    return Draft(statement, (net,), tuple(asks), ((0, "conv", ("params",)),))


# -- T5 convolution vs fully connected ---------------------------------------------------------------

def draw_conv_vs_fc(rng: Random, level: int) -> Optional[Params]:
    if level == 3 and rng.random() < 0.5:
        return dict(mode="edge", h=rng.randint(6, 32), w=rng.randint(6, 32))
    return dict(mode="shared", n=pick(rng, (16, 20, 24, 28, 32)), k=pick(rng, (3, 5)),
                maps=pick(rng, (6, 8, 10, 16, 20)), hidden=pick(rng, (10, 20, 30, 50, 100)))


def build_conv_vs_fc(q: Params) -> Draft:
    if q["mode"] == "edge":
        h, w = q["h"], q["w"]
        layers = [conv("conv", 2, 1, [1, 2], bias=False, inputs=["input"]),
                  {"name": "flat", "type": "flatten", "inputs": ["input"]},
                  {"name": "fc", "type": "linear", "out_features": h * (w - 1), "bias": False}]
        asks = (Ask("parameters of the convolution", Reader("params", "conv")),
                Ask("parameters of the fully connected layer", Reader("params", "fc")),
                Ask("MACs of the convolution", Reader("macs", "conv")),
                Ask("MACs of the fully connected layer", Reader("macs", "fc")))
        statement = (f"Vertical edge detection on a {h}x{w} grey image: each output pixel is the difference of "
                     f"two horizontal neighbours, so the output is {h}x{w - 1}. Done by a fully connected layer "
                     f"(no bias) from the {h * w} pixels to the {h * (w - 1)} outputs, or by a 1x2 convolution "
                     f"(no bias): how many parameters and multiply-accumulates does each need?")
        net = Network("edge", network_yaml("edge", [1, h, w], layers))
        return Draft(statement, (net,), asks, ((0, "conv|fc", ("params", "macs")),))
    n, k, maps, hidden = q["n"], q["k"], q["maps"], q["hidden"]
    pixels = n * n
    layers = [conv("conv", 2, maps, k, inputs=["input"]), {"name": "flat", "type": "flatten", "inputs": ["input"]},
              {"name": "fc", "type": "linear", "out_features": hidden}]
    asks = (Ask("parameters of the convolutional layer", Reader("params", "conv"), wrong(
                ("bias omitted", maps * k * k), ("one bias for the whole layer", maps * k * k + 1),
                ("weights not shared (one filter per position)",
                 maps * (k * k + 1) * (n - k + 1) ** 2), ("k instead of k*k", maps * (k + 1)))),
            Ask("parameters of the fully connected layer", Reader("params", "fc"), wrong(
                ("bias omitted", pixels * hidden), ("units counted, not weights", pixels + hidden),
                ("one bias for the whole layer", pixels * hidden + 1),
                ("one side of the image only", n * hidden + hidden))))
    statement = (f"A {n}x{n} grey image (as MNIST's). A convolutional layer with {maps} feature maps of {k}x{k} "
                 f"filters (with bias), or a fully connected layer with {hidden} hidden neurons (with bias) on the "
                 f"{pixels} pixels: how many parameters does each have?")
    net = Network("conv_vs_fc", network_yaml("conv_vs_fc", [1, n, n], layers))
    return Draft(statement, (net,), asks, ((0, "conv|fc", ("params",)),))


# -- T6/T7 receptive field, jump and start of a stack -------------------------------------------------

def draw_stack(rng: Random, level: int) -> Optional[Params]:
    count = rng.randint(2, 4 if level == 1 else 5)
    layers = []
    for i in range(count):
        k = pick(rng, (3, 5) if level == 1 else (2, 3, 5) if level == 2 else (3, 5, 7))
        s = 1 if level == 1 else pick(rng, (1, 1, 2))
        d = 1 if level < 3 else pick(rng, (1, 2, 4))
        kind = "pool" if level >= 2 and i > 0 and rng.random() < 0.3 else "conv"
        if kind == "pool":
            layers.append(("pool", 2, 2, 1))
        else:
            layers.append(("conv", k, s if d == 1 else 1, d))
    if level == 3 and not any(d > 1 for _, _, _, d in layers) and not any(s > 1 for _, _, s, _ in layers):
        return None
    r, j = stack_rf(layers)
    n = r + j * rng.randint(1, 3)
    if n > 48 or out_of(layers, n) < 1:
        return None
    return dict(layers=layers, n=n, pad=level >= 2 and rng.random() < 0.5)


def stack_rf(layers, pool_doubles=False, jump_ignored=False, dilation_ignored=False) -> tuple[int, int]:
    """(r, j) after a stack by the recurrence, or by one of the misconceptions about it (for drawing
    and distractors only; keys come from the analyzer)."""
    r, j = 1, 1
    for kind, k, s, d in layers:
        keff = k if dilation_ignored else d * (k - 1) + 1
        if pool_doubles and kind == "pool":
            r *= s
            continue
        r += (keff - 1) * (1 if jump_ignored else j)
        j *= s
    return r, j


def out_of(layers, n: int, pad: bool = False) -> int:
    """The output size after a stack (no padding, or k//2 on odd convolutions)."""
    for kind, k, s, d in layers:
        p = (d * (k - 1)) // 2 if pad and kind == "conv" and k % 2 else 0
        n = floor(out_size(n, k, s, p, d))
    return n


def stack_network(q: Params) -> tuple[Network, str, str]:
    """The stack's network, the name of its last layer and the layers in words."""
    layers, words = [], []
    for i, (kind, k, s, d) in enumerate(q["layers"], start=1):
        if kind == "pool":
            layers.append({"name": f"pool{i}", "type": "maxpool2d", "kernel_size": k, "stride": s})
            words.append(f"maxpool {k}x{k} stride {s}")
            continue
        p = (d * (k - 1)) // 2 if q["pad"] and k % 2 else 0
        layers.append(conv(f"conv{i}", 2, 1, k, s, p, d))
        words.append(f"conv {kernel_words(k, d)}" + (f" stride {s}" if s > 1 else "") + (f" pad {p}" if p else ""))
    net = Network("stack", network_yaml("stack", [1, q["n"], q["n"]], layers))
    return net, layers[-1]["name"], ", ".join(words)


def build_rf(q: Params) -> Draft:
    net, last, words = stack_network(q)
    stack = q["layers"]
    r, _ = stack_rf(stack)
    misconceptions = wrong(("pooling doubles r (instead of the jump)", stack_rf(stack, pool_doubles=True)[0]),
                           ("jump not multiplied", stack_rf(stack, jump_ignored=True)[0]),
                           ("dilation left out", stack_rf(stack, dilation_ignored=True)[0]),
                           ("forgot the 1 of the input pixel", r - 1),
                           ("only the last layer's kernel", stack[-1][1]),
                           ("kernel sizes added", sum(k for _, k, _, _ in stack)))
    statement = (f"A {q['n']}x{q['n']} input goes through: {words}. What is the receptive field size r "
                 f"(input pixels along a side) of one unit of the last layer?")
    return Draft(statement, (net,), (Ask("r", Reader("rf", last), misconceptions),), ((0, ".*", ("rf",)),))


def build_jump(q: Params) -> Draft:
    net, last, words = stack_network(q)
    stack = q["layers"]
    strides = [s for _, _, s, _ in stack]
    j = prod(strides)
    jump_wrong = wrong(("only the last stride", strides[-1]), ("strides added", sum(strides)),
                       ("jump not multiplied (1)", 1), ("one stride too few", prod(strides[:-1])),
                       ("the receptive field given for the jump", stack_rf(stack)[0]),
                       ("doubled at every layer", 2 ** len(stack)))
    asks = (Ask("jump j", Reader("jump", last), jump_wrong),
            Ask("start (centre of the first unit's RF)", Reader("start", last), whole=False))
    statement = (f"A {q['n']}x{q['n']} input (pixel i spans [i, i+1), so r = 1, j = 1, start = 0.5) goes "
                 f"through: {words}. What are the jump j (input pixels between neighbouring units) and the "
                 f"start of the last layer?")
    return Draft(statement, (net,), asks, ((0, ".*", ("rf",)),), note=f"j = product of the strides = {j}")


def draw_jump(rng: Random, level: int) -> Optional[Params]:
    params = draw_stack(rng, max(level, 2))
    if params is None or all(s == 1 for _, _, s, _ in params["layers"]):
        return None
    return params


# -- T8 MACs/FLOPs and scaling ---------------------------------------------------------------------

def draw_macs(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (1, 3, 5))
    return dict(n=pick(rng, (8, 16, 32) if level < 3 else (14, 28, 56)), c_in=pick(rng, (3, 8, 16, 32)),
                c_out=pick(rng, (8, 16, 32, 64)), k=k, p=k // 2,
                scale=pick(rng, ("resolution", "channels", "out_channels")))


def build_macs(q: Params) -> Draft:
    n, c_in, c_out, k, p, scale = q["n"], q["c_in"], q["c_out"], q["k"], q["p"], q["scale"]
    base = network_yaml("macs", [c_in, n, n], [conv("conv", 2, c_out, k, p=p)])
    shape2 = {"resolution": [c_in, 2 * n, 2 * n], "channels": [2 * c_in, n, n], "out_channels": [c_in, n, n]}[scale]
    scaled = network_yaml("macs_scaled", shape2, [conv("conv", 2, c_out * (1 + (scale != "resolution")), k, p=p)])
    macs = c_out * n * n * c_in * k * k
    factor = {"resolution": 4, "channels": 4, "out_channels": 2}[scale]
    asks = (Ask("MACs", Reader("macs", "conv"), wrong(
                ("bias counted as a MAC", macs + c_out * n * n), ("C_in left out", macs // c_in if c_in > 1 else None),
                ("FLOPs given for MACs", 2 * macs), ("k instead of k*k", macs // k if k > 1 else None))),
            Ask("FLOPs (2 per multiply-accumulate)", Reader("mac_flops", "conv"), wrong(
                ("MACs given for FLOPs", macs), ("bias counted", 2 * macs + c_out * n * n),
                ("C_in left out", 2 * macs // c_in if c_in > 1 else None), ("4 FLOPs per MAC", 4 * macs))),
            Ask("factor by which the MACs grow", Reader("macs", "conv", network=1), wrong(
                ("doubling counted once", 2 if factor == 4 else None), ("no change", 1 if factor == 2 else None),
                ("cubic growth", 8), ("squared twice", 16), ("squared", 4 if factor == 2 else None)),
                per=Reader("macs", "conv")))
    change = {"resolution": f"the input resolution doubles ({2 * n}x{2 * n})",
              "channels": f"both C_in and C_out double ({2 * c_in} and {2 * c_out})",
              "out_channels": f"C_out doubles ({2 * c_out})"}[scale]
    statement = (f"A convolutional layer with {c_out} filters of {c_in}x{k}x{k}, stride 1, pad {p}, on a "
                 f"{n}x{n}x{c_in} input. How many multiply-accumulates (MACs) and FLOPs does it take? "
                 f"By what factor do the MACs grow when {change}?")
    return Draft(statement, (Network("macs", base), Network("macs_scaled", scaled)), asks,
                 ((0, "conv", ("macs",)),), note="MACs leave the bias out; FLOPs = 2 x MACs")


# -- T9 pooling --------------------------------------------------------------------------------------

def draw_pool(rng: Random, level: int) -> Optional[Params]:
    f = 2 if level == 1 else pick(rng, (2, 3))
    s = f if level < 3 else pick(rng, (1, 2, 3))
    n = rng.randint(4, 64)
    if level == 1 and n % 2:
        return None
    ceil_mode = level == 3 and rng.random() < 0.4
    if s > f or out_size(n, f, s) < 2:
        return None
    return dict(n=n, c=pick(rng, (10, 16, 25, 50, 64)), f=f, s=s, ceil_mode=ceil_mode)


def build_pool(q: Params) -> Draft:
    n, c, f, s = q["n"], q["c"], q["f"], q["s"]
    layer = {"name": "pool", "type": "maxpool2d", "kernel_size": f, "stride": s}
    if q["ceil_mode"]:
        layer["ceil_mode"] = True
    raw = out_size(n, f, s)
    asks = (Ask("output width W2", Reader("size", "pool"), wrong(
                ("ceil instead of floor", ceil(raw) if not q["ceil_mode"] else None),
                ("floor instead of ceil", floor(raw) if q["ceil_mode"] else None),
                ("forgot the +1", floor(raw) - 1), ("divided by the window", n // f if s != f else None),
                ("stride left out", n - f + 1 if s > 1 else None), ("input size kept", n))),
            Ask("output depth D2", Reader("channels", "pool"), wrong(("channels pooled too", max(1, c // f)))),
            Ask("parameters", Reader("params", "pool")))
    statement = (f"Input volume: {square(n)}x{c}. Max pooling with {f}x{f} windows at stride {s}"
                 + (" (ceil_mode, as PyTorch's)" if q["ceil_mode"] else "") +
                 ". Output volume [W2, H2, D2]? How many parameters does the pooling layer have?")
    return Draft(statement, (Network("pool", network_yaml("pool", [c, n, n], [layer])),), asks,
                 ((0, "pool", ("shape", "params")),))


# -- T10 transposed convolution ----------------------------------------------------------------------

def draw_transposed(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (2, 3, 4, 5))
    s = 1 if level == 1 else pick(rng, (2, 3) if level == 3 else (1, 2))
    p = 0 if level == 1 else rng.randint(0, (k - 1) // 2)
    i = rng.randint(2, 16)
    a = rng.randint(0, s - 1) if level == 3 else 0
    if level == 3 and s == 1 or a >= max(s, 1) or s * (i - 1) + k - 2 * p + a < 2:
        return None
    return dict(i=i, c_in=pick(rng, (1, 8, 16)), c_out=pick(rng, (1, 4, 8)), k=k, s=s, p=p, a=a,
                reverse=level == 3)


def transposed_layer(q: Params, a: int) -> dict:
    layer = {"name": "up", "type": "conv_transpose2d", "out_channels": q["c_out"], "kernel_size": q["k"]}
    for key, val in (("stride", q["s"]), ("padding", q["p"]), ("output_padding", a)):
        if val:
            layer[key] = val
    return layer


def build_transposed(q: Params) -> Draft:
    i, k, s, p, a = q["i"], q["k"], q["s"], q["p"], q["a"]
    o = s * (i - 1) + k - 2 * p + a
    shape = [q["c_in"], i, i]
    net = Network("transposed", network_yaml("transposed", shape, [transposed_layer(q, a)]))
    where = f"{q['c_out']} filters of {k}x{k}, stride {s}" + (f", padding {p}" if p else "")
    if q["reverse"]:
        search = Search(tuple(range(s)), tuple(shape), lambda value: transposed_layer(q, value), "size", Fraction(o))
        statement = (f"A transposed convolution ({where}) reads a {square(i)}x{q['c_in']} input. Several input "
                     f"sizes map to one output size; which output_padding makes the output exactly {square(o)}?")
        asks = (Ask("output_padding", Reader("size", "up"), wrong(("P instead", p if p != a else None),
                                                                  ("stride - 1", s - 1), ("zero", 0), ("one", 1)),
                    search=search),)
    else:
        statement = (f"A transposed convolution ({where}) reads a {square(i)}x{q['c_in']} input. What is the "
                     f"output size?")
        asks = (Ask("output size", Reader("size", "up"), wrong(
            ("the convolution's formula", out_size(i, k, s, p) if out_size(i, k, s, p) > 0 else None),
            ("S times the input", s * i), ("padding left out", s * (i - 1) + k),
            ("stride left out", i - 1 + k - 2 * p if s > 1 else None),
            ("P instead of 2P", s * (i - 1) + k - p if p else None), ("forgot the -1", s * i + k - 2 * p),
            ("input + kernel", i + k))),)
    return Draft(statement, (net,), asks, ((0, "up", ("shape",)),),
                 note="o = S(i - 1) + K - 2P + output_padding")


# -- T11 activation memory -------------------------------------------------------------------------

def draw_memory(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (3, 5))
    dtype = "float32" if level < 3 else pick(rng, ("float32", "float16"))
    s = 1 if level == 1 else pick(rng, (1, 2))
    return dict(n=pick(rng, (16, 28, 32, 56, 64)), c_in=pick(rng, (3, 8, 16)), c_out=pick(rng, (8, 16, 32, 64)),
                k=k, p=k // 2, s=s, dtype=dtype)


def build_memory(q: Params) -> Draft:
    n, c_in, c_out, k, p, s, dtype = q["n"], q["c_in"], q["c_out"], q["k"], q["p"], q["s"], q["dtype"]
    size = floor(out_size(n, k, s, p))
    values = c_out * size * size
    width = 4 if dtype == "float32" else 2
    net = Network("memory", network_yaml("memory", [c_in, n, n], [conv("conv", 2, c_out, k, s, p)], dtype))
    asks = (Ask("values in the output activation", Reader("features", "conv"), wrong(
                ("input volume counted", c_in * n * n), ("channels left out", size * size),
                ("input size for the output", c_out * n * n if size != n else None),
                ("bytes given for values", values * width))),
            Ask(f"bytes ({dtype})", Reader("memory", "conv"), wrong(
                ("values given for bytes", values), ("bits given for bytes", values * width * 8),
                ("input volume counted", c_in * n * n * width), ("channels left out", size * size * width))))
    statement = (f"A {n}x{n}x{c_in} input, {c_out} filters of {k}x{k}, stride {s}, pad {p}, values stored as "
                 f"{dtype}. How many values does the output activation hold, and how many bytes (batch 1)?")
    return Draft(statement, (net,), asks, ((0, "conv", ("shape", "memory")),))


# -- T12 reverse problems ------------------------------------------------------------------------------

def draw_reverse(rng: Random, level: int) -> Optional[Params]:
    k = pick(rng, (3, 5, 7))
    p = 0 if level == 1 else rng.randint(0, (k - 1) // 2)
    s = rng.randint(1, 3 if level == 1 else 4)
    n = rng.randint(max(k, 7), 64)
    target = out_size(n, k, s, p)
    if target.denominator != 1 or target < 2:
        return None
    return dict(n=n, c_in=pick(rng, (1, 3)), c_out=pick(rng, (6, 10, 16)), k=k, p=p, s=s)


def reverse_layer(q: Params, stride: int) -> dict:
    return conv("conv", 2, q["c_out"], q["k"], stride, q["p"])


def build_reverse(q: Params) -> Draft:
    n, k, p, s = q["n"], q["k"], q["p"], q["s"]
    target = int(out_size(n, k, s, p))
    shape = [q["c_in"], n, n]
    search = Search(tuple(range(1, 7)), tuple(shape), lambda stride: reverse_layer(q, stride), "size", Fraction(target))
    span = n + 2 * p - k
    ask = Ask("stride S", Reader("size", "conv"), wrong(
        ("forgot the +1 (rounded)", round(Fraction(span, target))), ("input over output (rounded)", round(Fraction(n, target))),
        ("padding left out (rounded)", round(Fraction(n - k, target - 1)) if p else None),
        ("P instead of 2P (rounded)", round(Fraction(n + p - k, target - 1)) if p else None),
        ("kernel left out (rounded)", round(Fraction(n + 2 * p, target))), ("the output size taken for the stride", target)),
        search=search)
    statement = (f"Input {square(n)}x{q['c_in']}, {q['c_out']} filters of {k}x{k}" + (f", pad {p}" if p else "")
                 + f". Which stride gives exactly a {square(target)} output?")
    return Draft(statement, (Network("reverse", network_yaml("reverse", shape, [reverse_layer(q, s)])),), (ask,),
                 ((0, "conv", ("shape",)),))


# -- T13 a shape chain with blanks ------------------------------------------------------------------

def draw_chain(rng: Random, level: int) -> Optional[Params]:
    n = pick(rng, (28, 32, 48, 64))
    layers, c = [], pick(rng, (1, 3))
    for i in range(rng.randint(3, 4 + level)):
        if i and rng.random() < 0.35:
            layers.append(["pool", 2, 2, 0, 0])
        else:
            k = pick(rng, (3, 5))
            c = pick(rng, (8, 10, 16, 25, 32, 50))
            layers.append(["conv", k, pick(rng, (1, 1, 2)) if level > 1 else 1, pick(rng, (0, k // 2)), c])
    if level > 1:
        layers += [["flatten", 0, 0, 0, 0], ["linear", 0, 0, 0, pick(rng, (10, 100))]]
    size = n
    for kind, k, s, p, _ in layers:
        if kind in ("conv", "pool"):
            raw = out_size(size, k, s, p)
            if raw < 2 or raw.denominator != 1 and level == 1:
                return None
            size = floor(raw)
    return dict(c_in=pick(rng, (1, 3)), n=n, layers=layers, params=level > 1)


def build_chain(q: Params) -> Draft:
    layers, words, names = [], [], []
    counts = {"conv": 0, "pool": 0, "flatten": 0, "linear": 0, "relu": 0}
    for kind, k, s, p, c in q["layers"]:
        counts[kind] += 1
        name = f"{kind}{counts[kind]}" if kind != "flatten" else "flatten"
        if kind == "conv":
            layers.append(conv(name, 2, c, k, s, p))
            words.append(f"{name}: {c} filters {k}x{k}, stride {s}" + (f", pad {p}" if p else ""))
        elif kind == "pool":
            layers.append({"name": name, "type": "maxpool2d", "kernel_size": k, "stride": s})
            words.append(f"{name}: max pool {k}x{k}, stride {s}")
        elif kind == "relu":
            layers.append({"name": name, "type": "relu"})
            continue
        elif kind == "flatten":
            layers.append({"name": name, "type": "flatten"})
            words.append("flatten")
        else:
            layers.append({"name": name, "type": "linear", "out_features": c})
            words.append(f"{name}: fully connected, {c} outputs")
        names.append((name, kind))
    asks = []
    for name, kind in names:
        if kind in ("conv", "pool"):
            asks.append(Ask(f"{name}: width", Reader("size", name)))
            asks.append(Ask(f"{name}: depth", Reader("channels", name)))
        else:
            asks.append(Ask(f"{name}: values", Reader("features", name)))
        if kind in ("conv", "linear") and q["params"]:
            asks.append(Ask(f"{name}: parameters", Reader("params", name)))
    net = Network("chain", network_yaml("chain", [q["c_in"], q["n"], q["n"]], layers))
    asked = "the output volume (width, depth)" + (" and the new parameters" if q["params"] else "")
    statement = f"Input: [{q['n']}x{q['n']}x{q['c_in']}]. Fill in {asked} of every layer: " + "; ".join(words) + "."
    return Draft(statement, (net,), tuple(asks), ((0, ".*", ("shape", "params")),))


# -- T14/T15 1D and 3D convolutions -------------------------------------------------------------------

def draw_nd(rng: Random, level: int, dims: int) -> Optional[Params]:
    k = pick(rng, (3, 5) if dims == 3 else (3, 5, 7, 9))
    s = 1 if level == 1 else pick(rng, (1, 2))
    p = 0 if level == 1 else rng.randint(0, k // 2)
    n = rng.randint(max(k, 5), 16 if dims == 3 else 128)
    raw = out_size(n, k, s, p)
    if raw.denominator != 1 or raw < 2:
        return None
    return dict(dims=dims, n=n, c_in=pick(rng, (1, 2, 3, 8)), c_out=pick(rng, (1, 4, 8, 16)), k=k, s=s, p=p)


def build_nd(q: Params) -> Draft:
    dims, n, c_in, c_out, k, s, p = q["dims"], q["n"], q["c_in"], q["c_out"], q["k"], q["s"], q["p"]
    layer = conv("conv", dims, c_out, k, s, p)
    net = Network(f"conv{dims}d", network_yaml(f"conv{dims}d", [c_in] + [n] * dims, [layer]))
    raw = out_size(n, k, s, p)
    weights = c_out * c_in * k ** dims
    asks = (Ask("output length" if dims == 1 else "output size (each side)", Reader("size", "conv"), wrong(
                ("forgot the +1", raw - 1), ("full convolution (every partial overlap)", n + 2 * p + k - 1 if s == 1 else None),
                ("p instead of 2p", out_size(n, k, s, 0) + Fraction(p, s) if p else None),
                ("stride left out", out_size(n, k, 1, p) if s > 1 else None), ("input size kept", n))),
            Ask("parameters", Reader("params", "conv"), wrong(
                ("bias omitted", weights), ("a 2D kernel (k*k)" if dims != 2 else "", c_out * (c_in * k * k + 1)),
                ("the kernel taken as one channel", c_out * (k ** dims + 1) if c_in > 1 else None),
                ("one bias for the whole layer", weights + 1))))
    what = {1: f"A signal of {n} samples with {c_in} channel(s)",
            3: f"A {n}x{n}x{n} volume (as a CT scan) with {c_in} channel(s)"}[dims]
    statement = (f"{what}; a {dims}D convolution with {c_out} filters of size {kernel_words(k, dims=dims)}, stride {s}"
                 + (f", pad {p}" if p else "") + ". What is the output size, and how many parameters (with bias)?")
    return Draft(statement, (net,), asks, ((0, "conv", ("shape", "params")),))


def _fixed(**values):
    return values


TOPICS: tuple[Topic, ...] = (
    Topic("T1", "output-size", "Output size with padding and stride", draw_output_size, build_output_size, (
        Example("seeds/001 Example 1: 32x32x3, ten 5x5 filters, stride 1 -> 28x28x10",
                _fixed(n=32, m=32, c_in=3, c_out=10, k=5, s=1, p=0, d=1), (28, 10)),
        Example("seeds/001 Example 1, stride 3 -> 10x10x10",
                _fixed(n=32, m=32, c_in=3, c_out=10, k=5, s=3, p=0, d=1), (10, 10)),
        Example("seeds/001: 7x7 input, 3x3, stride 1 -> 5x5", _fixed(n=7, m=7, c_in=1, c_out=1, k=3, s=1, p=0, d=1),
                (5, None)),
        Example("seeds/001: 7x7 input, 3x3, stride 2 -> 3x3", _fixed(n=7, m=7, c_in=1, c_out=1, k=3, s=2, p=0, d=1),
                (3, None)),
        Example("seeds/001: 5x5 input, 3x3, stride 1, pad 1 -> 5", _fixed(n=5, m=5, c_in=1, c_out=1, k=3, s=1, p=1, d=1),
                (5, None)),
        Example("seeds/001 Example 2: 32x32x3, 30 filters 5x5, stride 1, pad 2 -> 32x32x30",
                _fixed(n=32, m=32, c_in=3, c_out=30, k=5, s=1, p=2, d=1), (32, 30)),
        Example("seeds/003: 6x9 input, 3x3, P = 1, S = 2 -> 3x5", _fixed(n=6, m=9, c_in=1, c_out=1, k=3, s=2, p=1, d=1),
                (3, 5, None)),
        Example("seeds/003: 6x9 input, 3x3, no padding -> 4x7", _fixed(n=6, m=9, c_in=1, c_out=1, k=3, s=1, p=0, d=1),
                (4, 7, None)),
    )),
    Topic("T2", "valid", "Valid or \"Cannot\"", draw_valid, build_valid, (
        Example("seeds/001 Example 1: 32x32x3, 5x5, stride 2 -> \"Cannot: (32-5)/2 + 1 = 14.5\"",
                _fixed(n=32, c_in=3, c_out=10, k=5, s=2, p=0), (Fraction(29, 2), "Cannot", None)),
        Example("seeds/001: 7x7 input, 3x3, stride 3 -> \"Cannot\"", _fixed(n=7, c_in=1, c_out=1, k=3, s=3, p=0),
                (None, "Cannot", None)),
        Example("seeds/001 Example 1: 32x32x3, 5x5, stride 3 -> 10", _fixed(n=32, c_in=3, c_out=10, k=5, s=3, p=0),
                (10, "valid", 10)),
    )),
    Topic("T3", "padding-same", "Padding for 'same'", draw_same, build_same, (
        Example("seeds/003: 3x3 kernel, P = (H_K - 1)/2 = 1 keeps 6x9", _fixed(n=6, c_in=1, c_out=1, k=3, d=1), (1,)),
        Example("seeds/001 Example 2: 5x5 filters, pad 2 keep 32x32", _fixed(n=32, c_in=3, c_out=30, k=5, d=1), (2,)),
    )),
    Topic("T4", "params", "Parameters: bias, channels, groups", draw_params, build_params, (
        Example("seeds/001 Example 1: ten 5x5x3 filters, 5*5*3 + 1 = 76 each -> 760",
                _fixed(c_in=3, c_out=10, k=5, bias=True, groups=1), (75, 760)),
        Example("seeds/001 Example 2: 30 filters 5x5x3 -> (30 * 75) + 30 = 2280",
                _fixed(c_in=3, c_out=30, k=5, bias=True, groups=1), (75, 2280)),
        Example("seeds/003: 16 x (8 x 5 x 5 + 1) = 3,216", _fixed(c_in=8, c_out=16, k=5, bias=True, groups=1),
                (200, 3216)),
        Example("seeds/001 CIFAR-10: (3*3*3)*10 + 10 = 280", _fixed(c_in=3, c_out=10, k=3, bias=True, groups=1),
                (27, 280)),
        Example("seeds/001 CIFAR-10: (3*3*10)*10 + 10 = 910", _fixed(c_in=10, c_out=10, k=3, bias=True, groups=1),
                (90, 910)),
        Example("seeds/002 Keras: 25 3x3 filters on 1x28x28, 9 parameters per filter",
                _fixed(c_in=1, c_out=25, k=3, bias=True, groups=1), (9, None)),
        Example("seeds/002 Keras: 50 3x3 filters on 25 channels, 225 per filter",
                _fixed(c_in=25, c_out=50, k=3, bias=True, groups=1), (225, None)),
    )),
    Topic("T5", "conv-vs-fc", "Convolution vs fully connected", draw_conv_vs_fc, build_conv_vs_fc, (
        Example("seeds/004 MNIST: 20 feature maps of 5x5: 520 parameters; 30 hidden neurons: 23,550",
                _fixed(mode="shared", n=28, k=5, maps=20, hidden=30), (520, 23550)),
        Example("seeds/003: vertical edges on 224x224: 2 kernel parameters; FC (HxW)x(Hx(W-1)) > 2.5e9",
                _fixed(mode="edge", h=224, w=224), (2, 224 * 224 * 224 * 223, None, None)),
    )),
    Topic("T6", "rf", "Receptive field after N layers", draw_stack, build_rf, (
        Example("seeds/003: r_L = 1 + L(k - 1): three 3x3 layers -> 7",
                _fixed(layers=[("conv", 3, 1, 1)] * 3, n=9, pad=False), (7,)),
        Example("references/teaching.md: three 3x3 convs then a 2x2 pool -> 8 (not 14)",
                _fixed(layers=[("conv", 3, 1, 1)] * 3 + [("pool", 2, 2, 1)], n=10, pad=False), (8,)),
        Example("seeds/002: a 3x3 kernel with dilation rate 2 has a 5x5 receptive field",
                _fixed(layers=[("conv", 3, 1, 2)], n=7, pad=False), (5,)),
    )),
    Topic("T7", "jump", "Jump and start", draw_jump, build_jump, (
        Example("seeds/003 strided conv (3x3, P = 1, S = 2), by the recurrence from seeds/000's r = 1, j = 1, "
                "start = 0.5 (hand derivation)", _fixed(layers=[("conv", 3, 2, 1)], n=9, pad=True),
                (2, Fraction(1, 2))),
    )),
    Topic("T8", "macs", "MACs, FLOPs and how they scale", draw_macs, build_macs, (
        Example("seeds/003: 16 filters 8x5x5 on 32x32, pad 2: 16,384 x 200 = 3,276,800 MACs, x 2 = 6,553,600 flops",
                _fixed(n=32, c_in=8, c_out=16, k=5, p=2, scale="resolution"), (3276800, 6553600, None)),
    )),
    Topic("T9", "pooling", "Pooling", draw_pool, build_pool, (
        Example("seeds/001 CIFAR-10: POOL 2x2, stride 2 on 32x32x10 -> 16x16x10, parameters: 0",
                _fixed(n=32, c=10, f=2, s=2, ceil_mode=False), (16, 10, 0)),
        Example("seeds/002 Keras: MaxPooling2D((2,2)) on 25x26x26 -> 25x13x13", _fixed(n=26, c=25, f=2, s=2,
                                                                                   ceil_mode=False), (13, 25, 0)),
        Example("seeds/002 Keras: MaxPooling2D((2,2)) on 50x11x11 -> 50x5x5", _fixed(n=11, c=50, f=2, s=2,
                                                                                 ceil_mode=False), (5, 50, 0)),
    )),
    Topic("T10", "transposed", "Transposed convolution and output_padding", draw_transposed, build_transposed, (
        Example("seeds/004: a 4x4 input and a 3x3 kernel give a 6x6 output (rows 1 2 3 3 2 1)",
                _fixed(i=4, c_in=1, c_out=1, k=3, s=1, p=0, a=0, reverse=False), (6,)),
    )),
    Topic("T11", "memory", "Activation memory", draw_memory, build_memory, (
        Example("seeds/003: 16 x 32 x 32 = 16,384 values in the output activation, i.e. about 64 KB",
                _fixed(n=32, c_in=8, c_out=16, k=5, p=2, s=1, dtype="float32"), (16384, 65536)),
        Example("cs231n's VGG table (references/teaching.md): CONV3-64 on [224x224x3]: 224*224*64 = 3.2M",
                _fixed(n=224, c_in=3, c_out=64, k=3, p=1, s=1, dtype="float32"), (224 * 224 * 64, None)),
    )),
    Topic("T12", "reverse", "Reverse problems: which stride?", draw_reverse, build_reverse, (
        Example("seeds/001: 32x32x3 with 5x5 filters -> 28x28 at stride 1", _fixed(n=32, c_in=3, c_out=10, k=5, p=0, s=1),
                (1,)),
        Example("seeds/001 Example 1: -> 10x10 at stride 3", _fixed(n=32, c_in=3, c_out=10, k=5, p=0, s=3), (3,)),
        Example("seeds/001: 7x7 with 3x3 -> 3x3 at stride 2", _fixed(n=7, c_in=1, c_out=1, k=3, p=0, s=2), (2,)),
    )),
    Topic("T13", "chain", "A shape chain with blanks", draw_chain, build_chain, (
        Example("seeds/001 CIFAR-10 walk-through: 32 -> 16 -> 8; 280, 910, 910, 910 parameters",
                _fixed(c_in=3, n=32, layers=[
                    ["conv", 3, 1, 1, 10], ["relu", 0, 0, 0, 0], ["conv", 3, 1, 1, 10], ["relu", 0, 0, 0, 0],
                    ["pool", 2, 2, 0, 0], ["conv", 3, 1, 1, 10], ["relu", 0, 0, 0, 0], ["conv", 3, 1, 1, 10],
                    ["relu", 0, 0, 0, 0], ["pool", 2, 2, 0, 0]], params=True),
                (32, 10, 280, 32, 10, 910, 16, 10, 16, 10, 910, 16, 10, 910, 8, 10)),
        Example("seeds/002 Keras MNIST: 1x28x28 -> 25x26x26 -> 25x13x13 -> 50x11x11 -> 50x5x5 -> 1250 -> 100 -> 10",
                _fixed(c_in=1, n=28, params=False, layers=[
                    ["conv", 3, 1, 0, 25], ["pool", 2, 2, 0, 0], ["conv", 3, 1, 0, 50], ["pool", 2, 2, 0, 0],
                    ["flatten", 0, 0, 0, 0], ["linear", 0, 0, 0, 100], ["linear", 0, 0, 0, 10]]),
                (26, 25, 13, 25, 11, 50, 5, 50, 1250, 100, 10)),
    )),
    Topic("T14", "conv1d", "1D convolution", lambda rng, level: draw_nd(rng, level, 1), build_nd, (
        Example("seeds/001: x = (0,1,2,3,4) with w = (1,-1,2): the window is fully inside on 3 steps",
                _fixed(dims=1, n=5, c_in=1, c_out=1, k=3, s=1, p=0), (3, None)),
    )),
    Topic("T15", "conv3d", "3D convolution", lambda rng, level: draw_nd(rng, level, 3), build_nd),
)

TOPIC_BY_NAME = {t.name: t for t in TOPICS} | {t.code: t for t in TOPICS}
