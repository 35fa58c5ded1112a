"""Issue 16 (doctor side): --output onto FIFOs/symlinks/devices, unwritable outputs, closed stdout, bad
--timeout/--endpoint values, FIFOs and symlink loops as inputs, conform gates that must not pass on
what they did not read. Every case runs the real CLI in a subprocess with a bounded time: one line on
stderr, exit 2, no traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.fixtures import scenarios as sc

TIMEOUT = 60
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def run_cli(
    spawn: Any, args: list[str], *, env: dict[str, str] | None = None, **kw: Any
) -> tuple[int, str, str]:
    full = {
        **(env or {"HOME": "/nonexistent", "PATH": os.defpath}),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    kw.setdefault("stdout", subprocess.PIPE)
    proc = spawn(
        [sys.executable, "-m", "ccwb_doctor", *args],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=full,
        text=True,
        **kw,
    )
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out or "", err


def one_line_exit_2(code: int, err: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("ccwb-doctor"), err


@pytest.fixture
def home(tmp_path: Path) -> sc.Scenario:
    return sc.reference_install(tmp_path / "home")


def doctor_args(s: sc.Scenario) -> list[str]:
    return ["run", "--home", str(s.home), "--offline", "--only", "CONFIG-PROFILE", "--format", "json"]


# ---- --output onto special files ----------------------------------------------------------------------


def test_output_onto_a_fifo_writes_into_it_and_keeps_it(
    spawn: Any, home: sc.Scenario, tmp_path: Path
) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(fifo)], env=home.env)
    reader.join(10)
    assert code in (0, 1), err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a regular file
    assert json.loads(got[0])["schema"] == "ccwb-doctor/report/v1"


def private_device(tmp_path: Path, name: str, minor: int) -> Path:
    """A character device of our own (same numbers as /dev/null or /dev/full) in tmp_path: a regression
    that replaces the output file then destroys this node, never the machine's /dev (it once did)."""
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc}); not running against the system's /dev")
    return node


def test_output_onto_a_device_keeps_the_device(spawn: Any, home: sc.Scenario, tmp_path: Path) -> None:
    null = private_device(tmp_path, "null", 3)
    code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(null)], env=home.env)
    assert code in (0, 1), err
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    # a symlink to a device is refused, not replaced
    link = tmp_path / "link"
    link.symlink_to(null)
    code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(link)], env=home.env)
    one_line_exit_2(code, err)
    assert "symlink" in err and link.is_symlink() and stat.S_ISCHR(os.lstat(null).st_mode)


def test_output_onto_a_full_device_fails_with_one_line(spawn: Any, home: sc.Scenario, tmp_path: Path) -> None:
    full = private_device(tmp_path, "full", 7)
    code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(full)], env=home.env)
    one_line_exit_2(code, err)
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_output_through_a_symlink_to_a_regular_file_replaces_the_target(
    spawn: Any, home: sc.Scenario, tmp_path: Path
) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(link)], env=home.env)
    assert code in (0, 1), err
    assert link.is_symlink() and json.loads(target.read_text())["schema"] == "ccwb-doctor/report/v1"


def test_output_through_a_dangling_symlink_or_loop_is_refused(
    spawn: Any, home: sc.Scenario, tmp_path: Path
) -> None:
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for link, why in ((dangling, "missing"), (loop, "loop")):
        code, _, err = run_cli(spawn, [*doctor_args(home), "--output", str(link)], env=home.env)
        one_line_exit_2(code, err)
        assert why in err and link.is_symlink()


@pytest.mark.parametrize("command", ["run", "conform", "token", "binary", "report", "net", "sandbox"])
def test_unwritable_output_is_one_line_exit_2(
    spawn: Any, home: sc.Scenario, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "out.txt"
    token = tmp_path / "t.jwt"
    token.write_text("not-a-jwt")
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "policy.json").write_text(json.dumps(POLICY))
    args = {
        "run": ["run", "--home", str(home.home), "--offline", "--only", "CONFIG-PROFILE"],
        "conform": ["conform", str(tpl)],
        "token": ["token", str(token), "--home", str(home.home), "--offline"],
        "binary": ["binary", sys.executable],
        "report": ["report", "--home", str(home.home), "--offline", "--only", "CONFIG-PROFILE"],
        "net": ["net", "--endpoint", "idp=http://127.0.0.1:9/", "--timeout", "1"],
        "sandbox": ["sandbox", "--only", "CONFIG-PROFILE"],
    }[command]
    if command == "sandbox":
        pytest.importorskip("moto")
    code, _, err = run_cli(spawn, [*args, "--output", str(missing)], env=home.env)
    one_line_exit_2(code, err.strip().splitlines()[-1] + "\n" if command == "sandbox" else err)
    assert "cannot be written" in err
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() != 0:  # root writes into a read-only directory anyway
        code, _, err = run_cli(spawn, [*args, "--output", str(ro / "out.txt")], env=home.env)
        one_line_exit_2(code, err)


@pytest.mark.parametrize("command", ["run", "conform", "token", "binary", "report", "net"])
def test_closed_stdout_is_one_line_exit_2(
    spawn: Any, home: sc.Scenario, tmp_path: Path, command: str
) -> None:
    token = tmp_path / "t.jwt"
    token.write_text("not-a-jwt")
    (tmp_path / "policy.json").write_text(json.dumps(POLICY))
    args = {
        "run": ["run", "--home", str(home.home), "--offline", "--only", "CONFIG-PROFILE"],
        "conform": ["conform", str(tmp_path / "policy.json")],
        "token": ["token", str(token), "--home", str(home.home), "--offline"],
        "binary": ["binary", sys.executable],
        "report": ["report", "--home", str(home.home), "--offline", "--only", "CONFIG-PROFILE"],
        "net": ["net", "--endpoint", "idp=http://127.0.0.1:9/", "--timeout", "1"],
    }[command]
    # the child's stdout is closed (`cmd >&-`): fd 1 does not exist
    full = {**home.env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = spawn(
        ["/bin/sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "ccwb_doctor", *args],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=full,
        text=True,
    )
    _, err = proc.communicate(timeout=TIMEOUT)
    one_line_exit_2(proc.returncode, err)
    assert "stdout" in err


def test_settings_env_value_with_a_nul_byte_does_not_crash_report(spawn: Any, home: sc.Scenario) -> None:
    doc = home.read_settings()
    doc["env"]["FOO"] = "a\u0000b"
    home.write_settings(doc)
    code, out, err = run_cli(spawn, ["report", "--home", str(home.home), "--offline"], env=home.env)
    assert code in (0, 1) and "Traceback" not in err, err
    assert out.startswith("# ccwb-doctor helpdesk report")


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "-inf"])
def test_bad_timeout_is_one_line_exit_2(spawn: Any, value: str) -> None:
    for args in (
        ["run", "--offline"],
        ["binary", sys.executable],
        ["net", "--endpoint", "idp=http://127.0.0.1:9/"],
    ):
        code, _, err = run_cli(spawn, [*args, f"--timeout={value}"])
        one_line_exit_2(code, err)
        assert "--timeout" in err


@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999/", "http://[::1/x"])
def test_bad_endpoint_url_is_one_line_exit_2(spawn: Any, url: str) -> None:
    code, _, err = run_cli(spawn, ["net", "--endpoint", f"idp={url}", "--timeout", "1"])
    one_line_exit_2(code, err)
    assert "--endpoint idp" in err


# ---- inputs: FIFOs, symlink loops, corrupt policies ---------------------------------------------------


def test_conform_refuses_a_fifo_path_or_param_file_without_hanging(spawn: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    good = tmp_path / "policy.json"
    good.write_text(json.dumps(POLICY))
    for args in (["conform", str(fifo)], ["conform", str(good), "--param-file", str(fifo)]):
        code, _, err = run_cli(spawn, args)  # communicate() is bounded: a hang fails the test
        one_line_exit_2(code, err)
        assert "FIFO" in err


def test_a_fifo_inside_a_conform_folder_is_skipped_not_read(spawn: Any, tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text(json.dumps(POLICY))
    os.mkfifo(tmp_path / "pipe.json")
    code, out, err = run_cli(spawn, ["conform", str(tmp_path), "--format", "json"])
    assert code in (0, 1) and "Traceback" not in err, err


def test_fifo_and_symlink_loop_are_named_as_such(spawn: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "trust.fifo"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for path, words in ((fifo, "FIFO"), (loop, "symlink loop")):
        for args in (
            ["run", "--offline", "--trust-policy", str(path)],
            ["binary", str(path)],
            ["conform", str(path)],
        ):
            code, _, err = run_cli(spawn, args)
            one_line_exit_2(code, err)
            assert words in err and "no such file" not in err, (args, err)


@pytest.mark.parametrize("flag", ["--trust-policy", "--scp", "--permissions-policy"])
@pytest.mark.parametrize("content", ["{not json", '{"Statement": 5}', "[]"])
def test_corrupt_policy_files_named_on_the_command_line_exit_2(
    spawn: Any, home: sc.Scenario, tmp_path: Path, flag: str, content: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    for command in ("run", "report"):
        code, _, err = run_cli(
            spawn, [command, "--home", str(home.home), "--offline", flag, str(bad)], env=home.env
        )
        one_line_exit_2(code, err)
        assert str(bad) in err


# ---- conform gates ------------------------------------------------------------------------------------


def test_conform_empty_folder_exits_2(spawn: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(spawn, ["conform", str(empty)])
    one_line_exit_2(code, err)
    assert "no templates/configs/policies found" in err
    (empty / "README.txt").write_text("nothing to check")
    code, _, err = run_cli(spawn, ["conform", str(empty)])
    one_line_exit_2(code, err)
    assert "1 other file(s) ignored" in err


def test_conform_reads_every_file_past_2000(spawn: Any, tmp_path: Path) -> None:
    """A broken policy sorted after 2000 good files is still read (and fails the gate)."""
    d = tmp_path / "many"
    d.mkdir()
    for i in range(2050):
        (d / f"a{i:05d}.txt").write_text("x")
    (d / "z-broken.json").write_text('{"Statement": [{"Effect": "Allow", "Action": 5}]}')
    code, out, err = run_cli(spawn, ["conform", str(d), "--format", "json"])
    assert code == 1, err
    assert "z-broken.json" in out
