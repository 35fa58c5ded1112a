"""ID tokens: JWT decoding without trust, signature verification, time verdicts with STS's skew, the
tags and source-identity claims as STS reads them, and the JWKS client with its cache.

Knows JOSE and the OIDC discovery document; it is handed CA contexts and cache directories. Must not
import ``facts``, ``checks``, ``commands``, ``render``, ``cli`` or ``app``.
"""
