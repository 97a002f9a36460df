"""Property tests: the analyzer's sizes and receptive fields against brute force.

The brute force applies each layer's textbook definition position by position (a window of taps, a
scatter for transposed convolution, PyTorch's coordinate rules for resampling), clipping to the
tensor at every layer, and unions the sets through the stack. It shares no code with rfcalc.axis.
"""
from __future__ import annotations

from fractions import Fraction
from math import floor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import analyze_yaml, sequential


def window_layer(draw):
    k = draw(st.integers(1, 5))
    d = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    pl, pr = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    yaml = (f"{{type: conv1d, out_channels: 1, kernel_size: {k}, stride: {s}, dilation: {d}, "
            f"padding: [[{pl}, {pr}]]}}")

    def reads(o, n_in):
        return {o * s - pl + t * d for t in range(k)} & set(range(n_in))

    def size(n):
        return (n + pl + pr - d * (k - 1) - 1) // s + 1
    return yaml, reads, size


def maxpool_layer(draw):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    ceil_mode = draw(st.booleans())
    yaml = f"{{type: maxpool1d, kernel_size: {k}, stride: {s}, padding: {p}, ceil_mode: {str(ceil_mode).lower()}}}"

    def size(n):  # PyTorch docs: floor or ceil of (n + 2p - k)/s + 1; a window may not start in the right padding
        out = -(-(n + 2 * p - k) // s) + 1 if ceil_mode else (n + 2 * p - k) // s + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1
        return out

    def reads(o, n_in):
        return {o * s - p + t for t in range(k)} & set(range(n_in))
    return yaml, reads, size


def transposed_layer(draw):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2))
    p = draw(st.integers(0, 2))
    op = draw(st.integers(0, max(s, d) - 1))
    yaml = (f"{{type: conv_transpose1d, out_channels: 1, kernel_size: {k}, stride: {s}, dilation: {d}, "
            f"padding: {p}, output_padding: {op}}}")

    def size(n):
        return (n - 1) * s - 2 * p + d * (k - 1) + op + 1

    def reads(o, n_in):  # input i is scattered to outputs i*s - p + t*d
        return {i for i in range(n_in) for t in range(k) if i * s - p + t * d == o}
    return yaml, reads, size


def upsample_layer(draw):
    mode = draw(st.sampled_from(["nearest", "linear"]))
    align = draw(st.sampled_from([None, True, False])) if mode == "linear" else None
    factor = draw(st.integers(1, 3))
    extra = f", align_corners: {str(align).lower()}" if align is not None else ""
    yaml = f"{{type: upsample, scale_factor: {factor}, mode: {mode}{extra}}}"

    def size(n):
        return n * factor

    def reads(o, n_in):
        n_out = n_in * factor
        if mode == "nearest":
            return {floor(Fraction(o, factor))}
        if align:
            x = Fraction(o * (n_in - 1), n_out - 1) if n_out > 1 else Fraction(0)
        else:
            x = max(Fraction(0), (o + Fraction(1, 2)) / factor - Fraction(1, 2))
        low = floor(x)
        high = min(low + 1, n_in - 1)
        return {low} | ({high} if x > low else set())
    return yaml, reads, size


def adaptive_layer(draw):
    m = draw(st.integers(1, 7))
    yaml = f"{{type: adaptive_avgpool1d, output_size: {m}}}"

    def reads(o, n_in):
        return set(range((o * n_in) // m, -(-((o + 1) * n_in) // m)))
    return yaml, reads, lambda n: m


LAYERS = [window_layer, maxpool_layer, transposed_layer, upsample_layer, adaptive_layer]


@st.composite
def stacks(draw):
    n = draw(st.integers(1, 40))
    makers = draw(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=5))
    layers = [maker(draw) for maker in makers]
    sizes = [n]
    for _, _, size in layers:
        out = size(sizes[-1])
        if out < 1 or out > 400:
            break
        sizes.append(out)
    layers = layers[:len(sizes) - 1]
    if not layers or any(s < 1 for s in sizes):
        from hypothesis import reject
        reject()
    return n, layers, sizes


def brute_force_fields(n, layers, sizes):
    """Per layer, per output position: the set of input pixels it depends on."""
    current = [{i} for i in range(n)]
    result = []
    for (_, reads, _), n_in, n_out in zip(layers, sizes, sizes[1:]):
        current = [set().union(*[current[i] for i in reads(o, n_in)]) for o in range(n_out)]
        result.append(current)
    return result


def as_set(intervals):
    return {i for lo, hi in intervals for i in range(lo, hi + 1)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(stacks())
def test_sizes_and_per_position_rf_match_brute_force(stack):
    n, layers, sizes = stack
    report = analyze_yaml(sequential([1, n], *[yaml for yaml, _, _ in layers]))
    truth = brute_force_fields(n, layers, sizes)
    for layer, expected_size, expected_sets in zip(report.layers, sizes[1:], truth):
        assert layer.output_shape == (1, expected_size), layer.name
        field = layer.fields[0]
        for o, expected in enumerate(expected_sets):
            assert as_set(field.sees(o)) == expected, (layer.name, o)


@st.composite
def window_stacks(draw):
    return [(draw(st.integers(1, 7)), draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3)))
            for _ in range(draw(st.integers(1, 6)))]


@settings(max_examples=200, deadline=None)
@given(window_stacks())
def test_r_j_start_follow_the_lecture_recurrence(stack):
    # 000 "Math of the receptive fields": j_out = j s, r_out = r + (k_eff - 1) j,
    # start_out = start + ((k_eff - 1)/2 - p) j, from r = 1, j = 1, start = 0.5.
    yaml = [f"{{type: conv1d, out_channels: 1, kernel_size: {k}, stride: {s}, padding: {p}, dilation: {d}}}"
            for k, s, p, d in stack]
    report = analyze_yaml(sequential([1, 4096], *yaml))
    r, j, start = 1, 1, Fraction(1, 2)
    for layer, (k, s, p, d) in zip(report.layers, stack):
        k_eff = d * (k - 1) + 1
        r, start, j = r + (k_eff - 1) * j, start + (Fraction(k_eff - 1, 2) - p) * j, j * s
        rf = layer.rf[0]
        assert (rf.size, rf.jump, rf.start) == (r, j, start)
        assert rf.effective_padding == Fraction(r - 1, 2) - (start - Fraction(1, 2))
