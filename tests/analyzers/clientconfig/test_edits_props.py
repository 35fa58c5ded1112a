"""Properties of the fix editors and the fix engine on generated INI and JSON files and modes: an edit changes
only what it must (the rest of the lines, comments, CRLF, BOM stay), applying twice equals applying once, and
an apply followed by --undo gives back the original bytes and mode — for the stanza deletion, the value
rewrite, the settings env, the static-key removal, the placeholder fill-in and the exec bit (the quarantine
command: tests/commands/test_fix_props.py)."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.clientconfig.edits import (
    ini_get_value,
    ini_remove_keys,
    ini_remove_section,
    ini_set_value,
    json_replace_in_values,
    json_set_env,
    split_bom,
)
from ccwb_doctor.model import FileEdit
from ccwb_doctor.repair import Plan, _change_for, apply_plan, undo_last

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(["default", "profile ccwb", "ccwb", "other", "profile x y"])
KEYS = st.sampled_from(["region", "credential_process", "aws_access_key_id", "output", "Region"])
VALUE = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters="\x7f"), max_size=20
)
LINES = st.one_of(
    st.tuples(st.just("header"), NAMES),
    st.tuples(st.just("key"), st.tuples(KEYS, VALUE)),
    st.tuples(st.just("comment"), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=15)),
    st.tuples(st.just("blank"), st.just("")),
)


def lines(text: str) -> list[str]:
    """Lines as both clients read an INI file: split at "\n" only (not at \x85 or \u2028)."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


@st.composite
def ini_files(draw: st.DrawFn) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    out = []
    for kind, v in draw(st.lists(LINES, max_size=14)):
        if kind == "header":
            out.append(f"[{v}]")
        elif kind == "key":
            out.append(f"{v[0]}{draw(st.sampled_from([' = ', '=', '  =  ']))}{v[1].strip()}")
        elif kind == "comment":
            out.append(draw(st.sampled_from(["#", ";", "  #"])) + v)
        else:
            out.append(draw(st.sampled_from(["", "  "])))
    tail = draw(st.sampled_from([nl, ""]))
    return nl.join(out) + (tail if out else "")


@SETTINGS
@given(ini_files(), NAMES)
def test_ini_remove_section_is_idempotent_and_keeps_other_lines(text: str, name: str) -> None:
    new = ini_remove_section(text, name)
    if new is None:
        assert f"[{name}]" not in text.replace(" ]", "]")
        return
    assert ini_remove_section(new, name) is None  # twice == once
    kept = lines(new)
    orig = lines(text)
    it = iter(orig)
    assert all(line in it for line in kept)  # a subsequence: nothing added, nothing reordered


@SETTINGS
@given(ini_files(), NAMES, KEYS, VALUE)
def test_ini_set_value_changes_one_line_and_is_idempotent(text: str, name: str, key: str, value: str) -> None:
    value = value.strip()
    new = ini_set_value(text, name, key, value)
    if new is None:
        return
    assert ini_set_value(new, name, key, value) == new
    assert ini_get_value(new, name, key) == value
    a, b = lines(text), lines(new)
    assert len(a) == len(b)
    assert sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    assert [x[len(x.rstrip("\r\n")) :] for x in a] == [y[len(y.rstrip("\r\n")) :] for y in b]


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
ENV_KEYS = st.sampled_from(["CLAUDE_CODE_USE_BEDROCK", "AWS_PROFILE", "AWS_REGION", "OTHER"])


@st.composite
def settings_files(draw: st.DrawFn) -> tuple[str, dict]:
    doc = draw(st.dictionaries(st.text(max_size=6).filter(lambda k: k != "env"), JSON_VALUES, max_size=4))
    if draw(st.booleans()):
        env = draw(st.dictionaries(ENV_KEYS, st.text(max_size=8), max_size=3))
        items = list(doc.items())
        items.insert(draw(st.integers(0, len(items))), ("env", env))
        doc = dict(items)
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    text = json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text + draw(st.sampled_from(["", "\n"])), doc


@SETTINGS
@given(settings_files(), st.dictionaries(ENV_KEYS, st.text(max_size=8), min_size=1, max_size=3))
def test_json_set_env_keeps_order_and_is_idempotent(file: tuple[str, dict], values: dict[str, str]) -> None:
    text, doc = file
    new = json_set_env(text, values)
    assert new is not None
    parsed = json.loads(new)
    want = dict(doc)
    want["env"] = {**doc.get("env", {}), **values}
    assert parsed == want
    assert list(parsed) == list(doc) + ([] if "env" in doc else ["env"])  # key order kept
    assert json_set_env(new, values) == new  # twice == once
    assert ("\r\n" in new) == ("\r\n" in text) or "\n" not in text


def _apply_undo(home: Path, path: Path, original: bytes, new: bytes) -> None:
    edit = FileEdit(str(path), "property", content=new)
    plan = Plan(home, [], [_change_for(edit, home, [])])
    plan.changes[0].findings.append("PROP")
    mode = stat.S_IMODE(path.stat().st_mode)
    apply_plan(plan)
    once = path.read_bytes()
    assert once == new and stat.S_IMODE(path.stat().st_mode) == mode
    undone = undo_last(home)
    assert undone.restored == [str(path)] and not undone.left_alone
    assert path.read_bytes() == original and stat.S_IMODE(path.stat().st_mode) == mode


@SETTINGS
@given(ini_files(), NAMES, st.booleans(), st.sampled_from([0o600, 0o644, 0o640]))
def test_apply_then_undo_is_identity_on_ini(text: str, name: str, bom: bool, mode: int) -> None:
    fixed = _apply_undo_ini("credentials", text, bom, mode, lambda body: ini_remove_section(body, name))
    if fixed is not None:  # applying the fix to the fixed file changes nothing more
        assert ini_remove_section(split_bom(fixed)[1], name) is None


def _apply_undo_ini(
    filename: str, text: str, bom: bool, mode: int, edit: Callable[[str], str | None]
) -> bytes | None:
    """``edit`` applied to ~/.aws/FILENAME through the fix engine and undone (asserted by ``_apply_undo``);
    the fixed bytes, or None when ``edit`` had nothing to change."""
    original = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    b, body = split_bom(original)
    new = edit(body)
    if new is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = home / ".aws" / filename
        path.parent.mkdir()
        path.write_bytes(original)
        os.chmod(path, mode)
        _apply_undo(home, path, original, b + new.encode("utf-8"))
    return b + new.encode("utf-8")


@SETTINGS
@given(settings_files(), st.dictionaries(ENV_KEYS, st.text(max_size=8), min_size=1, max_size=3))
def test_apply_then_undo_is_identity_on_json(file: tuple[str, dict], values: dict[str, str]) -> None:
    text, _ = file
    new = json_set_env(text, values)
    assert new is not None
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = home / ".claude" / "settings.json"
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8"))
        _apply_undo(home, path, text.encode("utf-8"), new.encode("utf-8"))


def test_a_next_line_character_inside_a_value_is_not_a_line_break() -> None:
    """Found by the property above: str.splitlines() breaks at \\x85, which neither client does."""
    from ccwb_doctor.analyzers.clientconfig.edits import ini_set_value

    text = "[default]\nregion = 0\x850\n"
    assert ini_set_value(text, "default", "region", "us-east-1") == "[default]\nregion = us-east-1\n"


STATIC_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
FEWER = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ini_files(), NAMES)
def test_ini_remove_keys_drops_only_those_lines_and_is_idempotent(text: str, name: str) -> None:
    new = ini_remove_keys(text, name, STATIC_KEYS)
    if new is None:
        return
    assert ini_remove_keys(new, name, STATIC_KEYS) is None  # twice == once
    it = iter(lines(text))
    assert all(line in it for line in lines(new))  # a subsequence: nothing added, nothing reordered
    for key in STATIC_KEYS:
        assert ini_get_value(new, name, key) is None
    # every header stays, and every line of other sections
    assert [x for x in lines(text) if x.lstrip().startswith("[")] == [
        x for x in lines(new) if x.lstrip().startswith("[")
    ]


@FEWER
@given(ini_files(), NAMES, st.booleans(), st.sampled_from([0o600, 0o644]))
def test_apply_then_undo_is_identity_for_removed_keys(text: str, name: str, bom: bool, mode: int) -> None:
    fixed = _apply_undo_ini("config", text, bom, mode, lambda body: ini_remove_keys(body, name, STATIC_KEYS))
    if fixed is not None:
        assert ini_remove_keys(split_bom(fixed)[1], name, STATIC_KEYS) is None  # twice == once


PH = "__CREDENTIAL_PROCESS_PATH__"
PATHS = st.sampled_from(["/home/ana/claude-code-with-bedrock/credential-process", '/Users/a/x y/é"q\\z'])


@st.composite
def settings_with_placeholders(draw: st.DrawFn) -> str:
    doc = draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3))
    cmd = draw(st.sampled_from([f"{PH} --profile p", PH, f"x {PH} {PH}"]))
    items = list(doc.items())
    items.insert(draw(st.integers(0, len(items))), (draw(st.sampled_from(["awsAuthRefresh", PH])), cmd))
    doc = dict(items)
    text = json.dumps(doc, indent=draw(st.sampled_from([None, 2, "\t"])), ensure_ascii=draw(st.booleans()))
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@FEWER
@given(settings_with_placeholders(), PATHS)
def test_placeholder_fill_in_changes_only_values_and_is_idempotent(text: str, path: str) -> None:
    new = json_replace_in_values(text, PH, path)
    assert new is not None
    doc = json.loads(new)
    assert PH not in json.dumps([v for v in _strings(doc)])  # no value keeps it; keys are untouched
    assert list(doc) == list(json.loads(text))
    assert json_replace_in_values(new, PH, path) is None  # twice == once: nothing left to fill in
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        p = home / ".claude" / "settings.json"
        p.parent.mkdir()
        p.write_bytes(text.encode("utf-8"))
        _apply_undo(home, p, text.encode("utf-8"), new.encode("utf-8"))


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@FEWER
@given(st.integers(0, 0o7777))
def test_apply_then_undo_is_identity_on_a_mode_change(mode: int) -> None:
    want = mode | ((mode & 0o444) >> 2)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = home / "helper"
        path.write_bytes(b"#!/bin/sh\n")
        os.chmod(path, mode)
        mode = stat.S_IMODE(path.stat().st_mode)  # what the filesystem kept
        plan = Plan(home, [], [_change_for(FileEdit(str(path), "chmod", mode=want), home, [])])
        plan.changes[0].findings.append("PROP")
        apply_plan(plan)
        assert stat.S_IMODE(path.stat().st_mode) == want and path.read_bytes() == b"#!/bin/sh\n"
        again = _change_for(FileEdit(str(path), "chmod", mode=want), home, [])
        assert again.mode_before == want  # applying twice changes nothing more
        assert undo_last(home).restored == [str(path)]
        assert stat.S_IMODE(path.stat().st_mode) == mode
