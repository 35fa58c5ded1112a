"""``python -m ccwb_doctor.reference_infra deploy|regions ...``: deploy a reference stack, print outputs.

    deploy --stack NAME --template auth|monitoring|networking|FILE [--param K=V]...
           [--endpoint-url URL] [--region R] [--reuse-provider]
           [--models KEY,... --source-regions R,... [--geographies G,...]] [--timeout S]
    regions --models KEY,... --source-regions R,... [--geographies G,...]

``--reuse-provider`` registers (or finds) the IAM OIDC provider for OidcIssuerUrl through IAM and
passes its ARN as ExistingOidcProviderArn (needed with moto, whose CloudFormation lacks
AWS::IAM::OIDCProvider). ``--models``/``--source-regions`` compute AllowedBedrockRegions, and
``--models`` sets ModelIds (the foundation models the role may reach) for the auth template.
Exit codes: 0 ok, 1 deployment failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _csv(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ccwb_doctor.reference_infra")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy", help="create or update a stack and print its outputs as JSON")
    d.add_argument("--stack", required=True)
    d.add_argument("--template", required=True, help="auth, monitoring, networking, or a file")
    d.add_argument("--param", action="append", default=[], metavar="K=V")
    d.add_argument("--endpoint-url", help="CloudFormation/IAM endpoint (e.g. a moto server)")
    d.add_argument("--region")
    d.add_argument("--reuse-provider", action="store_true", help="register the OIDC provider through IAM")
    d.add_argument("--timeout", type=float, default=1800.0)
    for q in (d, sub.add_parser("regions", help="print AllowedBedrockRegions for models x source regions")):
        q.add_argument("--models", help="comma-separated model keys (e.g. sonnet-4-6,haiku-4-5)")
        q.add_argument("--source-regions", help="comma-separated source regions")
        q.add_argument("--geographies", help="restrict to these profile geographies (us,eu,global,...)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from ccwb_doctor.options import parse_params
    from ccwb_doctor.reference_infra.deploy import (
        DeployError,
        bedrock_regions,
        deploy,
        ensure_oidc_provider,
        model_ids,
    )

    args = _parser().parse_args(argv)
    try:
        regions: list[str] = []
        if args.models or args.source_regions:
            if not (args.models and args.source_regions):
                print("error: --models and --source-regions go together", file=sys.stderr)
                return 2
            regions = bedrock_regions(_csv(args.models), _csv(args.source_regions), _csv(args.geographies))
        if args.command == "regions":
            print(",".join(regions))
            return 0 if regions else 1
        params = parse_params(args.param)
        if regions:
            params["AllowedBedrockRegions"] = ",".join(regions)
            params["ModelIds"] = ",".join(model_ids(_csv(args.models)))
        if args.reuse_provider:
            url = params.get("OidcIssuerUrl")
            if not url:
                print("error: --reuse-provider needs --param OidcIssuerUrl=...", file=sys.stderr)
                return 2
            cids = [params["OidcClientId"]] if params.get("OidcClientId") else []
            params["ExistingOidcProviderArn"] = ensure_oidc_provider(
                url, cids, region=args.region, endpoint_url=args.endpoint_url
            )
        outputs = deploy(
            args.stack,
            args.template,
            params,
            region=args.region,
            endpoint_url=args.endpoint_url,
            timeout=args.timeout,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(outputs, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
