"""``@record`` behaves as ``@dataclass`` on the same class bodies: repr, ==, hash, frozenness, fields, replace."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccwb_doctor.records import record


def _pair(frozen: bool, slots: bool = False) -> tuple[type, type]:
    def body() -> dict[str, Any]:
        return {
            "__annotations__": {"a": "int", "b": "str", "c": "tuple", "hidden": "int", "tag": "str"},
            "b": "",
            "c": (),
            "hidden": field(default=0, repr=False, compare=False),
            "tag": field(default="t", hash=False),
        }

    kw = {"frozen": frozen, "slots": slots}
    return (
        dataclass(**kw)(type("Thing", (), body())),
        record(**kw)(type("Thing", (), body())),
    )


VALUES = st.tuples(
    st.integers(-3, 3),
    st.text(max_size=3),
    st.tuples(st.integers(0, 2)),
    st.integers(0, 2),
    st.sampled_from("tu"),
)


@pytest.mark.parametrize("frozen", [False, True])
@given(x=VALUES, y=VALUES)
def test_repr_eq_and_hash_are_the_dataclass_ones(
    frozen: bool, x: tuple[Any, ...], y: tuple[Any, ...]
) -> None:
    ref, rec = _pair(frozen)
    rx, ry, ox, oy = ref(*x), ref(*y), rec(*x), rec(*y)
    assert repr(ox) == repr(rx)
    assert (ox == oy) == (rx == ry) and (ox != oy) == (rx != ry)
    assert (ox == rx) is False  # another class: NotImplemented both ways, so identity decides
    if frozen:
        assert hash(ox) == hash(rx) and hash(oy) == hash(ry)
    else:
        with pytest.raises(TypeError):
            hash(ox)
        with pytest.raises(TypeError):
            hash(rx)


@pytest.mark.parametrize("slots", [False, True])
def test_frozen_refuses_assignment_and_keeps_the_dataclass_api(slots: bool) -> None:
    _, rec = _pair(frozen=True, slots=slots)
    o = rec(1, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del o.a  # type: ignore[misc]
    assert dataclasses.is_dataclass(o) and [f.name for f in dataclasses.fields(o)][:2] == ["a", "b"]
    assert dataclasses.replace(o, a=5) == rec(5, "x") and dataclasses.asdict(o)["b"] == "x"
    assert {o: 1}[rec(1, "x")] == 1


def test_methods_the_class_body_writes_are_kept() -> None:
    @record(frozen=True)
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert repr(Own(1)) == "own" and Own(1) == 2 and hash(Own(1)) == 7


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize(
    "body",
    [
        {},  # nothing written
        {"__eq__": lambda self, other: True},  # an own __eq__ (Python sets __hash__ = None beside it)
        {"__hash__": None},  # explicitly unhashable
        {"__hash__": lambda self: 7},  # an own __hash__
    ],
    ids=["plain", "own-eq", "hash-none", "own-hash"],
)
def test_hashability_follows_the_dataclass_rules(frozen: bool, body: dict[str, Any]) -> None:
    def make(deco: Any) -> Any:
        return deco(frozen=frozen)(type("H", (), {"__annotations__": {"a": "int"}, **body}))

    ref, rec = make(dataclass)(1), make(record)(1)
    if type(ref).__hash__ is None:
        assert type(rec).__hash__ is None
    else:
        assert hash(rec) == hash(ref)


def test_recursive_repr_does_not_loop() -> None:
    @record
    class Node:
        children: list[Any] = field(default_factory=list)

    n = Node()
    n.children.append(n)
    assert repr(n) == "test_recursive_repr_does_not_loop.<locals>.Node(children=[...])"


def test_a_record_costs_less_to_create_than_a_dataclass() -> None:
    """Counted in compilations, not seconds: a frozen record compiles 3 methods, a frozen dataclass 6."""
    code = (
        "import builtins, dataclasses\n"
        "from ccwb_doctor.records import record\n"
        "n = [0]; real = builtins.exec\n"
        "def counting(*a, **k):\n    n[0] += 1; return real(*a, **k)\n"
        "builtins.exec = counting\n"
        "def make(deco):\n"
        "    n[0] = 0\n"
        "    deco(type('X', (), {'__annotations__': {'a': 'int', 'b': 'int'}}))\n"
        "    return n[0]\n"
        "print(make(dataclasses.dataclass(frozen=True)), make(record(frozen=True)),"
        " make(dataclasses.dataclass), make(record))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["6", "3", "3", "1"]
