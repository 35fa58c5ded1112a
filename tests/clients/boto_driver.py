"""Evaluates many credential cases with the real botocore in one Python process (argv: cases.json)."""

import json
import os
import sys

import botocore.session


def one(case: dict) -> dict:
    os.environ.clear()
    os.environ.update(case["env"])
    out: dict = {"id": case["id"]}
    # Separate sessions: a session that failed to parse the credentials file keeps the config half of
    # full_config cached, so a second lookup on it would see a state no fresh client starts from.
    try:
        out["region"] = botocore.session.Session().get_config_variable("region")
    except Exception:  # noqa: BLE001 - the config file itself failed; the credential call says why
        out["region"] = None
    try:
        creds = botocore.session.Session().get_credentials()
        if creds is None:
            out.update(ok=False, error="Unable to locate credentials")
        else:
            frozen = creds.get_frozen_credentials()
            out.update(ok=True, akid=frozen.access_key, token=frozen.token)
    except Exception as exc:  # noqa: BLE001 - every failure is an observation
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
    return out


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        cases = json.load(fh)
    results = [one(c) for c in cases]
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
