"""Rendering of an ad-hoc Apex run (``reconcile apex run``): the per-org results table, each failure,
and where the run was recorded (plain text; the CLI prints)."""

from __future__ import annotations

from collections.abc import Sequence
from io import StringIO

from rich.console import Console
from rich.table import Table

from reconcile.adhoc_apex import OrgScriptRun


def render_apex_run(run_id: str, runs: Sequence[OrgScriptRun], *, width: int = 100) -> str:
    """The results table, an ``error:`` line per org that failed, and the run id to look the run up by."""
    lines = [render_results(runs, width=width).rstrip("\n")]
    lines += [f"error: {run.org}: {run.message}" for run in runs if not run.ok]
    lines.append(f"Recorded as run {run_id}: `reconcile history show {run_id}` shows the debug logs.")
    return "\n".join(lines) + "\n"


def render_results(runs: Sequence[OrgScriptRun], *, width: int = 100) -> str:
    """The per-org table: org, compiled, success, line:col, message, API calls, time."""
    table = Table(title="Apex run", title_justify="left", show_edge=False)
    for column in ("org", "compiled", "success", "line:col", "message", "API calls", "time"):
        table.add_column(column, justify="right" if column in ("API calls", "time") else "left", overflow="fold")
    for run in runs:
        outcome = run.outcome
        where = outcome.position if outcome is not None else ""
        table.add_row(
            run.org,
            _yes_no(outcome.compiled if outcome else None),
            _yes_no(outcome.success if outcome else None),
            where,
            _short_message(run),
            str(run.api_calls),
            f"{run.seconds:.1f}s",
        )
    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False, _environ={}).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _short_message(run: OrgScriptRun) -> str:
    if run.outcome is None:
        return run.error
    if not run.outcome.compiled:
        return run.outcome.compile_problem
    return "ok" if run.outcome.success else run.outcome.exception_message
