"""Client configuration: how each consumer reads the developer's files, the credential_process line
(shell vs shlex splitting), the credential_process output contract, the helper's config.json (both
shapes), Claude Code's settings files and OTel environment, and the settings verdict CONFIG-SETTINGS
and CONFORM-SETTINGS share.

Parses values handed to it; must not import ``facts``, ``checks``, ``commands``, ``render``, ``cli`` or ``app``.
"""
