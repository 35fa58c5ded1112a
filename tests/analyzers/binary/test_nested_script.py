"""A #! script whose interpreter is itself a #! script is not called "native"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux runs nested #! interpreters")
def test_script_interpreted_by_a_script(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.write_text('#!/bin/sh\nexec /bin/sh "$@"\n')
    inner.chmod(0o755)
    outer = tmp_path / "outer"
    outer.write_text(f"#!{inner}\necho hi\n")
    outer.chmod(0o755)
    proc = subprocess.run(
        [sys.executable, "-m", "ccwb_doctor", "binary", str(outer)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        check=False,
    )
    out = proc.stdout
    assert "Verdict: native" not in out, out
    assert f"the interpreter {inner} is itself a #! script" in out
    assert f"run by {inner} (itself a #! script), then /bin/sh" in out  # BINARY-ARCH judges /bin/sh


def test_macos_refuses_a_script_interpreter(tmp_path: Path) -> None:
    from ccwb_doctor.analyzers.binary.analyze import analyze_path
    from ccwb_doctor.analyzers.binary.hostcap import HostProfile
    from ccwb_doctor.analyzers.binary.verdict import CANNOT, judge

    inner = tmp_path / "inner"
    inner.write_text("#!/bin/sh\n")
    outer = tmp_path / "outer"
    outer.write_text(f"#!{inner}\n")
    host = HostProfile(os="darwin", machine="arm64")
    v = judge(analyze_path(outer), host, exists=lambda p: True)
    assert v.kind == CANNOT and "macOS" in v.message
