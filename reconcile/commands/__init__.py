"""The CLI commands, one module per command group; each registers itself on ``reconcile.cli.app``."""
