"""CloudFormation loading and intrinsic resolution (ccwb_doctor.analyzers.cfn.template) over small templates
written here in the shapes of anchor_study.md §3 (our own copies, not the guidance's files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.cfn.template import TemplateError, Unresolved, load_template, load_template_text
from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import Request, evaluate

OKTA = """\
AWSTemplateFormatVersion: '2010-09-09'
Description: okta-style auth stack
Parameters:
  OktaDomain:
    Type: String
    AllowedPattern: '^[a-z0-9.-]+$'
  OktaClientId:
    Type: String
  FederationType:
    Type: String
    Default: direct
    AllowedValues: [direct, cognito]
  FederatedRoleName:
    Type: String
    Default: BedrockOktaFederatedRole
  AllowedBedrockRegions:
    Type: CommaDelimitedList
    Default: us-east-1,us-west-2
  EnableMonitoring:
    Type: String
    Default: 'true'
Conditions:
  UseDirectIAM: !Equals [!Ref FederationType, direct]
  UseCognito: !Not [!Condition UseDirectIAM]
  Monitoring: !And [!Condition UseDirectIAM, !Equals [!Ref EnableMonitoring, 'true']]
Resources:
  OktaOIDCProvider:
    Type: AWS::IAM::OIDCProvider
    Condition: UseDirectIAM
    Properties:
      Url: !Sub 'https://${OktaDomain}'
      ClientIdList: [!Ref OktaClientId]
      ThumbprintList: [9e99a48a9960b14926bb7f3b02e22da2b0ab7280]
  DirectIAMRole:
    Type: AWS::IAM::Role
    Condition: UseDirectIAM
    Properties:
      RoleName: !Ref FederatedRoleName
      MaxSessionDuration: 43200
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal:
              Federated: !GetAtt OktaOIDCProvider.Arn
            Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']
      ManagedPolicyArns:
        - !Ref BedrockAccessPolicy
        - !Sub 'arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess'
  BedrockAccessPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: AllowBedrockInvokeRegional
            Effect: Allow
            Action: [bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream]
            Resource:
              - !Sub 'arn:${AWS::Partition}:bedrock:*::foundation-model/*'
              - !Sub 'arn:${AWS::Partition}:bedrock:*:*:inference-profile/*'
            Condition:
              StringEquals:
                aws:RequestedRegion: !Ref AllowedBedrockRegions
          - Sid: AllowBedrockInvokeGlobal
            Effect: Allow
            Action: [bedrock:InvokeModel]
            Resource: !Sub 'arn:${AWS::Partition}:bedrock:::foundation-model/*'
          - !If
            - Monitoring
            - Sid: AllowCloudWatchMetrics
              Effect: Allow
              Action: cloudwatch:PutMetricData
              Resource: '*'
            - !Ref AWS::NoValue
Outputs:
  FederatedRoleArn:
    Value: !GetAtt DirectIAMRole.Arn
"""

COGNITO = """\
Parameters:
  IdentityPoolName: {Type: String, Default: claude-pool}
  ProviderUrl: {Type: String, Default: 'https://idp.example.com/oauth2/default'}
Resources:
  IdentityPool:
    Type: AWS::Cognito::IdentityPool
    Properties:
      IdentityPoolName: !Ref IdentityPoolName
      AllowUnauthenticatedIdentities: false
  CognitoAuthRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /federated/
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          Effect: Allow
          Principal: {Federated: cognito-identity.amazonaws.com}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringEquals: {'cognito-identity.amazonaws.com:aud': !Ref IdentityPool}
            ForAnyValue:StringLike: {'cognito-identity.amazonaws.com:amr': authenticated}
      Policies:
        - PolicyName: inline-bedrock
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: bedrock:InvokeModel
                Resource: !Join ['', ['arn:', !Ref 'AWS::Partition', ':bedrock:', !Ref 'AWS::Region', '::foundation-model/*']]
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref CognitoAuthRole]
      PolicyDocument:
        Statement:
          - Effect: Deny
            Action: bedrock:InvokeModel
            Resource: !Sub
              - 'arn:${AWS::Partition}:bedrock:${Other}::foundation-model/*'
              - Other: !Select [1, !Split [',', 'us-east-1,eu-west-1']]
"""

GOOGLE = """\
Parameters:
  GoogleClientId: {Type: String}
Resources:
  GoogleOIDCProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://accounts.google.com
      ClientIdList: [!Ref GoogleClientId]
  GoogleRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Federated: !GetAtt GoogleOIDCProvider.Arn}
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                accounts.google.com:aud: !Ref GoogleClientId
"""


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_okta_shape(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, OKTA), {"OktaDomain": "dev-1.okta.com", "OktaClientId": "0oa1"})
    assert tpl.missing_params == [] and tpl.param_errors == [] and tpl.unresolved == []
    (prov,) = tpl.oidc_providers()
    assert prov.url == "https://dev-1.okta.com" and prov.client_ids == ["0oa1"]
    assert prov.thumbprints == ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    assert prov.arn == "arn:aws:iam::111122223333:oidc-provider/dev-1.okta.com"
    assert prov.line == OKTA.splitlines().index("  OktaOIDCProvider:") + 1
    (role,) = tpl.roles()
    logical_id, name, trust, msd, line = role
    assert (logical_id, name, msd) == ("DirectIAMRole", "BedrockOktaFederatedRole", 43200)
    assert trust["Version"] == "2012-10-17"  # an unquoted YAML date stays a string
    assert trust["Statement"][0]["Principal"] == {"Federated": prov.arn}
    assert role.arn == "arn:aws:iam::111122223333:role/BedrockOktaFederatedRole"
    assert line == OKTA.splitlines().index("  DirectIAMRole:") + 1
    res = tpl.resources["DirectIAMRole"]
    assert (
        res.line_of("AssumeRolePolicyDocument", "Statement", 0)
        == OKTA.splitlines().index("          - Effect: Allow") + 1
    )
    (pol,) = tpl.policies_for_role("DirectIAMRole")
    assert pol.name == "BedrockAccessPolicy"
    stmts = pol.document["Statement"]
    assert [s["Sid"] for s in stmts] == [
        "AllowBedrockInvokeRegional",
        "AllowBedrockInvokeGlobal",
        "AllowCloudWatchMetrics",
    ]
    assert stmts[0]["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["us-east-1", "us-west-2"]
    assert tpl.managed_policy_arns("DirectIAMRole") == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert tpl.resolve({"Fn::GetAtt": ["DirectIAMRole", "Arn"]}) == role.arn
    assert [r.logical_id for r in tpl.resources_of_type("AWS::IAM::ManagedPolicy")] == ["BedrockAccessPolicy"]


def test_okta_shape_feeds_the_evaluator(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, OKTA), {"OktaDomain": "dev-1.okta.com", "OktaClientId": "0oa1"})
    trust = parse_policy(tpl.roles()[0].trust, name="trust")
    req = Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": tpl.oidc_providers()[0].arn})
    assert evaluate(req, resource=[trust]).allowed
    perms = [parse_policy(p.document, name=p.name) for p in tpl.policies_for_role("DirectIAMRole")]
    leg = "arn:aws:bedrock:{}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    ok = evaluate(
        Request("bedrock:InvokeModel", leg.format("us-west-2"), None, {"aws:RequestedRegion": "us-west-2"}),
        perms,
    )
    bad = evaluate(
        Request("bedrock:InvokeModel", leg.format("eu-west-1"), None, {"aws:RequestedRegion": "eu-west-1"}),
        perms,
    )
    glob = evaluate(
        Request("bedrock:InvokeModel", leg.format(""), None, {"aws:RequestedRegion": "unspecified"}), perms
    )
    assert ok.allowed and not bad.allowed and glob.allowed


def test_conditions_switch_resources(tmp_path: Path) -> None:
    params = {
        "OktaDomain": "d.okta.com",
        "OktaClientId": "c",
        "FederationType": "cognito",
        "EnableMonitoring": "true",
    }
    tpl = load_template(write(tmp_path, OKTA), params)
    assert tpl.condition_true("UseCognito") and not tpl.condition_true("Monitoring")
    assert not tpl.active("DirectIAMRole") and tpl.roles() == [] and tpl.oidc_providers() == []
    assert [r.logical_id for r in tpl.roles(include_inactive=True)] == ["DirectIAMRole"]


def test_params_reported_not_guessed(tmp_path: Path) -> None:
    tpl = load_template(
        write(tmp_path, OKTA), {"OktaDomain": "BAD_DOMAIN", "FederationType": "saml", "Nope": "1"}
    )
    assert tpl.missing_params == ["OktaClientId"]
    assert any("OktaDomain" in e and "AllowedPattern" in e for e in tpl.param_errors)
    assert any("FederationType" in e and "AllowedValues" in e for e in tpl.param_errors)
    assert any("Nope" in e for e in tpl.param_errors)
    tpl = load_template(write(tmp_path, OKTA), {"OktaDomain": "d.okta.com"})
    (prov,) = tpl.oidc_providers()
    assert prov.client_ids == ["UNRESOLVED(parameter OktaClientId)"]
    assert "parameter OktaClientId" in tpl.unresolved
    assert isinstance(tpl.resolve({"Ref": "OktaClientId"}), Unresolved)


def test_cognito_shape(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, COGNITO), region="eu-west-1", stack_name="auth")
    (role,) = tpl.roles()
    assert role.role_name == "auth-CognitoAuthRole" and role.max_session_duration is None
    assert role.arn == "arn:aws:iam::111122223333:role/federated/auth-CognitoAuthRole"
    cond = role.trust["Statement"]["Condition"]
    assert cond["StringEquals"]["cognito-identity.amazonaws.com:aud"] == "auth-IdentityPool"
    docs = {p.name: p.document for p in tpl.policies_for_role("CognitoAuthRole")}
    assert (
        docs["inline-bedrock"]["Statement"][0]["Resource"] == "arn:aws:bedrock:eu-west-1::foundation-model/*"
    )
    assert docs["extra"]["Statement"][0]["Resource"] == "arn:aws:bedrock:eu-west-1::foundation-model/*"
    trust = parse_policy(role.trust)
    ctx = {
        "cognito-identity.amazonaws.com:aud": "auth-IdentityPool",
        "cognito-identity.amazonaws.com:amr": ["authenticated"],
    }
    req = Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": "cognito-identity.amazonaws.com"}, ctx)
    assert evaluate(req, resource=[trust]).allowed


def test_google_shape_and_json_template(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, GOOGLE), {"GoogleClientId": "123.apps.googleusercontent.com"})
    (role,) = tpl.roles()
    assert role.trust["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:aud"] == (
        "123.apps.googleusercontent.com"
    )
    assert role.trust["Statement"][0]["Principal"]["Federated"].endswith(":oidc-provider/accounts.google.com")
    as_json = json.dumps(
        {
            "Parameters": {"GoogleClientId": {"Type": "String"}},
            "Resources": {
                "GoogleOIDCProvider": {
                    "Type": "AWS::IAM::OIDCProvider",
                    "Properties": {"Url": "https://accounts.google.com"},
                },
                "GoogleRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "AssumeRolePolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Federated": {"Fn::GetAtt": ["GoogleOIDCProvider", "Arn"]}},
                                    "Action": "sts:AssumeRoleWithWebIdentity",
                                }
                            ]
                        }
                    },
                },
            },
        },
        indent=2,
    )
    tpl = load_template(write(tmp_path, as_json, "t.json"), {"GoogleClientId": "x"})
    assert tpl.roles()[0].line == as_json.splitlines().index('    "GoogleRole": {') + 1


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("eu-west-1", "aws", "amazonaws.com"),
    ],
)
def test_pseudo_parameters(tmp_path: Path, region: str, partition: str, suffix: str) -> None:
    tpl = load_template(
        write(tmp_path, GOOGLE), {"GoogleClientId": "x"}, region=region, account="222233334444"
    )
    got = tpl.resolve(
        {"Fn::Sub": "${AWS::Partition}|${AWS::Region}|${AWS::AccountId}|${AWS::URLSuffix}|${AWS::StackName}"}
    )
    assert got == f"{partition}|{region}|222233334444|{suffix}|ccwb"
    assert (
        tpl.oidc_providers()[0].arn == f"arn:{partition}:iam::222233334444:oidc-provider/accounts.google.com"
    )


def test_intrinsics(tmp_path: Path) -> None:
    text = (
        GOOGLE
        + """\
Mappings:
  RegionMap:
    us-east-1: {Geo: us}
"""
    )
    tpl = load_template(write(tmp_path, text), {"GoogleClientId": "cid"})
    r = tpl.resolve
    assert r({"Fn::Sub": ["${A}-${!Literal}-${GoogleRole.Arn}", {"A": {"Ref": "GoogleClientId"}}]}) == (
        "cid-${Literal}-arn:aws:iam::111122223333:role/ccwb-GoogleRole"
    )
    assert r({"Fn::Join": [":", ["a", {"Ref": "AWS::Region"}]]}) == "a:us-east-1"
    assert r({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert r({"Fn::FindInMap": ["RegionMap", {"Ref": "AWS::Region"}, "Geo"]}) == "us"
    assert r({"Fn::Base64": "hi"}) == "aGk="
    assert r({"Fn::GetAZs": ""}) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert r({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}) == ["10.0.0.0/24", "10.0.1.0/24"]
    assert r({"Fn::Length": [1, 2, 3]}) == 3
    assert r({"Fn::ToJsonString": {"a": {"Ref": "GoogleClientId"}}}) == '{"a":"cid"}'
    assert r([1, {"Ref": "AWS::NoValue"}, 2]) == [1, 2]
    imp = r({"Fn::ImportValue": "net-VpcId"})
    assert isinstance(imp, Unresolved) and "Fn::ImportValue" in tpl.unresolved[-1]
    assert isinstance(r({"Fn::GetAtt": ["GoogleRole", "RoleId"]}), Unresolved)
    assert str(r({"Fn::Transform": {"Name": "AWS::Include"}})) == "UNRESOLVED(Fn::Transform AWS::Include)"
    assert r({"Ref": "GoogleOIDCProvider"}) == tpl.oidc_providers()[0].arn
    for bad, needle in [
        ({"Ref": "Nope"}, "unknown parameter or resource 'Nope'"),
        ({"Fn::GetAtt": ["Nope", "Arn"]}, "unknown resource 'Nope'"),
        ({"Fn::If": ["NoSuchCondition", 1, 2]}, "unknown condition"),
        ({"Fn::Select": [5, ["a"]]}, "out of range"),
        ({"Fn::FindInMap": ["RegionMap", "eu-west-1", "Geo"]}, "not found"),
        ({"Ref": "AWS::Bogus"}, "unknown pseudo parameter"),
        ({"Fn::Join": [",", "notalist"]}, "Fn::Join"),
    ]:
        with pytest.raises(TemplateError, match=needle):
            r(bad)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("Resources:\n  A:\n    Type: [unclosed\n", "t.yaml:"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SNS::Topic}\n", "duplicate key 'A'"),
        (
            "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      X: !Frobnicate y\n",
            "unknown tag !Frobnicate",
        ),
        (
            "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      X: {'Fn::Frob': y}\n",
            "t.yaml:5: unknown intrinsic function Fn::Frob",
        ),
        ("- a\n- b\n", "mapping at the top level"),
        ("Parameters: {}\n", "no Resources section"),
        ("Resources:\n  A: {Properties: {}}\n", "resource A has no Type"),
        ("Resources:\n  A: {Type: X, Condition: Nope}\n", "unknown Condition 'Nope'"),
        (
            '{"Resources": {"A": {"Type": "X", "Properties": {"B": {"Fn::Nope": 1}}}}}',
            "unknown intrinsic function Fn::Nope",
        ),
        ('{"Resources": ', "invalid JSON"),
        ("X: &a [1, 2]\nY: [*a, *a]\nResources:\n  A: {Type: X}\n", "YAML aliases are not allowed"),
    ],
)
def test_bad_templates_one_line_errors(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(TemplateError) as ei:
        load_template(write(tmp_path, text))
    assert needle in str(ei.value) and "\n" not in str(ei.value)


def test_yaml_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(
        TemplateError, match=r"t\.yaml:4: invalid YAML: while parsing a flow sequence \(from line 3\)"
    ):
        load_template(write(tmp_path, "Resources:\n  A:\n    Type: [unclosed\n"))


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "missing.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TemplateError, match="not UTF-8"):
        load_template(tmp_path / "bin.yaml")


def test_rules_and_ssm_parameters(tmp_path: Path) -> None:
    text = """\
Parameters:
  Env: {Type: String, Default: prod}
  Ami: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /aws/service/ami}
Rules:
  ProdOnly:
    Assertions:
      - Assert: !Contains [[prod, dev], !Ref Env]
        AssertDescription: prod or dev
      - Assert: {'Fn::EachMemberIn': [{'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', VpcId]}, [a]]}
Resources:
  I: {Type: AWS::EC2::Instance, Properties: {ImageId: !Ref Ami}}
"""
    tpl = load_template(write(tmp_path, text))
    assert (
        str(tpl.resolve(tpl.resources["I"].properties["ImageId"]))
        == "UNRESOLVED(SSM parameter Ami=/aws/service/ami)"
    )
    assert tpl.missing_params == []


def test_condition_cycle(tmp_path: Path) -> None:
    text = (
        "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources:\n  R: {Type: X, Condition: A}\n"
    )
    tpl = load_template(write(tmp_path, text))
    with pytest.raises(TemplateError, match="refers to itself"):
        tpl.active("R")


# ---- properties ----------------------------------------------------------------------------------

FNS = [
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::Join",
    "Fn::If",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::Not",
    "Fn::Length",
    "Fn::ToJsonString",
    "Condition",
]
LEAVES = st.one_of(
    st.sampled_from(["P", "R", "C", "AWS::Region", "AWS::NoValue", "${P}", "${R.Arn}", "", ",", "0"]),
    st.integers(-2, 3),
    st.booleans(),
    st.none(),
)
NODES = st.recursive(
    LEAVES,
    lambda ch: st.one_of(
        st.lists(ch, max_size=3),
        st.builds(lambda f, v: {f: v}, st.sampled_from(FNS), ch),
        st.dictionaries(st.sampled_from(["a", "Url", "RoleName"]), ch, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(NODES, NODES)
def test_resolution_raises_only_template_error(props: Any, cond: Any) -> None:
    data = {
        "Parameters": {"P": {"Type": "CommaDelimitedList", "Default": "a,b"}},
        "Conditions": {"C": cond},
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Condition": "C",
                "Properties": {"AssumeRolePolicyDocument": props, "RoleName": props, "Policies": props},
            },
            "O": {"Type": "AWS::IAM::OIDCProvider", "Properties": {"Url": props, "ClientIdList": props}},
        },
    }
    try:
        tpl = load_template_text(json.dumps(data))
        tpl.resolve(props)
        tpl.roles(include_inactive=True)
        tpl.oidc_providers(include_inactive=True)
        tpl.policies_for_role("R")
        tpl.managed_policy_arns("R")
    except TemplateError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet="Resources:\n -!{}[]'\"Ref Type AWS::IAM::Role\t#&*|>", max_size=200),
    )
)
def test_load_arbitrary_text_raises_only_template_error(text: str) -> None:
    try:
        tpl = load_template_text(text)
        tpl.roles(include_inactive=True)
    except TemplateError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abc-:/1", max_size=5), min_size=1, max_size=5), st.data())
def test_join_split_select_roundtrip(items: list[str], data: Any) -> None:
    tpl = load_template_text("Resources:\n  A: {Type: AWS::SNS::Topic}\n")
    i = data.draw(st.integers(0, len(items) - 1))
    node = {"Fn::Select": [i, {"Fn::Split": [",", {"Fn::Join": [",", items]}]}]}
    assert tpl.resolve(node) == items[i]
    assert tpl.resolve({"Fn::Sub": ",".join(items)}) == ",".join(items)  # no ${} -> unchanged
