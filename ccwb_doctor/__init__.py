"""ccwb-doctor: diagnose Claude Code on Amazon Bedrock behind IAM OIDC federation."""

__version__ = "0.1.0"
