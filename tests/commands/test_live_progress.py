"""The live progress table in text mode, as a terminal user sees it: stderr on a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.netservers import (
    BlackHole,
    HTTPFixture,
    aws_routes,
    collector_routes,
    discovery_routes,
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def run_on_tty(argv: list[str], env: dict[str, str], limit: float = 30.0) -> tuple[int, str, str]:
    """Run ``python -m ccwb_doctor ARGV`` with stderr on a pty; returns (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccwb_doctor", *argv],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:  # bounded: the child exits well before the limit
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed its side
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        os.close(master)
    return proc.returncode, out.decode(), ANSI.sub("", seen.decode("utf-8", "replace"))


def _clean_env(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}


def test_net_shows_live_table_while_probing(tmp_path: Path) -> None:
    with BlackHole() as hole, HTTPFixture(aws_routes()) as ok:
        code, out, tty = run_on_tty(
            [
                "net",
                "--endpoint",
                f"sts=http://127.0.0.1:{ok.port}/",
                "--endpoint",
                f"stalled=https://127.0.0.1:{hole.port}/",
                "--timeout",
                "1.5",
            ],
            _clean_env(tmp_path),
        )
    assert code == 1
    assert "ccwb-doctor net" in tty and "endpoint" in tty and "stalled" in tty  # the live table was drawn
    assert re.search(r"ok \d+ms", tty)  # stage cells filled in as stages completed
    assert "deadline" in tty  # the stalled endpoint's stage marked when the deadline cut it
    assert "2 endpoint(s) probed in" in tty
    assert "NET-STS" in out and "NET-ENDPOINT" in out and "ccwb-doctor net" not in out  # report on stdout


def test_run_shows_probe_progress_in_text_mode_only(tmp_path: Path) -> None:
    with HTTPFixture({}) as idp, HTTPFixture(aws_routes()) as aws, HTTPFixture(collector_routes(200)) as col:
        issuer = f"http://127.0.0.1:{idp.port}"
        idp.routes.update(discovery_routes(issuer))
        s = sc.reference_install(tmp_path / "home", issuer=issuer, collector=f"http://127.0.0.1:{col.port}")
        doc = s.read_settings()
        doc["env"]["AWS_ENDPOINT_URL_STS"] = f"http://127.0.0.1:{aws.port}"
        doc["env"]["ANTHROPIC_BEDROCK_BASE_URL"] = f"http://127.0.0.1:{aws.port}"
        s.write_settings(doc)
        base = ["run", "--home", str(s.home), "--only", "NET-IDP,NET-STS,NET-BEDROCK,NET-COLLECTOR"]
        code, out, tty = run_on_tty([*base, "--timeout", "5"], s.env)
        jcode, jout, jtty = run_on_tty([*base, "--timeout", "5", "--format", "json"], s.env)
        ocode, _, otty = run_on_tty([*base, "--offline"], s.env)
    assert code == 0 and "NET-IDP" in out
    assert "probing endpoints" in tty and "bedrock" in tty and "collector" in tty
    assert jcode == 0 and json.loads(jout)["summary"]["pass"] == 4
    assert "probing endpoints" not in jtty  # machine formats get no display
    assert ocode == 0 and "probing endpoints" not in otty  # offline: nothing probed, nothing shown
