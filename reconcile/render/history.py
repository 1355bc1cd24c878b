"""Rendering of the execution history: the runs table, one run in full, and both as JSON.

Text is drawn with rich on the console the CLI gives (tables; debug logs printed verbatim, never as
markup). JSON is the runs as ``reconcile.history`` reads them, with each run's total ``seconds`` and
``api_calls`` added.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reconcile.history import ChangeEntry, OrgRun, Run
from reconcile.render.audit import audit_facts, value_lines

_STATUS_STYLES = {"ok": "green", "failed": "red", "interrupted": "yellow", "skipped": "dim", "not run": "dim"}


def run_json(run: Run) -> dict[str, Any]:
    """A run as JSON data, with its total time and API calls."""
    return {**run.model_dump(mode="json"), "seconds": run.seconds, "api_calls": run.api_calls}


def render_runs_json(runs: Sequence[Run]) -> str:
    """The runs as a JSON list (no trailing newline)."""
    return json.dumps([run_json(run) for run in runs], indent=2, ensure_ascii=False)


def render_run_json(run: Run) -> str:
    """One run as a JSON object (no trailing newline)."""
    return json.dumps(run_json(run), indent=2, ensure_ascii=False)


def _when(run: Run) -> str:
    return run.started_at.isoformat(timespec="seconds") if run.started_at else "-"


def _status(status: str) -> Text:
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def runs_table(runs: Sequence[Run]) -> Table:
    """One row per run: id, operation, status, start (UTC), who, orgs, change counts, API calls, time.
    ``who`` and ``orgs`` wrap first when the table is too wide."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("run", "operation", "status", "started (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("who", overflow="fold")
    table.add_column("orgs", overflow="fold")
    for column in ("applied", "failed", "skipped", "API calls", "time"):
        table.add_column(column, justify="right", no_wrap=True)
    for run in runs:
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "-"
        counts = (str(sum(getattr(org, name) for org in run.orgs)) for name in ("applied", "failed", "skipped"))
        table.add_row(
            run.run_id,
            run.operation,
            _status(run.status),
            started,
            run.who,
            ", ".join(org.org for org in run.orgs),
            *counts,
            str(run.api_calls),
            _seconds(run.seconds),
        )
    return table


def print_run(console: Console, run: Run) -> None:
    """One run in full: header, then per org its changes and each script with its debug log."""
    console.print(Text.assemble((f"Run {run.run_id} ", "bold"), f"({run.operation}) ", _status(run.status)))
    console.print(f"who: {run.who}", markup=False, highlight=False)
    for name, value in audit_facts(run):
        console.print(f"{name}: {value}", markup=False, highlight=False)
    finished = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
    console.print(
        f"started {_when(run)}, finished {finished}, took {_seconds(run.seconds)}, {run.api_calls} API calls",
        markup=False,
        highlight=False,
    )
    if run.plan_file:
        console.print(f"plan file: {run.plan_file}", markup=False, highlight=False)
    if run.script is not None:
        console.print(
            f"script: {run.script.file} (sha256 {run.script.sha256}, {run.script.chars} characters)",
            markup=False,
            highlight=False,
        )
    for org in run.orgs:
        _print_org(console, org)


def _print_org(console: Console, org: OrgRun) -> None:
    console.print()
    console.print(
        Text.assemble(
            (org.org, "bold"),
            ": ",
            _status(org.status),
            f" ({org.applied} applied, {org.failed} failed, {org.skipped} skipped, "
            f"{org.api_calls if org.api_calls is not None else '-'} API calls, "
            f"{_seconds(org.seconds)})",
        )
    )
    if org.error:
        console.print(Text(f"  error: {org.error}", style="red"))
    if org.changes:
        table = Table(show_edge=False, box=None, padding=(0, 2, 0, 2))
        for column in ("result", "action", "address", "message"):
            table.add_column(column, overflow="fold")
        for change in org.changes:
            table.add_row(_status(change.status), change.action, change.address, change.message or change.reason)
            for line in value_lines(change):
                table.add_row("", "", Text(f"  {line}", style="dim"), "")
        console.print(table)
    for change in org.changes:
        if change.apex is not None:
            _print_script(console, change)


def _print_script(console: Console, change: ChangeEntry) -> None:
    outcome = change.apex
    if outcome is None:
        return
    where = f" at line {outcome.line}, column {outcome.column}" if outcome.position else ""
    verdict = (
        "ok"
        if outcome.compiled and outcome.success
        else (
            f"compile error{where}: {outcome.problem}"
            if not outcome.compiled
            else f"exception{where}: {outcome.problem}"
        )
    )
    console.print(Text(f"  script {change.address}: {verdict}", style=_STATUS_STYLES[change.status]))
    if change.script is not None:
        console.print(Text(f"    file {change.script.file}, sha256 {change.script.sha256}, run {change.script.run}"))
    if outcome.exception_stack_trace:
        console.print(Text(f"    {outcome.exception_stack_trace}"))
    if outcome.debug_log:
        console.print(Text("    debug log:", style="dim"))
        for line in outcome.debug_log.splitlines():
            console.print(Text(f"    | {line}"), soft_wrap=True)
