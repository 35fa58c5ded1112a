"""The consumers fact: what Claude Code and the AWS CLI/boto3 each do with this machine's AWS files."""

from __future__ import annotations

import os
from typing import Any

from ccwb_doctor.analyzers.clientconfig.consumers import Consumer, consumers
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.facts.config import platform_of, read_file
from ccwb_doctor.model import InputError


def judged_home(facts: Facts) -> str:
    """HOME as the judged machine spells it: a captured copy's original home, else --home / this HOME."""
    cap = facts.peek("capture")
    return str(cap.original) if cap is not None else str(facts.home)


def local(facts: Facts, path: str) -> str:
    """Where a path the judged machine names lives here (a captured copy's home is mapped onto --home)."""
    from ccwb_doctor.facts.capture import map_path

    return map_path(facts, path)


def is_executable(facts: Facts, path: str) -> bool:
    """Whether the judged platform would start ``path`` (Windows has no exec bit: a file is enough)."""
    here = local(facts, path)
    if platform_of(facts) == "win32":
        return os.path.isfile(here)
    return os.path.isfile(here) and os.access(here, os.X_OK)


@fact("consumers")
def _consumers(facts: Facts) -> list[Consumer]:
    from pathlib import Path

    env: dict[str, Any] = dict(facts.claude_env)
    env["HOME"] = judged_home(facts)
    if facts.options.profile:
        env["AWS_PROFILE"] = facts.options.profile

    def read(path: str) -> bytes | None:
        try:
            return read_file(Path(local(facts, path)))
        except InputError:
            return None  # the JS SDK treats an unreadable file as empty; CONFIG-PROFILE names the error

    return consumers(env, platform_of(facts), read, lambda path: is_executable(facts, path))


@fact("settings_commands")
def _settings_commands(facts: Facts) -> dict[str, Any]:
    """How Claude Code runs each settings command line (awsAuthRefresh, awsCredentialExport,
    otelHeadersHelper) on the judged platform, with the environment it runs them with."""
    from ccwb_doctor.analyzers.clientconfig.claude_settings import PLACEHOLDER
    from ccwb_doctor.analyzers.clientconfig.consumers_settings import KEYS, settings_command

    merged = getattr(facts.peek("claude_settings"), "merged", None) or {}
    env: dict[str, Any] = {**facts.claude_env, "HOME": judged_home(facts)}
    plat = platform_of(facts)
    out: dict[str, Any] = {}
    for key in KEYS:
        line = merged.get(key)
        if not isinstance(line, str) or PLACEHOLDER.search(line):  # placeholders: CONFIG-SETTINGS says so
            continue
        out[key] = settings_command(
            key,
            line,
            env,
            plat,
            lambda p: is_executable(facts, p),
            lambda p: os.path.isabs(p) and os.path.isfile(local(facts, p)),
        )
    return out
