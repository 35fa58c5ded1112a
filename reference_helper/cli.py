"""``ccwb-credential-process``: AWS credential_process helper for OIDC -> AssumeRoleWithWebIdentity.

Hot path (cached credentials with > 15 min left) uses only os/sys/json/time and the small config
and cache modules; everything else is imported lazily. stdout carries the credential JSON and
nothing else; failures exit non-zero with a one-line, secret-free reason on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from . import cache, config
from .errors import HelperError, scrub

PROG = "ccwb-credential-process"
USAGE = f"""usage: {PROG} [--profile NAME] [--device] [--no-browser]
       {PROG} --explain | --print-id-token | --check-expiration | --clear-cache | --version
Prints AWS credential_process JSON for the config.json profile (default $CCWB_PROFILE, the only
profile, or ClaudeCode), signing in with the OIDC IdP when needed."""
FLAGS = {
    "--explain": "explain",
    "--print-id-token": "print_id_token",
    "--check-expiration": "check_expiration",
    "--clear-cache": "clear_cache",
    "--device": "device",
    "--no-browser": "no_browser",
    "--version": "version",
    "-v": "version",
    "--help": "help",
    "-h": "help",
}


def parse(argv: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"profile": None}
    items = iter(argv)
    for arg in items:
        if arg in ("--profile", "-p"):
            opts["profile"] = next(items, None)
            if not opts["profile"]:
                raise HelperError(f"{arg} needs a profile name\n{USAGE}", 2)
        elif arg.startswith("--profile="):
            opts["profile"] = arg.split("=", 1)[1]
        elif arg in FLAGS:
            opts[FLAGS[arg]] = True
        else:
            raise HelperError(f"unknown argument {arg!r}\n{USAGE}", 2)
    return opts


def _out(obj: Any) -> None:
    sys.stdout.write(obj if isinstance(obj, str) else json.dumps(obj))
    sys.stdout.write("\n")
    sys.stdout.flush()


def run(opts: dict[str, Any]) -> int:
    if opts.get("help"):
        _out(USAGE)
        return 0
    if opts.get("version"):
        from ccwb_doctor import __version__

        _out(f"{PROG} {__version__}")
        return 0
    path, shape, name, cfg = config.load(opts["profile"])
    store = cache.Store(name, str(cfg.get("credential_storage") or "session"))
    if opts.get("explain"):
        from .explain import explain

        _out(json.dumps(explain(path, shape, name, cfg, store), indent=2))
        return 0
    if opts.get("clear_cache"):
        removed = store.clear()
        sys.stderr.write(
            f"{PROG}: cleared {len(removed)} cache entr{'y' if len(removed) == 1 else 'ies'} for {name}\n"
        )
        return 0
    if cfg.get("federation_type") != "direct":
        raise HelperError(
            f"profile {name!r} uses federation_type {cfg.get('federation_type')!r}; this helper supports direct IAM federation only",
            2,
        )
    from .session import creds_fresh

    session = store.load_session()
    fresh = creds_fresh(session, cfg)
    if opts.get("check_expiration"):
        sys.stderr.write(
            f"{PROG}: cached credentials for {name} are {'valid' if fresh else 'missing or expiring'}\n"
        )
        return 0 if fresh else 1
    want = "id_token" if opts.get("print_id_token") else "credentials"
    if want == "credentials" and fresh and session is not None:
        _out(session["credentials"])
        return 0
    from .refresh import obtain

    result = obtain(
        cfg, name, store, want=want, device=bool(opts.get("device")), no_browser=bool(opts.get("no_browser"))
    )
    _out(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse(sys.argv[1:] if argv is None else argv))
    except HelperError as exc:
        lines = exc.reason.split("\n", 1)
        sys.stderr.write(f"{PROG}: {scrub(lines[0])}\n" + (lines[1] + "\n" if len(lines) > 1 else ""))
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        sys.stderr.write(f"{PROG}: file or network error: {scrub(str(exc))}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: one line, scrubbed
        sys.stderr.write(f"{PROG}: internal error: {exc.__class__.__name__}: {scrub(str(exc))}\n")
        return 1
