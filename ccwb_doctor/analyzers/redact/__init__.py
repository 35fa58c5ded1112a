"""Redaction: masking secrets (ID and refresh tokens, AWS keys, client secrets) in any text or JSON value,
and consistent pseudonyms for e-mail addresses, account ids and host names (``report --anonymize``).

Applied at the renderer boundary; must stay importable by everything, so it imports no other part of
``ccwb_doctor`` (no ``facts``, ``checks``, ``commands``, ``render``, ``cli`` or ``app``).
"""
