"""Conformance: the CI gate over templates, policies, helper configs, settings and claims files
(``ccwb-doctor conform``, ``pytest --ccwb-conform``), offline.

``engine`` walks and classifies the input files into ``inputs``; ``roles`` finds the federated roles to
judge; ``template`` (parameters, trust conditions, Bedrock region lists) and ``collector`` hold the static
findings, ``identity`` the ones that judge identities
and settings with the same analyzers the doctor's checks use; ``findings`` runs them all (the
``conform_findings`` fact, read by ``checks/conform.py``); ``run`` and ``evaluator`` back the pytest
plugin's fixtures (``ccwb_doctor/pytest_plugin.py`` stays the entry point). Conform may import analyzers,
``facts`` (to build synthetic facts), ``model`` and ``options``; it imports no check module.
"""
