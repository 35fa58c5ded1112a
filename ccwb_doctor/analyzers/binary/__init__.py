"""Binaries: ELF, Mach-O (fat and thin), PE and script headers read within a byte budget, the host's
capabilities (architecture, emulation, mounts), and the verdict whether a file runs on a given host.

Knows file formats and hosts only, never where a helper is configured. Must not import ``facts``,
``checks``, ``commands``, ``render``, ``cli`` or ``app``.
"""
