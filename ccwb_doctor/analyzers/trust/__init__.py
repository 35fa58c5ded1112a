"""Web-identity trust: the request STS builds from a token (principal, context keys), which condition keys
STS exposes, and the verdicts TRUST-* and CONFORM-TRUST share (issuer, audience, conditions, session tags,
session duration), given the token's claims, the provider, the trust policy and the role as values.

May import ``analyzers.iam`` and ``analyzers.token``; must not import ``facts``, ``checks``, ``commands``,
``render``, ``cli`` or ``app``.
"""
