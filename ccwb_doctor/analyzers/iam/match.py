"""Wildcard matchers and policy-variable templates for the IAM evaluator (pure, no I/O).

Patterns are compiled once, at policy parse time, into linear-time matchers (:class:`Glob`):

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

from ccwb_doctor.records import record

__all__ = [
    "Template",
    "Glob",
    "GlobSet",
    "compile_template",
    "compile_resource_template",
    "glob_tokens",
    "arn_tokens",
    "compile_globs",
    "compile_arns",
]

_VAR = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
# A literal piece of text, a wildcard ('*' or '?'), or a variable reference (key, default).
Piece = tuple[str, str] | tuple[str, str, str | None]


@record(frozen=True, slots=True)
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


def compile_resource_template(raw: str, *, variables: bool) -> tuple[Template, str]:
    """A Resource/NotResource value: variables are substituted only after the fifth colon.

    IAM User Guide, reference_policies_variables ("Using variables in policies" / where policy
    variables can be used): "You can use policy variables in the Resource element, but only in the
    resource portion of the ARN. This portion of the ARN appears after the fifth colon (:)." So
    ``arn:aws:bedrock:*:${aws:PrincipalAccount}:...`` or ``arn:aws:bedrock:${aws:RequestedRegion}::...``
    keep ``${...}`` as literal text (which no real ARN contains). The colons are counted in the raw
    text, so a variable that straddles the fifth colon is literal too. Returns (template, warning).
    """
    if not variables or "${" not in raw:
        return compile_template(raw, wildcards=True, variables=variables), ""
    cut = -1
    for _ in range(5):
        cut = raw.find(":", cut + 1)
        if cut < 0:
            break
    head, tail = (raw, "") if cut < 0 else (raw[: cut + 1], raw[cut + 1 :])
    warning = ""
    if "${" in head:
        warning = (
            f"Resource {raw!r}: a policy variable before the fifth colon is literal text (IAM substitutes "
            "variables only in the resource part of an ARN), so this value matches no real ARN"
        )
    h = compile_template(head, wildcards=True, variables=False)
    t = compile_template(tail, wildcards=True, variables=True)
    pieces = list(h.pieces)
    for p in t.pieces:
        if pieces and p[0] == "lit" and pieces[-1][0] == "lit":
            pieces[-1] = ("lit", pieces[-1][1] + p[1])
        else:
            pieces.append(p)
    return Template(raw, tuple(pieces)), warning


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


# ---- the matcher -------------------------------------------------------------------------------
#
# A pattern is compiled into tokens: literal text, ``*`` and ``?``, each wildcard either crossing
# every character or stopping at ``:`` (inside the first five ARN segments). Matching never
# backtracks: a pattern whose stars all cross everything and that has no ``?`` is matched by
# ``str.find`` of its literal chunks, leftmost first (correct for such globs: an earlier chunk
# position never hurts a later chunk); anything else runs a bit-parallel simulation of the
# pattern's automaton (one bit per pattern position, a few integer operations per character), so
# the cost is O(len(value) * len(pattern) / word size) whatever the number of wildcards. The
# previous implementation emitted one ``.*`` per ``*`` into a backtracking regex: 8 wildcards
# against a long resource took half a minute (issue 16).

Token = tuple[str, str | bool]  # ("lit", text) | ("*", crosses_colon) | ("?", crosses_colon)


class Glob:
    """One compiled wildcard pattern; ``match(value)`` is a bool (whole-string match)."""

    __slots__ = (
        "text",
        "fold",
        "_chunks",
        "_chars",
        "_single_colon",
        "_single_other",
        "_stay_colon",
        "_stay_other",
        "_stars",
        "_accept",
        "_min_len",
    )

    def __init__(self, tokens: Sequence[Token], *, fold: bool = False) -> None:
        merged: list[Token] = []
        for t in tokens:
            if t[0] == "lit":
                if not t[1]:
                    continue
                text = str(t[1]).lower() if fold else str(t[1])
                if merged and merged[-1][0] == "lit":
                    merged[-1] = ("lit", str(merged[-1][1]) + text)
                else:
                    merged.append(("lit", text))
            elif t[0] == "*" and merged and merged[-1][0] == "*":
                # '**' is '*'; a crossing star absorbs a segment star ([^:]*.* == .*)
                merged[-1] = ("*", bool(merged[-1][1]) or bool(t[1]))
            else:
                merged.append(t)
        self.fold = fold
        self.text = "".join(str(t[1]) if t[0] == "lit" else t[0] for t in merged)
        self._min_len = sum(len(str(t[1])) if t[0] == "lit" else t[0] == "?" for t in merged)
        self._chunks: list[str] | None = None
        if all(t[0] == "lit" or (t[0] == "*" and t[1]) for t in merged):
            chunks = [""]
            for t in merged:
                if t[0] == "lit":
                    chunks[-1] += str(t[1])
                else:
                    chunks.append("")
            self._chunks = chunks
            return
        chars: dict[str, int] = {}
        q_any = q_seg = s_any = s_seg = 0
        pos = 0
        for t in merged:
            if t[0] == "lit":
                for ch in str(t[1]):
                    chars[ch] = chars.get(ch, 0) | (1 << pos)
                    pos += 1
            elif t[0] == "?":
                if t[1]:
                    q_any |= 1 << pos
                else:
                    q_seg |= 1 << pos
                pos += 1
            else:
                if t[1]:
                    s_any |= 1 << pos
                else:
                    s_seg |= 1 << pos
                pos += 1
        self._chars = chars
        self._single_colon = q_any
        self._single_other = q_any | q_seg
        self._stay_colon = s_any
        self._stay_other = s_any | s_seg
        self._stars = s_any | s_seg
        self._accept = 1 << pos

    def match(self, value: str) -> bool:
        if self.fold:
            value = value.lower()
        if len(value) < self._min_len:
            return False
        chunks = self._chunks
        if chunks is not None:
            if len(chunks) == 1:
                return value == chunks[0]
            first, last = chunks[0], chunks[-1]
            if not (value.startswith(first) and value.endswith(last)):
                return False
            pos, end = len(first), len(value) - len(last)
            for c in chunks[1:-1]:
                i = value.find(c, pos, end)
                if i < 0:
                    return False
                pos = i + len(c)
            return True
        chars, stars = self._chars, self._stars
        d = 1 | ((1 & stars) << 1)
        for ch in value:
            if ch == ":":
                single, stay = chars.get(ch, 0) | self._single_colon, self._stay_colon
            else:
                single, stay = chars.get(ch, 0) | self._single_other, self._stay_other
            d = ((d & single) << 1) | (d & stay)
            if not d:
                return False
            d |= (d & stars) << 1
        return bool(d & self._accept)

    def __repr__(self) -> str:
        return f"Glob({self.text!r})"


class GlobSet:
    """Several patterns, any of which may match (the values of one element); empty = matches nothing."""

    __slots__ = ("globs", "_exact", "_fold")

    def __init__(self, globs: Sequence[Glob]) -> None:
        folds = {g.fold for g in globs}
        self._fold = folds == {True}
        same = len(folds) <= 1  # literal patterns go to a set when all share one case rule
        exact = {g._chunks[0] for g in globs if same and g._chunks is not None and len(g._chunks) == 1}
        self._exact = frozenset(exact)
        self.globs = tuple(g for g in globs if not (same and g._chunks is not None and len(g._chunks) == 1))

    def match(self, value: str) -> bool:
        if self._exact and (value.lower() if self._fold else value) in self._exact:
            return True
        return any(g.match(value) for g in self.globs)

    def __bool__(self) -> bool:
        return bool(self._exact or self.globs)


def glob_tokens(pieces: Sequence[Piece]) -> list[Token]:
    """Tokens for a glob where ``*`` and ``?`` cross every character (Action, StringLike)."""
    return [("lit", p[1]) if p[0] != "wild" else (p[1], True) for p in pieces]


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


def _segment(seg: Sequence[Piece], expand_trailing: bool) -> list[Token]:
    """One ARN segment: ``*``/``?`` stay inside the segment, except a trailing ``*`` when ``expand_trailing``."""
    out: list[Token] = [("lit", p[1]) if p[0] != "wild" else (p[1], False) for p in seg]
    if expand_trailing and seg and seg[-1] == ("wild", "*"):
        out[-1] = ("*", True)
    return out


def arn_tokens(pieces: Sequence[Piece], *, resource: bool = False) -> list[Token] | None:
    """Tokens for an ARN pattern, segment-wise; None when the pattern is not a 6-part ARN.

    A bare ``*`` matches any ARN. ``*`` and ``?`` never cross a ``:`` in the first five segments
    (the ``Arn*`` condition operators check each of the six parts separately). With ``resource``
    (the Resource/NotResource elements) a ``*`` that is the *last character of a segment* may
    expand beyond the colon boundaries, as the IAM user guide states for resource ARNs ("If the *
    wildcard is the last character of a resource ARN segment, it can expand to match beyond colon
    boundaries"); so ``arn:aws:bedrock:*`` covers every Bedrock ARN, and such a pattern with fewer
    than six segments is well-formed.
    """
    if len(pieces) == 1 and pieces[0] == ("wild", "*"):
        return [("*", True)]
    segs = _split_pieces_on_colon(pieces)
    out: list[Token] = []
    if len(segs) < 6:
        if resource and len(segs) > 1 and segs[-1] and segs[-1][-1] == ("wild", "*"):
            for i, s in enumerate(segs):
                if i:
                    out.append(("lit", ":"))
                out.extend(_segment(s, True))
            return out
        return None
    for s in segs[:5]:
        out.extend(_segment(s, resource))
        out.append(("lit", ":"))
    for i, s in enumerate(segs[5:]):
        if i:
            out.append(("lit", ":"))
        out.extend(("lit", p[1]) if p[0] != "wild" else (p[1], True) for p in s)
    return out


def compile_globs(patterns: Sequence[Sequence[Piece]], *, fold: bool = False) -> GlobSet | None:
    """A set of plain globs (``*`` crosses everything); None for an empty list (matches nothing)."""
    if not patterns:
        return None
    return GlobSet([Glob(glob_tokens(p), fold=fold) for p in patterns])


def compile_arns(patterns: Sequence[Sequence[Piece]]) -> tuple[GlobSet | None, list[str]]:
    """Compile Resource patterns: ARNs segment-wise (a segment-final ``*`` may cross colons); a pattern
    that does not start with ``arn:`` is a plain glob; one that starts with ``arn:`` but has fewer than
    six parts and does not end with ``*`` never matches. Returns
    (matcher or None when nothing can match, the patterns that are not well-formed ARNs)."""
    globs: list[Glob] = []
    bad: list[str] = []
    for pieces in patterns:
        toks = arn_tokens(pieces, resource=True)
        if toks is None:
            text = "".join(p[1] for p in pieces)
            bad.append(text)
            if text.startswith("arn:"):
                continue
            toks = glob_tokens(pieces)
        globs.append(Glob(toks))
    return (GlobSet(globs) if globs else None), bad


def lookup_in(context: Mapping[str, str | list[str]]) -> Lookup:
    """A variable lookup over a lower-cased context mapping."""
    return context.get  # type: ignore[return-value]
