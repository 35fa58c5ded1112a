"""The fix engine behind ``ccwb-doctor fix``: plan (run the checks that have fixers, collect their edits),
show (unified diff grouped by finding), apply (backup, atomic replace, journal, re-run) and undo.

Fixers live beside their checks (``@fixer`` in ``ccwb_doctor.checks``); this module finds them through the
registry and never imports a check. Safety rules, each enforced here rather than trusted to a fixer:
nothing outside the HOME is written; managed settings are never written; a symlink is followed only to a
target inside the HOME; a file that changed since the plan was made is left alone; every changed file is
backed up as ``<file>.ccwb-doctor-<timestamp>.bak`` with its mode, and the apply is recorded in one
journal under the HOME's cache dir so ``--undo`` can restore it.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccwb_doctor.model import Advice, FileEdit, Status
from ccwb_doctor.registry import REGISTRY, Registry

JOURNAL_SCHEMA = "ccwb-doctor/fix-journal/v1"
FIXABLE = (Status.FAIL, Status.WARN)


def journal_path(home: Path) -> Path:
    return Path(home) / ".cache" / "ccwb-doctor" / "fix-journal.json"


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _inside(path: str | Path, root: str | Path) -> bool:
    p, r = os.path.realpath(path), os.path.realpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


@dataclass
class Change:
    """One file's change: what it is now (at plan time) and what it becomes."""

    path: str  # as the fixer named it
    target: str  # the file written (a symlink's target)
    before: bytes | None  # None: the file does not exist yet
    after: bytes | None  # None: the content stays
    mode_before: int | None
    mode_after: int | None
    summaries: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    refused: str | None = None

    def diff(self) -> str:
        """A unified diff of the content (line endings shown as text, not bytes) and a mode line."""
        out: list[str] = []
        if self.mode_after is not None and self.mode_after != self.mode_before:
            old = f"{self.mode_before:o}" if self.mode_before is not None else "none"
            out += [f"diff {self.target}", f"old mode {old}", f"new mode {self.mode_after:o}"]
        if self.after is not None and self.after != self.before:
            try:
                a = (self.before or b"").decode("utf-8")
                b = self.after.decode("utf-8")
            except UnicodeDecodeError:
                out.append(
                    f"Binary file {self.target} replaced ({len(self.before or b'')} -> {len(self.after)} bytes, "
                    f"sha256 {(_sha(self.after) or '')[:12]})"
                )
            else:
                old_name = self.target if self.before is not None else "/dev/null"
                lines = difflib.unified_diff(
                    [x.rstrip("\r\n") for x in a.splitlines(keepends=True)],
                    [x.rstrip("\r\n") for x in b.splitlines(keepends=True)],
                    old_name,
                    self.target,
                    lineterm="",
                )
                out += list(lines)
        return "\n".join(out)


@dataclass
class Finding:
    id: str
    status: str
    message: str
    changes: list[Change] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)


@dataclass
class Plan:
    home: Path
    findings: list[Finding]
    changes: list[Change]
    report: Any = None

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.refused is None]

    def render(self, *, applying: bool = False) -> str:
        lines: list[str] = []
        shown: set[int] = set()
        for f in self.findings:
            lines.append(f"{f.id}  {f.status.upper()}  {f.message}")
            for c in f.changes:
                for s in c.summaries:
                    lines.append(f"  fix: {s}")
                if c.refused:
                    lines.append(f"  left alone: {c.target}: {c.refused}")
                elif id(c) in shown:
                    lines.append(f"  (the change to {c.target} is shown above, under {c.findings[0]})")
                else:
                    shown.add(id(c))
                    lines.append(c.diff())
            for a in f.advice:
                lines.append(f"  advice: {a}")
            lines.append("")
        if not self.findings:
            lines.append("nothing to fix: no check with a local fix reports a problem")
        elif not self.pending:
            lines.append("no file to change: the findings above need the advice given")
        else:
            files = len({c.target for c in self.pending})
            lines.append(
                f"{files} file(s) would change; run again with --apply to write them (backups, --undo)"
            )
        return "\n".join(lines) + "\n"


def _managed(facts: Any) -> list[str]:
    try:
        return [os.path.realpath(p) for _, p in facts.paths.managed_settings]
    except Exception:  # noqa: BLE001 - no paths fact: nothing to protect
        return []


def _stat_mode(path: str) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _change_for(edit: FileEdit, home: Path, managed: Sequence[str]) -> Change:
    path = os.path.abspath(edit.path)
    target = path
    refused = None
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not _inside(target, home):
            refused = f"a symlink to {target}, outside the HOME: not followed"
    if refused is None and not _inside(os.path.dirname(target) or target, home):
        refused = "outside the HOME: never written"
    if refused is None and os.path.realpath(target) in managed:
        refused = "managed settings: never written (ask whoever manages them)"
    before = None
    if os.path.lexists(target):
        if not os.path.isfile(target):
            refused = refused or "not a regular file"
        else:
            before = Path(target).read_bytes()
    elif edit.content is None:
        refused = refused or "does not exist"
    mode_before = _stat_mode(target) if before is not None else None
    return Change(path, target, before, edit.content, mode_before, edit.mode, refused=refused)


def make_plan(
    options: Any,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
) -> Plan:
    """Run the checks that have fixers (narrowed by ``only``/``skip``) and collect their edits."""
    from ccwb_doctor.app import run_report

    reg = (registry or REGISTRY).discover()
    fixable = reg.fixable()
    if only:
        wanted = {c.id for c in reg.select(only, skip)}
        selected = [i for i in fixable if i in wanted]
    else:
        skipped = {c.id for c in reg.select((), skip)} if skip else set(fixable)
        selected = [i for i in fixable if i in skipped]
    if not selected:
        return Plan(Path(options.home or Path.home()), [], [])
    report = run_report(options, only=selected, env=env, registry=reg)
    facts = report.facts
    home = Path(facts.home)
    managed = _managed(facts)
    findings: list[Finding] = []
    by_target: dict[str, Change] = {}
    done: set[tuple[str, str]] = set()
    for result in report.results:
        if result.status not in FIXABLE:
            continue
        f = Finding(result.id, str(result.status), result.message)
        for fn in reg.fixers(result.id):
            key = (result.id, f"{fn.__module__}.{fn.__qualname__}")
            if key in done:  # a check with several results: one fix for all of them
                continue
            done.add(key)
            try:
                proposals = list(fn(facts) or [])
            except Exception as exc:  # noqa: BLE001 - a broken fixer is advice, never a traceback
                f.advice.append(f"the fix for {result.id} could not be worked out: {exc}")
                continue
            for p in proposals:
                if isinstance(p, Advice):
                    f.advice.append(p.message)
                    continue
                if not isinstance(p, FileEdit):
                    continue
                new = _change_for(p, home, managed)
                old = by_target.get(new.target)
                if old is not None:
                    same_content = new.after is None or old.after is None or new.after == old.after
                    if not same_content:
                        f.advice.append(
                            f"{new.target} has another pending change: run fix again after --apply"
                        )
                        continue
                    old.after = old.after if new.after is None else new.after
                    old.mode_after = old.mode_after if new.mode_after is None else new.mode_after
                    if p.summary not in old.summaries:
                        old.summaries.append(p.summary)
                    if result.id not in old.findings:
                        old.findings.append(result.id)
                    if old not in f.changes:
                        f.changes.append(old)
                    continue
                if new.after == new.before and (new.mode_after is None or new.mode_after == new.mode_before):
                    continue  # already as the fix wants it
                new.summaries.append(p.summary)
                new.findings.append(result.id)
                by_target[new.target] = new
                f.changes.append(new)
        if f.changes or f.advice:
            findings.append(f)
    return Plan(home, findings, list(by_target.values()), report)


# ---- writing ------------------------------------------------------------------------------------------------


def _atomic_write(target: str, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    d = os.path.dirname(target) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=d)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if owner is not None:
            with contextlib.suppress(OSError):
                os.chown(tmp, *owner)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


@dataclass
class Applied:
    written: list[Change] = field(default_factory=list)
    left_alone: list[tuple[Change, str]] = field(default_factory=list)
    stamp: str = ""


def apply_plan(plan: Plan) -> Applied:
    """Write every pending change (backup first, atomic replace) and journal them as one apply."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000_000 // 1000:06d}Z"
    out = Applied(stamp=stamp)
    entries: list[dict[str, Any]] = []
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
                _atomic_write(backup, c.before, c.mode_before or 0o600, _owner(c.target))
            mode = c.mode_after if c.mode_after is not None else (c.mode_before or 0o644)
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
    finally:
        if entries:
            doc["applies"].append({"stamp": stamp, "files": entries})
            _save_journal(plan.home, doc)
    return out


@dataclass
class Undone:
    restored: list[str] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)
    stamp: str | None = None


def undo_last(home: Path) -> Undone:
    """Restore the files of the last apply from their backups (a created file is removed); a file changed
    since that apply is left alone. The apply leaves the journal either way; the backups stay."""
    doc = load_journal(home)
    if not doc["applies"]:
        return Undone()
    last = doc["applies"][-1]
    out = Undone(stamp=str(last.get("stamp")))
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
            _atomic_write(path, data, int(e.get("mode_before") or 0o600), _owner(path))
        else:
            os.chmod(path, int(e["mode_before"]))
        out.restored.append(path)
    doc["applies"].pop()
    _save_journal(home, doc)
    return out
