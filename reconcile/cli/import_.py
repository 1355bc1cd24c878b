"""``reconcile import``: an org's live configuration written as configuration entries (TOML)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt

if TYPE_CHECKING:
    from reconcile.fleet.importer import ImportResult


def _header(result: ImportResult) -> list[str]:
    identity = ", ".join(part for part in (result.org_name, result.org_id) if part)
    return [
        f"The configuration of org {result.org} ({identity}), read by `reconcile import`.",
        "Add this file to the configuration to manage what it declares: plan shows no changes for it.",
    ]


@app.command("import")
@handle_errors
def import_(
    org: Annotated[str, typer.Option("--org", help="The org to read.")],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only this kind (repeatable; default: every kind but apex).", show_default=False),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the TOML here instead of stdout.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Write an org's live configuration as TOML entries limited to that org."""
    from reconcile.cli.diff import report_skipped, write_entries
    from reconcile.fleet.importer import import_org, parse_kinds
    from reconcile.workspace import Workspace

    kinds = parse_kinds(kind or [])
    with Workspace.open(config) as workspace:
        workspace.select([org], [], for_apply=False)
        provider = workspace.connect([org])[org]
        result = import_org(workspace.config, org, provider, kinds)
    if out is not None:
        write_entries(result.entries, out, _header(result))
        return
    typer.echo(result.entries.toml(_header(result)).rstrip("\n"))
    report_skipped(result.entries)
