"""Table-driven tests of the IAM evaluator, written from the documented semantics (iam_research.md §4)."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest

from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import (
    Decision,
    PolicyError,
    Request,
    action_matches,
    evaluate,
    resource_matches,
)

OBJ = "arn:aws:s3:::bucket/key"
PROVIDER = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
ROLE = "arn:aws:iam::111122223333:role/dev"


def st(
    effect: str = "Allow", action: Any = "s3:GetObject", resource: Any = "*", cond: Any = None, **kw: Any
) -> dict:
    out: dict[str, Any] = {"Effect": effect}
    if "not_action" in kw:
        out["NotAction"] = kw.pop("not_action")
    elif action is not None:
        out["Action"] = action
    if "not_resource" in kw:
        out["NotResource"] = kw.pop("not_resource")
    elif resource is not None:
        out["Resource"] = resource
    if cond is not None:
        out["Condition"] = cond
    for k, v in kw.items():
        out[{"principal": "Principal", "not_principal": "NotPrincipal", "sid": "Sid"}[k]] = v
    return out


def doc(*statements: dict, version: str = "2012-10-17") -> dict:
    return {"Version": version, "Statement": list(statements)}


@dataclass
class Case:
    name: str
    expected: str
    identity: list[dict] = field(default_factory=list)
    resource: list[dict] = field(default_factory=list)
    scps: list[dict] = field(default_factory=list)
    action: str = "s3:GetObject"
    res: str | None = OBJ
    principal: dict | None = None
    ctx: dict = field(default_factory=dict)
    error: bool = False


def c(name: str, expected: str, cond: Any = None, ctx: dict | None = None, **kw: Any) -> Case:
    """A single-Allow identity-policy case with the given condition block."""
    if "identity" not in kw and "resource" not in kw and "scps" not in kw:
        kw["identity"] = [doc(st(cond=cond))]
    return Case(name, expected, ctx=ctx or {}, **kw)


A, D = "allowed", "implicit-deny"
XD = "explicit-deny"
TRUST3 = doc(
    st(
        action="sts:AssumeRoleWithWebIdentity",
        resource=None,
        principal={"Federated": PROVIDER},
        cond={
            "StringEquals": {"idp.example.com:aud": "client-1"},
            "StringLike": {"idp.example.com:sub": "user-*"},
            "ForAnyValue:StringEquals": {"idp.example.com:amr": "mfa"},
        },
    )
)
TRUST_CTX = {
    "idp.example.com:aud": "client-1",
    "idp.example.com:sub": "user-7",
    "idp.example.com:amr": ["pwd", "mfa"],
}

CASES: list[Case] = [
    # ---- String operators
    c("StringEquals match", A, {"StringEquals": {"aws:username": "alice"}}, {"aws:username": "alice"}),
    c("StringEquals mismatch", D, {"StringEquals": {"aws:username": "alice"}}, {"aws:username": "bob"}),
    c(
        "StringEquals value is case-sensitive",
        D,
        {"StringEquals": {"aws:username": "Alice"}},
        {"aws:username": "alice"},
    ),
    c(
        "key names are case-insensitive",
        A,
        {"StringEquals": {"AWS:UserName": "alice"}},
        {"aws:USERNAME": "alice"},
    ),
    c("StringEquals missing key is false", D, {"StringEquals": {"aws:username": "alice"}}, {}),
    c("values OR", A, {"StringEquals": {"aws:username": ["bob", "alice"]}}, {"aws:username": "alice"}),
    c("StringEquals wildcard is literal", D, {"StringEquals": {"k": "a*"}}, {"k": "abc"}),
    c("StringEquals literal star", A, {"StringEquals": {"k": "a*"}}, {"k": "a*"}),
    c("StringEquals empty string", A, {"StringEquals": {"k": ""}}, {"k": ""}),
    c("StringNotEquals matching value", D, {"StringNotEquals": {"k": "a"}}, {"k": "a"}),
    c("StringNotEquals other value", A, {"StringNotEquals": {"k": "a"}}, {"k": "b"}),
    c("StringNotEquals missing key is true", A, {"StringNotEquals": {"k": "a"}}, {}),
    c("StringNotEquals values AND", D, {"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}),
    c("StringEqualsIgnoreCase", A, {"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}),
    c("StringNotEqualsIgnoreCase", D, {"StringNotEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}),
    c("StringLike star", A, {"StringLike": {"k": "user-*"}}, {"k": "user-1"}),
    c("StringLike star crosses colon and slash", A, {"StringLike": {"k": "a*z"}}, {"k": "a:b/c:z"}),
    c("StringLike question mark is one char", D, {"StringLike": {"k": "a?c"}}, {"k": "abbc"}),
    c("StringLike question mark", A, {"StringLike": {"k": "a?c"}}, {"k": "abc"}),
    c("StringLike star matches empty", A, {"StringLike": {"k": "*"}}, {"k": ""}),
    c("StringLike is case-sensitive", D, {"StringLike": {"k": "User-*"}}, {"k": "user-1"}),
    c("StringNotLike matching", D, {"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "b1"}),
    c("StringNotLike none matching", A, {"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "c1"}),
    c("StringNotLike missing key", A, {"StringNotLike": {"k": "a*"}}, {}),
    c("plain operator on multi-valued key: any", A, {"StringEquals": {"k": "b"}}, {"k": ["a", "b"]}),
    # ---- IfExists
    c("IfExists missing key is true", A, {"StringEqualsIfExists": {"k": "a"}}, {}),
    c("IfExists present mismatch", D, {"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}),
    c("BoolIfExists missing", A, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}),
    c("DateLessThanIfExists missing", A, {"DateLessThanIfExists": {"aws:CurrentTime": "2020-01-01"}}, {}),
    Case(
        "Deny + StringNotEqualsIfExists with missing key denies",
        XD,
        identity=[
            doc(st(), st("Deny", cond={"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}))
        ],
    ),
    # ---- Arn
    c(
        "ArnLike account wildcard",
        A,
        {"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:role/dev"}},
        {"aws:SourceArn": ROLE},
    ),
    c(
        "ArnLike resource part crosses slash",
        A,
        {"ArnLike": {"a": "arn:aws:iam::*:role/*"}},
        {"a": ROLE + "/x/y"},
    ),
    c(
        "ArnLike star does not cross colon",
        D,
        {"ArnLike": {"a": "arn:aws:iam::*:role/x"}},
        {"a": "arn:aws:iam::1:2:role/x"},
    ),
    c(
        "StringLike star does cross colon",
        A,
        {"StringLike": {"a": "arn:aws:iam::*:role/x"}},
        {"a": "arn:aws:iam::1:2:role/x"},
    ),
    c("ArnEquals behaves like ArnLike", A, {"ArnEquals": {"a": "arn:aws:iam::*:role/dev"}}, {"a": ROLE}),
    c("ArnNotLike matching", D, {"ArnNotLike": {"a": "arn:aws:iam::*:role/*"}}, {"a": ROLE}),
    c("ArnNotLike missing", A, {"ArnNotLike": {"a": "arn:aws:iam::*:role/*"}}, {}),
    c("ArnLike on a non-ARN value", D, {"ArnLike": {"a": "arn:aws:iam::*:role/*"}}, {"a": "role/dev"}),
    c("ArnLike with a non-ARN pattern never matches", D, {"ArnLike": {"a": "arn:aws:*"}}, {"a": ROLE}),
    # ---- Numeric
    c("NumericLessThan true", A, {"NumericLessThan": {"n": "10"}}, {"n": "5"}),
    c("NumericLessThan boundary", D, {"NumericLessThan": {"n": 10}}, {"n": 10}),
    c("NumericLessThanEquals boundary", A, {"NumericLessThanEquals": {"n": "10"}}, {"n": 10}),
    c("NumericGreaterThan", A, {"NumericGreaterThan": {"n": "10"}}, {"n": "10.5"}),
    c("NumericGreaterThanEquals false", D, {"NumericGreaterThanEquals": {"n": "10"}}, {"n": "9"}),
    c("NumericEquals 1.0 == 1", A, {"NumericEquals": {"n": "1.0"}}, {"n": 1}),
    c("NumericNotEquals", A, {"NumericNotEquals": {"n": "1"}}, {"n": 2}),
    c("NumericNotEquals missing key is true", A, {"NumericNotEquals": {"n": "1"}}, {}),
    c("Numeric non-numeric request value", D, {"NumericEquals": {"n": "1"}}, {"n": "one"}),
    c("Numeric Python-only spelling is not a number", D, {"NumericEquals": {"n": "1000"}}, {"n": "1_000"}),
    c("Numeric bad policy value is an error", D, {"NumericEquals": {"n": "x"}}, {"n": "1"}, error=True),
    # ---- Date
    c(
        "DateGreaterThan ISO",
        A,
        {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        {"aws:CurrentTime": "2021-06-01T00:00:00Z"},
    ),
    c(
        "DateLessThan epoch request",
        A,
        {"DateLessThan": {"aws:EpochTime": "2021-01-01"}},
        {"aws:EpochTime": 1600000000},
    ),
    c(
        "DateEquals with offsets",
        A,
        {"DateEquals": {"t": "2020-01-01T02:00:00+02:00"}},
        {"t": "2020-01-01T00:00:00Z"},
    ),
    c(
        "DateNotEquals",
        D,
        {"DateNotEquals": {"t": "2020-01-01T00:00:00Z"}},
        {"t": "2020-01-01T00:00:00+00:00"},
    ),
    c("Date unparseable request", D, {"DateGreaterThan": {"t": "2020-01-01"}}, {"t": "yesterday"}),
    c("DateNotEquals missing key is true", A, {"DateNotEquals": {"t": "2020-01-01"}}, {}),
    # ---- Bool, Binary, IP
    c("Bool true", A, {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}),
    c("Bool false request", D, {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}),
    c(
        "Bool JSON boolean policy value",
        A,
        {"Bool": {"aws:SecureTransport": True}},
        {"aws:SecureTransport": "true"},
    ),
    c("Bool missing", D, {"Bool": {"aws:SecureTransport": "true"}}, {}),
    c("BinaryEquals", A, {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": "QmluYXJ5VmFsdWU="}),
    c("BinaryEquals mismatch", D, {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": "T3RoZXI="}),
    c(
        "IpAddress in CIDR",
        A,
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.5"},
    ),
    c(
        "IpAddress outside",
        D,
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
    ),
    c("IpAddress IPv6", A, {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}),
    c("NotIpAddress missing key", A, {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}),
    c(
        "IpAddress bad CIDR is an error",
        D,
        {"IpAddress": {"aws:SourceIp": "300.1.1.1/8"}},
        {"aws:SourceIp": "1.1.1.1"},
        error=True,
    ),
    Case(
        "Deny NotIpAddress outside the range",
        XD,
        identity=[doc(st(), st("Deny", action="*", cond={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
        ctx={"aws:SourceIp": "192.0.2.1"},
    ),
    # ---- Null
    c("Null true, key missing", A, {"Null": {"k": "true"}}, {}),
    c("Null true, key present", D, {"Null": {"k": "true"}}, {"k": "v"}),
    c("Null false, key present", A, {"Null": {"k": "false"}}, {"k": "v"}),
    c("Null false, key missing", D, {"Null": {"k": "false"}}, {}),
    c("Null with IfExists is an error", D, {"NullIfExists": {"k": "true"}}, {}, error=True),
    # ---- set operators
    c("ForAnyValue multi match", A, {"ForAnyValue:StringEquals": {"k": "b"}}, {"k": ["a", "b"]}),
    c("ForAnyValue multi no match", D, {"ForAnyValue:StringEquals": {"k": "c"}}, {"k": ["a", "b"]}),
    c("ForAnyValue missing is false", D, {"ForAnyValue:StringEquals": {"k": "c"}}, {}),
    c("ForAnyValue empty is false", D, {"ForAnyValue:StringEquals": {"k": "c"}}, {"k": []}),
    c("ForAnyValue single value", A, {"ForAnyValue:StringEquals": {"k": "b"}}, {"k": "b"}),
    # issue 16: ForAnyValue over an empty set is false, IfExists or not (the live service denies)
    c("ForAnyValue IfExists missing", D, {"ForAnyValue:StringEqualsIfExists": {"k": "b"}}, {}),
    c("ForAnyValue IfExists empty", D, {"ForAnyValue:StringEqualsIfExists": {"k": "b"}}, {"k": []}),
    c("ForAllValues subset", A, {"ForAllValues:StringEquals": {"k": ["a", "b", "c"]}}, {"k": ["a", "b"]}),
    c("ForAllValues not subset", D, {"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a", "x"]}),
    c("ForAllValues missing is true", A, {"ForAllValues:StringEquals": {"k": "a"}}, {}),
    c("ForAllValues empty is true", A, {"ForAllValues:StringEquals": {"k": "a"}}, {"k": []}),
    c(
        "ForAllValues single value as one-element set",
        A,
        {"ForAllValues:StringEquals": {"k": ["a", "b"]}},
        {"k": "a"},
    ),
    c(
        "ForAnyValue:StringNotEquals some other",
        A,
        {"ForAnyValue:StringNotEquals": {"k": "a"}},
        {"k": ["a", "b"]},
    ),
    c("ForAnyValue:StringNotEquals all listed", D, {"ForAnyValue:StringNotEquals": {"k": "a"}}, {"k": ["a"]}),
    c(
        "ForAnyValue:StringNotEquals missing key is false (set rule beats negation)",
        D,
        {"ForAnyValue:StringNotEquals": {"k": "a"}},
        {},
    ),
    c("ForAllValues:StringNotLike missing key is true", A, {"ForAllValues:StringNotLike": {"k": "a*"}}, {}),
    c(
        "ForAllValues:StringNotEquals none listed",
        A,
        {"ForAllValues:StringNotEquals": {"k": "a"}},
        {"k": ["x", "y"]},
    ),
    c(
        "ForAllValues:StringNotEquals one listed",
        D,
        {"ForAllValues:StringNotEquals": {"k": "a"}},
        {"k": ["a", "x"]},
    ),
    c(
        "ForAnyValue:StringLike cognito amr",
        A,
        {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}},
        {"cognito-identity.amazonaws.com:amr": ["authenticated", "cognito-idp.us-east-1.amazonaws.com/pool"]},
    ),
    c(
        "ForAnyValue:StringLike cognito unauthenticated",
        D,
        {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}},
        {"cognito-identity.amazonaws.com:amr": ["unauthenticated"]},
    ),
    # ---- combining, errors
    c("keys AND: one fails", D, {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}),
    c(
        "operators AND: all pass",
        A,
        {"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}},
        {"a": "1", "b": "xy"},
    ),
    c("unknown operator is an error", D, {"StringEqualz": {"a": "1"}}, {"a": "1"}, error=True),
    c("condition not an object is an error", D, ["StringEquals"], {}, error=True),
    c("condition value object is an error", D, {"StringEquals": {"a": {"x": 1}}}, {"a": "1"}, error=True),
    # ---- action / resource / deny precedence
    Case("deny wins over allow", XD, identity=[doc(st(), st("Deny"))]),
    Case(
        "deny with unmet condition",
        A,
        identity=[doc(st(), st("Deny", cond={"Bool": {"aws:SecureTransport": "false"}}))],
        ctx={"aws:SecureTransport": "true"},
    ),
    Case(
        "resource-policy deny beats identity allow",
        XD,
        identity=[doc(st())],
        resource=[doc(st("Deny", principal="*"))],
        principal={"AWS": ROLE},
    ),
    Case(
        "resource-policy allow alone (same account)",
        A,
        resource=[doc(st(principal={"AWS": ROLE}))],
        principal={"AWS": ROLE},
    ),
    Case("no policy at all", D),
    Case("NotAction Allow allows others", A, identity=[doc(st(not_action="iam:*"))]),
    Case(
        "NotAction Allow excludes listed", D, identity=[doc(st(not_action="iam:*"))], action="iam:CreateUser"
    ),
    Case(
        "NotAction Deny denies others",
        XD,
        identity=[doc(st(action="*"), st("Deny", not_action="s3:*"))],
        action="ec2:RunInstances",
    ),
    Case("NotAction Deny spares listed", A, identity=[doc(st(action="*"), st("Deny", not_action="s3:*"))]),
    Case("NotResource allows others", A, identity=[doc(st(not_resource="arn:aws:s3:::secret/*"))]),
    Case(
        "NotResource excludes listed",
        D,
        identity=[doc(st(not_resource="arn:aws:s3:::secret/*"))],
        res="arn:aws:s3:::secret/x",
    ),
    Case("action wildcard and case", A, identity=[doc(st(action="S3:get*"))], action="s3:GetObject"),
    Case("action question mark", A, identity=[doc(st(action="s3:?etObject"))]),
    Case("action other service", D, identity=[doc(st(action="s3:Get*"))], action="ec2:GetConsoleOutput"),
    Case(
        "resource prefix wildcard", A, identity=[doc(st(resource="arn:aws:s3:::bucket/*"))], res=OBJ + "/a/b"
    ),
    Case("resource is case-sensitive", D, identity=[doc(st(resource="arn:aws:s3:::Bucket/*"))]),
    # "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
    # colon boundaries" (IAM user guide, Resource element); a * inside a segment stays in it.
    Case("resource: segment-final * crosses colons", A, identity=[doc(st(resource="arn:aws:s3:*"))]),
    Case(
        "resource: account-segment-final * crosses colons",
        A,
        identity=[doc(st(resource="arn:aws:iam::1*:role/dev"))],
        res="arn:aws:iam::1:2:3:role/dev",
    ),
    Case(
        "resource: * inside a segment does not cross colons",
        D,
        identity=[doc(st(resource="arn:aws:iam::*3:role/dev"))],
        res="arn:aws:iam::1:2:3:role/dev",
    ),
    Case("resource: short ARN without a final * never matches", D, identity=[doc(st(resource="arn:aws:s3"))]),
    Case(
        "bedrock model id with colon",
        A,
        identity=[doc(st(action="bedrock:InvokeModel", resource="arn:aws:bedrock:*::foundation-model/*"))],
        action="bedrock:InvokeModel",
        res="arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    Case(
        "foundation-model pattern does not match a profile ARN",
        D,
        identity=[doc(st(action="bedrock:InvokeModel", resource="arn:aws:bedrock:*::foundation-model/*"))],
        action="bedrock:InvokeModel",
        res="arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-x",
    ),
    # ---- principals
    Case(
        "trust: federated principal, conditions met",
        A,
        resource=[TRUST3],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: other provider",
        D,
        resource=[TRUST3],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/other"},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: wrong action",
        D,
        resource=[TRUST3],
        action="sts:AssumeRole",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: AWS * does not admit OIDC",
        D,
        resource=[doc(st(action="sts:AssumeRoleWithWebIdentity", resource=None, principal={"AWS": "*"}))],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
    ),
    Case(
        "Principal * admits anyone",
        A,
        resource=[doc(st(action="sts:AssumeRoleWithWebIdentity", resource=None, principal="*"))],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
    ),
    Case(
        "account principal admits its roles",
        A,
        resource=[doc(st(principal={"AWS": "111122223333"}))],
        principal={"AWS": ROLE},
    ),
    Case(
        "root principal of another account",
        D,
        resource=[doc(st(principal={"AWS": "arn:aws:iam::999999999999:root"}))],
        principal={"AWS": ROLE},
    ),
    Case(
        "service principal",
        A,
        resource=[
            doc(st(action="sts:AssumeRole", resource=None, principal={"Service": "sso.amazonaws.com"}))
        ],
        action="sts:AssumeRole",
        res=None,
        principal={"Service": "sso.amazonaws.com"},
    ),
    Case(
        "NotPrincipal deny spares admin",
        A,
        resource=[
            doc(st(principal="*"), st("Deny", not_principal={"AWS": "arn:aws:iam::111122223333:role/admin"}))
        ],
        principal={"AWS": "arn:aws:iam::111122223333:role/admin"},
    ),
    Case(
        "NotPrincipal deny hits others",
        XD,
        resource=[
            doc(st(principal="*"), st("Deny", not_principal={"AWS": "arn:aws:iam::111122223333:role/admin"}))
        ],
        principal={"AWS": ROLE},
    ),
    # ---- web-identity trust shapes (keys are the provider URL without https://, path and slash kept)
    Case(
        "trust: key with path and trailing slash",
        A,
        resource=[
            doc(
                st(
                    action="sts:AssumeRoleWithWebIdentity",
                    resource=None,
                    principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/auth.example.com/"},
                    cond={"StringEquals": {"auth.example.com/:aud": "c1"}},
                )
            )
        ],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/auth.example.com/"},
        ctx={"auth.example.com/:aud": "c1"},
    ),
    Case(
        "trust: key without the slash is another key",
        D,
        resource=[
            doc(
                st(
                    action="sts:AssumeRoleWithWebIdentity",
                    resource=None,
                    principal="*",
                    cond={"StringEquals": {"auth.example.com:aud": "c1"}},
                )
            )
        ],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
        ctx={"auth.example.com/:aud": "c1"},
    ),
    Case(
        "trust: deny on sub pattern beats the allow",
        XD,
        resource=[
            TRUST3,
            doc(
                st(
                    "Deny",
                    action="sts:*",
                    resource=None,
                    principal="*",
                    cond={"StringLike": {"idp.example.com:sub": "user-7*"}},
                )
            ),
        ],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: TagSession from another provider",
        D,
        resource=[TRUST3],
        action="sts:TagSession",
        res=None,
        principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/other"},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: TagSession listed with AssumeRoleWithWebIdentity",
        A,
        resource=[
            doc(
                st(
                    action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                    resource=None,
                    principal={"Federated": PROVIDER},
                    cond={"StringEquals": {"idp.example.com:aud": "client-1"}},
                )
            )
        ],
        action="sts:TagSession",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: TagSession not listed in Action",
        D,
        resource=[TRUST3],
        action="sts:TagSession",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    Case(
        "trust: one statement per IdP, second matches",
        A,
        resource=[
            doc(
                st(
                    action="sts:AssumeRoleWithWebIdentity",
                    resource=None,
                    principal={"Federated": "accounts.google.com"},
                    cond={"StringEquals": {"accounts.google.com:aud": "g"}},
                ),
                st(
                    action="sts:AssumeRoleWithWebIdentity",
                    resource=None,
                    principal={"Federated": PROVIDER},
                    cond={"StringEquals": {"idp.example.com:aud": "client-1"}},
                ),
            )
        ],
        action="sts:AssumeRoleWithWebIdentity",
        res=None,
        principal={"Federated": PROVIDER},
        ctx=TRUST_CTX,
    ),
    # ---- SCPs
    Case(
        "SCP deny wins",
        "scp-explicit-deny",
        identity=[doc(st())],
        scps=[doc(st(action="*")), doc(st("Deny", action="s3:*"))],
    ),
    Case(
        "SCP without allow", "scp-implicit-deny", identity=[doc(st())], scps=[doc(st("Deny", action="ec2:*"))]
    ),
    Case("SCP allow + identity allow", A, identity=[doc(st())], scps=[doc(st(action="*"))]),
    Case("SCP allow alone grants nothing", D, scps=[doc(st(action="*"))]),
    Case(
        "SCP region guardrail",
        "scp-explicit-deny",
        identity=[doc(st())],
        scps=[
            doc(st(action="*")),
            doc(st("Deny", action="*", cond={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}})),
        ],
        ctx={"aws:RequestedRegion": "us-west-2"},
    ),
    # ---- policy variables
    Case(
        "variable in Resource",
        A,
        identity=[doc(st(resource="arn:aws:s3:::bucket/${aws:username}/*"))],
        res="arn:aws:s3:::bucket/alice/f",
        ctx={"aws:username": "alice"},
    ),
    Case(
        "variable in Resource, other user",
        D,
        identity=[doc(st(resource="arn:aws:s3:::bucket/${aws:username}/*"))],
        res="arn:aws:s3:::bucket/bob/f",
        ctx={"aws:username": "alice"},
    ),
    Case(
        "variable missing",
        D,
        identity=[doc(st(resource="arn:aws:s3:::bucket/${aws:username}/*"))],
        res="arn:aws:s3:::bucket/alice/f",
    ),
    Case(
        "variable default",
        A,
        identity=[doc(st(resource="arn:aws:s3:::bucket/${aws:username, 'anon'}/*"))],
        res="arn:aws:s3:::bucket/anon/f",
    ),
    c(
        "variable in condition",
        A,
        {"StringEquals": {"s3:prefix": "home/${aws:username}/"}},
        {"s3:prefix": "home/alice/", "aws:username": "alice"},
    ),
    c(
        "substituted text is literal in StringLike",
        D,
        {"StringLike": {"k": "${aws:username}"}},
        {"k": "anything", "aws:username": "*"},
    ),
    c("${*} escape is a literal star", D, {"StringLike": {"k": "a${*}b"}}, {"k": "axb"}),
    c("${*} escape matches a star", A, {"StringLike": {"k": "a${*}b"}}, {"k": "a*b"}),
    Case(
        "Version 2008: no variables",
        D,
        identity=[doc(st(cond={"StringEquals": {"k": "${aws:username}"}}), version="2008-10-17")],
        ctx={"k": "alice", "aws:username": "alice"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[x.name for x in CASES])
def test_table(case: Case) -> None:
    req = Request(case.action, case.res, case.principal, case.ctx)
    dec = evaluate(
        req,
        identity=[parse_policy(d, name=f"id{i}") for i, d in enumerate(case.identity)],
        resource=[parse_policy(d, name=f"res{i}") for i, d in enumerate(case.resource)],
        scps=[parse_policy(d, name=f"scp{i}") for i, d in enumerate(case.scps)],
    )
    assert dec.reason == case.expected, dec.explain()
    assert dec.allowed == (case.expected == "allowed")
    assert bool(dec.errors) == case.error, dec.errors


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 60
    ops = json.dumps([x.identity + x.resource + x.scps for x in CASES])
    for family in (
        "String",
        "Arn",
        "Numeric",
        "Date",
        "Bool",
        "Binary",
        "IpAddress",
        "Null",
        "ForAnyValue",
        "ForAllValues",
        "IfExists",
        "NotAction",
        "NotResource",
        "NotPrincipal",
    ):
        assert family in ops, family


# ---- traces and explanations -----------------------------------------------------------------------


def test_trace_of_failed_trust_condition() -> None:
    ctx = dict(TRUST_CTX, **{"idp.example.com:aud": "client-2"})
    dec = evaluate(
        Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": PROVIDER}, ctx),
        resource=[parse_policy(TRUST3, name="trust")],
    )
    assert dec.reason == "implicit-deny" and dec.deciding == []
    (t,) = dec.traces
    assert (t.policy, t.index, t.effect, t.action_matched, t.principal_matched, t.applies) == (
        "trust",
        0,
        "Allow",
        True,
        True,
        False,
    )
    failed = t.failed_conditions()
    assert [(f.operator, f.key, f.expected, f.actual) for f in failed] == [
        ("StringEquals", "idp.example.com:aud", ["client-1"], "client-2")
    ]
    as_json = json.loads(json.dumps(dec.to_dict(all_traces=True)))
    assert (
        as_json["reason"] == "implicit-deny" and as_json["traces"][0]["conditions"][0]["actual"] == "client-2"
    )
    text = "\n".join(dec.explain())
    assert "idp.example.com:aud" in text and "client-1" in text and "client-2" in text


def test_deciding_lists_the_denies() -> None:
    pol = parse_policy(doc(st(sid="A"), st("Deny", sid="D1"), st("Deny", sid="D2", action="ec2:*")), name="p")
    dec = evaluate(Request("s3:GetObject", OBJ), identity=[pol])
    assert [t.sid for t in dec.deciding] == ["D1"]
    assert any("Sid D1" in line for line in dec.explain())


def test_error_statement_reported_in_explain() -> None:
    pol = parse_policy(doc(st(cond={"Nope": {"k": "v"}})), name="bad")
    dec = evaluate(Request("s3:GetObject", OBJ), identity=[pol])
    assert dec.errors and "unknown condition operator 'Nope'" in dec.errors[0]
    assert any(line.startswith("error:") for line in dec.explain())
    assert pol.errors == dec.errors
    # an erroring statement that could not have applied (other action) is not a decision error
    assert evaluate(Request("ec2:RunInstances", OBJ), identity=[pol]).errors == []


# ---- parsing -------------------------------------------------------------------------------------


TRUST_DOC = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
    },
}


def _allows(pol: Any) -> bool:
    req = Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": PROVIDER})
    return evaluate(req, resource=[pol]).allowed


def test_parse_get_role_output_url_encoded() -> None:
    enc = urllib.parse.quote(json.dumps(TRUST_DOC))
    out = {"Role": {"RoleName": "r", "Arn": ROLE, "AssumeRolePolicyDocument": enc}}
    assert _allows(parse_policy(json.dumps(out)))
    assert _allows(parse_policy(enc.encode()))


def test_parse_get_role_output_decoded_and_other_shapes() -> None:
    assert _allows(parse_policy({"Role": {"AssumeRolePolicyDocument": TRUST_DOC}}))
    assert _allows(parse_policy({"RoleName": "r", "PolicyName": "p", "PolicyDocument": TRUST_DOC}))
    assert _allows(parse_policy({"PolicyVersion": {"VersionId": "v1", "Document": json.dumps(TRUST_DOC)}}))
    assert _allows(parse_policy(b"\xef\xbb\xbf" + json.dumps(TRUST_DOC).encode()))
    import datetime

    assert parse_policy(dict(TRUST_DOC, Version=datetime.date(2012, 10, 17))).version == "2012-10-17"


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("", "empty"),
        ("{", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Statement": "x"}, "Statement must be"),
        ({"Statement": [{"Effect": "allow", "Action": "*"}]}, "Effect must be"),
        ({"Statement": [{"Effect": "Allow"}]}, "neither Action nor NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "x"}]}, "both Action and NotAction"),
        ({"Statement": [{"Effect": "Allow", "Actions": "*"}]}, "unknown element 'Actions'"),
        ({"Statement": [{"Effect": "Allow", "Action": 3}]}, "Action must be"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"Bogus": "x"}}]},
            "unknown principal",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "me"}]}, "Principal must be"),
        ({"Version": "2020-01-01", "Statement": []}, "unsupported Version"),
    ],
)
def test_parse_errors_are_one_line_policy_errors(bad: Any, needle: str) -> None:
    with pytest.raises(PolicyError) as ei:
        parse_policy(bad, name="x.json")
    msg = str(ei.value)
    assert needle in msg and "\n" not in msg and msg.startswith("x.json")


def test_helpers() -> None:
    assert action_matches("bedrock:Invoke*", "BEDROCK:InvokeModelWithResponseStream")
    assert not action_matches("bedrock:Invoke*", "bedrock:ListFoundationModels")
    assert resource_matches(
        "arn:aws:bedrock:*:*:inference-profile/*",
        "arn:aws:bedrock:us-west-2:111122223333:inference-profile/us.anthropic.x-v1:0",
    )
    assert not resource_matches(
        "arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:us-west-2:111122223333:foundation-model/x"
    )
    assert resource_matches("arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:::foundation-model/x")
    assert resource_matches("arn:aws:bedrock:*", "arn:aws:bedrock:us-east-1::foundation-model/x")
    assert not resource_matches("arn:aws:bedrock", "arn:aws:bedrock:us-east-1::foundation-model/x")
    assert resource_matches(
        "arn:aws:bedrock:us-*:*:inference-profile/*",
        "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.x",
    )
    assert resource_matches("*", "anything") and resource_matches("bucket-*", "bucket-1")
    assert isinstance(evaluate(Request("x:y")), Decision)
