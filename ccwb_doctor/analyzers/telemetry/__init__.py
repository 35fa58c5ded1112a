"""Telemetry: what the doctor's own OTLP export (``run --export otlp``) says about a run (pure).

``records`` names every attribute (resource, log record, metric) and turns a redacted report document into
the log records and metric points to send: one record per result with its check id, status, severity, the
message and fix with e-mail addresses, account ids, host names and the home path replaced by pseudonyms,
and a keyed digest of the redacted evidence (never the evidence). ``analyzers.fleet`` reads the same names
back from an OTLP JSON file. Values in, values out: the caller gathers facts and sends. May import
``redact``.
"""
