"""The expander's frozen Scope: what names an item sees, and binding without changing earlier scopes."""
from __future__ import annotations

import pytest

from rfcalc.errors import Location, SpecError
from rfcalc.expander import Scope
from rfcalc.graph import INPUT

HERE = Location("spec.yaml", 3, 5)


def resolve(scope: Scope, name: str, known=()) -> str:
    return scope.resolve(name, set(known), scope.full("me"), "'me' (#0)", HERE)


def test_binding_makes_a_new_scope_and_leaves_the_earlier_ones_as_they_were():
    top = Scope.top({"w": 8})
    one = top.bind("a", "a")
    two = one.bind("b", "b")
    assert (dict(top.local()), dict(one.local()), dict(two.local())) == ({}, {"a": "a"}, {"a": "a", "b": "b"})
    assert (top.previous, one.previous, two.previous) == (INPUT, "a", "b")
    other = one.bind("c", "c")  # binding from an earlier scope branches off; the later one is unchanged
    assert dict(other.local()) == {"a": "a", "c": "c"} and dict(two.local()) == {"a": "a", "b": "b"}


def test_a_group_sees_the_enclosing_names_a_block_only_its_own():
    outer = Scope.top({}).bind("stem", "stem")
    group = outer.child("g", "stem", {})
    block = outer.call("unit", "u", "stem", {"c": 4})
    assert group.full("conv") == "g.conv" and group.calls == ()
    assert resolve(group, "stem") == "stem" and resolve(group, INPUT) == "stem"
    assert block.calls == ("unit",)
    assert resolve(block, "stem", known={"stem"}) == "stem"  # only as a full dotted name
    with pytest.raises(SpecError, match="unknown input 'stem'"):
        resolve(block, "stem")


def test_inner_names_hide_outer_ones():
    outer = Scope.top({}).bind("x", "x")
    inner = outer.child("g", "x", {}).bind("x", "g.x")
    assert resolve(inner, "x") == "g.x"


def test_resolve_messages():
    scope = Scope.top({}).bind("conv1", "conv1")
    with pytest.raises(SpecError) as cycle:
        resolve(scope, "me")
    assert str(cycle.value) == "spec.yaml:3:5: layer 'me' (#0): layer takes its own output as input ('me'): a cycle"
    with pytest.raises(SpecError) as unknown:
        resolve(scope, "conv2")
    assert str(unknown.value) == (
        "spec.yaml:3:5: layer 'me' (#0): unknown input 'conv2': inputs must name an earlier layer in this scope, "
        "an enclosing scope, a full dotted name, or 'input' (a later layer would make a cycle); did you mean 'conv1'?")
