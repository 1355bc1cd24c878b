"""``reconcile validate``: offline checks of the configuration (schema, references, cycles)."""

from __future__ import annotations

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt
from reconcile.workspace import Workspace


@app.command()
@handle_errors
def validate(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Check the configuration offline: schema, references and dependency cycles."""
    workspace = Workspace.open(config)
    orgs = sorted(workspace.config.orgs)
    desired = workspace.desired(orgs)
    resources = sum(len(d.resources) for d in desired.values())
    out_console().print(
        f"The configuration is valid: {len(orgs)} org(s), {resources} resource(s) across them."
    )
