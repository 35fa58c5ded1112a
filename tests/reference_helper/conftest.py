"""Fixtures for the reference helper's end-to-end tests (helpers live in helper_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccwb_doctor.fixtures.aws_emulator import moto_server
from ccwb_doctor.fixtures.idp import FixtureIdP

sys.path.insert(0, str(Path(__file__).parent))
from helper_harness import PY, CountingProxy, Helper, base_env  # noqa: E402


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def sts(moto_url: str) -> Iterator[CountingProxy]:
    proxy = CountingProxy(moto_url)
    yield proxy
    proxy.close()


@pytest.fixture
def idp() -> Iterator[FixtureIdP]:
    with FixtureIdP(path="/oauth2/default") as server:
        server.provider.device_interval = 1
        yield server


@pytest.fixture
def helper(tmp_path: Path, idp: FixtureIdP, sts: CountingProxy) -> Helper:
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home)
    env.update(
        {
            "AWS_ENDPOINT_URL_STS": sts.url,
            "BROWSER": f"{PY} -m ccwb_doctor.fixtures.idp_browser %s",
            "CCWB_LOGIN_TIMEOUT": "20",
        }
    )
    h = Helper(home, env, idp, sts)
    h.write_config()
    return h
