"""BINARY-EXEC's own fix: the exec bit (chmod +x, other mode bits kept, undo restores the mode) and the macOS
quarantine attribute — a command, not a file edit: shown as the exact `xattr -d com.apple.quarantine PATH`,
run (no shell) by the executor, journaled, undone with `xattr -w com.apple.quarantine <old value> PATH`.

The executor is tested with a fake ``xattr`` program first on PATH (a real subprocess) that records its argv
and does what macOS's xattr does, on the Linux spelling of the attribute (``user.com.apple.quarantine``, the
name an injected macOS host profile reads), so the check's verdict before and after is real too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.analyzers.binary.hostcap import HostProfile, preset
from ccwb_doctor.app import run_report
from ccwb_doctor.commands.fix import fix_doc, fix_text, undo_text
from ccwb_doctor.facts import Facts
from ccwb_doctor.fixtures import binaries as B
from ccwb_doctor.options import OFFLINE, RunOptions
from ccwb_doctor.repair import apply_plan, load_journal, make_plan

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="user xattrs and exec bits asserted on Linux")
ATTR = "user.com.apple.quarantine"
VALUE = b"0083;65000000;Safari;4A1B2C3D-1111-2222-3333-444455556666"
FAKE_XATTR = """#!{python}
import json, os, sys
with open({log!r}, "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
name = "user." + args[1]
if args[0] == "-d":
    os.removexattr(args[2], name)
elif args[0] == "-w":
    os.setxattr(args[3], name, args[2].encode())
elif args[0] == "-wx":
    os.setxattr(args[3], name, bytes.fromhex(args[2]))
else:
    sys.exit(2)
"""


def _mac(**kw: Any) -> HostProfile:
    return preset("linux-x86_64", os="darwin", quarantine_attr=ATTR, **kw)


def _setup(tmp_path: Path, value: bytes = VALUE) -> tuple[Path, Path, dict[str, str], Path]:
    home = tmp_path / "home"
    helper = B.write(home / "claude-code-with-bedrock" / "credential-process", B.script())
    try:
        os.setxattr(helper, ATTR, value)
    except OSError:
        pytest.skip("no user xattrs on this filesystem")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "xattr.log"
    B.write(bindir / "xattr", FAKE_XATTR.format(python=sys.executable, log=str(log)).encode())
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return home, helper, env, log


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []


def _status(home: Path, helper: Path, env: dict[str, str], host: HostProfile) -> str:
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    facts = Facts(opts, env=env, overrides={"host": host})
    return str(run_report(opts, only=["BINARY-EXEC"], facts=facts).results[0].status)


@linux_only
def test_quarantine_is_cleared_by_the_exact_xattr_command_and_undone(tmp_path: Path) -> None:
    home, helper, env, log = _setup(tmp_path)
    host = _mac()
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    assert _status(home, helper, env, host) == "fail"
    # the plan shows the command that will be run, and runs nothing
    text, code = fix_text(opts, ["BINARY-EXEC"], apply=False, env=env, overrides={"host": host})
    assert code == 1 and "quarantine" in text
    assert f"  run: xattr -d com.apple.quarantine {helper}\n" in text
    assert f"  undo: xattr -w com.apple.quarantine '{VALUE.decode()}' {helper}\n" in text
    assert "1 command(s) would run" in text and not _calls(log)
    # --apply runs it (a real subprocess, found on PATH), journals it and re-runs the check
    text, code = fix_text(opts, ["BINARY-EXEC"], apply=True, env=env, overrides={"host": host})
    assert code == 0, text
    assert _calls(log) == [["-d", "com.apple.quarantine", str(helper)]]
    assert ATTR not in os.listxattr(helper)
    assert "BINARY-EXEC: fail -> pass" in text
    entry = load_journal(home)["applies"][-1]
    assert entry["files"] == [] and entry["commands"][0]["argv"] == [
        "xattr",
        "-d",
        "com.apple.quarantine",
        str(helper),
    ]
    assert _status(home, helper, env, host) == "pass"
    # --undo writes the old value back, byte for byte
    out, code = undo_text(home, env=env)
    assert code == 0, out
    assert _calls(log)[-1] == ["-w", "com.apple.quarantine", VALUE.decode(), str(helper)]
    assert os.getxattr(helper, ATTR) == VALUE
    assert load_journal(home)["applies"] == []


@linux_only
def test_a_value_that_is_not_text_is_written_back_as_hex(tmp_path: Path) -> None:
    value = b"\x00\xffbinary;\x01"
    home, helper, env, log = _setup(tmp_path, value)
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    plan = make_plan(opts, ["BINARY-EXEC"], env=env, facts=Facts(opts, env=env, overrides={"host": _mac()}))
    assert plan.actions[0].undo == ["xattr", "-wx", "com.apple.quarantine", value.hex(), str(helper)]
    apply_plan(plan)
    assert ATTR not in os.listxattr(helper)
    assert undo_text(home, env=env)[1] == 0
    assert os.getxattr(helper, ATTR) == value


@linux_only
def test_captured_home_gets_the_exact_command_as_advice_and_nothing_runs(tmp_path: Path) -> None:
    home, helper, env, log = _setup(tmp_path)
    judged = dataclasses.replace(_mac(), source="judged for macos-arm64 (--platform)")
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    plan = make_plan(opts, ["BINARY-EXEC"], env=env, facts=Facts(opts, env=env, overrides={"host": judged}))
    assert not plan.actions and not plan.todo
    advice = [a for f in plan.findings for a in f.advice]
    assert any(f"xattr -d com.apple.quarantine {helper}" in a and "nothing is run" in a for a in advice)
    text, code = fix_text(opts, ["BINARY-EXEC"], apply=True, env=env, overrides={"host": judged})
    assert code == 0 and "advice: on that Mac: xattr -d com.apple.quarantine" in text
    assert not _calls(log) and os.getxattr(helper, ATTR) == VALUE


@linux_only
def test_the_command_is_not_run_when_the_attribute_changed_since_the_plan(tmp_path: Path) -> None:
    home, helper, env, log = _setup(tmp_path)
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    plan = make_plan(opts, ["BINARY-EXEC"], env=env, facts=Facts(opts, env=env, overrides={"host": _mac()}))
    os.setxattr(helper, ATTR, b"0083;another download")
    done = apply_plan(plan)
    assert not done.ran and "changed since the plan" in done.left_alone[0][1]
    assert not _calls(log) and load_journal(home)["applies"] == []


@linux_only
def test_a_failing_or_missing_xattr_is_left_alone_with_its_reason(tmp_path: Path) -> None:
    home, helper, env, log = _setup(tmp_path)
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    facts = Facts(opts, env={**env, "PATH": "/nonexistent"}, overrides={"host": _mac()})
    done = apply_plan(make_plan(opts, ["BINARY-EXEC"], env={**env, "PATH": "/nonexistent"}, facts=facts))
    assert not done.ran and "xattr was not found on PATH" in done.left_alone[0][1]
    (tmp_path / "bin" / "xattr").write_text(
        "#!/bin/sh\necho 'xattr: [Errno 1] Operation not permitted' >&2\nexit 1\n"
    )
    doc = fix_doc(opts, ["BINARY-EXEC"], apply=True, env=env, overrides={"host": _mac()})
    assert doc["exit_code"] == 1 and doc["applied"]["left_alone"][0]["reason"].startswith(
        "xattr exited 1: xattr:"
    )
    assert os.getxattr(helper, ATTR) == VALUE


@linux_only
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o4604])
def test_exec_bit_keeps_the_other_mode_bits_and_undo_restores_the_mode(tmp_path: Path, mode: int) -> None:
    home = tmp_path / "home"
    helper = B.write(home / "tools" / "otel-helper", B.script(), mode)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    opts = RunOptions(home=home, binary_path=helper, mode=OFFLINE)
    plan = make_plan(opts, ["BINARY-EXEC"], env=env)
    want = mode | ((mode & 0o444) >> 2)
    assert plan.changes[0].diff() == f"diff {helper}\nold mode {mode:o}\nnew mode {want:o}"
    text, code = fix_text(opts, ["BINARY-EXEC"], apply=True, env=env)
    assert code == 0, text
    assert stat.S_IMODE(helper.stat().st_mode) == want and "BINARY-EXEC: fail -> pass" in text
    assert undo_text(home)[1] == 0
    assert stat.S_IMODE(helper.stat().st_mode) == mode
