"""CloudFormation: a line-aware YAML/JSON template loader (short-form intrinsics) and the resolver that
evaluates Ref, Fn::Sub, Fn::If and the other intrinsics with parameters, reporting what stays unresolved.

Knows templates only, not what their policies mean. Must not import ``facts``, ``checks``, ``commands``,
``render``, ``cli`` or ``app``.
"""
