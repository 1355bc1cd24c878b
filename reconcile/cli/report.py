"""``reconcile report``: one run of the history as a report to attach to a change ticket."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt
from reconcile.errors import ReconcileError

if TYPE_CHECKING:
    from reconcile.history import Run


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"


def render(run: Run, fmt: ReportFormat) -> str:
    from reconcile.render.report import render_report_html, render_report_markdown

    return render_report_html(run) if fmt is ReportFormat.html else render_report_markdown(run)


def write_report(path: Path, text: str) -> None:
    """Write the report to ``path`` (UTF-8); an unwritable path is the user's error, not a traceback."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReconcileError(f"cannot write the report to {path}: {exc.strerror}") from None


@app.command()
@handle_errors
def report(
    format: Annotated[ReportFormat, typer.Option("--format", help="Report format.", show_default=False)],
    config: ConfigOpt = DEFAULT_CONFIG,
    run: Annotated[
        str | None, typer.Option("--run", help="A run id or prefix (default: the latest run).", show_default=False)
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file.")] = None,
) -> None:
    """Write a change report of one run: per org what changed, what failed and why, scripts and logs."""
    from reconcile.cli.history import load_history
    from reconcile.history import find_run

    chosen = find_run(load_history(config), run)
    text = render(chosen, format)
    if out is None:
        typer.echo(text, nl=False)
        return
    write_report(out, text)
    out_console().print(f"Wrote the {format.value} report of run {chosen.run_id} to {out}.", markup=False)
