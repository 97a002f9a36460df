"""analyze --training: params, gradients, optimizer state and the activations kept for backward,
by hand on small networks (PyTorch's own state sizes: tests/test_torch_crosscheck.py)."""
from __future__ import annotations

import json

import pytest

FROZEN = """\
name: frozen
input: {shape: [3, 8, 8], batch: 2}
layers:
  - {name: c1, type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, trainable: false}
  - {name: bn, type: batchnorm2d}
  - {name: c2, type: conv2d, out_channels: 2, kernel_size: 1}
"""
# c1: 4 x 3 x 9 + 4 = 112 params, frozen; bn: 8 params + 8 buffers; c2: 2 x 4 + 2 = 10 params.
# Trainable 18; params and buffers 112 + 16 + 10 = 138 values. Activations (batch 2, float32): the
# input 3x8x8 = 192, c1 and bn 4x8x8 = 256 each, c2 2x8x8 = 128: 832 values x 2 x 4 = 6,656 bytes.
PARAM_BYTES, TRAINABLE, ACTIVATION_BYTES = 138 * 4, 18, 6_656


def training_of(run_cli, tmp_path, *args):
    (tmp_path / "frozen.yaml").write_text(FROZEN)
    code, out, err = run_cli("analyze", str(tmp_path / "frozen.yaml"), "--training", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("optimizer, states", [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2)])
def test_parts_by_hand(run_cli, tmp_path, optimizer, states):
    data = training_of(run_cli, tmp_path, "--optimizer", optimizer)
    training = data["training"]
    assert training["param_bytes"] == PARAM_BYTES
    assert training["gradient_bytes"] == TRAINABLE * 4
    assert training["optimizer_state_bytes"] == states * TRAINABLE * 4
    assert training["activation_bytes"] == ACTIVATION_BYTES == data["totals"]["activation_bytes"]
    assert training["total_bytes"] == PARAM_BYTES + TRAINABLE * 4 * (1 + states) + ACTIVATION_BYTES
    assert f"{optimizer} state ({states} tensor(s) per trainable param" in training["assumptions"]


def test_grad_dtype_and_dtype(run_cli, tmp_path):
    training = training_of(run_cli, tmp_path, "--dtype", "float16", "--grad-dtype", "float32")["training"]
    assert training["param_bytes"] == 138 * 2 and training["gradient_bytes"] == TRAINABLE * 4
    assert training["optimizer_state_bytes"] == 2 * TRAINABLE * 2  # adam by default, in the params' dtype
    assert training["activation_bytes"] == ACTIVATION_BYTES // 2


def test_cifar_walkthrough_in_the_table(run_cli):
    # 3,010 params x 4 bytes = 12,040 = 11.8 KiB, each of params, grads and momentum; activations: the
    # input 3x32x32 (12,288 bytes) + 4 x 10x32x32 + 5 x 10x16x16 + 10x8x8 floats (217,600 bytes) = 224.5 KiB.
    code, out, _ = run_cli("analyze", "cifar10_walkthrough", "--training", "--optimizer", "momentum", "--summary")
    assert code == 0
    text = " ".join(out.split())
    assert ("260 KiB = params 11.8 KiB + grads 11.8 KiB + momentum state 11.8 KiB + activations 224 KiB"
            in text.replace(" │ ", " ")), out


def test_inference_stays_the_default(run_cli):
    code, out, _ = run_cli("analyze", "lenet5", "--format", "json")
    assert code == 0 and "training" not in json.loads(out)
    code, out, _ = run_cli("analyze", "lenet5", "--summary")
    assert "training memory" not in out and " training " not in out.replace("│", " ")


def test_assumptions_among_the_conventions(run_cli):
    code, out, _ = run_cli("analyze", "lenet5", "--training")
    assert code == 0
    assert "training memory = params and buffers" in " ".join(out.split())
