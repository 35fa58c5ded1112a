from __future__ import annotations

import threading
import time

import pytest

from ccwb_doctor.model import Status, error, fail, ok, warn
from ccwb_doctor.registry import REGISTRY, Registry, check
from ccwb_doctor.runner import run_checks


def _reg() -> Registry:
    reg = Registry()
    reg._discovered = True  # a private catalog for engine tests
    return reg


def test_discovery_finds_catalog_modules_without_engine_naming_them() -> None:
    ids = [c.id for c in REGISTRY.discover().all()]
    for required in (
        "CONFIG-PROFILE",
        "CONFIG-CREDENTIAL-PROCESS",
        "CONFIG-SHADOWED-CREDS",
        "CONFIG-SETTINGS",
    ):
        assert required in ids
    assert len(ids) == len(set(ids))


def test_catalog_order_is_area_then_definition() -> None:
    reg = _reg()
    check("B-ONE", title="t", area="token", remediation="r", registry=reg)(lambda f: ok("x"))
    check("A-ONE", title="t", area="config", remediation="r", registry=reg)(lambda f: ok("x"))
    check("A-TWO", title="t", area="config", remediation="r", registry=reg)(lambda f: ok("x"))
    assert [c.id for c in reg.all()] == ["A-ONE", "A-TWO", "B-ONE"]


def test_select_by_id_and_area_case_insensitive_and_unknown_rejected() -> None:
    reg = _reg()
    for cid, area in (("X-ONE", "config"), ("X-TWO", "token"), ("X-THREE", "token")):
        check(cid, title="t", area=area, remediation="r", registry=reg)(lambda f: ok("x"))
    assert [c.id for c in reg.select(only=["token"])] == ["X-TWO", "X-THREE"]
    assert [c.id for c in reg.select(only=["x-one", "X-THREE"])] == ["X-ONE", "X-THREE"]
    assert [c.id for c in reg.select(skip=["TOKEN"])] == ["X-ONE"]
    with pytest.raises(ValueError, match="unknown check id or area: NOPE"):
        reg.select(only=["NOPE"])


def test_duplicate_id_from_another_function_is_rejected() -> None:
    reg = _reg()

    def first(f: object):  # type: ignore[no-untyped-def]
        return ok("x")

    def second(f: object):  # type: ignore[no-untyped-def]
        return ok("y")

    check("D-ONE", title="t", area="config", remediation="r", registry=reg)(first)
    check("D-ONE", title="t", area="config", remediation="r", registry=reg)(first)  # re-import: tolerated
    with pytest.raises(ValueError, match="duplicate check id"):
        check("D-ONE", title="t", area="config", remediation="r", registry=reg)(second)


def test_crash_becomes_one_line_error_and_the_run_continues() -> None:
    reg = _reg()

    def boom(f: object) -> None:
        raise KeyError("multi\nline\nreason")

    check("C-BOOM", title="t", area="config", remediation="r", registry=reg)(boom)
    check("C-OK", title="t", area="config", remediation="r", registry=reg)(lambda f: ok("fine"))
    check("C-NONE", title="t", area="config", remediation="r", registry=reg)(lambda f: None)
    res = run_checks(reg.all(), facts=None)
    assert [r.id for r in res] == ["C-BOOM", "C-OK", "C-NONE"]
    assert res[0].status is Status.ERROR and "\n" not in res[0].message and "KeyError" in res[0].message
    assert res[1].status is Status.PASS
    assert res[2].status is Status.ERROR and "returned nothing" in res[2].message


@pytest.mark.parametrize("workers", [1, 2])
def test_hung_check_times_out_without_holding_the_rest(workers: int) -> None:
    """One worker (what an offline run uses) or several: a hung check never holds the checks after it."""
    reg = _reg()
    release = threading.Event()
    check("H-HANG", title="t", area="config", remediation="r", registry=reg)(
        lambda f: release.wait(30) and ok("late")
    )
    for i in range(10):
        check(f"H-OK{i}", title="t", area="config", remediation="r", registry=reg)(lambda f: ok("fine"))
    t0 = time.monotonic()
    res = run_checks(reg.all(), facts=None, timeout=0.5, workers=workers)
    elapsed = time.monotonic() - t0
    release.set()
    assert elapsed < 3.0
    assert res[0].status is Status.ERROR and "timed out after 0.5 s" in res[0].message
    assert all(r.status is Status.PASS for r in res[1:]) and len(res) == 11


def test_checks_run_concurrently() -> None:
    reg = _reg()
    barrier = threading.Barrier(4, timeout=5)

    def meet(f: object):  # type: ignore[no-untyped-def]
        barrier.wait()
        return ok("met")

    for i in range(4):
        check(f"P-{i}", title="t", area="config", remediation="r", registry=reg)(meet)
    res = run_checks(reg.all(), facts=None, workers=4)
    assert [r.status for r in res] == [Status.PASS] * 4


def test_an_offline_run_uses_one_worker_and_a_default_run_several(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Offline nothing waits on the network, so one worker runs every check (threads would only contend for
    the GIL); a default run keeps several workers, so probes wait side by side."""
    from ccwb_doctor import app
    from ccwb_doctor.options import DEFAULT, OFFLINE, RunOptions

    offline, default = _reg(), _reg()
    threads: set[int] = set()
    barrier = threading.Barrier(4, timeout=5)
    for i in range(4):
        check(f"O-{i}", title="t", area="config", remediation="r", registry=offline)(
            lambda f: threads.add(threading.get_ident()) or ok("fine")
        )
        check(f"D-{i}", title="t", area="config", remediation="r", registry=default)(
            lambda f: barrier.wait() is not None and ok("met")
        )
    res = app.run_report(RunOptions(mode=OFFLINE, home=tmp_path), registry=offline, env={}).results
    assert [r.status for r in res] == [Status.PASS] * 4 and len(threads) == 1
    res = app.run_report(RunOptions(mode=DEFAULT, home=tmp_path), registry=default, env={}).results
    assert [r.status for r in res] == [Status.PASS] * 4  # the barrier needs the four at once


def test_multiple_outcomes_and_default_remediation() -> None:
    reg = _reg()
    check("M-MANY", title="t", area="model", remediation="default fix", registry=reg)(
        lambda f: [ok("a"), warn("b"), fail("c", fix="own fix"), error("d")]
    )
    res = run_checks(reg.all(), facts=None)
    assert [r.status for r in res] == [Status.PASS, Status.WARN, Status.FAIL, Status.ERROR]
    assert (
        res[0].remediation == "" and res[1].remediation == "default fix" and res[2].remediation == "own fix"
    )


def test_the_engine_imports_no_check_module() -> None:
    """Registry, runner, facts, renderers, report, app and CLI never name a module of the catalog."""
    import ast
    from pathlib import Path

    pkg = Path(__file__).resolve().parents[2] / "ccwb_doctor"
    engine = [pkg / f"{m}.py" for m in ("model", "registry", "runner", "app", "report", "cli", "options")]
    engine += sorted((pkg / "facts").glob("*.py")) + sorted((pkg / "render").glob("*.py"))
    for path in engine:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not name.startswith("ccwb_doctor.checks"), f"{path.name} imports {name}"
