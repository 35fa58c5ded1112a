"""The tables a Trino / Athena (engine v3) query reads, from its tokens: enough for conform to say that a
saved query names a table the template defines, with no SQL engine at hand.

A tokenizer that knows the lexical rules that matter (``--`` and ``/* */`` comments, ``'...'`` strings with
``''``, ``"..."`` identifiers with ``""``, backquoted identifiers), then a walk that reads the relation
after each ``FROM`` / ``JOIN`` (and after the commas of a ``FROM a, b`` list). Not relations: CTE names
of a ``WITH``, subqueries, table functions such as ``UNNEST(...)``, and the ``FROM`` inside a function
call (``extract(year FROM ts)``, ``substring(s FROM 2)``). The test suite holds it to sqlglot's parse.
"""

from __future__ import annotations

from ccwb_doctor.records import record

_WORD_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_WORD = _WORD_START | set("0123456789$@")
# words after which "(" opens a subquery or a list, not a function call
_NOT_FUNCTIONS = frozenset(
    [
        "as",
        "in",
        "from",
        "join",
        "exists",
        "and",
        "or",
        "not",
        "on",
        "where",
        "select",
        "with",
        "having",
        "by",
        "union",
        "intersect",
        "except",
        "all",
        "any",
        "some",
        "lateral",
        "values",
        "when",
        "then",
        "else",
        "case",
        "return",
    ]
)
# words that end a FROM list (or cannot be an alias)
_CLAUSE = frozenset(
    [
        "where",
        "group",
        "having",
        "order",
        "limit",
        "offset",
        "fetch",
        "union",
        "intersect",
        "except",
        "window",
        "join",
        "cross",
        "inner",
        "left",
        "right",
        "full",
        "natural",
        "on",
        "using",
        "qualify",
        "tablesample",
        "for",
        "match_recognize",
    ]
)


class SqlError(ValueError):
    """The text is not a well-formed query (unterminated literal or comment, unbalanced parentheses)."""


@record(frozen=True)
class Token:
    kind: str  # word | ident (quoted) | string | number | punct
    text: str  # words lower-cased, quoted identifiers unquoted
    line: int


@record(frozen=True)
class TableRef:
    parts: tuple[str, ...]  # ("db", "table") or ("table",), lower-cased as Athena stores them
    line: int

    @property
    def name(self) -> str:
        return ".".join(self.parts)


def _closing(sql: str, i: int, quote: str, what: str, line: int) -> int:
    """Index just past the closing ``quote`` of a literal opened at ``i`` (a doubled quote escapes)."""
    j = i + 1
    while True:
        k = sql.find(quote, j)
        if k < 0:
            raise SqlError(f"line {line}: unterminated {what}")
        if sql.startswith(quote * 2, k):
            j = k + 2
            continue
        return k + 1


def tokenize(sql: str) -> list[Token]:
    out: list[Token] = []
    i, n, line = 0, len(sql), 1
    while i < n:
        c = sql[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif sql.startswith("--", i):
            k = sql.find("\n", i)
            i = n if k < 0 else k
        elif sql.startswith("/*", i):
            k = sql.find("*/", i + 2)
            if k < 0:
                raise SqlError(f"line {line}: unterminated /* comment")
            line += sql.count("\n", i, k)
            i = k + 2
        elif c in "'\"`":
            end = _closing(sql, i, c, "string" if c == "'" else "quoted identifier", line)
            body = sql[i + 1 : end - 1].replace(c * 2, c)
            if c == "'":
                out.append(Token("string", body, line))
            else:
                out.append(Token("ident", body.lower(), line))
            line += sql.count("\n", i, end)
            i = end
        elif c in _WORD_START:
            j = i + 1
            while j < n and sql[j] in _WORD:
                j += 1
            out.append(Token("word", sql[i:j].lower(), line))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "."):
                j += 1
            out.append(Token("number", sql[i:j], line))
            i = j
        else:
            out.append(Token("punct", c, line))
            i += 1
    depth = 0
    for t in out:
        if t.kind == "punct" and t.text in "()":
            depth += 1 if t.text == "(" else -1
            if depth < 0:
                raise SqlError(f"line {t.line}: ')' without '('")
    if depth:
        raise SqlError("unbalanced parentheses: a '(' is never closed")
    return out


def _is_name(t: Token | None) -> bool:
    return t is not None and (t.kind == "ident" or (t.kind == "word" and t.text not in _CLAUSE))


class _Walk:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.ctes: set[str] = set()
        self.refs: list[TableRef] = []
        # per open parenthesis: True when it is a function call's argument list
        self.stack: list[bool] = []

    def at(self, i: int) -> Token | None:
        return self.t[i] if 0 <= i < len(self.t) else None

    def punct(self, i: int, ch: str) -> bool:
        tok = self.at(i)
        return tok is not None and tok.kind == "punct" and tok.text == ch

    def word(self, i: int, *words: str) -> bool:
        tok = self.at(i)
        return tok is not None and tok.kind == "word" and tok.text in words

    def skip_parens(self, i: int) -> int:
        """From a '(' at ``i``: the index after its matching ')'."""
        depth = 0
        for j in range(i, len(self.t)):
            if self.punct(j, "("):
                depth += 1
            elif self.punct(j, ")"):
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(self.t)

    def cte_names(self, i: int) -> None:
        """After WITH at ``i - 1``: name [(cols)] AS (query) [, ...]; records the names."""
        if self.word(i, "recursive"):
            i += 1
        while _is_name(self.at(i)):
            self.ctes.add(self.t[i].text)
            i += 1
            if self.punct(i, "("):
                i = self.skip_parens(i)
            if not self.word(i, "as") or not self.punct(i + 1, "("):
                return
            i = self.skip_parens(i + 1)
            if not self.punct(i, ","):
                return
            i += 1

    def relation(self, i: int) -> int:
        """Read one relation at ``i``; returns the index after it (and its alias)."""
        if self.word(i, "lateral"):
            i += 1
        if self.punct(i, "("):  # a subquery (or a parenthesised join): walk it, then its alias
            end = self.skip_parens(i)
            inner = _Walk(self.t[i + 1 : end - 1])
            inner.ctes = self.ctes
            # "(a CROSS JOIN b)": a join tree whose first relation has no FROM before it
            first = 0 if inner.word(0, "select", "with", "values") else inner.relation(0)
            self.refs.extend(inner.run(first))
            return self.alias(end)
        if not _is_name(self.at(i)):
            return i
        parts, start = [self.t[i].text], i
        i += 1
        while self.punct(i, ".") and _is_name(self.at(i + 1)):
            parts.append(self.t[i + 1].text)
            i += 2
        if self.punct(i, "("):
            return i  # a table function (UNNEST, TABLE(...), ...)
        if not (len(parts) == 1 and parts[0] in self.ctes):
            self.refs.append(TableRef(tuple(parts), self.t[start].line))
        return self.alias(i)

    def alias(self, i: int) -> int:
        """Skip ``[AS] name [(columns)]`` at ``i``."""
        if self.word(i, "as"):
            i += 1
        if _is_name(self.at(i)):
            i += 1
            if self.punct(i, "("):
                i = self.skip_parens(i)
        return i

    def run(self, i: int = 0) -> list[TableRef]:
        while i < len(self.t):
            tok = self.t[i]
            if tok.kind == "punct" and tok.text == "(":
                prev = self.at(i - 1)
                self.stack.append(
                    prev is not None
                    and (prev.kind == "ident" or (prev.kind == "word" and prev.text not in _NOT_FUNCTIONS))
                )
            elif tok.kind == "punct" and tok.text == ")":
                if self.stack:
                    self.stack.pop()
            elif tok.kind == "word" and tok.text == "with":
                self.cte_names(i + 1)
            elif tok.kind == "word" and tok.text in ("from", "join") and not (self.stack and self.stack[-1]):
                j = self.relation(i + 1)
                while tok.text == "from" and self.punct(j, ","):
                    j = self.relation(j + 1)
                i = max(i + 1, j)
                continue
            i += 1
        return self.refs


def table_refs(sql: str) -> list[TableRef]:
    """Every table (or view) the query reads, in order; raises SqlError on malformed text."""
    return _Walk(tokenize(sql)).run()
