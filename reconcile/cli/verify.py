"""``reconcile verify``: run the checks of the selected orgs; ``reconcile confirm``: record a manual step."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.apply import journal_for, run_provenance
from reconcile.cli.options import (
    DEFAULT_CONFIG,
    DEFAULT_PARALLELISM,
    ByOpt,
    ConfigOpt,
    Format,
    FormatOpt,
    LockTimeoutOpt,
    OrgOpt,
    ParallelismOpt,
    ShardOpt,
    TagOpt,
)

if TYPE_CHECKING:
    from reconcile.checks.results import VerifyReport


def render_report(report: VerifyReport, fmt: Format) -> str:
    from reconcile.render.verify import render_verify_json, render_verify_markdown, render_verify_text

    if fmt is Format.json:
        return render_verify_json(report)
    if fmt is Format.markdown:
        return render_verify_markdown(report)
    return render_verify_text(report)


@app.command()
@handle_errors
def verify(
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    tag: TagOpt = None,
    format: FormatOpt = Format.text,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    shard: ShardOpt = None,
    by: ByOpt = None,
) -> None:
    """Run the [[check]] entries of the selected orgs; exit 1 when one fails or cannot run. The run is
    journaled with who ran it (``--by``) and from which commit."""
    from reconcile.checks.runner import verify_orgs
    from reconcile.history.verification import record_verify
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        orgs = workspace.select(org or [], tag or [], for_apply=False, shard=shard)
        report, steps = verify_orgs(workspace, orgs, parallelism)
        record_verify(journal_for(workspace), report, steps, run_provenance(workspace, by))
    typer.echo(render_report(report, format).rstrip("\n"))
    if not report.passed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def confirm(
    step: Annotated[str, typer.Argument(help="The manual step: manual:NAME.", show_default=False)],
    org: Annotated[list[str], typer.Option("--org", help="The org it was done in (repeatable).", show_default=False)],
    config: ConfigOpt = DEFAULT_CONFIG,
    by: Annotated[str | None, typer.Option("--by", help="Who did it (default: the current user).")] = None,
    note: Annotated[str, typer.Option("--note", help="A note kept with the confirmation.")] = "",
    lock_timeout: LockTimeoutOpt = 0.0,
) -> None:
    """Record that a manual step was done in an org: who did it and when, in the state and the history
    (``--by`` is the confirmer and the run's author)."""
    from reconcile.checks.manual import Confirmation, confirmation_entry, find_step
    from reconcile.history.verification import record_confirm
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        orgs = workspace.select(org, [], for_apply=False)
        found = {name: find_step(workspace.config, name, step) for name in orgs}
        who = by or getpass.getuser()
        origin = run_provenance(workspace, who)
        now = datetime.now(UTC)
        with workspace.backend.lock("confirm", lock_timeout):
            state = workspace.backend.read()
            for name, entry in found.items():
                state.org(name).resources[f"manual_step:{entry.name}"] = confirmation_entry(entry, who, note, now)
            workspace.backend.write(state)
        for name, entry in found.items():
            done = Confirmation(name=entry.name, by=who, at=now.isoformat(timespec="seconds"), note=note)
            record_confirm(journal_for(workspace), name, entry.name, entry.instructions, done, origin)
            out_console().print(f"Confirmed manual:{entry.name} in {name} (by {who}).", markup=False)
