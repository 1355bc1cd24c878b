"""``reconcile validate``: offline checks of the configuration (schema, references, cycles), and the files
an org needs to connect (which ``plan`` and ``apply`` report as that org's failure instead)."""

from __future__ import annotations

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt
from reconcile.errors import ConfigError


@app.command()
@handle_errors
def validate(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Check the configuration offline: schema, references and dependency cycles."""
    from reconcile.workspace import Workspace

    workspace = Workspace.open(config)
    if workspace.config.connection_problems:
        raise ConfigError(list(workspace.config.connection_problems))
    orgs = sorted(workspace.config.orgs)
    desired = workspace.desired(orgs)
    resources = sum(len(d.resources) for d in desired.values())
    out_console().print(f"The configuration is valid: {len(orgs)} org(s), {resources} resource(s) across them.")
