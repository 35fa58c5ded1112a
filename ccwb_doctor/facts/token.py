"""Token facts: the ID token (given, cached by a helper, or fetched live) and its issuer's key set.

``token`` is a :class:`TokenFact` (``found`` False when nothing was found, with what was tried); the raw
token is registered as a secret and only the decoded header/claims ever reach evidence.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccwb_doctor import subproc
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.model import InputError
from ccwb_doctor.records import record

if TYPE_CHECKING:
    from ccwb_doctor.analyzers.token.jwt import DecodedToken


def decode(raw: str) -> DecodedToken:
    """The JWT decoder, imported only when there is a token (a fresh install has none)."""
    from ccwb_doctor.analyzers.token.jwt import decode as jwt_decode

    return jwt_decode(raw)


MAX_TOKEN_FILE = 256 * 1024
_JWT_LINE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


@record
class TokenFact:
    """The ID token found (decoded, never raw), where it came from, and what was tried."""

    source: str | None = None  # --token | --token FILE | ccwb-monitoring | reference-helper | helper
    path: str | None = None
    decoded: DecodedToken | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # non-secret cache fields (expires, email, profile)
    tried: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.decoded is not None

    @property
    def claims(self) -> dict[str, Any]:
        return self.decoded.claims if self.decoded else {}

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "path": self.path, "tried": self.tried}
        if self.meta:
            out["cache"] = self.meta
        if self.decoded is not None:
            d = self.decoded.to_dict()
            out.update(header=d["header"], claims=d["claims"], signature=d["signature"])
            if d["error"]:
                out["decode_error"] = d["error"]
        return out


def _read_text(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_TOKEN_FILE:
            raise InputError(f"{what} is larger than {MAX_TOKEN_FILE} bytes", str(path))
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", str(path)) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a directory", str(path)) from None
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text", str(path)) from None
    except OSError as exc:
        raise InputError(f"{what} cannot be read ({exc.strerror or exc})", str(path)) from None


def token_from_text(text: str) -> str:
    """The token inside a file's text: a bare JWT, or JSON with id_token / token / IdToken."""
    s = text.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            return s
        if isinstance(obj, dict):
            for key in ("id_token", "token", "IdToken", "idToken"):
                if isinstance(obj.get(key), str):
                    return obj[key].strip()
    if s.lower().startswith("bearer "):
        s = s[7:].strip()
    return s


def _from_cache(facts: Facts, label: str, path: Path) -> TokenFact | str:
    """A TokenFact from a helper cache file, or the reason it holds no usable token."""
    try:
        obj = json.loads(_read_text(path, "token cache"))
    except InputError as exc:
        return exc.reason
    except ValueError:
        return "not JSON"
    if not isinstance(obj, dict):
        return "not a JSON object"
    raw = obj.get("token") if label == "ccwb-monitoring" else obj.get("id_token")
    raw = raw if isinstance(raw, str) else obj.get("id_token") or obj.get("token")
    if not isinstance(raw, str) or not raw.strip():
        return "no token in it"
    facts.secrets.add(raw, raw.strip())
    for k in ("refresh_token", "access_token"):
        facts.secrets.add(obj.get(k))
    meta = {
        k: obj[k]
        for k in ("expires", "expires_at", "email", "profile")
        if k in obj and not isinstance(obj[k], dict | list)
    }
    return TokenFact(label, str(path), decode(raw), meta)


def helper_argv(program: Path, helper_profile: str | None) -> list[str]:
    """How to ask the configured helper for its ID token (guidance binary vs our reference helper)."""
    name = program.name.lower()
    flag = "--get-monitoring-token" if name.startswith("credential-process") else "--print-id-token"
    argv = [str(program)]
    if helper_profile:
        argv += ["--profile", helper_profile]
    return [*argv, flag]


def _from_helper(facts: Facts) -> TokenFact | str:
    cp = facts.peek("credential_process")
    program = getattr(cp, "program", None)
    if program is None:
        return "no runnable credential_process helper"
    argv = helper_argv(Path(program), getattr(cp, "helper_profile", None))
    timeout = max(1.0, min(float(facts.options.timeout), 120.0))
    try:
        proc = subproc.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(facts.claude_env),  # as Claude Code would run it: settings env included
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{' '.join(argv[1:])} did not finish within {timeout:.0f} s"
    except OSError as exc:
        return f"cannot run {program}: {exc.strerror or exc}"
    lines = [ln.strip() for ln in (proc.stdout or "").splitlines() if ln.strip()]
    raw = next((token_from_text(ln) for ln in reversed(lines) if _JWT_LINE.match(token_from_text(ln))), None)
    for ln in lines:
        facts.secrets.add(ln, token_from_text(ln))
    if proc.returncode != 0 or raw is None:
        from ccwb_doctor.analyzers.redact.secrets import scrub_text
        from ccwb_doctor.facts.live import error_line

        said = scrub_text(error_line(proc.stderr or "")[:200], list(facts.secrets))
        return f"{Path(program).name} {argv[-1]} exited {proc.returncode} without printing a token" + (
            f": {said}" if said else ""
        )
    return TokenFact("helper", str(program), decode(raw), {"argv": [Path(argv[0]).name, *argv[1:]]})


def _stale(tok: TokenFact) -> bool:
    """Expired beyond STS's clock skew."""
    from ccwb_doctor.analyzers.token.jwt import STS_SKEW

    exp = tok.claims.get("exp")
    return isinstance(exp, int | float) and exp + STS_SKEW < time.time()


CACHE_SOURCES = ("ccwb-monitoring", "reference-helper")


@fact("token")
def _token(facts: Facts) -> TokenFact:
    opts = facts.options
    if opts.token_text is not None:
        raw = token_from_text(opts.token_text)
        facts.secrets.add(opts.token_text, opts.token_text.strip(), raw)
        return TokenFact("--token", "-" if opts.token in (None, "-") else opts.token, decode(raw))
    if opts.token and opts.token != "-":
        path = Path(opts.token).expanduser()
        text = _read_text(path, "token file")
        raw = token_from_text(text)
        facts.secrets.add(text, text.strip(), raw)
        return TokenFact("--token", str(path), decode(raw))
    tried: list[str] = []
    caches = facts.peek("token_cache_files", []) or []
    if not caches:
        tried.append("no helper token cache file exists (the helper has not logged in on this machine)")
    for label, path in caches:
        got = _from_cache(facts, label, Path(path))
        if isinstance(got, TokenFact):
            got.tried = tried
            if opts.live and _stale(got):
                # a cache keeps the last token long after it expired: with --live, judge the token the
                # helper would use now, and say why when it cannot get one
                current = _from_helper(facts)
                if isinstance(current, TokenFact):
                    current.tried = [*tried, f"{label} {path}: expired; the helper supplied a current token"]
                    return current
                got.meta["refresh_error"] = current
            return got
        tried.append(f"{label} {path}: {got}")
    if opts.live:
        got = _from_helper(facts)
        if isinstance(got, TokenFact):
            got.tried = tried
            return got
        tried.append(f"helper: {got}")
    else:
        tried.append("helper not asked (only with --live)")
    return TokenFact(tried=tried)


def _idp_trust(facts: Facts) -> Any:
    """The trust the credential helper has for the IdP (corporate roots from its CA variables)."""
    from ccwb_doctor.facts.castore import ssl_context

    return ssl_context(facts.peek("claude_env") or facts.env, "idp")


@fact("jwks_client")
def _jwks_client(facts: Facts) -> Any:
    from ccwb_doctor.analyzers.token.jwks import JwksClient

    # the user cache dir: $XDG_CACHE_HOME (unless --home pins every user path) or <home>/.cache
    xdg = facts.env.get("XDG_CACHE_HOME") if not facts.options.home else None
    cache = (Path(xdg) if xdg else Path(facts.home) / ".cache") / "ccwb-doctor" / "jwks"
    ttl = float(facts.options.extra.get("jwks_ttl", 3600.0))  # type: ignore[arg-type]
    # up to 4 requests (discovery + JWKS, once more for an unknown kid) must fit in one check's timeout
    timeout = min(5.0, max(0.5, float(facts.options.timeout) / 5))
    # and all of them together within one overall deadline inside that timeout (a slow-drip server)
    budget = min(4 * timeout, max(0.5, float(facts.options.timeout) * 0.8))
    return JwksClient(cache, ttl=ttl, timeout=timeout, verify=_idp_trust(facts), budget=budget)


@record
class TokenKeys:
    """The issuer's key set for the token, or why it could not be had."""

    keyset: Any = None  # analyzers.token.jwks.KeySet
    refetched: bool = False
    error: str | None = None
    error_code: str | None = None
    network: bool = False
    elapsed_ms: float = 0.0

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"refetched_for_unknown_kid": self.refetched}
        if self.keyset is not None:
            out["jwks"] = self.keyset.to_dict()
        if self.error:
            out["error"] = {"code": self.error_code, "message": self.error}
        return out


@fact("token_keys")
def _token_keys(facts: Facts) -> TokenKeys:
    """Discovery + JWKS for the token's issuer (once per run; unknown kid -> one refetch)."""
    from ccwb_doctor.analyzers.token.jwks import JwksError

    tok: TokenFact = facts.token
    iss = tok.decoded.iss if tok.decoded else None
    if not iss:
        return TokenKeys(error="the token has no 'iss'", error_code="no-iss")
    start = time.monotonic()
    try:
        ks, refetched = facts.jwks_client.key_for(iss, tok.decoded.kid if tok.decoded else None)
        return TokenKeys(ks, refetched, elapsed_ms=(time.monotonic() - start) * 1000)
    except JwksError as exc:
        return TokenKeys(
            error=exc.message,
            error_code=exc.code,
            network=exc.network,
            elapsed_ms=(time.monotonic() - start) * 1000,
        )
