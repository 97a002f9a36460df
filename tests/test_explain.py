"""rfcalc explain: the lecture notes' worked examples derived step by step, every derivation of every
bundled spec consistent with the analyzer in every notation, and the text re-evaluated independently.

Expected figures are quoted from the notes (../shared/seeds, file and wording in each test) or worked
by hand in a comment; the explanation's own arithmetic is re-checked by Python's evaluator."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from conftest import sequential
from rfcalc.sources import bundled_specs, load_spec
from rfcalc.spec import parse_spec
from rfcalc.teach.derivation import DerivationMismatch
from rfcalc.teach.explain import explain_spec
from rfcalc.teach.notation import NOTATIONS
from rfcalc.teach.render_text import render_text


def text_of(spec, notation="notes", **options) -> str:
    return render_text(explain_spec(load_spec(spec) if "\n" not in spec else parse_spec(spec), notation, **options),
                       10_000)


# 001 "CIFAR-10 example": (3*3*3)*10 + 10 = 280; (3*3*10)*10 + 10 = 910 three times; [32x32x10] -> POOL 2x2
# stride 2 -> [16x16x10] -> ... -> [8x8x10], parameters 0 for the pools.
def test_cifar10_walkthrough_every_step():
    text = text_of("cifar10_walkthrough")
    assert "params = C_out (C_in H_K W_K + 1) = 10*(3*3*3 + 1) = 280" in text
    assert text.count("= 10*(10*3*3 + 1) = 910") == 3
    assert "H_out = W_out = (H_in - H_K + 2P)/S + 1 = (32 - 3 + 2*1)/1 + 1 = 32" in text
    assert "(32 - 2 + 2*0)/2 + 1 = 16" in text          # pool1: 32 -> 16
    assert "(16 - 2 + 2*0)/2 + 1 = 8" in text           # pool2: 16 -> 8
    assert text.count("parameters: 0: a pooling window has nothing to learn") == 2
    # RF by hand: 1 -> 3 -> 5 -> 6 (pool, j 2) -> 10 -> 14 -> 16 (pool, j 4).
    for r_in, j_in, r_out in ((1, 1, 3), (3, 1, 5), (5, 1, 6), (6, 2, 10), (10, 2, 14), (14, 2, 16)):
        assert re.search(rf"r_out = r_in \+ \(H_K - 1\) j_in = {r_in} \+ \(\d - 1\)\*{j_in} = {r_out}\n", text)
    assert "= 1 + (3 - 1)*1 + (3 - 1)*1 + (2 - 1)*1 + (3 - 1)*2 + (3 - 1)*2 + (2 - 1)*2 = 16" in text
    assert "j_L = prod_{i=1}^{L} S_i = 1*1*2*1*1*2 = 4" in text
    assert "params = 280 + 910 + 910 + 910 = 3,010" in text


# Each case: a spec, explain's options, and lines the explanation must hold (figures from the notes).
NOTES_CASES = [
    # 001 "Example 1, cont.": 5x5 filters at stride 2 on 32x32x3: "Cannot: (32-5)/2 + 1 = 14.5".
    ("conv_examples", {"layers": "example1_stride2", "quantities": ["shape"]},
     ["(32 - 5 + 2*0)/2 + 1 = 14.5 -> floor 14", '14.5 is not whole ("Cannot" in the notes)',
      "the last input row and column (index 31) are never read"]),
    # 001: 76 params per 5x5x3 filter (+1 for bias), 760 for 10; Example 2: (30 * 75) + 30 = 2280.
    ("conv_examples", {"quantities": ["params"]},
     ["C_in H_K W_K = 3*5*5 = 75 weights (+1 for its bias)", "= 10*(3*5*5 + 1) = 760", "= 30*(3*5*5 + 1) = 2,280"]),
    # 003: 16 x (8 x 5 x 5 + 1) = 3,216 params; 16,384 outputs x 200 x 2 ~ 6.5M FLOPs, ~3.25M MACs (+ bias adds).
    ("conv_cost_example", {},
     ["= 16*(8*5*5 + 1) = 3,216", "MACs = C_out H_out W_out C_in H_K W_K = 16*32*32*8*5*5 = 3,276,800",
      "FLOPs = 2 MACs + add = 2*3,276,800 + 16,384 = 6,569,984",
      "H_out = W_out = (H_in - H_K + 2P)/S + 1 = (32 - 5 + 2*2)/1 + 1 = 32"]),
    # 003: "H_in x W_in = 6 x 9, 3x3, P = 1, S = 2: H_out x W_out = 3 x 5" (the axes differ: one step each).
    ("padding_examples", {"layers": "padded_stride2", "quantities": ["shape"]},
     ["output size (H): zero padding, stride 2",
      "H_out = (H_in - H_K + 2P_H)/S_H + 1 = (6 - 3 + 2*1)/2 + 1 = 3.5 -> floor 3",
      "W_out = (W_in - W_K + 2P_W)/S_W + 1 = (9 - 3 + 2*1)/2 + 1 = 5"]),
    # 004: a 4x4 input and a 3x3 kernel give a 6x6 transposed output: (4 - 1) + 3 = 6.
    ("transposed_example", {"layers": "transposed", "quantities": ["shape", "rf"]},
     ["H_out = W_out = S (H_in - 1) + H_K - 2P = 1*(4 - 1) + 3 - 2*0 = 6", "conv_arithmetic relationship 8",
      "padding K - P - 1 = 2"]),
    # 002: Keras MNIST: 50x11x11 -> MaxPooling2D((2, 2)) -> 50x5x5 (a row and column dropped).
    ("keras_mnist", {"layers": "max_pooling2d_2", "quantities": ["shape"]},
     ["(11 - 2 + 2*0)/2 + 1 = 5.5 -> floor 5", "the last input row and column (index 10) are never read"]),
]


@pytest.mark.parametrize("spec, options, expected", NOTES_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(NOTES_CASES)])
def test_notes_examples(spec, options, expected):
    text = text_of(spec, **options)
    for line in expected:
        assert line in text


def test_transposed_output_padding_explained():
    # By hand: stride 2, k 3, p 1 on 4: 2*3 + 3 - 2 + a = 7 + a; a stride-2 conv maps 7 and 8 to 4.
    spec = sequential([1, 4], "{type: conv_transpose1d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1, "
                              "output_padding: 1}")
    text = text_of(spec, quantities=["shape", "rf"])
    assert "W_out = S (W_in - 1) + W_K - 2P + a = 2*(4 - 1) + 3 - 2*1 + 1 = 8" in text
    assert "from 7 to 8 to 4" in text and "here a = 1 gives 8" in text
    assert "conv_arithmetic relationship 14" in text
    assert "j is the exact fraction 1/2" in text


def test_same_padding_resolved_tensorflow_rule():
    # By hand (TensorFlow): n 7, k 4, s 2: out ceil(7/2) = 4; total (4 - 1)*2 + 4 - 7 = 3 -> 1 before, 2 after.
    spec = sequential([1, 7], "{type: conv1d, out_channels: 1, kernel_size: 4, stride: 2, padding: same}")
    text = text_of(spec, quantities=["shape"])
    assert "W_out = ceil(W_in/S) = ceil(7/2) = ceil(3.5) = 4" in text
    assert "P_tot = max((W_out - 1) S + W_K - W_in, 0) = max((4 - 1)*2 + 4 - 7, 0) = 3" in text
    assert "P_l = floor(P_tot/2) = floor(3/2) = floor(1.5) = 1" in text
    assert "P_r = P_tot - P_l = 3 - 1 = 2" in text
    assert "SAME_LOWER" in text and "asymmetric: 1 before, 2 after (an even kernel)" in text


def test_closed_form_uniform_stack():
    # 003: r_L = 1 + L(H_K - 1): five 3x3 convs give 1 + 5*2 = 11.
    spec = sequential([1, 32, 32], *["{type: conv2d, out_channels: 1, kernel_size: 3}"] * 5)
    text = text_of(spec, quantities=["rf"])
    assert "r_L = 1 + L (H_K - 1) = 1 + 5*(3 - 1) = 11" in text


def test_holes_and_unseen_pixels_explained():
    # By hand: a 1x1 stride-2 conv then a 3-tap conv: taps 2 apart over units covering 1 pixel: 3 of r = 5 seen.
    spec = sequential([1, 32], "{name: sub, type: conv1d, out_channels: 1, kernel_size: 1, stride: 2}",
                      "{name: c3, type: conv1d, out_channels: 1, kernel_size: 3}")
    text = text_of(spec, quantities=["rf"])
    assert "holes: a unit spans r = 5 input pixels but sees only 3 of them" in text
    assert "16 of 32 input pixels are never seen" in text
    assert "the floor of sub drops the last pixels; holes open at c3 (gridding)" in text


def test_merge_alignment_explained():
    text = text_of("unet", layers="dec4.cat", quantities=["rf"])
    assert "a merge: each unit depends on everything any branch sees" in text
    assert "branches shifted by the up-sampling pattern" in text and "inherent to the architecture" in text


def test_pool_doubles_the_jump_not_r():
    # The course exercise's key says 14; the recurrence gives 7 + (2 - 1)*1 = 8.
    spec = sequential([1, 32, 32], *["{type: conv2d, out_channels: 1, kernel_size: 3}"] * 3,
                      "{type: maxpool2d, kernel_size: 2}")
    text = text_of(spec, quantities=["rf"])
    assert "r_out = r_in + (H_K - 1) j_in = 7 + (2 - 1)*1 = 8" in text
    assert "pooling doubles the jump, not r" in text


@pytest.mark.parametrize("notation, expected", [
    ("cs231n", "H_2 = W_2 = (H_1 - F + 2P)/S + 1 = (32 - 5 + 2*0)/2 + 1 = 14.5 -> floor 14"),
    ("dumoulin", "o_1 = o_2 = floor((i + 2p - k)/s) + 1 = floor((32 + 2*0 - 5)/2) + 1 = floor(13.5) + 1 = 14"),
    ("d2l", "n'_h = n'_w = floor((n_h - k_h + p_h + s_h)/s_h) = floor((32 - 5 + 0 + 2)/2) = floor(14.5) = 14"),
    ("distill", "h_l = w_l = floor((h_l-1 + p_l + q_l - k_l)/s_l) + 1 = floor((32 + 0 + 0 - 5)/2) + 1"),
])
def test_notations(notation, expected):
    text = text_of("conv_examples", notation, layers="example1_stride2")
    assert expected in text


def test_distill_effective_padding():
    # By hand (Araujo et al.): P_0 = sum p_l prod s_i: 1 + 1*2 = 3 for two k3 s2 p1 layers.
    spec = sequential([1, 16], *["{type: conv1d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1}"] * 2)
    text = text_of(spec, "distill", quantities=["rf"])
    assert "P_0^(l) = P_0^(l-1) + p_l S_0^(l-1) = 1 + 1*2 = 3" in text


_NUMBER = re.compile(r"(?<![\w.])((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![\w.])")


def _evaluate(side: str):
    """A numeric side of a text equation, evaluated by Python over exact fractions (None if symbolic)."""
    if re.search(r"[A-Za-z_]", side.replace("floor", "").replace("ceil", "").replace("max", "")):
        return None
    expression = _NUMBER.sub(lambda m: f"Fraction('{m.group(1).replace(',', '')}')", side)
    expression = expression.replace("floor", "_floor").replace("ceil", "_ceil").replace("max", "_max")

    def _floor(x):
        return Fraction(x.numerator // x.denominator)

    def _ceil(x):
        return Fraction(-((-x.numerator) // x.denominator))

    return eval(expression, {"Fraction": Fraction, "_floor": _floor, "_ceil": _ceil, "_max": max})


@pytest.mark.parametrize("name", sorted(bundled_specs()))
def test_every_bundled_spec_in_every_notation(name):
    """Every derivation is built against the analyzer's numbers (a mismatch raises), and every numeric
    side of every printed equation evaluates, by Python, to the equation's result."""
    spec = load_spec(name)
    for key in NOTATIONS:
        text = render_text(explain_spec(spec, key), 10_000)
        if key != "notes":
            continue
        checked = 0
        for line in text.splitlines():
            if " = " not in line or line.lstrip().startswith("-") or ":" in line:
                continue
            line = line.split(" -> floor ")[0]
            sides = [s.strip() for s in line.split(" = ")]
            values = [_evaluate(s) for s in sides[1:]]
            numeric = [v for v in values if v is not None]
            if len(numeric) > 1:
                assert all(v == numeric[-1] for v in numeric), line
                checked += 1
        assert checked > 0


def test_a_derivation_that_disagrees_is_refused(monkeypatch):
    """The check against the analyzer can fail: a wrong analyzer number makes explain refuse."""
    import rfcalc.teach.explain as explain_module
    from dataclasses import replace

    real = explain_module.analyze

    def wrong(spec):
        report = real(spec)
        first = replace(report.layers[0], params=report.layers[0].params + 1)
        return replace(report, layers=(first, *report.layers[1:]))

    monkeypatch.setattr(explain_module, "analyze", wrong)
    with pytest.raises(DerivationMismatch, match="the parameters gives 280 but the analyzer says 281"):
        explain_spec(load_spec("cifar10_walkthrough"))


def test_cli_explain(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli("explain", "cifar10_walkthrough")
    assert code == 0 and err == ""
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = run_cli("explain", "resnet18", "--layer", r"layer1\.0\.conv\d", "--quantity", "rf",
                           "--notation", "dumoulin")
    assert code == 0 and "layer1.0.conv1" in out and "layer1.0.conv2" in out and "layer1.0.bn1" not in out
    assert "params" not in out


@pytest.mark.parametrize("args, message", [
    (["--layer", "nope"], "--layer 'nope' matches no layer of conv_examples"),
    (["--layer", "("], "neither a layer name nor a valid regular expression"),
    (["--quantity", "shape,bad"], "unknown quantity 'bad'"),
])
def test_cli_explain_errors(run_cli, args, message):
    code, out, err = run_cli("explain", "conv_examples", *args)
    assert code == 2 and out == ""
    assert err.startswith("rfcalc: error: ") and message in err and len(err.splitlines()) == 1
