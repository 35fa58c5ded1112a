"""Analyzers: pure libraries, one sub-package per domain; they take values and return values.

No analyzer prints, reads the CLI or imports the engine's upper layers (``facts``, ``checks``, ``commands``,
``render``, ``cli``, ``app``, ``conform``); ``tests/engine/test_layering.py`` enforces it. An analyzer may
import another domain's analyzers and ``ccwb_doctor.model`` (the outcome vocabulary of a verdict).
"""
