"""Conformance tests a platform team keeps in its deployment repository (see docs/conform.md).

Layout assumed (the one docs/examples/github-actions-conform.yml uses): this file in ``conformance/``,
the templates in ``infra/`` and the deployed parameters in ``infra/params/prod.json`` (a flat
``{"Key": "value"}`` object). The fixtures come from ccwb-doctor's pytest plugin: no conftest needed.
"""

import json
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent / "infra"
AUTH = INFRA / "auth.yaml"
PARAMS = json.loads((INFRA / "params" / "prod.json").read_text())


def test_only_our_client_id_can_assume_the_role(ccwb_evaluator, ccwb_token_factory):
    ours = ccwb_token_factory.mint(iss=PARAMS["OidcIssuerUrl"], aud=PARAMS["OidcClientId"], sub="00u-dev")
    other = ccwb_token_factory.mint(iss=PARAMS["OidcIssuerUrl"], aud="another-app", sub="00u-dev")
    assert ccwb_evaluator.trust(AUTH, ours, params=PARAMS).allowed
    assert not ccwb_evaluator.trust(AUTH, other, params=PARAMS).allowed


def test_sonnet_from_frankfurt_reaches_every_destination(ccwb_evaluator):
    verdict = ccwb_evaluator.model(AUTH, "eu.anthropic.claude-sonnet-4-6", "eu-central-1", params=PARAMS)
    assert verdict.allowed, verdict.summary()


def test_the_templates_conform(ccwb_conform):
    run = ccwb_conform(INFRA, params=PARAMS)
    assert not run.failed, [f"{r['id']}: {r['message']}" for r in run.failed]
