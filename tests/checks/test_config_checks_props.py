"""Property tests over the whole CONFIG family: arbitrary ~/.aws files, settings and helper config.json.

Whatever the files hold, every CONFIG check returns a result; an ``error`` result is a bad *input* (its
one-line reason names the file), never a crash of the check (which would show an exception type instead).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccwb_doctor.app import run_report
from ccwb_doctor.model import Status
from ccwb_doctor.options import OFFLINE, RunOptions

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# values as users (and installers) write them, including botocore's nested sub-section syntax
VALUES = st.sampled_from(
    [
        "/bin/true --profile p",
        "~/claude-code-with-bedrock/credential-process --profile p",
        '"/opt/My Tools/cp" --profile p',
        '"/unbalanced --profile p',
        "$HOME/cp",
        "us-east-1",
        "not a region",
        "EXPIRED",
        "AKIAEXAMPLEEXAMPLE01",
        "2000-01-01T00:00:00Z",
        "2999-01-01T00:00:00+00:00",
        "9999-99-99",
        "",
        "\n  nested = value",
        "\n  a = b\n  c = d",
    ]
) | st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r[]"), max_size=30)
KEYS = st.sampled_from(
    [
        "credential_process",
        "region",
        "role_arn",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "x-expiration",
        "expiration",
    ]
)
SECTION = st.sampled_from(["profile p", "p", "default", "profile default", "other"])


@st.composite
def ini_files(draw: st.DrawFn) -> str:
    parts = []
    for name in draw(st.lists(SECTION, max_size=3, unique=True)):
        parts.append(f"[{name}]")
        for key, value in draw(st.dictionaries(KEYS, VALUES, max_size=6)).items():
            parts.append(f"{key} = {value}".rstrip(" "))
    if draw(st.booleans()):  # and sometimes plain junk lines anywhere
        parts.insert(
            draw(st.integers(0, len(parts))),
            draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)),
        )
    return "\n".join(parts) + "\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=12,
)
SETTINGS_KEYS = st.sampled_from(
    ["CLAUDE_CODE_USE_BEDROCK", "AWS_PROFILE", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
)
settings_docs = st.fixed_dictionaries(
    {},
    optional={
        "env": st.dictionaries(SETTINGS_KEYS, VALUES | json_values, max_size=5) | json_values,
        "awsAuthRefresh": VALUES | json_values,
        "otelHeadersHelper": VALUES | json_values,
    },
)
HELPER_KEYS = st.sampled_from(
    [
        "client_id",
        "provider_domain",
        "aws_region",
        "credential_storage",
        "federated_role_arn",
        "max_session_duration",
        "redirect_port",
        "sso_enabled",
        "okta_domain",
        "name",
    ]
)
ODD_NUMBERS = st.sampled_from(["3600", "²", "١٢", "-1", "1e3", " 12", "", "0x10"])
helper_profile = st.dictionaries(HELPER_KEYS, json_values | ODD_NUMBERS, max_size=6)
helper_docs = st.one_of(
    st.dictionaries(st.sampled_from(["p", "ClaudeCode"]), helper_profile, max_size=2).map(
        lambda d: {"profiles": d}
    ),
    st.dictionaries(st.sampled_from(["p", "ClaudeCode"]), helper_profile, min_size=1, max_size=2),
    helper_profile,
    json_values,
)


def _blob(doc_strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | st.binary(max_size=120) | doc_strategy.map(lambda d: json.dumps(d).encode())


def _run(config: str, creds: str, settings_b: bytes | None, helper_b: bytes | None, profile: str | None):
    with tempfile.TemporaryDirectory() as d:
        home = Path(d)
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_text(config, encoding="utf-8")
        (home / ".aws" / "credentials").write_text(creds, encoding="utf-8")
        if settings_b is not None:
            (home / ".claude").mkdir()
            (home / ".claude" / "settings.json").write_bytes(settings_b)
        if helper_b is not None:
            (home / "claude-code-with-bedrock").mkdir()
            (home / "claude-code-with-bedrock" / "config.json").write_bytes(helper_b)
        before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
        report = run_report(
            RunOptions(home=home, profile=profile, mode=OFFLINE),
            only=["config"],
            env={"HOME": d, "PATH": "/usr/bin:/bin"},
        )
        after = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
        return d, report, before == after


@SETTINGS
@given(
    config=ini_files(),
    creds=ini_files(),
    settings_b=_blob(settings_docs),
    helper_b=_blob(helper_docs),
    profile=st.sampled_from([None, "p", "default"]),
)
@example(
    config="[profile p]\ncredential_process =\n  a = b\nregion =\n  c = d\n",
    creds="",
    settings_b=None,
    helper_b=None,
    profile="p",
)
@example(
    config="[default]\nregion = us-east-1\n",
    creds="[default]\naws_access_key_id =\n  nested = value\nx-expiration =\n  a = b\n",
    settings_b=None,
    helper_b=None,
    profile=None,
)
@example(
    config="[profile p]\ncredential_process = /bin/true\nregion = us-east-1\n",
    creds="",
    settings_b=None,
    helper_b=b'{"profiles": {"p": {"max_session_duration": "\\u00b2"}}}',
    profile="p",
)
def test_config_checks_never_crash_on_any_files(
    config: str, creds: str, settings_b: bytes | None, helper_b: bytes | None, profile: str | None
) -> None:
    home, report, untouched = _run(config, creds, settings_b, helper_b, profile)
    assert untouched  # nothing is ever written
    assert [r.id for r in report.results] == [
        "CONFIG-PROFILE",
        "CONFIG-CREDENTIAL-PROCESS",
        "CONFIG-SHADOWED-CREDS",
        "CONFIG-SETTINGS",
        "CONFIG-HELPER-CACHE",
    ]
    for r in report.results:
        assert r.message and "\n" not in r.message, (r.id, r.message)
        if r.status is Status.ERROR:  # a bad file, named; not "TypeError: ..." from a crashed check
            assert home in r.message, (r.id, r.message)
        if r.status in (Status.FAIL, Status.WARN):
            assert r.remediation, (r.id, r.message)
