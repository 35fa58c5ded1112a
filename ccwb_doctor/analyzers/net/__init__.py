"""Network: endpoint derivation (which host each real caller uses), proxy rules, and the staged probe
(dns -> tcp -> tls -> http) with one deadline, plus the OTLP wire encoding of a test metric.

Knows sockets, DNS, TLS and HTTP; it is handed CA contexts and settings and never reads the environment
of its own accord. Must not import ``facts``, ``checks``, ``commands``, ``render``, ``cli`` or ``app``.
"""
