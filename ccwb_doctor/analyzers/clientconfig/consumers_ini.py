"""How each client reads the INI files (pure): the JS SDK v3's own parser (``@smithy/core/config``: BOM and
repeated keys tolerated, only ``=`` separates, indented lines are ordinary lines) and botocore's
``configparser`` reading (rejects BOMs, duplicates, continuation lines). Measured against the real
packages (tests/clients); the consumer model in ``consumers`` builds on these.
"""

from __future__ import annotations

import configparser
import io
import re
from typing import Any

from ccwb_doctor.records import record

JS_WS = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS = re.escape(JS_WS)
_JS_COMMENT = re.compile(rf"(^|[{_WS}])[;#]")
_JS_LINES = re.compile(r"\r?\n")
_NAMECH = r"[A-Za-z0-9_\-@+.%:/]+"
_JS_PREFIX = re.compile(rf"^([A-Za-z0-9_-]+)[{_WS}](?:\"({_NAMECH})\"|'({_NAMECH})'|({_NAMECH}))$")
_JS_SECTION_TYPES = ("profile", "sso-session", "services")


class JsIniError(Exception):
    """parseIni threw: the SDK swallows it and treats the whole file as empty."""


def js_parse_ini(text: str) -> dict[str, dict[str, str]]:
    """``parseIni`` of @smithy/core/config, line for line."""
    out: dict[str, dict[str, str]] = {}
    section: str | None = None
    sub: str | None = None
    for raw in _JS_LINES.split(text):
        m = _JS_COMMENT.search(raw)
        line = (raw[: m.start()] if m else raw).strip(JS_WS)
        if line[:1] == "[" and line[-1:] == "]":
            section, sub = None, None
            name = line[1:-1]
            pm = _JS_PREFIX.match(name)
            if pm:
                if pm.group(1) in _JS_SECTION_TYPES:
                    section = pm.group(1) + "." + (pm.group(2) or pm.group(3) or pm.group(4))
            else:
                section = name
            if name in ("__proto__", "profile __proto__"):
                raise JsIniError(f'Found invalid profile name "{name}"')
        elif section:
            eq = line.find("=")
            if eq > 0:
                key, value = line[:eq].strip(JS_WS), line[eq + 1 :].strip(JS_WS)
                if value == "":
                    sub = key
                else:
                    if sub and raw.lstrip(JS_WS) == raw:
                        sub = None
                    out.setdefault(section, {})[sub + "." + key if sub else key] = value
    return out


def js_ignored_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank, non-comment lines ``parseIni`` silently drops: (1-based line number, line)."""
    out: list[tuple[int, str]] = []
    section: str | None = None
    for no, raw in enumerate(_JS_LINES.split(text), start=1):
        m = _JS_COMMENT.search(raw)
        line = (raw[: m.start()] if m else raw).strip(JS_WS)
        if not line:
            continue
        if line[:1] == "[" and line[-1:] == "]":
            name = line[1:-1]
            pm = _JS_PREFIX.match(name)
            section = (pm.group(1) + "." if pm and pm.group(1) in _JS_SECTION_TYPES else None) if pm else name
            if section is None:
                out.append((no, raw.strip()))
        elif not section or line.find("=") <= 0:
            out.append((no, raw.strip()))
    return out


def js_config_data(data: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """``getConfigData``: keep ``[default]`` and prefixed sections; ``profile.X`` becomes ``X``."""
    acc: dict[str, dict[str, str]] = {}
    if "default" in data:
        acc["default"] = data["default"]
    for key, value in data.items():
        dot = key.find(".")
        if dot == -1 or key[:dot] not in _JS_SECTION_TYPES:
            continue
        acc[key[dot + 1 :] if key[:dot] == "profile" else key] = value
    return acc


def js_load(data: bytes | None, config: bool) -> tuple[dict[str, dict[str, str]], str | None]:
    """A file as the JS SDK loads it: (sections, why it was dropped). Read errors and throws → empty."""
    if data is None:
        return {}, None
    text = data.decode("utf-8", errors="replace")  # Node's readFile(..., "utf8") never throws on bad bytes
    try:
        parsed = js_parse_ini(text)
    except JsIniError as exc:
        return {}, str(exc)
    return (js_config_data(parsed) if config else parsed), None


def js_profiles(config: bytes | None, credentials: bytes | None) -> dict[str, dict[str, str]]:
    """``parseKnownFiles``: config profiles, then credentials sections assigned over them key by key."""
    cfg, _ = js_load(config, True)
    creds, _ = js_load(credentials, False)
    merged: dict[str, dict[str, str]] = {k: dict(v) for k, v in cfg.items()}
    for k, v in creds.items():
        merged.setdefault(k, {}).update(v)
    return merged


class BotoParseError(Exception):
    pass


def boto_raw_parse(data: bytes, path: str = "<file>") -> dict[str, dict[str, Any]]:
    """``botocore.configloader.raw_config_parse`` on bytes (text mode: UTF-8, universal newlines)."""
    from ccwb_doctor.analyzers.botocore_lite import configloader  # botocore's own helper, to stay exact

    parse_nested = configloader().parse_nested

    try:
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        raise BotoParseError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    cp = configparser.RawConfigParser()
    try:
        cp.read_string(text, source=path)
    except configparser.Error as exc:
        raise BotoParseError(" ".join(str(exc).split())) from None
    out: dict[str, dict[str, Any]] = {}
    for section in cp.sections():
        out[section] = {}
        for option in cp.options(section):
            value: Any = cp.get(section, option)
            if value.startswith("\n"):
                try:
                    value = parse_nested(value)
                except ValueError as exc:
                    raise BotoParseError(str(exc)) from None
            out[section][option] = value
    return out


@record
class BotoFiles:
    """~/.aws/config and credentials as botocore (the AWS CLI, boto3) loads them."""

    profiles: dict[str, dict[str, Any]]  # full_config["profiles"] (credentials merged over config)
    credentials: dict[str, dict[str, Any]]
    config_profiles: dict[str, dict[str, Any]]
    error: str | None = None  # ConfigParseError: the CLI stops on every command


def boto_load(config: bytes | None, credentials: bytes | None, config_path: str, cred_path: str) -> BotoFiles:
    from ccwb_doctor.analyzers.botocore_lite import configloader

    build_profile_map = configloader().build_profile_map

    try:
        cfg = (
            build_profile_map(boto_raw_parse(config, config_path)) if config is not None else {"profiles": {}}
        )
    except BotoParseError as exc:
        return BotoFiles({}, {}, {}, f"Unable to parse config file: {config_path}: {exc}")
    try:
        creds = boto_raw_parse(credentials, cred_path) if credentials is not None else {}
    except BotoParseError as exc:
        return BotoFiles({}, {}, {}, f"Unable to parse config file: {cred_path}: {exc}")
    config_profiles = {k: dict(v) for k, v in cfg.get("profiles", {}).items()}
    profiles = {k: dict(v) for k, v in config_profiles.items()}
    for name, values in creds.items():
        profiles.setdefault(name, {}).update(values)
    return BotoFiles(profiles, creds, config_profiles)
