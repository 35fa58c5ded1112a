"""Our own copies of the AWS guidance's template SHAPES (anchor_study.md §3) get the findings they deserve."""

from __future__ import annotations

from pathlib import Path

from conform_support import by_id, conform, statuses, write_json

AUTH_SHAPE = """\
AWSTemplateFormatVersion: '2010-09-09'
Description: shape of a direct-federation auth stack with an unconditioned trust policy
Parameters:
  IdpDomain: {Type: String}
  IdpClientId: {Type: String}
  RoleNameParam: {Type: String, Default: ShapeFederatedRole}
  AllowedBedrockRegions: {Type: CommaDelimitedList, Default: 'us-east-1,us-east-2,us-west-2'}
Resources:
  IdpProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub 'https://${IdpDomain}'
      ClientIdList: [!Ref IdpClientId]
      ThumbprintList: ['0000000000000000000000000000000000000000']
  FederatedRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Ref RoleNameParam
      MaxSessionDuration: 43200
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: !GetAtt IdpProvider.Arn}
            Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']
  AccessPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref FederatedRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: RegionalInvoke
            Effect: Allow
            Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']
            Resource:
              - !Sub 'arn:${AWS::Partition}:bedrock:*::foundation-model/*'
              - !Sub 'arn:${AWS::Partition}:bedrock:*:*:inference-profile/*'
            Condition:
              StringEquals:
                aws:RequestedRegion: !Ref AllowedBedrockRegions
          - Sid: GlobalInvoke
            Effect: Allow
            Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']
            Resource: !Sub 'arn:${AWS::Partition}:bedrock:::foundation-model/*'
"""

COLLECTOR_SHAPE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  CustomDomainName: {Type: String, Default: ''}
  CertificateArn: {Type: String, Default: ''}
  IssuerUrl: {Type: String, Default: 'https://idp.example.com'}
Conditions:
  HasDomain: !Not [!Equals [!Ref CustomDomainName, '']]
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [subnet-1, subnet-2]}
  Targets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 4318, Protocol: HTTP, TargetType: ip, VpcId: vpc-1}
  HTTPListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          TargetGroupArn: !Ref Targets
  HTTPSListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Condition: HasDomain
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 443
      Protocol: HTTPS
      Certificates: [{CertificateArn: !Ref CertificateArn}]
      DefaultActions:
        - {Type: jwt-validation, Order: 1, JwtValidationConfig: {Issuer: !Ref IssuerUrl, JwksEndpoint: !Sub '${IssuerUrl}/keys'}}
        - {Type: forward, Order: 2, TargetGroupArn: !Ref Targets}
"""

HANDWRITTEN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}],
}


def _shapes(tmp_path: Path) -> Path:
    root = tmp_path / "guidance"
    root.mkdir()
    (root / "bedrock-auth-shape.yaml").write_text(AUTH_SHAPE)
    (root / "otel-collector-shape.yaml").write_text(COLLECTOR_SHAPE)
    write_json(root / "policies" / "bedrock-everything.json", HANDWRITTEN_POLICY)
    write_json(
        root / "who.claims.json",
        {
            "allow": [
                {
                    "name": "dev",
                    "claims": {
                        "iss": "https://dev-123.okta.com",
                        "aud": "0oaclientclientclient",
                        "sub": "00u1",
                    },
                }
            ]
        },
    )
    return root


def test_guidance_shapes_get_their_findings(tmp_path: Path) -> None:
    root = _shapes(tmp_path)
    rc, rep = conform(
        str(root), "--param", "IdpDomain=dev-123.okta.com", "--param", "IdpClientId=0oaclientclientclient"
    )
    assert rc == 1
    st = statuses(rep)
    assert st["CONFORM-PARSE"] == {"pass"}
    (oidc,) = by_id(rep, "CONFORM-OIDC-CONDITION")
    assert oidc["status"] == "fail" and "dev-123.okta.com" in oidc["message"]
    assert (
        oidc["evidence"]["location"]["line"]
        == AUTH_SHAPE.splitlines().index("      AssumeRolePolicyDocument:") + 1
    )
    (listener,) = by_id(rep, "CONFORM-COLLECTOR-AUTH", "fail")
    assert "HTTPListener (HTTP:80)" in listener["evidence"]["subject"]
    assert "HTTPSListener" not in str(by_id(rep, "CONFORM-COLLECTOR-AUTH"))  # inactive: no custom domain
    (regions,) = by_id(rep, "CONFORM-REGION-LIST", "fail")
    assert "ca-central-1" in regions["message"] and "RegionalInvoke" in regions["evidence"]["subject"]
    wild = by_id(rep, "CONFORM-BEDROCK-REGION-CONDITION", "fail")
    assert [w["evidence"]["location"]["path"].endswith("bedrock-everything.json") for w in wild] == [True]
    denied = {
        r["evidence"]["subject"].rsplit(" ", 1)[1] for r in by_id(rep, "CONFORM-MODEL-PERMISSION", "fail")
    }
    assert "sonnet-4-6" in denied
    trust = by_id(rep, "CONFORM-TRUST")
    assert [t["status"] for t in trust] == ["warn"]  # allowed, but with no aud condition


def test_guidance_auth_shape_without_params_is_reported_not_guessed(tmp_path: Path) -> None:
    root = _shapes(tmp_path)
    rc, rep = conform(str(root / "bedrock-auth-shape.yaml"), str(root / "who.claims.json"))
    assert rc == 1
    (p,) = by_id(rep, "CONFORM-PARAMS")
    assert p["status"] == "fail" and "IdpDomain" in p["message"] and "IdpClientId" in p["message"]
    assert {r["status"] for r in by_id(rep, "CONFORM-TRUST")} == {"skip"}
    assert by_id(rep, "CONFORM-OIDC-CONDITION", "fail")  # structural findings still run


GOOGLE_SHAPE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  GoogleClientId: {Type: String}
Resources:
  GoogleProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://accounts.google.com
      ClientIdList: [!Ref GoogleClientId]
  GoogleRole:
    Type: AWS::IAM::Role
    Properties:
      MaxSessionDuration: 43200
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: !GetAtt GoogleProvider.Arn}
            Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']
            Condition:
              StringEquals: {'accounts.google.com:aud': !Ref GoogleClientId}
"""


def test_guidance_google_shape_pins_aud_and_passes(tmp_path: Path) -> None:
    """The one guidance shape whose direct role carries an aud condition gets no OIDC finding."""
    (tmp_path / "bedrock-auth-google-shape.yaml").write_text(GOOGLE_SHAPE)
    cid = "1234-abc.apps.googleusercontent.com"
    write_json(
        tmp_path / "g.claims.json",
        {
            "allow": [
                {"name": "dev", "claims": {"iss": "https://accounts.google.com", "aud": cid, "sub": "1"}}
            ],
            "deny": [
                {"name": "other", "claims": {"iss": "https://accounts.google.com", "aud": "x", "sub": "2"}}
            ],
        },
    )
    rc, rep = conform(str(tmp_path), "--param", f"GoogleClientId={cid}")
    assert statuses(rep)["CONFORM-OIDC-CONDITION"] == {"pass"}
    assert statuses(rep)["CONFORM-TRUST"] == {"pass"}, by_id(rep, "CONFORM-TRUST")
    assert rc == 0, [r["message"] for r in rep["results"] if r["status"] in ("fail", "error")]


COGNITO_SHAPE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  IdentityPoolId: {Type: String, Default: 'us-east-1:11111111-2222-3333-4444-555555555555'}
Resources:
  CognitoAuthenticatedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: cognito-identity.amazonaws.com}
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals: {'cognito-identity.amazonaws.com:aud': !Ref IdentityPoolId}
              'ForAnyValue:StringLike': {'cognito-identity.amazonaws.com:amr': authenticated}
  LooseRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: cognito-identity.amazonaws.com}
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              'ForAnyValue:StringLike': {'cognito-identity.amazonaws.com:amr': authenticated}
  PoolOnlyRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: cognito-identity.amazonaws.com}
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals: {'cognito-identity.amazonaws.com:aud': !Ref IdentityPoolId}
"""


def test_guidance_cognito_shape_needs_the_pool_aud(tmp_path: Path) -> None:
    (tmp_path / "bedrock-auth-cognito-shape.yaml").write_text(COGNITO_SHAPE)
    rc, rep = conform(str(tmp_path))
    assert rc == 1
    got = {r["evidence"]["subject"].rsplit(":", 1)[1]: r for r in by_id(rep, "CONFORM-OIDC-CONDITION")}
    assert got["CognitoAuthenticatedRole"]["status"] == "pass"
    assert got["LooseRole"]["status"] == "fail" and "any identity pool" in got["LooseRole"]["message"]
    assert got["PoolOnlyRole"]["status"] == "warn" and ":amr" in got["PoolOnlyRole"]["message"]
    line = COGNITO_SHAPE.splitlines().index("  LooseRole:") + 4
    assert got["LooseRole"]["evidence"]["location"]["line"] == line
