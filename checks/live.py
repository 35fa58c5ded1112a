"""LIVE-*: run the credential helper as the SDK does, ask STS who that is, and sign one Bedrock request."""

from __future__ import annotations

import errno
import re
from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_CP = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
DOCS_ID = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"
DOCS_BR = "https://docs.aws.amazon.com/bedrock/latest/userguide/security_iam_troubleshoot.html"
NOT_LIVE = "live checks run only with --live (they run the credential helper and call AWS)"
STS_HINTS = {
    "InvalidIdentityToken": "STS rejected the ID token: see TRUST-ISSUER, TRUST-AUDIENCE and TOKEN-SIGNATURE",
    "ExpiredTokenException": "STS says the ID token expired: see TOKEN-EXPIRY (clock, token lifetime)",
    "AccessDenied": "the role's trust policy refused the token: see TRUST-CONDITIONS and TRUST-TAGSESSION",
    "IDPCommunicationError": "STS could not reach the IdP's JWKS: retry; see NET-IDP",
    "RegionDisabledException": "STS is not enabled in the helper's region: see REGION-ALIGNMENT",
    "ValidationError": "see TRUST-SESSION-DURATION (DurationSeconds vs the role's MaxSessionDuration)",
}
# What a helper says (not an STS error code) -> the check that owns the cause
HELPER_HINTS = (
    (re.compile(r"expired", re.I), "the helper was handed an expired ID token: see TOKEN-EXPIRY"),
    (
        re.compile(r"cannot reach|connection refused|timed out|name or service not known|network", re.I),
        "the helper cannot reach the IdP or STS: see NET-IDP and NET-STS",
    ),
    (re.compile(r"signature", re.I), "the ID token's signature does not verify: see TOKEN-SIGNATURE"),
)


def _helper_hint(run: Any) -> str | None:
    hint = STS_HINTS.get(run.sts_error or "")
    if hint:
        return hint
    return next((h for rx, h in HELPER_HINTS if rx.search(run.stderr_first_line or "")), None)


_ASSUMED = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/([\w+=,.@-]+)$")
_ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")


def _creds_or_skip(facts: Any) -> tuple[Any, Outcome | None]:
    if not facts.options.live:
        return None, skip(NOT_LIVE)
    run = facts.live_credentials
    if run is None:
        cp = facts.credential_process
        why = (
            "the active profile has no credential_process (see CONFIG-PROFILE)"
            if not cp.raw
            else "the credential_process cannot be run as written (see CONFIG-CREDENTIAL-PROCESS)"
        )
        return None, skip(why)
    return run, None


@check(
    "LIVE-CREDENTIALS",
    title="Running the credential_process yields valid contract JSON with at least 15 minutes left",
    area="live",
    severity="critical",
    remediation="Run the credential_process line from ~/.aws/config by hand and fix what it prints on stderr; "
    "stdout must hold only the JSON {Version: 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration}.",
    docs=DOCS_CP,
    needs=("credential_process", "claude_env", "live_credentials"),
)
def live_credentials(facts: Any) -> Outcome:
    run, skipped = _creds_or_skip(facts)
    if skipped:
        return skipped
    ev = run.evidence()
    name = " ".join(run.argv)
    if run.error:
        foreign = run.os_errno == errno.ENOEXEC
        hint = "Exec format error: a build for another OS or CPU (see BINARY-ARCH)" if foreign else None
        return fail(f"the credential_process {name} {run.error}", fix=hint, evidence=ev)
    if run.returncode != 0:
        hint = _helper_hint(run)
        said = run.stderr_first_line or "(nothing on stderr)"
        return fail(
            f"the credential_process exited {run.returncode}: {said}",
            fix=hint and f"{hint}. The SDK shows the helper's stderr as the error.",
            evidence=ev,
        )
    c = run.contract
    if c.problems:
        return fail(
            f"the credential_process output breaks the contract: {'; '.join(c.problems)}", evidence=ev
        )
    left = int(c.remaining // 60)
    if c.expiring:
        return warn(
            f"the credentials expire in {left} min (< 15): the SDK re-runs the helper on every call",
            fix="Have the helper refresh credentials that have under 15 minutes left (or request a longer "
            "DurationSeconds, up to the role's MaxSessionDuration).",
            evidence=ev,
        )
    return ok(
        f"the credential_process returned valid credentials, expiring {c.to_dict()['expiration']} "
        f"({left} min left)",
        evidence=ev,
    )


def _session_identifies_user(session: str, claims: dict[str, Any]) -> bool:
    email, sub = claims.get("email"), claims.get("sub")
    if "@" in session:
        return True
    for v in (email, sub):
        if (
            isinstance(v, str)
            and v
            and (session == v or session.endswith(re.sub(r"[^\w+=,.@-]", "-", v)[:32]))
        ):
            return True
    return False


@check(
    "LIVE-IDENTITY",
    title="GetCallerIdentity is the expected assumed role, and its session name identifies the user",
    area="live",
    severity="high",
    remediation="Make the helper assume federated_role_arn from config.json and name the session after the "
    "user's e-mail (or sub) so CloudTrail attributes every Bedrock call.",
    docs=DOCS_ID,
    needs=("live_credentials", "caller_identity", "helper_profile"),
)
def live_identity(facts: Any) -> Outcome:
    run, skipped = _creds_or_skip(facts)
    if skipped:
        return skipped
    if not run.ok:
        return skip("no credentials to identify (see LIVE-CREDENTIALS)")
    ident = facts.caller_identity
    ev = ident.to_dict()
    if ident.error:
        return fail(
            f"sts:GetCallerIdentity failed with the helper's credentials: {ident.error_code}: {ident.error}",
            fix="The credentials the helper printed are not valid for AWS: check the STS "
            "endpoint/region the helper uses (see NET-STS).",
            evidence=ev,
        )
    m = _ASSUMED.match(ident.arn or "")
    if m is None:
        return fail(
            f"the credentials belong to {ident.arn}, not to an assumed role",
            fix="The helper must print the AssumeRoleWithWebIdentity credentials, not static keys.",
            evidence=ev,
        )
    _, account, role_name, session = m.groups()
    expected = (facts.peek("helper_profile") or {}).get("federated_role_arn")
    em = _ROLE.match(expected or "")
    ev["expected_role"] = expected
    if em is not None and (em.group(2), em.group(3)) != (account, role_name):
        return fail(
            f"the credentials are for role {role_name} in {account}, but config.json expects {expected}",
            fix="Point federated_role_arn and the helper at the same role (a stale cache or another "
            "profile's helper?).",
            evidence=ev,
        )
    tok = facts.peek("token")
    claims = getattr(tok, "claims", None) or {}
    if not _session_identifies_user(session, claims):
        return warn(
            f"assumed {role_name} as session {session!r}, which does not identify the user: CloudTrail "
            "cannot attribute Bedrock calls",
            evidence=ev,
        )
    where = f"role {role_name} in {account}" + ("" if em else " (no federated_role_arn to compare)")
    return ok(f"the credentials are {where}, session {session!r}", evidence=ev)


def _endpoint(env: dict[str, str], region: str) -> tuple[str | None, str | None]:
    """The runtime endpoint Claude Code calls: ANTHROPIC_BEDROCK_BASE_URL, else the regional default (it
    ignores AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL; ccwb_doctor.analyzers.net.claude_endpoints)."""
    from ccwb_doctor.analyzers.net.claude_endpoints import BASE_URL_VAR, base_url
    from ccwb_doctor.analyzers.net.endpoints import ruleset_url

    url = base_url(env)
    if url:
        return url, BASE_URL_VAR
    try:
        return ruleset_url("bedrock-runtime", region), None
    except ValueError:
        return None, None


def _probe(facts: Any, run: Any, model: str, region: str, endpoint: str | None) -> tuple[str, str, Any]:
    """('ok'|error code, message, response metadata) for one minimal InvokeModel."""
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from ccwb_doctor.facts.live import helper_client

    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "ping"}],
        }
    )
    try:
        client = helper_client(facts, run, "bedrock-runtime", region, endpoint)
        resp = client.invoke_model(
            modelId=model, body=body, contentType="application/json", accept="application/json"
        )
        resp["body"].read(4096)
        return "ok", "", resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    except ClientError as exc:
        err = exc.response.get("Error", {})
        return (
            str(err.get("Code")),
            str(err.get("Message"))[:400],
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
        )
    except BotoCoreError as exc:
        return "connection", str(exc)[:300], None


@check(
    "LIVE-BEDROCK",
    title="A signed minimal Bedrock request in the configured region is allowed",
    area="live",
    severity="critical",
    remediation="Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on the inference profile "
    "in the source region and the foundation model in every destination region (see MODEL-PERMISSION).",
    docs=DOCS_BR,
    needs=("live_credentials", "model_config", "claude_env"),
)
def live_bedrock(facts: Any) -> Outcome:
    run, skipped = _creds_or_skip(facts)
    if skipped:
        return skipped
    if not run.ok:
        return skip("no credentials to sign with (see LIVE-CREDENTIALS)")
    env = facts.claude_env
    model = env.get("ANTHROPIC_MODEL")
    if not model:
        return skip("ANTHROPIC_MODEL is not set: no model to probe (Claude Code picks its default)")
    mc = facts.model_config
    region = mc.region or (facts.peek("profile") or {}).get("region")
    if not region:
        return skip("no region: AWS_REGION is not set for Claude Code (see CONFIG-SETTINGS)")
    endpoint, via = _endpoint(env, region)
    code, message, status = _probe(facts, run, model, region, endpoint)
    ev = {
        "model": model,
        "region": region,
        "endpoint": endpoint or "default",
        "endpoint_from": via,
        "result": code,
        "http_status": status,
    }
    if message:
        ev["message"] = message
    if code == "ok":
        return ok(f"InvokeModel {model} in {region} succeeded", evidence=ev)
    if code == "ValidationException" and "model identifier" in message:
        return fail(
            f"Bedrock in {region} rejects the model id {model}: {message}",
            fix=f"Use a model or inference profile offered in {region} (a us./eu./apac. profile only works "
            "from its geography's regions; see REGION-ALIGNMENT and MODEL-ID).",
            evidence=ev,
        )
    if code == "ValidationException":
        return ok(
            f"InvokeModel {model} in {region} is authorized (ValidationException on the probe's input "
            "proves access)",
            evidence=ev,
        )
    if code == "AccessDeniedException":
        res = re.search(r"on resource: (\S+)", message)
        fix = f"Allow bedrock:InvokeModel on {res.group(1)} for the federated role" if res else None
        return fail(
            f"Bedrock denied InvokeModel {model} in {region}: {message}",
            fix=fix
            and fix + " (a cross-region profile needs every destination region; see MODEL-PERMISSION).",
            evidence=ev,
        )
    if code in ("ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException"):
        return warn(
            f"Bedrock answered {code} for {model} in {region}: access looks fine, retry later", evidence=ev
        )
    if code == "connection":
        return fail(
            f"cannot reach Bedrock in {region}: {message}",
            fix="Check the network path to bedrock-runtime (see NET-BEDROCK and NET-PROXY).",
            evidence=ev,
        )
    return fail(f"Bedrock answered {code} for {model} in {region}: {message}", evidence=ev)
