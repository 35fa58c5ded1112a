"""The IAM condition operators: one matcher builder per family (String, Arn, Numeric, Date, Bool,
Binary, IpAddress) and the table ``OPERATORS`` of base operator name -> spec (negated, wildcards);
``conditions`` adds the set qualifiers, IfExists and Null on top.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

from ccwb_doctor.analyzers.iam.match import (
    Glob,
    GlobSet,
    Piece,
    arn_tokens,
    compile_globs,
)
from ccwb_doctor.records import record

Matcher = Callable[[str], bool]
Builder = Callable[[list[tuple[Piece, ...]]], tuple[Matcher, str]]  # -> (matcher, note)


def _text(pieces: tuple[Piece, ...]) -> str:
    return "".join(p[1] for p in pieces)


# ---- positive matchers, one builder per family -------------------------------------------------


def _b_string_equals(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    s = frozenset(_text(v) for v in vals)
    return s.__contains__, ""


def _b_string_equals_ic(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    s = frozenset(_text(v).casefold() for v in vals)
    return (lambda x: x.casefold() in s), ""


def _b_string_like(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    if all(len(v) <= 1 and (not v or v[0][0] == "lit") for v in vals):
        return _b_string_equals(vals)
    gs = compile_globs(vals)
    if gs is None:
        return (lambda x: False), ""
    return gs.match, ""


def _b_arn(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    globs: list[Glob] = []
    bad: list[str] = []
    for v in vals:
        toks = arn_tokens(v)
        (globs.append(Glob(toks)) if toks is not None else bad.append(_text(v)))
    note = f"not an ARN pattern (never matches): {', '.join(bad)}" if bad else ""
    if not globs:
        return (lambda x: False), note
    gs = GlobSet(globs)
    return (lambda x: x.count(":") >= 5 and gs.match(x)), note


_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _parse_number(s: str) -> float | None:
    """A decimal number (integer, decimal, exponent); Python-only spellings such as ``1_000``, ``inf``
    or ``nan`` are not numbers to IAM."""
    t = s.strip()
    if not _NUMBER.match(t):
        return None
    f = float(t)
    return f if math.isfinite(f) else None


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(s: str) -> float | None:
    """ISO 8601 (``2026-01-02``, ``2026-01-02T03:04:05Z``, offsets) or epoch seconds -> epoch float."""
    s = s.strip()
    if not s:
        return None
    num = _parse_number(s)
    if num is not None and not _DATE_ONLY.match(s):
        return num
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _ordered(parse: Callable[[str], float | None], cmp: Callable[[float, float], bool], what: str) -> Builder:
    def build(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
        nums: list[float] = []
        for v in vals:
            n = parse(_text(v))
            if n is None:
                raise ValueError(f"policy value {_text(v)!r} is not a valid {what}")
            nums.append(n)

        def match(x: str) -> bool:
            got = parse(x)
            return got is not None and any(cmp(got, n) for n in nums)

        return match, ""

    return build


def _b_bool(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    s = set()
    for v in vals:
        t = _text(v).lower()
        if t not in ("true", "false"):
            raise ValueError(f"Bool value {_text(v)!r} is not true/false")
        s.add(t)
    return (lambda x: x.lower() in s), ""


def _b_binary(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    def decode(t: str) -> bytes | str:
        try:
            return base64.b64decode(t, validate=True)
        except (binascii.Error, ValueError):
            return t

    s = {decode(_text(v)) for v in vals}
    return (lambda x: decode(x) in s), ""


def _b_ip(vals: list[tuple[Piece, ...]]) -> tuple[Matcher, str]:
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for v in vals:
        try:
            nets.append(ipaddress.ip_network(_text(v).strip(), strict=False))
        except ValueError:
            raise ValueError(f"IP value {_text(v)!r} is not an address or CIDR") from None

    def match(x: str) -> bool:
        try:
            ip = ipaddress.ip_address(x.strip())
        except ValueError:
            return False
        return any(ip.version == n.version and ip in n for n in nets)

    return match, ""


@record(frozen=True, slots=True)
class OpSpec:
    canonical: str
    builder: Builder
    negated: bool = False
    wildcards: bool = False


def _spec_table() -> dict[str, OpSpec]:
    t: dict[str, OpSpec] = {}

    def add(name: str, builder: Builder, negated: bool = False, wildcards: bool = False) -> None:
        t[name.lower()] = OpSpec(name, builder, negated, wildcards)

    add("StringEquals", _b_string_equals)
    add("StringNotEquals", _b_string_equals, True)
    add("StringEqualsIgnoreCase", _b_string_equals_ic)
    add("StringNotEqualsIgnoreCase", _b_string_equals_ic, True)
    add("StringLike", _b_string_like, wildcards=True)
    add("StringNotLike", _b_string_like, True, wildcards=True)
    add("ArnEquals", _b_arn, wildcards=True)
    add("ArnLike", _b_arn, wildcards=True)
    add("ArnNotEquals", _b_arn, True, wildcards=True)
    add("ArnNotLike", _b_arn, True, wildcards=True)
    eq = float.__eq__
    for pre, parse, what in (("Numeric", _parse_number, "number"), ("Date", parse_date, "date")):
        add(f"{pre}Equals", _ordered(parse, eq, what))
        add(f"{pre}NotEquals", _ordered(parse, eq, what), True)
        add(f"{pre}LessThan", _ordered(parse, float.__lt__, what))
        add(f"{pre}LessThanEquals", _ordered(parse, float.__le__, what))
        add(f"{pre}GreaterThan", _ordered(parse, float.__gt__, what))
        add(f"{pre}GreaterThanEquals", _ordered(parse, float.__ge__, what))
    add("Bool", _b_bool)
    add("BinaryEquals", _b_binary)
    add("IpAddress", _b_ip)
    add("NotIpAddress", _b_ip, True)
    return t


OPERATORS: dict[str, OpSpec] = _spec_table()
"""Lower-cased base operator name (no set qualifier, no IfExists) -> spec. ``Null`` is separate."""
