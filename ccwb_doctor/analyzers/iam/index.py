"""The statement index of a large policy (issue 16: 10k statements x the Bedrock matrix must stay linear).

Exact, never a guess: a statement it leaves out can match neither the request's action nor its resource
(``policy.evaluate`` uses it above ``policy.INDEX_MIN`` statements; a property test compares it with
tracing every statement).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccwb_doctor.analyzers.iam.match import Piece

if TYPE_CHECKING:
    from ccwb_doctor.analyzers.iam.policy import Statement

_DELIMS = re.compile(r"[:/.]")


def _pattern_keys(pieces: Sequence[Piece]) -> list[str]:
    """Whole tokens (split on ``:``, ``/``, ``.``) that every value matching the pattern contains.

    Wildcards only consume characters, so each literal chunk of a pattern appears verbatim in a
    matching value; a token of a chunk that is bounded by delimiters *inside the chunk* (or by the
    start/end of the pattern) is therefore a whole token of the value too."""
    chunks: list[tuple[str, bool, bool]] = []
    cur, at_start = "", True
    for p in pieces:
        if p[0] == "wild":
            chunks.append((cur, at_start, False))
            cur, at_start = "", False
        else:
            cur += p[1]
    chunks.append((cur, at_start, True))
    keys: list[str] = []
    for text, left, right in chunks:
        parts = _DELIMS.split(text)
        for i, tok in enumerate(parts):
            if tok and (i > 0 or left) and (i < len(parts) - 1 or right):
                keys.append(tok)
    return keys


class StatementIndex:
    """Candidate statements of a large policy for one request: those whose Action/NotAction element
    matches the action (computed once per action, O(statements)) and whose Resource element may match
    the resource: every static Resource pattern is filed under its rarest whole token, so a resource
    only reaches the statements filed under one of its own tokens (plus those that cannot be indexed:
    NotResource, variables, no Resource, a pattern without a whole token such as ``*``). The cost of a
    request is then proportional to the candidates, not to the policy; exact, never a guess: a
    statement left out can neither match the action nor the resource."""

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.statements = statements
        self._by_action: dict[str, frozenset[int]] = {}
        self.always: set[int] = set()
        per_pattern: list[tuple[int, list[str]]] = []
        freq: dict[str, int] = {}
        for i, st in enumerate(statements):
            res = st.resources
            if res is None or st.not_resource or res.dynamic or st.warnings:
                self.always.add(i)
                continue
            for pieces in res.static:
                keys = _pattern_keys(pieces)
                if not keys:
                    self.always.add(i)
                    break
                per_pattern.append((i, keys))
                for k in set(keys):
                    freq[k] = freq.get(k, 0) + 1
        self.by_token: dict[str, set[int]] = {}
        for i, keys in per_pattern:
            if i in self.always:
                continue
            best = min(keys, key=lambda k: (freq[k], -len(k)))
            self.by_token.setdefault(best, set()).add(i)

    def actions(self, action: str) -> frozenset[int]:
        key = action.lower()
        got = self._by_action.get(key)
        if got is None:
            got = frozenset(
                i
                for i, st in enumerate(self.statements)
                if (st.actions is not None and st.actions.match(action)) != st.not_action
            )
            if len(self._by_action) > 256:
                self._by_action.clear()
            self._by_action[key] = got
        return got

    def candidates(self, action: str, resource: str | None) -> list[int]:
        acts = self.actions(action)
        if resource is None:
            return sorted(acts)
        res = set(self.always)
        for tok in set(_DELIMS.split(resource)):
            hit = self.by_token.get(tok)
            if hit:
                res |= hit
        return sorted(acts & res)
