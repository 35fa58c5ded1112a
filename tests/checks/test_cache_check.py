"""CONFIG-HELPER-CACHE: the helper's cache files pass when private, fail with the exact fix otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status

ID = "CONFIG-HELPER-CACHE"


def _cache(s: sc.Scenario) -> Path:
    d = s.home / ".cache" / "ccwb-credential-process"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    d.chmod(0o700)
    return d


def _result(s: sc.Scenario, run_checks_on):  # type: ignore[no-untyped-def]
    res = run_checks_on(s, [ID])[ID]
    return res


def test_private_cache_files_pass(reference: sc.Scenario, run_checks_on) -> None:
    d = _cache(reference)
    for name in ("ClaudeCode.json", "ClaudeCode.refresh.json"):
        (d / name).write_text("{}")
        (d / name).chmod(0o600)
    mon = reference.home / ".claude-code-session"
    mon.mkdir(mode=0o700)
    (mon / "ClaudeCode-monitoring.json").write_text("{}")
    (mon / "ClaudeCode-monitoring.json").chmod(0o600)
    res = _result(reference, run_checks_on)
    assert [r.status for r in res] == [Status.PASS], [r.message for r in res]
    assert "3 helper cache file(s)" in res[0].message


def test_no_cache_skips(reference: sc.Scenario, run_checks_on) -> None:
    assert [r.status for r in _result(reference, run_checks_on)] == [Status.SKIP]


@pytest.mark.parametrize("mode,fix", [(0o644, "chmod 600"), (0o660, "chmod 600"), (0o606, "chmod 600")])
def test_readable_or_writable_cache_fails_with_chmod(
    reference: sc.Scenario, run_checks_on, mode: int, fix: str
) -> None:
    f = _cache(reference) / "ClaudeCode.refresh.json"
    f.write_text("{}")
    f.chmod(mode)
    (r,) = _result(reference, run_checks_on)
    assert r.status == Status.FAIL and f"{mode:04o}" in r.message
    assert r.remediation == f"{fix} {f}"


def test_cache_owned_by_another_user_fails_with_rm(reference: sc.Scenario, run_checks_on) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown to another uid needs root")
    f = _cache(reference) / "ClaudeCode.json"
    f.write_text("{}")
    f.chmod(0o600)
    os.chown(f, 54321, 54321)
    (r,) = _result(reference, run_checks_on)
    assert r.status == Status.FAIL and "uid 54321" in r.message
    assert r.remediation.startswith(f"rm -f {f}")


def test_symlink_and_fifo_in_the_cache_fail_with_rm(
    reference: sc.Scenario, run_checks_on, tmp_path: Path
) -> None:
    d = _cache(reference)
    victim = tmp_path / "victim"
    victim.write_text("x")
    victim.chmod(0o600)
    (d / "ClaudeCode.json").symlink_to(victim)
    os.mkfifo(d / "ClaudeCode.refresh.json")
    res = _result(reference, run_checks_on)
    by = {r.evidence["path"]: r for r in res}
    assert all(r.status == Status.FAIL for r in res) and len(res) == 2
    assert "symlink" in by[str(d / "ClaudeCode.json")].message
    assert by[str(d / "ClaudeCode.json")].remediation == f"rm {d / 'ClaudeCode.json'}"
    assert "FIFO" in by[str(d / "ClaudeCode.refresh.json")].message


def test_world_writable_cache_dir_fails_with_chmod_700(guidance: sc.Scenario, run_checks_on) -> None:
    mon = guidance.home / ".claude-code-session"
    mon.mkdir(exist_ok=True)
    mon.chmod(0o777)
    (r,) = _result(guidance, run_checks_on)
    assert r.status == Status.FAIL and r.remediation == f"chmod 700 {mon}"
