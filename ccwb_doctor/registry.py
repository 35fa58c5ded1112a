"""Check registry: checks register themselves with @check; discover() imports the catalog package.

The engine never imports a check module by name: discovery walks the ``ccwb_doctor.checks`` package.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ccwb_doctor.model import AREAS, OPT_IN_AREAS, CheckMeta, Outcome, Severity
from ccwb_doctor.records import record

CheckFn = Callable[[Any], "Outcome | Iterable[Outcome]"]


@record(frozen=True)
class Check:
    """A registered check: its metadata, its function and its place in the catalog."""

    meta: CheckMeta
    fn: CheckFn
    seq: int

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def area(self) -> str:
        return self.meta.area

    def sort_key(self) -> tuple[int, int]:
        area_rank = AREAS.index(self.area) if self.area in AREAS else len(AREAS)
        return (area_rank, self.seq)


FixFn = Callable[[Any], "Iterable[Any]"]


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._fixers: dict[str, list[FixFn]] = {}
        self._lock = threading.Lock()
        self._discovered = False

    def add(self, meta: CheckMeta, fn: CheckFn) -> Check:
        with self._lock:
            if meta.id in self._checks:
                existing = self._checks[meta.id]
                if existing.fn.__module__ == fn.__module__ and existing.fn.__qualname__ == fn.__qualname__:
                    return existing  # module re-imported: keep the first registration
                raise ValueError(f"duplicate check id {meta.id}")
            chk = Check(meta, fn, len(self._checks))
            self._checks[meta.id] = chk
            return chk

    def discover(self, package: str = "ccwb_doctor.checks") -> Registry:
        if self._discovered:
            return self
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")
        self._discovered = True
        return self

    def add_fixer(self, check_id: str, fn: FixFn) -> FixFn:
        with self._lock:
            fns = self._fixers.setdefault(check_id, [])
            same = [f for f in fns if (f.__module__, f.__qualname__) == (fn.__module__, fn.__qualname__)]
            if not same:
                fns.append(fn)
        return fn

    def fixers(self, check_id: str) -> list[FixFn]:
        """The fixers declared for a check id (``@fixer``), in declaration order."""
        return list(self._fixers.get(check_id, ()))

    def fixable(self) -> list[str]:
        return [c.id for c in self.all() if self._fixers.get(c.id)]

    def all(self) -> list[Check]:
        return sorted(self._checks.values(), key=Check.sort_key)

    def get(self, check_id: str) -> Check:
        return self._checks[check_id]

    def select(self, only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Check]:
        """Select by id or area (case-insensitive); unknown names raise ValueError. Without ``only``,
        checks of the opt-in areas (conform) are left out."""
        checks = self.all()
        known = {c.id.upper() for c in checks} | {c.area.upper() for c in checks} | {a.upper() for a in AREAS}
        for name in [*only, *skip]:
            if name.upper() not in known:
                raise ValueError(f"unknown check id or area: {name}")

        def matches(c: Check, names: Sequence[str]) -> bool:
            wanted = {n.upper() for n in names}
            return c.id.upper() in wanted or c.area.upper() in wanted

        if only:
            checks = [c for c in checks if matches(c, only)]
        else:
            checks = [c for c in checks if c.area not in OPT_IN_AREAS]
        if skip:
            checks = [c for c in checks if not matches(c, skip)]
        return checks


REGISTRY = Registry()


def check(
    id: str,
    *,
    title: str,
    area: str,
    severity: Severity | str = Severity.MEDIUM,
    remediation: str,
    docs: str = "",
    needs: Sequence[str] = (),
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Declare a check: metadata beside a function of the facts returning one or more Outcomes."""

    meta = CheckMeta(id, title, area, Severity(severity), remediation, docs, tuple(needs))

    def deco(fn: CheckFn) -> CheckFn:
        (registry or REGISTRY).add(meta, fn)
        fn.meta = meta  # type: ignore[attr-defined]
        return fn

    return deco


def fixer(*check_ids: str, registry: Registry | None = None) -> Callable[[FixFn], FixFn]:
    """Declare a fix beside its check: ``fn(facts)`` returns the ``FileEdit``s (and ``Advice``) that repair
    what the check found. ``ccwb-doctor fix`` calls it only for a FAIL or WARN of one of ``check_ids``;
    it must return nothing unless the change is local (inside the HOME) and certain."""

    def deco(fn: FixFn) -> FixFn:
        for cid in check_ids:
            (registry or REGISTRY).add_fixer(cid, fn)
        return fn

    return deco
