"""``reconcile init``: start a project: a first configuration, its schema, ``.gitignore`` entries and,
with ``--github``, the GitHub Actions workflow (``reconcile.scaffold`` says what is written)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.errors import ReconcileError

if TYPE_CHECKING:
    from providers.salesforce.sf_orgs import SfOrg


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="The project directory (created if missing).")] = Path("."),
    github: Annotated[
        bool, typer.Option("--github", help="Also write the GitHub Actions workflow (.github/workflows).")
    ] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Declare the emulated example org even when the sf CLI knows orgs.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace files that already exist.")] = False,
) -> None:
    """Create reconcile.toml (orgs from `sf org list`, or an emulated example org) and what goes with it."""
    from providers.salesforce.sf_orgs import list_sf_orgs
    from reconcile.config.json_schema import schema_json
    from reconcile.scaffold import CONFIG, scaffold, write_scaffold

    if directory.exists() and not directory.is_dir():
        raise ReconcileError(f"{directory} is a file: give the project directory")
    sf_orgs = None if example else list_sf_orgs()
    made = scaffold(sf_orgs, schema=schema_json(), github=github)
    directory.mkdir(parents=True, exist_ok=True)
    written = write_scaffold(directory, made, force=force)
    console = out_console()
    for path in written:
        console.print(f"  wrote {(directory / path).as_posix()}", markup=False)
    if made.emulated:
        console.print(f"Declared the emulated org 'example' ({_why_emulated(example, sf_orgs)}).", markup=False)
    else:
        console.print(f"Declared the orgs the Salesforce CLI knows: {', '.join(made.orgs)}.", markup=False)
    config = "" if directory == Path(".") else f" -c {(directory / CONFIG).as_posix()}"
    console.print(f"Next: reconcile validate{config}, then reconcile plan{config}.", markup=False)


def _why_emulated(example: bool, sf_orgs: list[SfOrg] | None) -> str:
    if example:
        return "as asked with --example"
    if sf_orgs is None:
        return "the Salesforce CLI `sf` is not installed; `reconcile init --force` after logging in with it"
    return "the Salesforce CLI knows no org with an alias: log in with `sf org login web --alias NAME`"
