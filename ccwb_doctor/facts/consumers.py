"""The consumers fact: what Claude Code and the AWS CLI/boto3 each do with this machine's AWS files."""

from __future__ import annotations

import os
from typing import Any

from ccwb_doctor.analyzers.consumers import Consumer, consumers
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.facts.config import platform_of, read_file
from ccwb_doctor.model import InputError


@fact("consumers")
def _consumers(facts: Facts) -> list[Consumer]:
    from pathlib import Path

    env: dict[str, Any] = dict(facts.claude_env)
    env["HOME"] = str(facts.home)
    if facts.options.profile:
        env["AWS_PROFILE"] = facts.options.profile

    def read(path: str) -> bytes | None:
        try:
            return read_file(Path(path))
        except InputError:
            return None  # the JS SDK treats an unreadable file as empty; CONFIG-PROFILE names the error

    def is_executable(path: str) -> bool:
        return os.path.isfile(path) and os.access(path, os.X_OK)

    return consumers(env, platform_of(facts), read, is_executable)
