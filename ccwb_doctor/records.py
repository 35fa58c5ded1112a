"""``@record``: a dataclass whose ``__repr__``, ``__eq__`` and ``__hash__`` are shared, not generated.

``dataclasses.dataclass`` writes each method as source text and compiles it (``exec``): on Python 3.11 a
plain dataclass costs three compilations and a frozen one six, about 80 µs each. Class creation was a third
of an offline ``ccwb-doctor run`` (bench/bench_corpus.py). ``record`` lets ``dataclass`` build the class and
its ``__init__`` (and, when frozen, ``__setattr__``/``__delattr__``), and installs ``__repr__``, ``__eq__`` and
``__hash__`` that read the field names once and behave exactly as the generated ones do:

- ``repr``: ``Name(a=1, b='x')`` over the fields with ``repr=True``, recursion-safe;
- ``==``: the same class and equal tuples of the fields with ``compare=True`` (else NotImplemented);
- ``hash``: frozen: the hash of the tuple of the hashed fields; not frozen: unhashable (``__hash__ = None``);
  a method the class body defines itself is kept, as ``dataclass`` keeps it.

The result is a real dataclass (``fields``, ``replace``, ``asdict`` work). tests/engine/test_records.py
compares it with ``dataclass`` on the same class bodies.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, overload

T = TypeVar("T", bound=type)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    names = type(self).__record_repr__
    return f"{type(self).__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"


def _finish(cls: T, frozen: bool, own: dict[str, Any]) -> T:
    fields = dataclasses.fields(cls)
    cls.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    if "__repr__" not in own:
        cls.__repr__ = _repr  # type: ignore[assignment]
    if "__eq__" not in own:
        key = _getter(tuple(f.name for f in fields if f.compare))

        def __eq__(self: Any, other: Any) -> bool:  # noqa: N807 - the data model's name
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented

        cls.__eq__ = __eq__  # type: ignore[assignment]
    # dataclass's rule: a __hash__ the body wrote is kept; the None Python puts beside a body's own __eq__ is not
    # "written" (has_explicit_hash in dataclasses._process_class)
    explicit = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit:
        if frozen:
            hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
            cls.__hash__ = lambda self: hash(hashed(self))  # type: ignore[assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    return cls


@overload
def record(cls: T, /) -> T: ...
@overload
def record(*, frozen: bool = False, slots: bool = False) -> Callable[[T], T]: ...
def record(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """``@record`` / ``@record(frozen=True, slots=True)``: ``@dataclass`` with the same options and meaning."""

    def wrap(c: T) -> T:
        own = dict(c.__dict__)
        made = dataclasses.dataclass(c, frozen=frozen, slots=slots, repr=False, eq=False)
        return _finish(made, frozen, own)

    return wrap if cls is None else wrap(cls)
