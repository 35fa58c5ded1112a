"""Subcommands: each module exposes run(args) -> int; the CLI imports them lazily."""
