"""INI diagnosis: the line and the cause when botocore rejects ~/.aws/config; unquoted spaces in paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccwb_doctor.facts import Facts
from ccwb_doctor.facts.ini_diag import diagnose_ini, unquoted_space
from ccwb_doctor.options import OFFLINE, RunOptions


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[default]\nregion = us-east-1[profile X]\ncredential_process = a\nregion = b\n", "glued"),
        ("[profile X]\nregion = a\nregion = b\n", "duplicate key region in [profile X] (first on line 2)"),
        ("  [profile X]\nregion = a\n", "section header is indented"),
        ("[profile X]\n\n   region = a\n", "stray indentation"),
        ("region = a\n", "a key before any [section] header"),
    ],
)
def test_diagnose_names_cause_and_line(text: str, needle: str) -> None:
    msg = diagnose_ini(text)
    assert msg is not None and needle in msg and msg.startswith("line ")


def test_diagnose_accepts_a_valid_file() -> None:
    assert diagnose_ini("[profile X]\ncredential_process = /a b --x\nregion = us-east-1\n") is None


def test_unquoted_space_gives_the_quoted_line() -> None:
    argv = ["/home/ana", "smith/bin/cp", "--profile", "X"]
    msg = unquoted_space(argv, lambda p: p == "/home/ana smith/bin/cp")
    assert msg is not None and 'credential_process = "/home/ana smith/bin/cp" --profile X' in msg
    assert unquoted_space(argv, lambda p: False) is None


def test_glued_header_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(
        "[default]\nregion = us-east-1[profile ClaudeCode]\ncredential_process = /x\nregion = us-east-1\n"
    )
    facts = Facts(RunOptions(home=tmp_path, mode=OFFLINE), env={"HOME": str(tmp_path), "PATH": "/usr/bin"})
    cfg = facts.aws_config  # read as Claude Code's JS SDK reads it; botocore's rejection is named
    assert re.search(r"line 2 `region = us-east-1\[profile ClaudeCode\]`.*glued", cfg["botocore_error"])
    assert "ClaudeCode" not in cfg["profiles"]  # the glued header is no header for either client
