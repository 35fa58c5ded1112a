"""Writing a ``repair`` plan: backups, atomic replace, the commands a fix runs (no shell, a deadline), the
journal, and ``--undo``. Every safety rule that needs the disk at write time lives here: a file changed
since the plan is left alone, so is a command whose attribute changed; undo restores only what is still
as the apply left it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccwb_doctor import subproc
from ccwb_doctor.records import record

if TYPE_CHECKING:
    from ccwb_doctor.repair import Action, Change, Plan

JOURNAL_SCHEMA = "ccwb-doctor/fix-journal/v1"
COMMAND_TIMEOUT = 10.0


def journal_path(home: Path) -> Path:
    return Path(home) / ".cache" / "ccwb-doctor" / "fix-journal.json"


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _inside(path: str | Path, root: str | Path) -> bool:
    p, r = os.path.realpath(path), os.path.realpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def _stat_mode(path: str) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _atomic_write(target: str, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    d = os.path.dirname(target) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=d)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if owner is not None:  # before chmod: chown clears the setuid/setgid bits
            with contextlib.suppress(OSError):
                os.chown(tmp, *owner)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _or(mode: Any, default: int) -> Any:
    """``mode`` unless it is None (mode 0 is a mode: ``mode or default`` would replace it)."""
    return default if mode is None else mode


def _owner(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_uid, st.st_gid)


def _read_now(path: str) -> tuple[bytes | None, int | None]:
    if not os.path.lexists(path):
        return None, None
    return Path(path).read_bytes(), _stat_mode(path)


def load_journal(home: Path) -> dict[str, Any]:
    path = journal_path(home)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"schema": JOURNAL_SCHEMA, "applies": []}
    if not isinstance(doc, dict) or not isinstance(doc.get("applies"), list):
        return {"schema": JOURNAL_SCHEMA, "applies": []}
    return doc


def _save_journal(home: Path, doc: dict[str, Any]) -> None:
    path = journal_path(home)
    _atomic_write(str(path), (json.dumps(doc, indent=2) + "\n").encode("utf-8"), 0o600, None)


@record
class Applied:
    written: list[Change] = field(default_factory=list)
    left_alone: list[tuple[Any, str]] = field(default_factory=list)  # (Change or Action, why)
    stamp: str = ""
    ran: list[Action] = field(default_factory=list)


def _run(argv: list[str], env: Mapping[str, str]) -> str | None:
    """Run one fix command without a shell (program found on ``env``'s PATH); None when it succeeded, else
    a one-line reason."""
    path = env.get("PATH", os.defpath)
    prog = shutil.which(argv[0], path=path)
    if prog is None:
        return f"{argv[0]} was not found on PATH"
    try:
        proc = subproc.run(
            [prog, *argv[1:]],
            env={"PATH": path, "LANG": "C", "HOME": env.get("HOME", "/")},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"{argv[0]} did not finish within {COMMAND_TIMEOUT:g} s"
    except (OSError, ValueError) as exc:
        return f"{argv[0]} could not be started ({getattr(exc, 'strerror', None) or exc})"
    if proc.returncode != 0:
        err = (proc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        return f"{argv[0]} exited {proc.returncode}" + (f": {err[0][:200]}" if err else "")
    return None


def _xattr_now(path: str, name: str) -> bytes | None:
    from ccwb_doctor.analyzers.binary.hostcap import read_xattr

    return read_xattr(path, name)


def apply_plan(plan: Plan) -> Applied:
    """Write every pending change (backup first, atomic replace), run every pending command, and journal
    them as one apply."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000_000 // 1000:06d}Z"
    out = Applied(stamp=stamp)
    entries: list[dict[str, Any]] = []
    commands: list[dict[str, Any]] = []
    doc = load_journal(plan.home)
    try:
        for c in plan.pending:
            now, mode_now = _read_now(c.target)
            if now != c.before or (c.before is not None and mode_now != c.mode_before):
                out.left_alone.append((c, "changed since the diff was made; left alone (run fix again)"))
                continue
            backup = None
            if c.before is not None:
                backup = f"{c.target}.ccwb-doctor-{stamp}.bak"
                _atomic_write(backup, c.before, _or(c.mode_before, 0o600), _owner(c.target))
            mode = c.mode_after if c.mode_after is not None else _or(c.mode_before, 0o644)
            if c.after is not None:
                _atomic_write(c.target, c.after, mode, _owner(c.target))
            else:
                os.chmod(c.target, mode)
            after, mode_after = _read_now(c.target)
            entries.append(
                {
                    "path": c.target,
                    "backup": backup,
                    "created": c.before is None,
                    "before_sha256": _sha(c.before),
                    "after_sha256": _sha(after),
                    "mode_before": c.mode_before,
                    "mode_after": mode_after,
                    "findings": c.findings,
                }
            )
            out.written.append(c)
        for a in plan.pending_actions:
            if a.xattr is not None and _xattr_now(a.path, a.xattr[0]) != a.xattr[1]:
                out.left_alone.append(
                    (a, "the attribute changed since the plan was made; not run (run fix again)")
                )
                continue
            why = _run(a.argv, plan.env or os.environ)
            if why is not None:
                out.left_alone.append((a, why))
                continue
            commands.append(
                {
                    "argv": a.argv,
                    "undo": a.undo,
                    "path": a.path,
                    "xattr": a.xattr[0] if a.xattr is not None else None,
                    "findings": a.findings,
                }
            )
            out.ran.append(a)
    finally:
        if entries or commands:
            doc["applies"].append({"stamp": stamp, "files": entries, "commands": commands})
            _save_journal(plan.home, doc)
    return out


@record
class Undone:
    restored: list[str] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)
    stamp: str | None = None
    ran: list[list[str]] = field(default_factory=list)


def _undo_command(e: dict[str, Any], home: Path, env: Mapping[str, str], out: Undone) -> None:
    path, undo = str(e.get("path")), e.get("undo")
    shown = shlex.join([str(x) for x in e.get("argv") or []])
    if not isinstance(undo, list) or not undo or not all(isinstance(x, str) for x in undo):
        out.left_alone.append((path, f"`{shown}` has no undo command"))
        return
    if not _inside(path, home) or not os.path.isfile(path):
        out.left_alone.append((path, "outside the HOME or no longer a file; not run"))
        return
    name = e.get("xattr")
    if isinstance(name, str) and _xattr_now(path, name) is not None:
        out.left_alone.append((path, "the attribute was set again since the apply; left alone"))
        return
    why = _run(undo, env)
    if why is not None:
        out.left_alone.append((path, f"`{shlex.join(undo)}` failed: {why}"))
        return
    out.ran.append(undo)
    out.restored.append(path)


def undo_last(home: Path, env: Mapping[str, str] | None = None) -> Undone:
    """Restore the files of the last apply from their backups (a created file is removed) and run the undo
    command of each command it ran (``env``'s PATH finds the program); a file changed since that apply is
    left alone. The apply leaves the journal either way; the backups stay."""
    doc = load_journal(home)
    if not doc["applies"]:
        return Undone()
    last = doc["applies"][-1]
    out = Undone(stamp=str(last.get("stamp")))
    for cmd in reversed(last.get("commands") or []):  # they ran after the files were written
        if isinstance(cmd, dict):
            _undo_command(cmd, home, env if env is not None else os.environ, out)
    for e in reversed(last.get("files") or []):
        path = str(e["path"])
        if not _inside(os.path.dirname(path), home):
            out.left_alone.append((path, "outside the HOME"))
            continue
        now, mode_now = _read_now(path)
        if _sha(now) != e.get("after_sha256") or mode_now != e.get("mode_after"):
            out.left_alone.append((path, "changed since the apply; left alone"))
            continue
        if e.get("created"):
            os.unlink(path)
        elif e.get("backup"):
            try:
                data = Path(e["backup"]).read_bytes()
            except OSError as exc:
                out.left_alone.append((path, f"backup {e['backup']} unreadable ({exc.strerror or exc})"))
                continue
            if _sha(data) != e.get("before_sha256"):
                out.left_alone.append((path, f"backup {e['backup']} was changed; left alone"))
                continue
            _atomic_write(path, data, int(_or(e.get("mode_before"), 0o600)), _owner(path))
        else:
            os.chmod(path, int(e["mode_before"]))
        out.restored.append(path)
    doc["applies"].pop()
    _save_journal(home, doc)
    return out
