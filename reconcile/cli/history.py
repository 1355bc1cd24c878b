"""``reconcile history``: the execution journal as runs, newest first; ``history show RUN`` in full.

Reads the journal only: no org is contacted. Rendering is ``reconcile.render.history``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from reconcile.cli.application import app, err_console, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt, OrgOpt

if TYPE_CHECKING:
    from reconcile.history import Run

history_app = typer.Typer(help="The execution history: every apply and apex run.")
app.add_typer(history_app, name="history")


class HistoryFormat(StrEnum):
    text = "text"
    json = "json"


HistoryFormatOpt = Annotated[HistoryFormat, typer.Option("--format", help="Output format.")]


def load_history(config: Path) -> list[Run]:
    """Every recorded run of the configuration's state directory, newest first. Unreadable journal
    lines are reported on stderr and skipped."""
    from reconcile.cli.apply import journal_for
    from reconcile.history import read_runs
    from reconcile.workspace import Workspace

    journal = journal_for(Workspace.open(config))
    runs = read_runs(journal)
    for warning in journal.warnings:
        err_console().print(f"warning: {warning}", markup=False, highlight=False)
    return runs


def wide_console() -> Console:
    """The output console; when the output is not a terminal (a pipe, a CI log) it is at least 140
    columns wide so tables are not squeezed to the default 80."""
    console = out_console()
    if not console.is_terminal and console.width < 140:
        console.width = 140
    return console


@history_app.callback(invoke_without_command=True)
@handle_errors
def history(
    ctx: typer.Context,
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Show at most N runs.")] = None,
    format: HistoryFormatOpt = HistoryFormat.text,
) -> None:
    """List the recorded runs, newest first (`history show RUN` shows one in full)."""
    from reconcile.history import select_runs
    from reconcile.render.history import render_runs_json, runs_table

    ctx.obj = config  # `history -c DIR show RUN`: the subcommand reads the configuration given here
    if ctx.invoked_subcommand is not None:
        return
    runs = select_runs(load_history(config), org or [], limit)
    if format is HistoryFormat.json:
        typer.echo(render_runs_json(runs))
        return
    console = wide_console()
    if not runs:
        console.print("No runs recorded yet.")
        return
    console.print(runs_table(runs))


@history_app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="A run id (or an unambiguous prefix of one).", show_default=False)],
    config: ConfigOpt = DEFAULT_CONFIG,
    format: HistoryFormatOpt = HistoryFormat.text,
) -> None:
    """Show one run in full: every change with its result, every script with its debug log."""
    from reconcile.history import find_run
    from reconcile.render.history import print_run, render_run_json

    if config == DEFAULT_CONFIG and isinstance(ctx.obj, Path):
        config = ctx.obj  # given before the subcommand: `history -c DIR show RUN`
    found = find_run(load_history(config), run)
    if format is HistoryFormat.json:
        typer.echo(render_run_json(found))
        return
    print_run(wide_console(), found)
