"""Reference CloudFormation templates and a small deploy helper."""
