"""Rendering of apply progress events and the per-org apply report (text only; the CLI prints)."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from reconcile.executor import ApplyReport, Event


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
    return None


def render_apply_report(report: ApplyReport, *, width: int = 100) -> str:
    """The closing per-org table: status, applied, failed, skipped, API calls, time, error."""
    table = Table(title="Apply summary", title_justify="left", show_edge=False)
    for column in ("org", "status", "applied", "failed", "skipped", "API calls", "time"):
        table.add_column(column, justify="right" if column not in ("org", "status") else "left")
    errors: list[str] = []
    for org in report.orgs:
        status = "ok" if org.ok else "FAILED"
        table.add_row(
            org.org,
            status,
            str(org.applied),
            str(org.failed),
            str(org.skipped),
            str(org.api_calls),
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
    console.print(table)
    for line in errors:
        console.print(f"error: {line}", markup=False, highlight=False)
    verdict = "Apply complete." if report.ok else "Apply finished with failures."
    console.print(verdict)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
