"""The fix for static access keys written into the helper's own profile (``ccwb-doctor fix``).

``aws_access_key_id``/``aws_secret_access_key``/``aws_session_token`` in ``[profile P]`` of ~/.aws/config or
in ``[P]`` of ~/.aws/credentials, beside a ``credential_process``, shadow the helper (the consumer model,
``analyzers.clientconfig.consumers``, measured against the real clients):

* the JS SDK (Claude Code) merges both files key by key (credentials over config) and uses static keys
  whenever the merged profile has an access key id and a secret, before credential_process — so keys in
  either file, or one half in each, shadow it;
* botocore (AWS CLI/boto3) reads the credentials file's keys before credential_process (an access key id
  alone is PartialCredentialsError), and the config file's keys only after it.

So the only fix that is right for both is to drop those key lines from the profile's stanza in both files,
keeping every other line (the header, credential_process, region, comments). Keys that carry an expiry
(the helper's own session-storage stanza, renewed by awsAuthRefresh) and dead stanzas (EXPIRED, expired,
nested: ``drop_stale_stanza`` deletes those whole) are not touched here.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.analyzers.clientconfig.edits import ini_remove_keys, split_bom
from ccwb_doctor.checks._config_verdicts import stamp_expired
from ccwb_doctor.model import FileEdit
from ccwb_doctor.registry import fixer

KEY_NAMES = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


def _text(path: Any) -> tuple[bytes, str] | None:
    from ccwb_doctor.facts.config import read_file

    try:
        return split_bom(read_file(path))
    except Exception:  # noqa: BLE001 - unreadable or not UTF-8: no edit; the checks name the error
        return None


def config_sections(name: str) -> list[str]:
    """The ~/.aws/config headers both clients read as profile ``name``."""
    return ["default", "profile default"] if name == "default" else [f"profile {name}"]


def static_stanza(section: Any) -> bool:
    """A credentials stanza holding live static keys: an access key id and no expiry stamp (a stamp in the
    future is a session cache; EXPIRED, expired or nested stanzas are dead and deleted whole elsewhere)."""
    if not isinstance(section, dict) or not section.get("aws_access_key_id"):
        return False
    akid, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key", "")
    if not isinstance(akid, str) or not isinstance(secret, str):
        return False
    if akid.upper() == "EXPIRED" or secret.upper() == "EXPIRED":
        return False
    stamp = section.get("x-expiration") or section.get("expiration") or section.get("aws_expiration")
    return stamp_expired(stamp) is None  # as CONFIG-SHADOWED-CREDS reads it: no (usable) expiry


def _shadowed(facts: Any) -> bool:
    """Do static keys in the profile reach either client before credential_process?"""
    cc, cli = facts.consumers
    partial = cli.error is not None and "Partial credentials found in shared-credentials-file" in cli.error
    return cc.source == "static" or cli.source == "static" or partial


@fixer("CONFIG-SHADOWED-CREDS")
def drop_static_keys(facts: Any) -> list[Any]:
    """Remove the static key lines from the helper's profile in ~/.aws/config and ~/.aws/credentials."""
    name: str = facts.profile_name
    if facts.credential_process.raw is None or not _shadowed(facts):
        return []
    out: list[Any] = []
    keys = ", ".join(KEY_NAMES)
    got = _text(facts.paths.aws_config)
    if got is not None:
        text = got[1]
        for header in config_sections(name):
            text = ini_remove_keys(text, header, KEY_NAMES) or text
        if text != got[1]:
            out.append(
                FileEdit(
                    str(facts.paths.aws_config),
                    f"remove the static keys ({keys}) from [{config_sections(name)[-1]}]: the JS SDK "
                    "(Claude Code) uses them before credential_process (the backup keeps them)",
                    content=got[0] + text.encode("utf-8"),
                )
            )
    if static_stanza((facts.aws_credentials or {}).get(name)):
        got = _text(facts.paths.aws_credentials)
        new = ini_remove_keys(got[1], name, KEY_NAMES) if got is not None else None
        if got is not None and new is not None:
            out.append(
                FileEdit(
                    str(facts.paths.aws_credentials),
                    f"remove the static keys ({keys}) from [{name}]: both the JS SDK and botocore use them "
                    "before credential_process (the backup keeps them)",
                    content=got[0] + new.encode("utf-8"),
                )
            )
    return out
