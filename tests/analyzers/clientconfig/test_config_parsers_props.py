"""Property tests: every install-discovery parser turns arbitrary input into a value or a clear error."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsError, parse_settings
from ccwb_doctor.analyzers.clientconfig.cmdline import split_command
from ccwb_doctor.analyzers.clientconfig.helper_config import HelperConfigError, parse_helper_config
from ccwb_doctor.facts import Facts
from ccwb_doctor.model import InputError
from ccwb_doctor.options import RunOptions

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(st.binary(max_size=400))
def test_helper_config_arbitrary_bytes(data: bytes) -> None:
    try:
        cfg = parse_helper_config(data)
    except HelperConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert all(isinstance(p, dict) for p in cfg.profiles.values())


@SETTINGS
@given(json_values)
def test_helper_config_arbitrary_json(doc: object) -> None:
    try:
        cfg = parse_helper_config(json.dumps(doc))
    except HelperConfigError as exc:
        assert str(exc)
    else:
        for prof in cfg.profiles.values():
            assert isinstance(prof["aws_region"], str) and isinstance(prof["max_session_duration"], int)


@SETTINGS
@given(st.binary(max_size=400) | json_values.map(lambda d: json.dumps(d).encode()))
def test_settings_arbitrary_input(data: bytes) -> None:
    try:
        doc = parse_settings(data)
    except SettingsError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(doc, dict)


@SETTINGS
@given(st.text(max_size=80), st.sampled_from(["linux", "darwin", "win32"]))
def test_command_split_never_raises(line: str, platform: str) -> None:
    cl = split_command(line, platform)
    assert cl.error is not None or cl.argv


@SETTINGS
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_ini_files_arbitrary_bytes_give_value_or_input_error(config: bytes, creds: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        home = Path(d)
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_bytes(config)
        (home / ".aws" / "credentials").write_bytes(creds)
        f = Facts(RunOptions(home=home), env={"HOME": d})
        for name in ("aws_config", "aws_credentials", "profile", "credential_process"):
            try:
                f.get(name)
            except InputError as exc:
                assert str(home) in str(exc) and "\n" not in str(exc)


HELPER_KEYS = st.sampled_from(
    [
        "provider_domain",
        "client_id",
        "aws_region",
        "credential_storage",
        "federated_role_arn",
        "federation_type",
        "max_session_duration",
        "redirect_port",
        "sso_enabled",
        "okta_domain",
        "okta_client_id",
        "identity_pool_name",
        "name",
    ]
)
ODD_NUMBERS = st.sampled_from(["3600", "²", "١٢", "-1", "1e3", " 12", "", "0x10", "٣"])


@SETTINGS
@given(
    st.dictionaries(HELPER_KEYS, json_values | ODD_NUMBERS, max_size=8),
    st.sampled_from(["profiles", "flat", "legacy"]),
)
def test_helper_config_known_keys_with_any_values(prof: dict, shape: str) -> None:
    """Real key names with arbitrary values: a normalised profile or a HelperConfigError, nothing else."""
    doc = {"profiles": {"p": prof}} if shape == "profiles" else {"p": prof} if shape == "flat" else prof
    try:
        cfg = parse_helper_config(json.dumps(doc))
    except HelperConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        for p in cfg.profiles.values():
            assert isinstance(p["max_session_duration"], int) and isinstance(p["aws_region"], str)
            assert p.get("redirect_port") is None or isinstance(p["redirect_port"], int)


def test_helper_config_rejects_non_ascii_digits() -> None:
    for odd in ("²", "١٢"):
        try:
            parse_helper_config(json.dumps({"p": {"max_session_duration": odd}}))
        except HelperConfigError as exc:
            assert "max_session_duration must be an integer" in str(exc)
        else:
            raise AssertionError(f"{odd!r} accepted as an integer")
