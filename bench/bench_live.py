"""Benchmark: the AWS emulator and the live path the sandbox uses.

Medians of: emulator start (moto + front), one AssumeRoleWithWebIdentity through the enforcing front
(JWKS fetched from the fixture IdP each call, trust policy evaluated, moto issues the credentials),
one signed Bedrock InvokeModel (SigV4 verified, 5 legs of a us. profile evaluated), and one OTLP
metric to the fixture collector. Baseline: `python -I -c pass` (process start) in the same run.

Run: /work/venv/bin/python bench/bench_live.py [--n 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline  # noqa: E402

from ccwb_doctor.fixtures.aws_emulator import AwsEmulator  # noqa: E402
from ccwb_doctor.fixtures.collector import FixtureCollector  # noqa: E402
from ccwb_doctor.fixtures.idp import FixtureIdP  # noqa: E402

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def median_of(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    n = ap.parse_args().n
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    from ccwb_doctor.analyzers.net.otlp import encode_gauge

    base = baseline()
    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        with AwsEmulator():
            starts.append(time.perf_counter() - t0)
    with FixtureIdP() as idp, AwsEmulator() as aws, FixtureCollector() as col:
        parn = aws.register_provider(idp.issuer, [idp.client_id])
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": parn},
                    "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                }
            ],
        }
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": "*"}],
        }
        iam = aws.client("iam")
        arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench", PolicyName="b", PolicyDocument=json.dumps(policy))
        sts = boto3.client(
            "sts",
            endpoint_url=aws.sts_url,
            region_name="us-east-1",
            config=Config(signature_version=UNSIGNED),
        )
        token = idp.mint()

        def assume() -> dict:
            return sts.assume_role_with_web_identity(
                RoleArn=arn, RoleSessionName="bench", WebIdentityToken=token
            )

        creds = assume()["Credentials"]
        rt = aws.client(
            "bedrock-runtime",
            access_key=creds["AccessKeyId"],
            secret_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
        )
        body = json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "ping"}],
            }
        )
        sts_t = median_of(assume, n)
        br_t = median_of(lambda: rt.invoke_model(modelId=MODEL, body=body)["body"].read(), n)
        import httpx

        metric = encode_gauge("bench", 1, time.time_ns())
        with httpx.Client() as client:
            otlp_t = median_of(
                lambda: client.post(
                    col.signal_url(), content=metric, headers={"Content-Type": "application/x-protobuf"}
                ),
                n,
            )
    start_t = statistics.median(starts)
    print(f"baseline python -I -c pass     : {base * 1000:8.1f} ms")
    print(f"emulator start (moto + front)   : {start_t * 1000:8.1f} ms  ({start_t / base:.2f}x baseline)")
    print(f"AssumeRoleWithWebIdentity       : {sts_t * 1000:8.1f} ms  ({sts_t / base:.2f}x baseline)")
    print(f"Bedrock InvokeModel (5 legs)    : {br_t * 1000:8.1f} ms  ({br_t / base:.2f}x baseline)")
    print(f"OTLP metric to collector        : {otlp_t * 1000:8.1f} ms  ({otlp_t / base:.2f}x baseline)")


if __name__ == "__main__":
    main()
