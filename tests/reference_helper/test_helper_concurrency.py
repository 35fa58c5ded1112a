"""Concurrency and crash safety of the helper's cache (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from helper_harness import Helper, assert_credentials


def expire_all(h: Helper, id_token_too: bool = True) -> dict:
    session = h.session()
    session["credentials"]["Expiration"] = "2001-01-01T00:00:00Z"
    session["credentials_exp"] = 978307200
    if id_token_too:
        session["id_token"] = h.idp.mint(lifetime=-10)
        session["id_token_exp"] = 0
    h.cache_file.write_text(json.dumps(session))
    return session


def test_fifty_concurrent_processes_one_refresh(helper: Helper, spawn) -> None:
    assert_credentials(helper.run())
    expire_all(helper)
    tokens, sts_calls = helper.idp.count("token"), helper.sts.calls
    helper.idp.slow_seconds = 0.0
    procs = [
        spawn(helper.argv(), env=helper.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(50)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    outputs = set()
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        creds = json.loads(out)
        assert creds["Version"] == 1 and creds["Expiration"] > "2002"
        outputs.add(out)
    assert len(outputs) == 1  # everyone got the one refreshed set
    assert helper.idp.count("token") == tokens + 1
    assert helper.sts.calls == sts_calls + 1


def test_killed_writer_never_leaves_a_half_written_cache(helper: Helper, spawn) -> None:
    assert_credentials(helper.run())
    before = expire_all(helper, id_token_too=False)  # STS only: the one write is the session cache
    proc = spawn(
        helper.argv(),
        env={**helper.env, "CCWB_CACHE_WRITE_PAUSE": "10"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    cache_dir = helper.cache_file.parent
    deadline = time.monotonic() + 15
    temps: list[str] = []
    while not temps and time.monotonic() < deadline:
        temps = [n for n in os.listdir(cache_dir) if n.startswith(".ClaudeCode.json.") and n.endswith(".tmp")]
        time.sleep(0.02)
    assert temps, "the writer never started writing"
    partial = (cache_dir / temps[0]).read_bytes()
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=10)
    assert out == b""
    # the half-written temp file exists but the cache itself is intact and private
    try:
        json.loads(partial)
        raise AssertionError("temp file was not half-written: the kill window was not exercised")
    except ValueError:
        pass
    assert (cache_dir / temps[0]).stat().st_mode & 0o777 == 0o600
    assert helper.session() == before
    assert helper.cache_file.stat().st_mode & 0o777 == 0o600
    # the lock died with the writer: the next run refreshes normally
    creds = assert_credentials(helper.run(timeout=30))
    assert helper.session()["credentials"] == creds
