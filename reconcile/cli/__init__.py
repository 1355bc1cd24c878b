"""The command line: a thin Typer app over the engine, one module per command (group).

Each command module registers itself on ``reconcile.cli.application.app``; importing this package
imports them all, so ``app`` here is complete. Commands parse options, call the engine and render; they
hold no engine logic.
"""

# Registration order is the order `reconcile --help` lists the commands in.
# isort: off
from reconcile.cli import (  # noqa: F401  (imported for their registration on the app)
    validate,
    plan,
    apply,
    drift,
    diff,
    import_,
    apex,
    history,
    report,
    schema,
    state,
    emulator,
    emulator_snapshot,
    verify,
    init,
)

# isort: on
from reconcile.cli.application import app, main

__all__ = ["app", "main"]
