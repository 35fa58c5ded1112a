"""sts:AssumeRoleWithWebIdentity over HTTPS with urllib (unsigned query API; no boto3)."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from . import http
from .errors import HelperError, add_secret

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
_SESSION_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def endpoint(cfg: dict[str, Any], env: Any = None) -> str:
    """AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > profile sts_endpoint_url > regional (FIPS optional)."""
    env = os.environ if env is None else env
    explicit = env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL") or cfg.get("sts_endpoint_url")
    if explicit:
        return str(explicit).rstrip("/") + "/"
    region = str(cfg.get("aws_region") or "us-east-1")
    fips = _truthy(env.get("AWS_USE_FIPS_ENDPOINT", "")) or _truthy(cfg.get("use_fips_endpoint", ""))
    if region.startswith("cn-"):
        return f"https://sts.{region}.amazonaws.com.cn/"
    if region.startswith("us-gov-"):
        return f"https://sts.{region}.amazonaws.com/"  # GovCloud FIPS variants use the same host
    if region.startswith("eusc-"):
        return f"https://sts{'-fips' if fips else ''}.{region}.amazonaws.eu/"
    return f"https://sts{'-fips' if fips else ''}.{region}.amazonaws.com/"


def session_name(claims: dict[str, Any]) -> str:
    """Email, else sub, with characters outside [\\w+=,.@-] replaced; 2..64 characters."""
    raw = str(claims.get("email") or claims.get("sub") or "")
    name = _SESSION_UNSAFE.sub("-", raw)[:64]
    if len(name) >= 2:
        return name
    return f"claude-code-{name}" if name else "claude-code"  # the guidance's fallback for a claim-less token


def duration(cfg: dict[str, Any]) -> int:
    try:
        value = int(cfg.get("max_session_duration") or 3600)
    except (TypeError, ValueError):
        raise HelperError("max_session_duration in config.json is not a number", 2) from None
    # >= 30 min: fresh credentials must outlive botocore's 15-min advisory window (every role allows 3600)
    return max(1800, min(value, 43200))


def _explain(code: str, message: str, cfg: dict[str, Any], claims: dict[str, Any]) -> str:
    role, region = cfg.get("federated_role_arn"), cfg.get("aws_region")
    iss, aud = claims.get("iss"), cfg.get("client_id")
    hints = {
        "InvalidIdentityToken": f"check that an IAM OIDC provider exists for {iss} (exact URL, trailing slash matters), "
        f"that its client ID list contains {aud}, and that AWS can fetch the IdP's JWKS",
        "ExpiredTokenException": "the ID token is expired for AWS: check this machine's clock and the IdP token lifetime",
        "AccessDenied": f"the trust policy of {role} does not allow this token: check the Federated principal "
        "(the OIDC provider ARN), aud/sub conditions, and sts:TagSession when the token carries session tags",
        "IDPCommunicationError": "AWS could not reach the IdP to validate the token (often transient); retry, "
        "and check the IdP's discovery/JWKS are publicly reachable",
        "RegionDisabledException": f"STS is not activated in {region} for this account: activate it in IAM "
        "account settings or set aws_region to an enabled region",
        "ValidationError": "check max_session_duration (<= the role's MaxSessionDuration) and the role ARN",
    }
    hint = hints.get(code, "see the message above")
    return f"STS AssumeRoleWithWebIdentity failed: {code}: {message[:200]} -> {hint}"


def _text(node: ET.Element | None, tag: str) -> str:
    found = node.find(NS + tag) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _rfc3339(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HelperError(f"STS returned an unreadable Expiration {value!r}") from None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_error(body: bytes) -> tuple[str, str]:
    """(Code, Message) of an STS ErrorResponse; empty strings when the body is not one."""
    try:
        err = ET.fromstring(body).find(f"{NS}Error")
    except ET.ParseError:
        return "", ""
    return _text(err, "Code"), _text(err, "Message")


def parse_response(body: bytes, url: str = "STS") -> dict[str, Any]:
    """The credential_process object from an AssumeRoleWithWebIdentityResponse (HelperError if unusable)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise HelperError(f"STS at {url} returned something that is not XML") from None
    creds = root.find(f"{NS}AssumeRoleWithWebIdentityResult/{NS}Credentials")
    if creds is None:
        raise HelperError(f"STS at {url} returned no Credentials")
    out: dict[str, Any] = {
        "Version": 1,
        "AccessKeyId": _text(creds, "AccessKeyId"),
        "SecretAccessKey": _text(creds, "SecretAccessKey"),
        "SessionToken": _text(creds, "SessionToken"),
        "Expiration": _rfc3339(_text(creds, "Expiration")),
    }
    if not all(out.values()):
        raise HelperError(f"STS at {url} returned incomplete credentials")
    arn = _text(root.find(f"{NS}AssumeRoleWithWebIdentityResult/{NS}AssumedRoleUser"), "Arn")
    if arn.count(":") >= 5 and arn.split(":")[4].isdigit():
        out["AccountId"] = arn.split(":")[4]
    return out


def assume_role(cfg: dict[str, Any], id_token: str, claims: dict[str, Any]) -> dict[str, Any]:
    """Return the credential_process JSON object for the profile's role."""
    role = cfg.get("federated_role_arn")
    if not role:
        raise HelperError(
            "profile has no federated_role_arn (Cognito identity-pool federation is not supported here)", 2
        )
    url = endpoint(cfg)
    http.check_url(url, "STS endpoint")
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": str(role),
        "RoleSessionName": session_name(claims),
        "WebIdentityToken": id_token,
        "DurationSeconds": str(duration(cfg)),
    }
    try:
        body = http.request(url, form, timeout=max(30.0, http.http_timeout()), ca_env="AWS_CA_BUNDLE")
    except http.HTTPFailure as exc:
        code, message = parse_error(exc.body)
        raise HelperError(_explain(code or f"HTTP {exc.status}", message, cfg, claims)) from None
    out = parse_response(body, url)
    add_secret(out["SecretAccessKey"])
    add_secret(out["SessionToken"])
    return out
