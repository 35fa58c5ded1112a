"""Reference credential_process helper and OTel headers helper."""
