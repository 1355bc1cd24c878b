"""``reconcile drift``: every selected org at a glance, an org × kind matrix of what drifted and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import (
    DEFAULT_CONFIG,
    DEFAULT_PARALLELISM,
    ConfigOpt,
    Format,
    FormatOpt,
    OrgOpt,
    ParallelismOpt,
    ShardOpt,
    TagOpt,
    WorkersOpt,
)

if TYPE_CHECKING:
    from reconcile.fleet.drift import DriftReport


def render_drift(report: DriftReport, fmt: Format) -> str:
    from reconcile.render.drift import render_drift_json, render_drift_markdown, render_drift_text

    if fmt is Format.json:
        return render_drift_json(report)
    if fmt is Format.markdown:
        return render_drift_markdown(report)
    return render_drift_text(report, width=max(out_console().width, 80), terminal=out_console().is_terminal)


@app.command()
@handle_errors
def drift(
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    tag: TagOpt = None,
    format: FormatOpt = Format.text,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when something drifted, 0 when all is in sync.")
    ] = False,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    shard: ShardOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Show which orgs and kinds drifted from the configuration, and whether by hand or by a config change."""
    from reconcile.fleet.drift import declared_kinds, drift_report
    from reconcile.fleet.workers import plan_selected
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        orgs = workspace.select(org or [], tag or [], for_apply=False, shard=shard)
        plan = plan_selected(workspace, config, orgs, workers=workers, parallelism=parallelism)
        report = drift_report(plan, workspace.backend.read(), declared_kinds(workspace.config.entries))
    typer.echo(render_drift(report, format).rstrip("\n"))
    if report.has_errors:
        raise typer.Exit(1)
    if detailed_exitcode and report.has_drift:
        raise typer.Exit(2)
