"""facts.aws: AWS clients built only from the run's environment, never the machine's ~/.aws or AWS_PROFILE."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccwb_doctor.facts import Facts, aws
from ccwb_doctor.fixtures.scenarios import write
from ccwb_doctor.options import RunOptions


def test_endpoint_names_follow_the_sdk_convention() -> None:
    env = {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://rt", "AWS_ENDPOINT_URL": "http://all"}
    assert aws.endpoint_for("bedrock-runtime", env) == "http://rt"
    assert aws.endpoint_for("iam", env) == "http://all"
    assert aws.endpoint_for("sts", {}) is None


def test_no_credentials_means_no_client(tmp_path: Path) -> None:
    facts = Facts(RunOptions(home=tmp_path), env={"AWS_PROFILE": "ccwb"})
    assert aws.client(facts, "iam") is None


@pytest.mark.timeout(60)
def test_machine_profile_and_config_endpoints_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ccwb_doctor.fixtures.aws_emulator import moto_server

    # The machine running the doctor has a profile and an endpoint override that must not be used.
    machine_cfg = write(
        tmp_path / "machine-config",
        "[profile elsewhere]\nendpoint_url = http://127.0.0.1:9\nregion = eu-west-1\n",
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(machine_cfg))
    monkeypatch.setenv("AWS_PROFILE", "does-not-exist-here")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with moto_server() as url:
        env = {
            "AWS_ACCESS_KEY_ID": "AKIAOPERATOR000001",
            "AWS_SECRET_ACCESS_KEY": "x" * 40,
            "AWS_ENDPOINT_URL_IAM": url,
        }
        facts = Facts(RunOptions(home=tmp_path), env=env)
        iam = aws.client(facts, "iam")
        assert iam is not None and iam.meta.endpoint_url == url
        assert iam.list_roles()["Roles"] == []
        helper = aws.client(
            facts,
            "sts",
            "us-west-2",
            credentials={
                "aws_access_key_id": "ASIAHELPER00000001",
                "aws_secret_access_key": "y" * 40,
                "aws_session_token": "z",
            },
            env={"AWS_ENDPOINT_URL_STS": url},
        )
        assert helper.meta.region_name == "us-west-2" and helper.meta.endpoint_url == url
