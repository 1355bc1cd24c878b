"""``reconcile plan`` and ``reconcile show``: compute or display what apply would do."""

from __future__ import annotations

from pathlib import Path
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
    ReplaceOpt,
    ShardOpt,
    TagOpt,
    TargetOpt,
    WorkersOpt,
)

if TYPE_CHECKING:
    from reconcile.plan import Plan


def render(plan: Plan, fmt: Format) -> str:
    from reconcile.render.json import render_plan_json
    from reconcile.render.markdown import render_plan_markdown
    from reconcile.render.text import render_plan_text

    if fmt is Format.json:
        return render_plan_json(plan)
    if fmt is Format.markdown:
        return render_plan_markdown(plan)
    console = out_console()
    return render_plan_text(plan, width=max(console.width, 80), color=console.is_terminal, terminal=console.is_terminal)


def print_rendered(text: str) -> None:
    typer.echo(text.rstrip("\n"))


@app.command()
@handle_errors
def plan(
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    tag: TagOpt = None,
    target: TargetOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan to apply it later.")] = None,
    format: FormatOpt = Format.text,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none.")
    ] = False,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    shard: ShardOpt = None,
    allow_org_change: Annotated[
        bool, typer.Option("--allow-org-change", help="Adopt an org whose Organization Id changed.")
    ] = False,
    workers: WorkersOpt = None,
    replace: ReplaceOpt = None,
) -> None:
    """Show what apply would change in each org, without changing anything."""
    from reconcile.fleet.workers import plan_selected
    from reconcile.planfile import save_plan
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        orgs = workspace.select(org or [], tag or [], for_apply=False, shard=shard)
        result = plan_selected(
            workspace,
            config,
            orgs,
            workers=workers,
            targets=target or [],
            parallelism=parallelism,
            allow_org_change=allow_org_change,
            replace=replace or [],
        )
    print_rendered(render(result, format))
    if out is not None:
        save_plan(result, out)
        if format is Format.text:
            out_console().print(f"Saved the plan to {out}. Apply it with: reconcile apply {out}")
    if result.has_errors:
        raise typer.Exit(1)
    if detailed_exitcode and (result.has_changes or result.has_pending_steps):
        raise typer.Exit(2)


@app.command()
@handle_errors
def show(
    planfile: Annotated[Path, typer.Argument(help="A plan saved with `reconcile plan --out`.")],
    format: FormatOpt = Format.text,
) -> None:
    """Display a saved plan."""
    from reconcile.planfile import load_plan

    print_rendered(render(load_plan(planfile), format))
