"""Bedrock: ARNs, partitions and regions, model ids and the inference-profile table (data, not code),
the model configuration Claude Code reads, and the permission matrix (the exact requests Bedrock
authorizes for a model, evaluated with ``analyzers.iam``).

May import ``analyzers.iam`` and ``analyzers.clientconfig`` (which settings file set a value); must not import ``facts``, ``checks``, ``commands``, ``render``, ``cli`` or ``app``.
"""
