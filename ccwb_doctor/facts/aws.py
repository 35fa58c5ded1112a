"""AWS clients for facts, built only from what this run was given.

Two kinds of caller identity, never the machine's own configuration:

- the run's environment credentials (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``
  in ``facts.env``): an operator's or helpdesk's keys for IAM reads;
- explicit credentials, e.g. what the credential helper printed in ``--live`` mode.

Endpoints come from the same environment the credentials belong to (``AWS_ENDPOINT_URL_<SERVICE>``, then
``AWS_ENDPOINT_URL``, as the SDKs name them) and ``AWS_CA_BUNDLE`` is honoured. Configured endpoints in
``~/.aws/config`` of the machine running the doctor are ignored: with ``--home`` that file belongs to
someone else, and the sandbox must never reach a real account.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccwb_doctor.facts import Facts


def endpoint_for(service: str, env: Mapping[str, str]) -> str | None:
    """``AWS_ENDPOINT_URL_<SERVICE>`` (the SDKs' naming: the service id upper-cased, spaces and dashes to
    underscores: IAM, STS, BEDROCK, BEDROCK_RUNTIME), else ``AWS_ENDPOINT_URL``, else None."""
    key = "AWS_ENDPOINT_URL_" + service.upper().replace(" ", "_").replace("-", "_")
    return env.get(key) or env.get("AWS_ENDPOINT_URL") or None


def ca_bundle(env: Mapping[str, str]) -> str | None:
    bundle = env.get("AWS_CA_BUNDLE")
    return bundle if bundle and Path(bundle).is_file() else None


def env_credentials(env: Mapping[str, str]) -> dict[str, str] | None:
    if not (env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY")):
        return None
    creds = {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
    if env.get("AWS_SESSION_TOKEN"):
        creds["aws_session_token"] = env["AWS_SESSION_TOKEN"]
    return creds


def client(
    facts: Facts,
    service: str,
    region: str | None = None,
    *,
    credentials: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    endpoint_url: str | None = None,
) -> Any | None:
    """A boto3 client, or None when there are no credentials to use.

    ``credentials`` (boto3 keyword names) default to the run's environment keys; ``env`` (where the
    endpoint and CA bundle are read) defaults to ``facts.env``; ``endpoint_url`` overrides the endpoint.
    """
    env = facts.env if env is None else env
    creds = dict(credentials) if credentials else env_credentials(env)
    if not creds:
        return None
    from botocore.config import Config

    t = float(timeout if timeout is not None else min(10.0, max(1.0, float(facts.options.timeout) - 1.0)))
    cfg = Config(
        connect_timeout=t,
        read_timeout=t,
        retries={"max_attempts": 1},
        ignore_configured_endpoint_urls=True,
    )
    session = isolated_session(region or env.get("AWS_REGION") or "us-east-1", **creds)
    return session.client(
        service,
        endpoint_url=endpoint_url or endpoint_for(service, env),
        config=cfg,
        verify=ca_bundle(env),
    )


def isolated_session(region: str, **credentials: str) -> Any:
    """A boto3 Session with explicit credentials that never reads this machine's ~/.aws files or
    AWS_PROFILE (a profile named there that does not exist, or its endpoint_url, cannot leak in)."""
    import boto3
    import botocore.session

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    return boto3.session.Session(botocore_session=core, region_name=region, **credentials)
