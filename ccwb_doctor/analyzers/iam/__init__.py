"""IAM policy language: parsing, ARN and wildcard matching, condition operators, and evaluation of a
request against identity, resource and SCP policies with a trace that says which statement decided.

Knows only the policy language; nothing of Bedrock, tokens or files. Must not import other analyzer
domains (it is the bottom of the analyzers), nor ``facts``, ``checks``, ``commands``, ``render``, ``cli``
or ``app``.
"""
