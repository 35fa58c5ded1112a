"""Run options: everything the CLI (or a test, or the sandbox) tells the doctor about this run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from ccwb_doctor.records import record

OFFLINE = "offline"
DEFAULT = "default"
LIVE = "live"


@record
class RunOptions:
    """What one run was asked to look at and how: the inputs, the network mode, the timeout."""

    home: Path | None = None
    profile: str | None = None
    mode: str = DEFAULT  # offline | default (network probes, JWKS) | live (also runs the helper, calls AWS)
    token: str | None = None  # a path, or "-" (already read into token_text by the CLI)
    token_text: str | None = None
    trust_policy: Path | None = None
    permissions_policies: list[Path] = field(default_factory=list)
    template: Path | None = None
    params: dict[str, str] = field(default_factory=dict)
    provider_url: str | None = None
    client_ids: list[str] = field(default_factory=list)
    scps: list[Path] = field(default_factory=list)
    timeout: float = 30.0
    endpoints: dict[str, str] = field(default_factory=dict)  # `net --endpoint NAME=URL`
    binary_path: Path | None = None  # `binary PATH`
    platform: str | None = None  # `--platform OS-ARCH`: judge a captured HOME for that OS and CPU
    extra: dict[str, object] = field(default_factory=dict)  # for subcommands and embedders

    @property
    def offline(self) -> bool:
        return self.mode == OFFLINE

    @property
    def live(self) -> bool:
        return self.mode == LIVE


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs or []:
        if "=" not in p:
            raise ValueError(f"--param expects KEY=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


def env_snapshot(env: Mapping[str, str] | None) -> dict[str, str]:
    import os

    return dict(os.environ if env is None else env)
