"""Benchmark: CloudFormation template import + load + resolve, as a whole process (conform's budget is
2 s including process start). Compares our PyYAML C SafeLoader path with cfn-lint's decoder.

Run: /work/venv/bin/python bench/bench_cfn.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline, wall  # noqa: E402

HEAD = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  OktaDomain: {Type: String, Default: dev-1.okta.com}
  OktaClientId: {Type: String, Default: 0oa1}
  AllowedBedrockRegions: {Type: CommaDelimitedList, Default: 'us-east-1,us-west-2'}
  FederationType: {Type: String, Default: direct, AllowedValues: [direct, cognito]}
Conditions:
  UseDirectIAM: !Equals [!Ref FederationType, direct]
Resources:
  OktaOIDCProvider:
    Type: AWS::IAM::OIDCProvider
    Condition: UseDirectIAM
    Properties:
      Url: !Sub 'https://${OktaDomain}'
      ClientIdList: [!Ref OktaClientId]
  DirectIAMRole:
    Type: AWS::IAM::Role
    Condition: UseDirectIAM
    Properties:
      MaxSessionDuration: 43200
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: !GetAtt OktaOIDCProvider.Arn}
            Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']
            Condition:
              StringEquals: {'dev-1.okta.com:aud': !Ref OktaClientId}
"""
POLICY = """\
  Policy{i}:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref DirectIAMRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: AllowInvoke{i}
            Effect: Allow
            Action: [bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream]
            Resource:
              - !Sub 'arn:${{AWS::Partition}}:bedrock:*::foundation-model/*'
              - !Sub 'arn:${{AWS::Partition}}:bedrock:*:${{AWS::AccountId}}:inference-profile/*'
            Condition:
              StringEquals: {{aws:RequestedRegion: !Ref AllowedBedrockRegions}}
"""

OURS = """\
import sys
from pathlib import Path
from ccwb_doctor.analyzers.cfn.template import load_template
t = load_template(Path(sys.argv[1]))
assert len(t.policies_for_role("DirectIAMRole")) > 10 and t.roles() and t.oidc_providers()
"""
CFNLINT = """\
import sys
from cfnlint.decode import decode
tpl, matches = decode(sys.argv[1])
assert tpl and not matches
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        text = HEAD + "".join(POLICY.format(i=i) for i in range(19))
        path = Path(d) / "auth.yaml"
        path.write_text(text)
        lines = text.count("\n")
        for script in (OURS, CFNLINT):  # both must succeed before they are timed
            subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True)
        base = baseline(args.runs)
        ours = wall([sys.executable, "-c", OURS, str(path)], args.runs)
        theirs = wall([sys.executable, "-c", CFNLINT, str(path)], max(3, args.runs // 3))
        print(f"template: {lines} lines")
        print(f"baseline python -I -c pass: median {base * 1000:.1f} ms")
        print(
            f"import+load+resolve (PyYAML CSafeLoader): median {ours * 1000:.1f} ms, ratio {ours / base:.2f}x"
        )
        print(
            f"import+decode (cfn-lint decoder):          median {theirs * 1000:.1f} ms, ratio {theirs / base:.2f}x"
        )


if __name__ == "__main__":
    main()
