"""``reconcile emulator snapshot``: write a seed of an org's configuration, read through the provider.

The org is any org of the configuration (any auth method, or itself emulated). What the configuration
declares for it is read too, so what the org cannot list (standard value sets) is in the seed when the
configuration names it. The seed is loaded once before it is written, so a snapshot always starts an
emulated org. With ``--anonymize`` the map from real to replaced usernames is written beside the seed
(``NAME.usernames.json``), to rewrite a configuration with; it is not part of the seed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.application import handle_errors, out_console
from reconcile.cli.emulator import emulator_app
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt
from reconcile.errors import ConfigError, ProviderError

COUNTED = ("profiles", "users", "permission_sets", "permission_set_groups", "objects")


@emulator_app.command()
@handle_errors
def snapshot(
    org: Annotated[str, typer.Option("--org", help="The org to read (a name of the configuration).")],
    out: Annotated[Path, typer.Option("--out", help="The seed file to write, e.g. orgs/NAME.json.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    anonymize: Annotated[
        bool, typer.Option("--anonymize", help="Replace usernames, names and aliases, the same way everywhere.")
    ] = False,
) -> None:
    """Write a seed of an org's configuration (no record data, no secrets) to start an emulated copy."""
    from providers.emulator.org.data import SeedError
    from providers.emulator.org.file import render_document
    from providers.emulator.org.seed import build_tables
    from providers.salesforce.provider import SalesforceProvider
    from providers.salesforce.snapshot import take_snapshot
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        if org not in workspace.config.orgs:
            raise ConfigError(f"unknown org {org!r} (orgs: {', '.join(sorted(workspace.config.orgs))})")
        declared: dict[str, set[str]] = {}
        for address in workspace.desired([org])[org].resources:
            declared.setdefault(address.kind, set()).add(address.key)
        provider = workspace.connect([org])[org]
        if not isinstance(provider, SalesforceProvider):
            provider.identity()  # an unavailable org raises its connection error here
            raise ProviderError("this org's provider cannot take snapshots", org=org)
        suffix = workspace.config.orgs[org].username_suffix or ""
        taken = take_snapshot(provider, declared=declared, anonymize=anonymize, username_suffix=suffix)
    try:
        build_tables(taken.document)
    except SeedError as exc:
        raise ProviderError(f"the snapshot of {org} does not load as a seed: {exc}", org=org) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_document(taken.document), encoding="utf-8")
    counts = ", ".join(f"{len(taken.document.get(s, []))} {s.replace('_', ' ')}" for s in COUNTED)
    console = out_console()
    console.print(f"Wrote {out}: {counts}.", highlight=False)
    by_endpoint = ", ".join(f"{endpoint} {count}" for endpoint, count in taken.by_endpoint.items())
    console.print(f"The snapshot cost {taken.calls} API calls ({by_endpoint}).", highlight=False)
    if anonymize:
        mapping = out.with_name(out.stem + ".usernames.json")
        mapping.write_text(json.dumps(taken.usernames, indent=2) + "\n", encoding="utf-8")
        console.print(
            f"Usernames replaced: the map is in {mapping} (real usernames: keep it out of the repository).",
            highlight=False,
        )
