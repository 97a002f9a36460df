"""Every output of analyze / verify / check / diff / sizes on the bundled specs stays byte-identical
(tests/golden_outputs.py says how to see and accept a change)."""
from __future__ import annotations

import json

import pytest

from golden_outputs import DIGESTS, columns, commands, digest, run

EXPECTED = json.loads(DIGESTS.read_text(encoding="utf-8"))


def test_every_output_has_a_digest():
    assert sorted(commands()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(commands()))
def test_output_unchanged(name, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    text = run(commands()[name], columns(name))
    assert digest(text) == EXPECTED[name], f"{name} changed: see tests/golden_outputs.py to diff it"
