"""Rendering of apply progress events and the per-org apply report (text only; the CLI prints).

An org whose changes applied but whose checks did not all pass (``reconcile.checks``, run after the apply)
shows as ``checks failed (N)`` with N the checks that did not pass (failed, could not run or skipped): its
outcome is failed, though its changes stay applied.

The report's table is fitted to the given width only for a terminal; otherwise it prints whole, however
wide (``render.tables``), so a CI log never shows a cut heading or org name.
"""

from __future__ import annotations

import threading
from io import StringIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from reconcile.checks.results import VerifyReport
from reconcile.executor import ApplyReport, Event, OrgReport
from reconcile.plan import Plan
from reconcile.render.tables import print_table


def event_line(event: Event) -> str | None:
    """One log line for an event worth a line, None for the rest (a result that went fine)."""
    where = f"{event.org}::{event.address}" if event.address else event.org
    if event.type == "org_start":
        return f"{event.org}: applying"
    if event.type == "result" and event.ok is False:
        return f"{where}: FAILED {event.message}"
    if event.type == "result":
        return f"{where}: ok{' ' + event.message if event.message else ''}"
    if event.type == "skipped":
        return f"{where}: skipped ({event.message})"
    if event.type == "org_done":
        return f"{event.org}: {event.message or 'done'}"
    if event.type == "note":
        return f"{event.org}: {event.message}"
    return None


def checks_not_passed(checks: VerifyReport | None) -> dict[str, str]:
    """Per org whose checks did not all pass, what to say of it: how many did not pass, or that they could
    not run (the org could not be reached)."""
    found: dict[str, str] = {}
    for org in checks.orgs if checks is not None else ():
        if org.passed:
            continue
        failed = sum(1 for result in org.results if not result.passed)
        found[org.org] = f"{failed} of {len(org.results)}" if failed else "could not run"
    return found


def org_status(org: OrgReport, checks: dict[str, str]) -> str:
    """``ok``, ``FAILED`` (a change or the org failed) or ``checks failed (...)``."""
    if not org.ok:
        return "FAILED"
    return f"checks failed ({checks[org.org]})" if org.org in checks else "ok"


def render_apply_report(
    report: ApplyReport, *, checks: VerifyReport | None = None, width: int = 100, terminal: bool = False
) -> str:
    """The closing per-org table: status (failed by its ``checks`` too, when they ran), applied, failed,
    skipped, API calls, what is left of the daily API limit, time; then every error. The table is fitted
    to ``width`` when the text goes to a ``terminal``, otherwise printed whole."""
    not_passed = checks_not_passed(checks)
    table = Table(title="Apply summary", title_justify="left", show_edge=False)
    for column in ("org", "status", "applied", "failed", "skipped", "API calls", "limit left", "time"):
        table.add_column(column, justify="right" if column not in ("org", "status") else "left")
    errors: list[str] = []
    for org in report.orgs:
        status = org_status(org, not_passed)
        table.add_row(
            org.org,
            status,
            str(org.applied),
            str(org.failed),
            str(org.skipped),
            str(org.api_calls),
            f"{org.api_remaining:,}" if org.api_remaining is not None else "-",
            f"{org.seconds:.1f}s",
        )
        if org.error:
            errors.append(f"{org.org}: {org.error}")
        errors.extend(
            f"{org.org}::{result.address}: {result.message}"
            for result in org.results
            if not result.ok and not result.skipped
        )
    buffer = StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, _environ={})
    print_table(console, table, terminal=terminal)
    for line in errors:
        console.print(f"error: {line}", markup=False, highlight=False)
    failed_checks = [org.org for org in report.orgs if org.ok and org.org in not_passed]
    if not report.ok:
        verdict = "Apply finished with failures."
    elif failed_checks:
        verdict = f"Changes applied; checks failed in {', '.join(failed_checks)}."
    else:
        verdict = "Apply complete."
    console.print(verdict)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


class ApplyProgress:
    """Shows apply progress as events arrive: on a terminal a live bar per org (failures printed above
    the bars), otherwise one plain line per notable event (an org starting or finishing, a failure, a
    skip) for CI logs. ``handle`` is called from the org threads; calls are serialised."""

    def __init__(self, plan: Plan, console: Console, *, live: bool) -> None:
        self.console = console
        self.live = live
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        if live:
            for org in plan.orgs:
                if org.changes and not org.errors:
                    self._tasks[org.org] = self._progress.add_task(org.org, total=len(org.changes), status="waiting")

    def __enter__(self) -> ApplyProgress:
        if self.live:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self._progress.stop()

    def handle(self, event: Event) -> None:
        line = event_line(event)
        notable = line is not None and not (event.type == "result" and event.ok)
        with self._lock:
            if not self.live:
                if notable:
                    self.console.print(line, markup=False, highlight=False, soft_wrap=True)
                return
            task = self._tasks.get(event.org)
            if task is not None:
                self._update(task, event)
            if notable and event.type in ("result", "skipped"):
                self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def _update(self, task: TaskID, event: Event) -> None:
        if event.type in ("result", "skipped"):
            self._progress.advance(task)
        elif event.type == "org_start":
            self._progress.update(task, status="applying")
        elif event.type == "org_done":
            self._progress.update(task, status=event.message or "done")
