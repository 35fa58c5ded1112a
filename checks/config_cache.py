"""CONFIG-HELPER-CACHE: the credential helper's cache and refresh files are private to the user.

The cache holds AWS keys, an ID token and a refresh token; the helper serves whatever it finds there.
A file another user owns (or can write) is an injection point, a readable one a leak, a symlink a way to
redirect writes, and a FIFO or device a hang. Files checked: the reference helper's cache directory
(``$XDG_CACHE_HOME`` or ``~/.cache`` + ``/ccwb-credential-process``: ``<profile>.json``, ``.refresh.json``,
``.failed.json``) and the AWS guidance's ``~/.claude-code-session`` (``<profile>-monitoring.json``).
The expected owner is the owner of the HOME directory (so a captured ``--home`` copy is judged as a whole).
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, skip
from ccwb_doctor.registry import check

DOCS = "https://code.claude.com/docs/en/amazon-bedrock"
MAX_ENTRIES = 500  # per directory; more is itself a finding


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _dir_problem(d: Path, owner: int) -> tuple[str, str] | None:
    """(problem, fix) for the cache directory itself."""
    st = os.lstat(d)
    if stat.S_ISLNK(st.st_mode):
        return "is a symlink (the helper's writes would go wherever it points)", f"rm {_q(d)}"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory", f"rm {_q(d)}"
    if st.st_uid != owner:
        return f"is owned by uid {st.st_uid}, not the HOME's owner (uid {owner})", f"rm -rf {_q(d)}"
    if st.st_mode & 0o022:
        return f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})", f"chmod 700 {_q(d)}"
    return None


def _file_problem(f: Path, owner: int) -> tuple[str, str] | None:
    """(problem, fix) for one cache file, or None when it is a private regular file."""
    st = os.lstat(f)
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return "is a symlink (the helper would read or write through it)", f"rm {_q(f)}"
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        return f"is {kind} (a read of it can hang or mislead the helper)", f"rm {_q(f)}"
    if st.st_uid != owner:
        return (
            f"is owned by uid {st.st_uid}, not the HOME's owner (uid {owner}): anyone who can write it can "
            "inject credentials",
            f"rm -f {_q(f)}  (the helper writes a fresh one; or: sudo chown {owner} {_q(f)} && chmod 600 {_q(f)})",
        )
    if mode & 0o077:
        who = "group/others can write it" if mode & 0o022 else "group/others can read it"
        return f"has mode {mode:04o}: {who}", f"chmod 600 {_q(f)}"
    return None


def _entries(d: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    return [d / n for n in names[:MAX_ENTRIES] if n.endswith(".json")]


@check(
    "CONFIG-HELPER-CACHE",
    title="The credential helper's cache and refresh-token files are private regular files",
    area="config",
    severity="high",
    remediation="Remove cache files another user owns, symlinks and special files (the helper writes fresh "
    "ones), and make the rest private: chmod 600 for files, chmod 700 for the directory.",
    docs=DOCS,
)
def helper_cache(facts: Any) -> list[Outcome]:
    if os.name == "nt" or str(getattr(facts.host, "os", "")) == "windows":
        return [skip("Windows has no POSIX file modes: the cache is protected by the profile's ACLs")]
    paths = facts.paths
    home = Path(facts.home)
    try:
        owner = os.stat(home).st_uid
    except OSError:
        return [skip(f"HOME {home} cannot be read")]
    dirs = [("reference helper", Path(paths.helper_cache_dir)), ("AWS guidance", Path(paths.session_dir))]
    outs: list[Outcome] = []
    checked: list[str] = []
    for label, d in dirs:
        if not os.path.lexists(d):
            continue
        problem = _dir_problem(d, owner)
        if problem is not None:
            why, fix = problem
            outs.append(
                fail(f"{label} cache directory {d} {why}", fix=fix, evidence={"path": str(d), "owner": owner})
            )
            continue
        for f in _entries(d):
            checked.append(str(f))
            problem = _file_problem(f, owner)
            if problem is not None:
                why, fix = problem
                outs.append(
                    fail(f"{label} cache file {f} {why}", fix=fix, evidence={"path": str(f), "owner": owner})
                )
    if outs:
        return outs
    if not checked:
        return [skip("no helper cache files (nothing cached yet, or the keyring is used)")]
    return [
        ok(
            f"{len(checked)} helper cache file(s) are private regular files owned by uid {owner}",
            evidence={"files": checked},
        )
    ]
