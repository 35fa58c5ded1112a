"""The fix engine behind ``ccwb-doctor fix``: plan (run the checks that have fixers, collect their edits),
show (unified diff grouped by finding), apply (backup, atomic replace, journal, re-run) and undo.

Fixers live beside their checks (``@fixer`` in ``ccwb_doctor.checks``); this module finds them through the
registry and never imports a check. Safety rules, each enforced here rather than trusted to a fixer:
nothing outside the HOME is written; managed settings are never written; a symlink is followed only to a
target inside the HOME; a file that changed since the plan was made is left alone; every changed file is
backed up as ``<file>.ccwb-doctor-<timestamp>.bak`` with its mode, and the apply is recorded in one
journal under the HOME's cache dir so ``--undo`` can restore it. A repair that is not a file edit (a
``RunCommand``: the macOS quarantine attribute) is an ``Action``: shown as the command line it runs (no shell),
run only on a file inside the HOME whose attribute is still what the plan saw, journaled with its undo
command. Showing the plan (text and JSON, redacted) is ``repair_doc``.
"""

from __future__ import annotations

import difflib
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor.model import Advice, FileEdit, RunCommand, Status
from ccwb_doctor.records import record
from ccwb_doctor.registry import REGISTRY, Registry
from ccwb_doctor.repair_apply import (  # noqa: F401 - the engine's whole interface is importable from here
    JOURNAL_SCHEMA,
    Applied,
    Undone,
    _inside,
    _sha,
    _stat_mode,
    apply_plan,
    journal_path,
    load_journal,
    undo_last,
)

FIXABLE = (Status.FAIL, Status.WARN)


@record
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


@record
class Action:
    """One command a fix runs (a ``RunCommand``): the argv (no shell), its undo, the file it acts on."""

    argv: list[str]
    undo: list[str] | None
    path: str
    xattr: tuple[str, bytes] | None
    summaries: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def target(self) -> str:
        return self.path

    def shown(self) -> str:
        return shlex.join(self.argv)


@record
class Finding:
    id: str
    status: str
    message: str
    changes: list[Change] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@record
class Plan:
    home: Path
    findings: list[Finding]
    changes: list[Change]
    report: Any = None
    actions: list[Action] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.refused is None]

    @property
    def pending_actions(self) -> list[Action]:
        return [a for a in self.actions if a.refused is None]

    @property
    def todo(self) -> bool:
        return bool(self.pending or self.pending_actions)

    def render(self, *, applying: bool = False) -> str:
        """The plan as text (redacted): see ``repair_doc``."""
        from ccwb_doctor.repair_doc import plan_doc, redact, render_text

        return render_text(redact(plan_doc(self), self))


def _attach(item: Any, group: list[Any], summary: str, finding: str) -> None:
    """One more finding's reason for a change or command that an earlier finding already planned."""
    if summary not in item.summaries:
        item.summaries.append(summary)
    if finding not in item.findings:
        item.findings.append(finding)
    if item not in group:
        group.append(item)


def _managed(facts: Any) -> list[str]:
    try:
        return [os.path.realpath(p) for _, p in facts.paths.managed_settings]
    except Exception:  # noqa: BLE001 - no paths fact: nothing to protect
        return []


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
    facts: Any = None,
) -> Plan:
    """Run the checks that have fixers (narrowed by ``only``/``skip``) and collect their edits and commands
    (``facts``: a prepared Facts, e.g. with overrides, instead of fresh ones)."""
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
    report = run_report(options, only=selected, env=env, registry=reg, facts=facts)
    facts = report.facts
    home = Path(facts.home)
    managed = _managed(facts)
    findings: list[Finding] = []
    by_target: dict[str, Change] = {}
    by_argv: dict[tuple[str, ...], Action] = {}
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
                if isinstance(p, RunCommand):
                    act = by_argv.get(p.argv)
                    if act is None:
                        act = _action_for(p, home)
                        by_argv[p.argv] = act
                    _attach(act, f.actions, p.summary, result.id)
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
                    _attach(old, f.changes, p.summary, result.id)
                    continue
                if new.after == new.before and (new.mode_after is None or new.mode_after == new.mode_before):
                    continue  # already as the fix wants it
                new.summaries.append(p.summary)
                new.findings.append(result.id)
                by_target[new.target] = new
                f.changes.append(new)
        if f.changes or f.advice or f.actions:
            findings.append(f)
    plan_env = dict(facts.env)
    return Plan(home, findings, list(by_target.values()), report, list(by_argv.values()), plan_env)


def _action_for(cmd: RunCommand, home: Path) -> Action:
    refused = None
    if not os.path.isfile(cmd.path):
        refused = "not a regular file"
    elif not _inside(cmd.path, home):
        refused = "outside the HOME: never run"
    undo = list(cmd.undo) if cmd.undo is not None else None
    return Action(list(cmd.argv), undo, os.path.abspath(cmd.path), cmd.xattr, refused=refused)
