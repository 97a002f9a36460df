"""`rfcalc sizes`: which input sizes a network takes cleanly, worked out by hand."""
from __future__ import annotations

import json
import textwrap

import pytest

from rfcalc.errors import UsageError
from rfcalc.sizes import parse_range, pattern, scan
from rfcalc.spec import parse_spec

# A U-Net-like network with four 2x2 max pools and four 2x2 stride-2 up-convs, each up-conv's
# output concatenated with the encoder map of the same level (padded 3x3 convs keep sizes).
# By hand: level k holds n / 2^k. If some level m = n / 2^k is odd, that pool drops its last
# pixel and gives floor(m / 2); the up-conv doubles that to m - 1 != m, so the concat of that
# level fails: the size is invalid. So every pool must see an even size: n = 0 mod 16, and the
# output is 2 x n x n. The smallest: n = 16 (16 -> 8 -> 4 -> 2 -> 1, and back); below 16 a
# pool would get an odd size or a 1-pixel input (kernel 2 > 1).
# Those sizes are clean, with a note: each concat joins an up-conv with an encoder map whose RF
# centres differ. Level 3 (after three pools): e4's unit o is centred at 4 + 8o (start 0.5 -> pool
# 1 -> 2 -> 4 as each 2x2 pool adds (2 - 1)/2 x j; the padded 3x3 convs keep it), the bottom's unit
# i at 8 + 16i; the 2x2 stride-2 up-conv's outputs 2i and 2i + 1 both read bottom unit i, so u4 is
# centred at 8 + 16 floor(o / 2): off e4 by +4 at even o and -4 at odd o (j = 8): noted at every size.
UNET = """
name: small_unet
input: {shape: [1, 64, 64]}
blocks:
  down:
    params: {c: 1}
    layers:
      - {name: conv, type: conv2d, out_channels: "${c}", kernel_size: 3, padding: 1}
      - {name: relu, type: relu}
layers:
  - {name: e1, block: down}
  - {name: p1, type: maxpool2d, kernel_size: 2}
  - {name: e2, block: down}
  - {name: p2, type: maxpool2d, kernel_size: 2}
  - {name: e3, block: down}
  - {name: p3, type: maxpool2d, kernel_size: 2}
  - {name: e4, block: down}
  - {name: p4, type: maxpool2d, kernel_size: 2}
  - {name: bottom, block: down}
  - {name: u4, type: conv_transpose2d, out_channels: 1, kernel_size: 2, stride: 2}
  - {name: c4, type: concat, inputs: [e4.relu, u4]}
  - {name: u3, type: conv_transpose2d, out_channels: 1, kernel_size: 2, stride: 2}
  - {name: c3, type: concat, inputs: [e3.relu, u3]}
  - {name: u2, type: conv_transpose2d, out_channels: 1, kernel_size: 2, stride: 2}
  - {name: c2, type: concat, inputs: [e2.relu, u2]}
  - {name: u1, type: conv_transpose2d, out_channels: 1, kernel_size: 2, stride: 2}
  - {name: c1, type: concat, inputs: [e1.relu, u1]}
  - {name: head, type: conv2d, out_channels: 2, kernel_size: 1}
"""

# One 3x3 stride-2 unpadded conv: valid for n >= 3; output floor((n - 3) / 2) + 1; the last pixel is
# never read when (n - 3) is odd, i.e. n even.
STRIDED = """
name: strided
input: {shape: [1, 9, 9]}
layers:
  - {type: conv2d, out_channels: 1, kernel_size: 3, stride: 2}
"""

# An input added to a copy of itself shifted by one pixel: the conv has kernel 3 and padding 0
# before, 2 after, so its output keeps n positions (n + 0 + 2 - 3 + 1 = n, no pixel dropped) and
# unit i sees [i, i + 2], centre i + 1.5 (start 0.5 + ((3 - 1)/2 - 0) x 1 = 1.5), while the input
# branch's unit i is centred at i + 0.5: the add's branches are off by 1 pixel at every size n >= 1.
MISALIGNED = """
name: shifted_sum
input: {shape: [1, 8]}
layers:
  - {name: shifted, type: conv1d, out_channels: 1, kernel_size: 3, padding: [[0, 2]], inputs: [input]}
  - {name: sum, type: add, inputs: [input, shifted]}
"""


def spec(text):
    return parse_spec(textwrap.dedent(text), "test.yaml")


def test_unet_takes_multiples_of_16():
    results, first_valid, first_clean = scan(spec(UNET), range(20, 71))
    valid = [r.size for r in results if r.status != "invalid"]
    assert valid == [32, 48, 64]
    assert {r.status for r in results if r.size in valid} == {"clean"}
    assert [r.output_shape for r in results if r.size in valid] == [(2, 32, 32), (2, 48, 48), (2, 64, 64)]
    assert all(r.notes[0].startswith("c4: axis 0: branches shifted by the up-sampling pattern") and "by -4..4 pixels" in r.notes[0]
               for r in results if r.size in valid)
    assert (first_valid.size, first_valid.output_shape) == (16, (2, 16, 16))
    assert first_clean.size == 16
    invalid = next(r for r in results if r.size == 20)
    # 20 -> 10 -> 5 -> 2 (5 is odd): the third up-conv gives 4 where e3 has 5: concat c3 fails.
    assert "c3" in invalid.reasons[0] and "same spatial size" in invalid.reasons[0]


def test_strided_conv_drops_pixels_on_even_sizes():
    results, first_valid, first_clean = scan(spec(STRIDED), range(4, 11))
    assert [(r.size, r.status) for r in results] == [
        (4, "drops"), (5, "clean"), (6, "drops"), (7, "clean"), (8, "drops"), (9, "clean"), (10, "drops")]
    assert [r.output_shape for r in results] == [(1, 1, 1), (1, 2, 2), (1, 2, 2), (1, 3, 3), (1, 3, 3),
                                                 (1, 4, 4), (1, 4, 4)]
    assert all("never" in r.reasons[0] for r in results if r.status == "drops")
    assert (first_valid.size, first_clean.size) == (3, 3)  # n = 1, 2: kernel 3 larger than the input


def test_parse_range():
    assert list(parse_range("200:205")) == [200, 201, 202, 203, 204, 205]
    assert list(parse_range("200:216:8")) == [200, 208, 216]
    for bad in ("600:200", "abc", "1", "0:5", "5:9:0"):
        with pytest.raises(UsageError):
            parse_range(bad)


def test_pattern_words():
    assert pattern([32, 48, 64]) == "every 16 from 32 to 64 (n = 0 mod 16)"
    assert pattern([5, 7, 9]) == "every 2 from 5 to 9 (n = 1 mod 2)"
    assert pattern([]) == "none"
    assert pattern([3, 4, 7]) == "3 sizes from 3 to 7"


def test_cli_table_and_json(tmp_path, run_cli):
    path = tmp_path / "unet.yaml"
    path.write_text(textwrap.dedent(UNET))
    code, out, _ = run_cli("sizes", str(path), "--range", "40:64")
    assert code == 0
    assert "clean: 2 of 25 sizes (every 16 from 48 to 64 (n = 0 mod 16)); drop pixels: 0; invalid: 23" in out
    assert "smallest valid input: 16 (output 2x16x16)" in out
    assert "note: at 2 valid size(s) some merge's branches have different RF centres (e.g. 48: c4: axis 0" in out
    code, out, _ = run_cli("sizes", str(path), "--range", "40:64:8", "--format", "json")
    data = json.loads(out)
    assert data["clean_sizes"] == [48, 64]
    assert [s["status"] for s in data["sizes"]] == ["invalid", "clean", "invalid", "clean"]
    assert [s["size"] for s in data["sizes"]] == [40, 48, 56, 64]
    assert data["smallest_valid"] == {"size": 16, "output_shape": [2, 16, 16], "outputs": {"head": [2, 16, 16]}}
    code, _, err = run_cli("sizes", str(path), "--range", "9:1")
    assert code == 2 and "--range" in err


FEATURE_PYRAMID = """
name: pyramid
input: {shape: [3, 64, 64]}
outputs: [c2, c3]
layers:
  - {name: c1, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1, stride: 2}
  - {name: c2, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1, stride: 2}
  - {name: c3, type: conv2d, out_channels: 8, kernel_size: 3, padding: 1, stride: 2}
"""


def test_every_output_has_its_shape(tmp_path, run_cli):
    # floor((n + 2 - 3)/2) + 1 per layer: 60 -> 30 -> 15 -> 8, 64 -> 32 -> 16 -> 8, 65 -> 33 -> 17 -> 9
    results, first_valid, _ = scan(spec(FEATURE_PYRAMID), range(60, 66))
    assert [r.outputs for r in results if r.size in (60, 64, 65)] == [
        (("c2", (8, 15, 15)), ("c3", (8, 8, 8))), (("c2", (8, 16, 16)), ("c3", (8, 8, 8))),
        (("c2", (8, 17, 17)), ("c3", (8, 9, 9)))]
    assert first_valid.shapes_text() == "c2 8x1x1, c3 8x1x1"
    path = tmp_path / "pyramid.yaml"
    path.write_text(textwrap.dedent(FEATURE_PYRAMID))
    code, out, _ = run_cli("sizes", str(path), "--range", "60:60")
    assert code == 0 and "│   60 │ 8x15x15 │ 8x8x8 │" in out and "┃ size ┃ c2      ┃ c3    ┃" in out
    code, out, _ = run_cli("sizes", str(path), "--range", "64:64", "--format", "json")
    assert json.loads(out)["sizes"][0]["outputs"] == {"c2": [8, 16, 16], "c3": [8, 8, 8]}


def test_misaligned_merge_is_clean_with_a_note():
    # "merges line up" is about spatial sizes (a mismatch is invalid); RF centres that differ are noted.
    results, first_valid, first_clean = scan(spec(MISALIGNED), range(1, 13))
    assert {r.status for r in results} == {"clean"}
    assert [r.output_shape for r in results] == [(1, n) for n in range(1, 13)]
    assert all(len(r.notes) == 1 and r.notes[0].startswith("sum: axis 0: misaligned branches")
               and "off those of 'input' by 1 pixels" in r.notes[0] for r in results)
    assert (first_valid.size, first_valid.output_shape) == (1, (1, 1))
    assert first_clean.size == 1


def test_cli_notes_misaligned_sizes(tmp_path, run_cli):
    path = tmp_path / "shifted.yaml"
    path.write_text(textwrap.dedent(MISALIGNED))
    code, out, _ = run_cli("sizes", str(path), "--range", "4:8")
    assert code == 0
    assert "clean: 5 of 5 sizes (5 sizes from 4 to 8); drop pixels: 0; invalid: 0" in out
    assert "note: at 5 valid size(s)" in out
    code, out, _ = run_cli("sizes", str(path), "--range", "4:5", "--format", "json")
    data = json.loads(out)
    assert data["clean_sizes"] == [4, 5]
    assert [s["status"] for s in data["sizes"]] == ["clean", "clean"]
    assert all(s["notes"] for s in data["sizes"])


def test_no_spatial_axis_is_usage_error(tmp_path, run_cli):
    path = tmp_path / "flat.yaml"
    path.write_text("name: flat\ninput: {shape: [10]}\nlayers:\n  - {type: linear, out_features: 2}\n")
    code, out, err = run_cli("sizes", str(path), "--range", "1:4")
    assert (code, out) == (2, "")
    assert err == f"rfcalc: error: {path}: the input shape [10] has no spatial axis to vary " \
                  "(sizes needs channels and at least one spatial axis, e.g. [3, 224, 224])\n"
    with pytest.raises(UsageError, match="no spatial axis to vary"):
        scan(spec("input: {shape: [10]}\nlayers:\n  - {type: relu}\n"), range(1, 3))
