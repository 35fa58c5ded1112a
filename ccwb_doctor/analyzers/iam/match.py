"""Wildcard matchers and policy-variable templates for the IAM evaluator (pure, no I/O).

Patterns are compiled once, at policy parse time, into regular expressions:

* ``glob``: ``*`` matches any run of characters (including ``:`` and ``/``), ``?`` exactly one.
* ``arn``: the first five colon-separated ARN parts are matched one by one (``*`` never crosses a
  ``:`` there); the sixth part, the resource, may contain colons and ``*`` crosses them. In the
  Resource element (not in ``Arn*`` conditions) a ``*`` that ends a segment may also cross colons.

Policy variables (``${aws:username}``, ``${key, 'default'}``) and the escapes ``${*}``, ``${?}`` and
``${$}`` are kept in a :class:`Template`; the substituted text is always literal (a ``*`` inside a
user name never becomes a wildcard).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Template",
    "compile_template",
    "glob_regex",
    "arn_regex",
    "compile_globs",
    "compile_arns",
]

_VAR = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
# A literal piece of text, a wildcard ('*' or '?'), or a variable reference (key, default).
Piece = tuple[str, str] | tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class Template:
    """A policy value with variables: pieces are ('lit', text), ('wild', '*'|'?'), ('var', key, default)."""

    raw: str
    pieces: tuple[Piece, ...]

    @property
    def has_vars(self) -> bool:
        return any(p[0] == "var" for p in self.pieces)

    def var_keys(self) -> list[str]:
        return [p[1] for p in self.pieces if p[0] == "var"]


def _split_var(body: str) -> tuple[str, str | None] | None:
    """``aws:username`` -> (key, None); ``aws:username, 'x'`` -> (key, 'x'); bad syntax -> None."""
    if "," in body:
        key, _, rest = body.partition(",")
        rest = rest.strip()
        if len(rest) >= 2 and rest[0] == rest[-1] == "'":
            return key.strip().lower(), rest[1:-1]
        return None
    key = body.strip()
    return (key.lower(), None) if key else None


def compile_template(raw: str, *, wildcards: bool, variables: bool) -> Template:
    """Split ``raw`` into literal text, wildcards (when ``wildcards``) and variables (when ``variables``)."""
    pieces: list[Piece] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            pieces.append(("lit", "".join(buf)))
            buf.clear()

    def add_text(text: str) -> None:
        if not wildcards:
            buf.append(text)
            return
        for ch in text:
            if ch in "*?":
                flush()
                pieces.append(("wild", ch))
            else:
                buf.append(ch)

    pos = 0
    if variables and "${" in raw:
        for m in _VAR.finditer(raw):
            add_text(raw[pos : m.start()])
            body = m.group(1)
            if body in _ESCAPES:
                buf.append(_ESCAPES[body])
            else:
                parsed = _split_var(body)
                if parsed is None:
                    buf.append(m.group(0))
                else:
                    flush()
                    pieces.append(("var", parsed[0], parsed[1]))
            pos = m.end()
    add_text(raw[pos:])
    flush()
    return Template(raw, tuple(pieces))


Lookup = Callable[[str], "str | list[str] | None"]


def render_pieces(tpl: Template, lookup: Lookup) -> tuple[Piece, ...] | None:
    """Replace variables by literal text; None when a variable is missing (the value cannot match)."""
    out: list[Piece] = []
    for p in tpl.pieces:
        if p[0] == "var":
            val = lookup(p[1])
            if isinstance(val, list):
                val = val[0] if len(val) == 1 else None
            if val is None:
                default = p[2]  # type: ignore[misc]
                if default is None:
                    return None
                val = default
            out.append(("lit", val))
        else:
            out.append(p)
    return tuple(out)


def _glob_body(pieces: Sequence[Piece], star: str) -> str:
    parts: list[str] = []
    for p in pieces:
        if p[0] == "wild":
            parts.append(star if p[1] == "*" else "." if star == ".*" else "[^:]")
        else:
            parts.append(re.escape(p[1]))
    return "".join(parts)


def glob_regex(pieces: Sequence[Piece]) -> str:
    """Regex source (unanchored) for a glob where ``*`` crosses everything."""
    return _glob_body(pieces, ".*")


def _split_pieces_on_colon(pieces: Sequence[Piece]) -> list[list[Piece]]:
    segs: list[list[Piece]] = [[]]
    for p in pieces:
        if p[0] == "lit" and ":" in p[1]:
            chunks = p[1].split(":")
            for i, chunk in enumerate(chunks):
                if i:
                    segs.append([])
                if chunk:
                    segs[-1].append(("lit", chunk))
        else:
            segs[-1].append(p)
    return segs


def _segment(seg: Sequence[Piece], expand_trailing: bool) -> str:
    """One ARN segment: ``*`` stays inside the segment, except a trailing ``*`` when ``expand_trailing``."""
    if expand_trailing and seg and seg[-1] == ("wild", "*"):
        return _glob_body(seg[:-1], "[^:]*") + ".*"
    return _glob_body(seg, "[^:]*")


def arn_regex(pieces: Sequence[Piece], *, resource: bool = False) -> str | None:
    """Regex source for an ARN pattern, segment-wise; None when the pattern is not a 6-part ARN.

    A bare ``*`` is returned as ``.*`` (matches any ARN). ``*`` and ``?`` never cross a ``:`` in the
    first five segments (the ``Arn*`` condition operators check each of the six parts separately).
    With ``resource`` (the Resource/NotResource elements) a ``*`` that is the *last character of a
    segment* may expand beyond the colon boundaries, as the IAM user guide states for resource ARNs
    ("If the * wildcard is the last character of a resource ARN segment, it can expand to match
    beyond colon boundaries"); so ``arn:aws:bedrock:*`` covers every Bedrock ARN, and such a pattern
    with fewer than six segments is well-formed.
    """
    if len(pieces) == 1 and pieces[0] == ("wild", "*"):
        return ".*"
    segs = _split_pieces_on_colon(pieces)
    if len(segs) < 6:
        if resource and len(segs) > 1 and segs[-1] and segs[-1][-1] == ("wild", "*"):
            return ":".join(_segment(s, True) for s in segs)
        return None
    head = [_segment(s, resource) for s in segs[:5]]
    tail_pieces: list[Piece] = []
    for i, s in enumerate(segs[5:]):
        if i:
            tail_pieces.append(("lit", ":"))
        tail_pieces.extend(s)
    return ":".join(head) + ":" + _glob_body(tail_pieces, ".*")


def compile_globs(sources: Sequence[str], flags: int = 0) -> re.Pattern[str] | None:
    """One anchored alternation of regex sources; None for an empty list (matches nothing)."""
    if not sources:
        return None
    return re.compile("(?:" + "|".join(sources) + r")\Z", flags | re.DOTALL)


def compile_arns(patterns: Sequence[Sequence[Piece]]) -> tuple[re.Pattern[str] | None, list[str]]:
    """Compile Resource patterns: ARNs segment-wise (a segment-final ``*`` may cross colons); a pattern
    that does not start with ``arn:`` is a plain glob; one that starts with ``arn:`` but has fewer than
    six parts and does not end with ``*`` never matches. Returns
    (regex or None when nothing can match, the patterns that are not well-formed ARNs)."""
    srcs: list[str] = []
    bad: list[str] = []
    for pieces in patterns:
        src = arn_regex(pieces, resource=True)
        if src is None:
            text = "".join(p[1] for p in pieces)
            bad.append(text)
            if text.startswith("arn:"):
                continue
            src = glob_regex(pieces)
        srcs.append(src)
    return compile_globs(srcs), bad


def lookup_in(context: Mapping[str, str | list[str]]) -> Lookup:
    """A variable lookup over a lower-cased context mapping."""
    return context.get  # type: ignore[return-value]
