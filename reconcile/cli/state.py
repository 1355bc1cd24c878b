"""``reconcile state``: inspect and repair what the tool remembers."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt, LockTimeoutOpt, OrgOpt
from reconcile.errors import ReconcileError, StateError

if TYPE_CHECKING:
    from state.base import State


class ListFormat(StrEnum):
    text = "text"
    json = "json"


state_app = typer.Typer(help="Inspect and repair the state.", no_args_is_help=True)
app.add_typer(state_app, name="state")

AddressArg = Annotated[str, typer.Argument(help="An address, e.g. picklist:Account.Tier__c or dev::apex:x")]


def split_org(text: str, orgs: list[str] | None, state: State) -> tuple[str, str]:
    """``org::address`` or ``address`` with --org; the org may be omitted if only one org has it."""
    from reconcile.model import Address

    if "::" in text:
        org, address = text.split("::", 1)
    else:
        address = text
        holders = [o for o in (orgs or sorted(state.orgs)) if address in state.org(o).resources]
        if len(holders) != 1:
            where = ", ".join(holders) if holders else "no org"
            raise ReconcileError(f"{address} is managed in {where}: name one as ORG::ADDRESS or with --org")
        org = holders[0]
    try:
        Address.parse(address)
    except ValueError as exc:
        raise ReconcileError(str(exc)) from None
    if org not in state.orgs or address not in state.orgs[org].resources:
        raise StateError(f"{org}::{address} is not in the state (see `reconcile state list`)")
    return org, address


@state_app.command("list")
@handle_errors
def list_(
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.text,
    apex: Annotated[
        bool, typer.Option("--apex", help="Only the Apex ledger: which scripts ran where, when, with which sha256.")
    ] = False,
) -> None:
    """List every managed resource as ORG::ADDRESS (JSON: org, address, kind, applied_at), then the Apex
    ledger: every recorded run of a configured script."""
    from reconcile.render.state import (
        render_entries_json,
        render_entries_text,
        render_ledger_json,
        render_ledger_text,
    )
    from reconcile.workspace import Workspace
    from state.base import iter_entries

    state = Workspace.open(config).backend.read()
    ledger = [
        (name, script, run)
        for name in sorted(state.orgs)
        if not org or name in org
        for script, runs in sorted(state.orgs[name].apex_runs.items())
        for run in runs
    ]
    if apex:
        text = render_ledger_json(ledger) if format is ListFormat.json else render_ledger_text(ledger)
    else:
        rows = [(name, address, entry) for name, address, entry in iter_entries(state) if not org or name in org]
        text = render_entries_json(rows) if format is ListFormat.json else render_entries_text(rows)
        if ledger and format is ListFormat.text:
            text += f"{chr(10) * 2 if text else ''}Apex runs:\n{render_ledger_text(ledger)}"
    if text:
        typer.echo(text)


@state_app.command("show")
@handle_errors
def show(address: AddressArg, config: ConfigOpt = DEFAULT_CONFIG, org: OrgOpt = None) -> None:
    """Show what the state records for one resource."""
    from reconcile.render.state import render_entry_json
    from reconcile.workspace import Workspace

    state = Workspace.open(config).backend.read()
    org_name, key = split_org(address, org, state)
    typer.echo(render_entry_json(org_name, key, state.orgs[org_name].resources[key]))


@state_app.command("rm")
@handle_errors
def rm(
    address: AddressArg,
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    lock_timeout: LockTimeoutOpt = 0.0,
) -> None:
    """Stop managing a resource: drop it from the state, leave the org untouched."""
    from reconcile.workspace import Workspace

    workspace = Workspace.open(config)
    with workspace.backend.lock("state rm", lock_timeout):
        state = workspace.backend.read()
        org_name, key = split_org(address, org, state)
        del state.orgs[org_name].resources[key]
        workspace.backend.write(state)
    out_console().print(f"Removed {org_name}::{key} from the state; the org was not changed.")


@state_app.command("unlock")
@handle_errors
def unlock(
    lock_id: Annotated[str, typer.Argument(help="The lock id from the error message.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Clear a state lock whose holder died."""
    from reconcile.workspace import Workspace

    Workspace.open(config).backend.unlock(lock_id)
    out_console().print(f"Released lock {lock_id}.")


class BackendChoice(StrEnum):
    local = "local"
    postgres = "postgres"


@state_app.command("migrate")
@handle_errors
def migrate(
    to: Annotated[BackendChoice, typer.Option("--to", help="The backend to move the state and journal to.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    lock_timeout: LockTimeoutOpt = 0.0,
) -> None:
    """Copy the state and journal to another backend, verified by reading them back."""
    from reconcile.workspace import Workspace
    from state.factory import backend_for, journal_for
    from state.migrate import migrate_state

    workspace = Workspace.open(config)
    settings = workspace.config.state
    if to.value == settings.backend:
        raise ReconcileError(f"the state already lives in the {to.value} backend: nothing to migrate")
    target = backend_for(settings, workspace.config.root, backend=to.value)
    with workspace.backend.lock("state migrate", lock_timeout), target.lock("state migrate", lock_timeout):
        moved = migrate_state(
            workspace.backend,
            target,
            journal_for(settings, workspace.config.root),
            journal_for(settings, workspace.config.root, backend=to.value),
        )
    out_console().print(
        f"Copied {moved.orgs} org(s) and {moved.resources} resource(s) (lineage {moved.lineage}) to "
        f"{moved.target}, now at serial {moved.serial}; {moved.journal_copied} of {moved.journal_total} "
        f'journal record(s) copied. Set `backend = "{to.value}"` in [state] to use it; the old state '
        "was left in place.",
        markup=False,
    )
