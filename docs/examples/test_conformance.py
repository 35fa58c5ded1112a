"""Conformance tests a platform team keeps next to its deployment (see docs/conform.md).

Layout assumed: this file beside an ``infra/`` folder holding the auth template (a copy of
ccwb-doctor's reference ``auth.yaml``, or your own). Run with ``pytest`` once ccwb-doctor is installed:
the fixtures come from its pytest plugin, no conftest needed.
"""

from pathlib import Path

INFRA = Path(__file__).parent / "infra"
AUTH = INFRA / "auth.yaml"
PARAMS = {"OidcIssuerUrl": "https://login.example.com/oauth2/default", "OidcClientId": "0oa1claudecode"}


def test_only_our_client_id_can_assume_the_role(ccwb_evaluator, ccwb_token_factory):
    ours = ccwb_token_factory.mint(iss=PARAMS["OidcIssuerUrl"], aud=PARAMS["OidcClientId"], sub="00u-dev")
    other = ccwb_token_factory.mint(iss=PARAMS["OidcIssuerUrl"], aud="another-app", sub="00u-dev")
    assert ccwb_evaluator.trust(AUTH, ours, params=PARAMS).allowed
    assert not ccwb_evaluator.trust(AUTH, other, params=PARAMS).allowed


def test_sonnet_from_frankfurt_reaches_every_destination(ccwb_evaluator):
    verdict = ccwb_evaluator.model(AUTH, "eu.anthropic.claude-sonnet-4-6", "eu-central-1", params=PARAMS)
    assert verdict.allowed, verdict.summary()


def test_the_whole_folder_conforms(ccwb_conform):
    run = ccwb_conform(INFRA, params=PARAMS)
    assert not run.failed, [f"{r['id']}: {r['message']}" for r in run.failed]
