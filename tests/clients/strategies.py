"""Hypothesis strategies: AWS config/credentials files and environments where the clients may disagree."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

PROFILES = ("ClaudeCode", "default", "dev")
PROGRAMS = (
    "@HOME@/bin/helper",
    "~/bin/helper",
    "$HOME/bin/helper",
    "${HOME}/bin/helper",
    '"@HOME@/bin/helper"',
    '"@HOME@/my tools/helper"',
    "'@HOME@/my tools/helper'",
    "@HOME@/my tools/helper",
    "@HOME@/my\\ tools/helper",
    '"~/bin/helper"',
    "@HOME@/missing/helper",
)
ARGS = ("--profile", "ClaudeCode", '"Claude Code"', "'a b'", "$HOME", "~", "x#y", "--flag=1", '""', "~/x")
TRAILERS = ("", " # comment", " ; comment", "\t#c", "#c")
REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


@st.composite
def command_line(draw: st.DrawFn) -> str:
    prog = draw(st.sampled_from(PROGRAMS))
    args = draw(st.lists(st.sampled_from(ARGS), max_size=3))
    return " ".join([prog, *args]) + draw(st.sampled_from(TRAILERS))


@st.composite
def key_line(draw: st.DrawFn, key: str, value: str) -> str:
    indent = draw(st.sampled_from(("", "", "", "  ", "\t")))
    sep = draw(st.sampled_from((" = ", "=", " =  ", " = ", ": ")))
    return f"{indent}{key}{sep}{value}"


def header(name: str, form: str) -> str:
    if form == "plain":
        return f"[{name}]" if name == "default" else f"[profile {name}]"
    return {
        "quoted": f'[profile "{name}"]',
        "bare": f"[{name}]",
        "twospace": f"[profile  {name}]",
        "inner-space": f"[ profile {name} ]",
        "prefixed": f"[profile {name}]",
    }[form]


@st.composite
def config_file(draw: st.DrawFn, name: str) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(("# top comment", "; top", ""))))
    form = draw(
        st.sampled_from(("plain", "plain", "plain", "quoted", "bare", "twospace", "inner-space", "prefixed"))
    )
    lines.append(header(name, form))
    body: list[str] = []
    if draw(st.integers(0, 9)) == 0:  # the nested form: empty value, command on an indented line
        body += ["credential_process =", "  " + draw(command_line())]
    else:
        body.append(draw(key_line("credential_process", draw(command_line()))))
    if draw(st.integers(0, 4)) == 0:
        body.append(draw(key_line("credential_process", draw(command_line()))))  # a duplicate key
    if draw(st.booleans()):
        body.append(draw(key_line("region", draw(st.sampled_from(REGIONS)))))
    if draw(st.integers(0, 5)) == 0:
        body += [draw(key_line("aws_access_key_id", "AKIDCONFIG")), "aws_secret_access_key = c"]
    if draw(st.integers(0, 5)) == 0:
        body.append(
            draw(st.sampled_from(("sso_session = corp", "source_profile = other", "sso_account_id = 1")))
        )
    if draw(st.integers(0, 5)) == 0:
        body.insert(
            draw(st.integers(0, len(body))), draw(st.sampled_from(("# c", "; c", "", "  # indented")))
        )
    lines += body
    if draw(st.integers(0, 6)) == 0:  # the same section again (configparser: DuplicateSectionError)
        lines += [header(name, "plain"), f"region = {draw(st.sampled_from(REGIONS))}"]
    if draw(st.integers(0, 4)) == 0:
        lines += ["[profile other]", "region = us-west-2"]
    eol = draw(st.sampled_from(("\n", "\n", "\r\n", "\r")))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    return ("\ufeff" if draw(st.integers(0, 6)) == 0 else "") + text


@st.composite
def credentials_file(draw: st.DrawFn, name: str) -> str | None:
    kind = draw(
        st.sampled_from(("none", "none", "keys", "region", "other", "prefixed", "partial", "process"))
    )
    if kind == "none":
        return None
    sec = f"[profile {name}]" if kind == "prefixed" else ("[other]" if kind == "other" else f"[{name}]")
    body = {
        "keys": ["aws_access_key_id = AKIDCREDFILE", "aws_secret_access_key = k"],
        "region": [f"region = {draw(st.sampled_from(REGIONS))}"],
        "other": ["aws_access_key_id = AKIDOTHER", "aws_secret_access_key = o"],
        "prefixed": ["aws_access_key_id = AKIDPREFIXED", "aws_secret_access_key = p"],
        "partial": ["aws_access_key_id = AKIDPARTIAL"],
        "process": [f"credential_process = {draw(command_line())}"],
    }[kind]
    text = "\n".join([sec, *body]) + "\n"
    return ("\ufeff" if draw(st.integers(0, 8)) == 0 else "") + text


@st.composite
def case(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(PROFILES))
    env: dict[str, str] = {}
    who = draw(st.sampled_from(("same", "same", "same", "unset", "other")))
    if who == "same":
        env["AWS_PROFILE"] = name
    elif who == "other":
        env["AWS_PROFILE"] = "other"
    if draw(st.integers(0, 6)) == 0:
        env["AWS_DEFAULT_PROFILE"] = draw(st.sampled_from((name, "other")))
    keys = draw(st.sampled_from(("none", "none", "none", "both", "id-only")))
    if keys in ("both", "id-only"):
        env["AWS_ACCESS_KEY_ID"] = "AKIDENV"
    if keys == "both":
        env["AWS_SECRET_ACCESS_KEY"] = "e"
    if draw(st.integers(0, 3)) == 0:
        env["AWS_REGION"] = "eu-central-1"
    if draw(st.integers(0, 3)) == 0:
        env["AWS_DEFAULT_REGION"] = "sa-east-1"
    cfg = draw(
        st.sampled_from((None, None, None, "~/.aws/config", "$HOME/.aws/config", "@HOME@/.aws/config"))
    )
    if cfg is not None:
        env["AWS_CONFIG_FILE"] = cfg
    creds = draw(st.sampled_from((None, None, None, "~/.aws/credentials", "$HOME/.aws/credentials")))
    if creds is not None:
        env["AWS_SHARED_CREDENTIALS_FILE"] = creds
    return {"config": draw(config_file(name)), "credentials": draw(credentials_file(name)), "env": env}
