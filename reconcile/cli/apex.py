"""``reconcile apex run``: one ad-hoc anonymous Apex script across many orgs, in parallel, logged.

The script is checked before any org is contacted (``reconcile.adhoc_apex``). The orgs are named with
``--org``/``--tag`` (a protected org only by ``--org``), confirmed on the terminal (or
``--auto-approve``), and run at most ``--parallelism`` at a time. Every org's outcome, debug log
included, goes to the execution history as one ``apex`` run (``reconcile.history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console, stdin_is_terminal
from reconcile.cli.options import (
    DEFAULT_CONFIG,
    DEFAULT_PARALLELISM,
    ByOpt,
    ConfigOpt,
    OrgOpt,
    ParallelismOpt,
    TagOpt,
)
from reconcile.errors import ReconcileError

apex_app = typer.Typer(help="Run anonymous Apex on orgs, outside the configuration.", no_args_is_help=True)
app.add_typer(apex_app, name="apex")


def confirm(orgs: Sequence[str], file: Path) -> None:
    if not stdin_is_terminal():
        raise ReconcileError(
            f"apex run asks before running {file} on {', '.join(orgs)} and there is no terminal to ask on: "
            "re-run with --auto-approve"
        )
    answer = typer.prompt(f"Run {file} on {', '.join(orgs)}? Only 'yes' will be accepted", default="")
    if answer.strip() != "yes":
        raise ReconcileError("apex run cancelled; no org was contacted")


@apex_app.command("run")
@handle_errors
def run(
    file: Annotated[Path, typer.Argument(help="The anonymous Apex script to run.", show_default=False)],
    org: OrgOpt = None,
    tag: TagOpt = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    by: ByOpt = None,
) -> None:
    """Run an anonymous Apex script on the named orgs and record every outcome and debug log."""
    from reconcile.adhoc_apex import read_script, run_everywhere
    from reconcile.cli.apply import journal_for, run_provenance
    from reconcile.history import AdhocApexJournal
    from reconcile.render.apex import render_apex_run
    from reconcile.workspace import Workspace

    script = read_script(file)
    if not org and not tag:
        raise ReconcileError("name the orgs to run the script on with --org NAME or --tag T")
    with Workspace.open(config) as workspace:
        names = workspace.select(org or [], tag or [], for_apply=True)
        if not names:
            raise ReconcileError("no org matches: a protected org must be named with --org")
        if not auto_approve:
            confirm(names, file)
        journal, providers = journal_for(workspace), workspace.connect(names, parallelism)
        who = run_provenance(workspace, by)
        recorded = AdhocApexJournal.start(journal, file, script, sorted(providers), who)
        runs = run_everywhere(providers, script, parallelism, recorded.record)
        recorded.finish(runs)
    typer.echo(render_apex_run(recorded.run_id, runs, width=max(out_console().width, 100)), nl=False)
    if not all(run.ok for run in runs):
        raise typer.Exit(1)
