"""Layout-keeping edits of the developer's files, for ``ccwb-doctor fix``: values in, values out.

INI (``~/.aws/config``, ``~/.aws/credentials``) goes through a minimal line editor: it touches only the
lines it must and keeps every other byte (comments, order, blank lines, CRLF, a BOM). JSON (Claude Code
settings) is edited by splicing the text at the spans a small scanner finds, so key order, indentation
and everything else stay as written. Each function returns the new text, or None when the edit is not
certain (the section or key is missing or duplicated, the document does not parse as expected).
"""

from __future__ import annotations

import json
import re
from dataclasses import field

from ccwb_doctor.records import record

_HEADER = re.compile(r"^[ \t]*\[[ \t]*([^\]]*?)[ \t]*\][ \t]*(?:[#;].*)?$")
_KEY = re.compile(r"^([ \t]*)([^=\s:#;\[][^=:]*?)([ \t]*=[ \t]*)(.*?)([ \t]*)$")


def _lines(text: str) -> list[str]:
    """Lines with their endings, split at "\n" only: both clients read the file that way (the JS SDK splits on
    /\r?\n/, botocore's file iteration on "\n"), while str.splitlines() also breaks at \x85, \u2028, ..."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


def split_bom(data: bytes) -> tuple[bytes, str]:
    """(BOM or b"", the rest decoded as UTF-8); UnicodeDecodeError when it is not UTF-8."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    return bom, data[len(bom) :].decode("utf-8")


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(header name, first line, end line exclusive) of every section."""
    out: list[tuple[str, int, int]] = []
    for i, line in enumerate(lines):
        m = _HEADER.match(_body(line))
        if m:
            if out:
                out[-1] = (out[-1][0], out[-1][1], i)
            out.append((m.group(1), i, len(lines)))
    return out


def ini_remove_section(text: str, name: str) -> str | None:
    """Remove every ``[name]`` section: its header and its lines up to the last key line (comments and
    blank lines right before the next header stay: they usually belong to it). None when there is none."""
    lines = _lines(text)
    drop: set[int] = set()
    for header, start, end in _sections(lines):
        if header != name:
            continue
        last = start
        for i in range(start + 1, end):
            body = _body(lines[i]).strip()
            if body and not body.startswith(("#", ";")):
                last = i
        drop.update(range(start, last + 1))
    if not drop:
        return None
    return "".join(line for i, line in enumerate(lines) if i not in drop)


def ini_get_value(text: str, section: str, key: str) -> str | None:
    lines = _lines(text)
    hits = _key_lines(lines, section, key)
    if len(hits) != 1:
        return None
    m = _KEY.match(_body(lines[hits[0]]))
    return m.group(4) if m else None


def _key_lines(lines: list[str], section: str, key: str) -> list[int]:
    hits: list[int] = []
    for header, start, end in _sections(lines):
        if header != section:
            continue
        for i in range(start + 1, end):
            m = _KEY.match(_body(lines[i]))
            if m and not m.group(1) and m.group(2).strip().lower() == key.lower():
                hits.append(i)
    return hits


def ini_set_value(text: str, section: str, key: str, value: str, *, expect: str | None = None) -> str | None:
    """Replace the value of the one ``key = ...`` line in ``[section]``; keeps the key's spelling, the
    spaces around ``=`` and the line ending. With ``expect``, only when the current value is exactly that.
    None when the key is absent, set twice, or not ``expect``."""
    lines = _lines(text)
    hits = _key_lines(lines, section, key)
    if len(hits) != 1:
        return None
    i = hits[0]
    line = lines[i]
    body = _body(line)
    ending = line[len(body) :]
    m = _KEY.match(body)
    if m is None or (expect is not None and m.group(4) != expect):
        return None
    lines[i] = f"{m.group(1)}{m.group(2)}{m.group(3)}{value}{m.group(5)}{ending}"
    return "".join(lines)


def ini_remove_keys(text: str, section: str, keys: tuple[str, ...]) -> str | None:
    """Remove the ``key = ...`` lines of ``keys`` (any letter case: botocore lowercases option names, the JS
    SDK does not, so either spelling is read by one of them) from every ``[section]``, with the indented
    lines that continue such a value (configparser reads them as part of it). Every other line stays,
    the header too. None when there is no such line."""
    lines = _lines(text)
    wanted = {k.lower() for k in keys}
    drop: set[int] = set()
    for header, start, end in _sections(lines):
        if header != section:
            continue
        i = start + 1
        while i < end:
            m = _KEY.match(_body(lines[i]))
            if m and not m.group(1) and m.group(2).strip().lower() in wanted:
                drop.add(i)
                j = i + 1
                while j < end and _is_continuation(lines[j]):
                    drop.add(j)
                    j += 1
                i = j
                continue
            i += 1
    if not drop:
        return None
    return "".join(line for i, line in enumerate(lines) if i not in drop)


def _is_continuation(line: str) -> bool:
    body = _body(line)
    stripped = body.strip()
    return bool(stripped) and body[:1] in (" ", "\t") and not stripped.startswith(("#", ";"))


# ---- JSON -------------------------------------------------------------------------------------------------


@record
class _Obj:
    """A JSON object's spans in the text: its braces, each member's key and value."""

    start: int  # the '{'
    end: int  # just after the '}'
    members: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # key -> key span, value span
    children: dict[str, _Obj] = field(default_factory=dict)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.dec = json.JSONDecoder()

    def ws(self, i: int) -> int:
        while i < len(self.s) and self.s[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int) -> tuple[int, _Obj | None]:
        i = self.ws(i)
        if i < len(self.s) and self.s[i] == "{":
            obj = self.obj(i)
            return obj.end, obj
        if i < len(self.s) and self.s[i] == "[":
            i = self.ws(i + 1)
            if self.s[i] == "]":
                return i + 1, None
            while True:
                i, _ = self.value(i)
                i = self.ws(i)
                if self.s[i] == "]":
                    return i + 1, None
                if self.s[i] != ",":
                    raise ValueError("bad array")
                i += 1
        _, end = self.dec.raw_decode(self.s, i)
        return end, None

    def obj(self, i: int) -> _Obj:
        out = _Obj(i, i)
        i = self.ws(i + 1)
        if self.s[i] == "}":
            out.end = i + 1
            return out
        while True:
            i = self.ws(i)
            key, kend = self.dec.raw_decode(self.s, i)
            if not isinstance(key, str) or key in out.members:
                raise ValueError("bad or duplicate key")
            j = self.ws(kend)
            if self.s[j] != ":":
                raise ValueError("expected ':'")
            vstart = self.ws(j + 1)
            vend, child = self.value(vstart)
            out.members[key] = (i, kend, vstart, vend)
            if child is not None:
                out.children[key] = child
            i = self.ws(vend)
            if self.s[i] == "}":
                out.end = i + 1
                return out
            if self.s[i] != ",":
                raise ValueError("expected ','")
            i += 1


def _line_indent(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    m = re.match(r"[ \t]*", text[start:pos])
    return m.group(0) if m else ""


def _unit(text: str) -> str:
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else "  "


def _insert_member(text: str, obj: _Obj, key: str, value_json: str, nl: str) -> str:
    """Add ``"key": value`` after the object's last member, in that member's indentation (or, in an empty
    object, one level deeper than the object's own line)."""
    rendered = f"{json.dumps(key)}: {value_json}"
    if obj.members:
        last = max(obj.members.values(), key=lambda span: span[3])
        same_line = "\n" not in text[obj.start : last[0]]
        if same_line:  # a one-line object: {"a": "b"}
            return text[: last[3]] + ", " + rendered + text[last[3] :]
        indent = _line_indent(text, last[0])
        return text[: last[3]] + "," + nl + indent + rendered + text[last[3] :]
    outer = _line_indent(text, obj.start)
    inner = outer + _unit(text)
    close = obj.end - 1
    return text[: obj.start + 1] + nl + inner + rendered + nl + outer + text[close:]


def json_set_env(text: str, values: dict[str, str]) -> str | None:
    """Set ``env.KEY = "value"`` in a Claude Code settings document, keeping the rest of the text.

    An existing value is replaced in place; a missing key goes after the last key of ``env``; a missing
    ``env`` object goes after the last top-level key. None when the text is not one JSON object."""
    nl = newline_of(text)
    for key, value in values.items():
        try:
            sc = _Scanner(text)
            start = sc.ws(0)
            if start >= len(text) or text[start] != "{":
                return None
            top = sc.obj(start)
            if sc.ws(top.end) != len(text):
                return None
        except (ValueError, IndexError):
            return None
        env = top.children.get("env")
        if "env" in top.members and env is None:
            return None  # env is not an object: CONFIG-SETTINGS reports it, no certain edit
        if env is None:
            outer = _line_indent(text, top.start) + _unit(text)
            one_line = "\n" not in text[top.start : top.end]
            block = (
                "{" + json.dumps(key) + ": " + json.dumps(value) + "}"
                if one_line
                else "{"
                + nl
                + outer
                + _unit(text)
                + json.dumps(key)
                + ": "
                + json.dumps(value)
                + nl
                + outer
                + "}"
            )
            text = _insert_member(text, top, "env", block, nl)
        elif key in env.members:
            _, _, vs, ve = env.members[key]
            text = text[:vs] + json.dumps(value) + text[ve:]
        else:
            text = _insert_member(text, env, key, json.dumps(value), nl)
    return text


_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def json_replace_in_values(text: str, old: str, new: str) -> str | None:
    """Replace ``old`` by ``new`` inside the JSON string values of ``text`` (never in keys), splicing the
    raw text so everything else stays byte for byte. None when ``old`` is not found verbatim in a value
    (an escaped spelling, say) or the result is not the same document with only that replacement."""
    try:
        before = json.loads(text)
    except ValueError:
        return None
    raw_new = json.dumps(new, ensure_ascii=False)[1:-1]
    out: list[str] = []
    pos = 0
    for m in _STRING.finditer(text):
        j = m.end()
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        if j < len(text) and text[j] == ":":
            continue  # a key
        literal = m.group(0)
        if old in literal:
            out.append(text[pos : m.start()])
            out.append(literal.replace(old, raw_new))
            pos = m.end()
    if not out:
        return None
    result = "".join(out) + text[pos:]
    try:
        after = json.loads(result)
    except ValueError:
        return None
    return result if after == _replaced(before, old, new) else None


def _replaced(node: object, old: str, new: str) -> object:
    if isinstance(node, str):
        return node.replace(old, new)
    if isinstance(node, dict):
        return {k: _replaced(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replaced(v, old, new) for v in node]
    return node
