"""``reconcile apply``: converge the orgs, from a fresh plan or a saved one."""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, err_console, handle_errors, out_console, stdin_is_terminal
from reconcile.cli.options import (
    DEFAULT_CONFIG,
    DEFAULT_PARALLELISM,
    ApplyWorkersOpt,
    ByOpt,
    ConfigOpt,
    Format,
    LockTimeoutOpt,
    OrgOpt,
    ParallelismOpt,
    ReplaceOpt,
    ShardOpt,
    TagOpt,
    TargetOpt,
)
from reconcile.errors import ReconcileError

if TYPE_CHECKING:
    from reconcile.checks.results import VerifyReport
    from reconcile.executor import ApplyReport, Event
    from reconcile.history.provenance import Provenance
    from reconcile.plan import Plan
    from reconcile.workspace import Workspace
    from state.journal import JournalStore


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM set the event: the batch in flight finishes, state is saved, the rest is skipped."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def confirm(plan: Plan) -> None:
    if not stdin_is_terminal():
        raise ReconcileError(
            "apply asks for confirmation and there is no terminal to ask on: "
            "review the plan, then re-run with --auto-approve"
        )
    orgs = ", ".join(o.org for o in plan.orgs if o.has_changes and not o.errors)
    answer = typer.prompt(f"Apply these changes to {orgs}? Only 'yes' will be accepted", default="")
    if answer.strip() != "yes":
        raise ReconcileError("apply cancelled; nothing was changed")


def journal_for(workspace: Workspace) -> JournalStore:
    from state.factory import journal_for as state_journal_for

    return state_journal_for(workspace.config.state, workspace.config.root)


def selected_orgs(
    workspace: Workspace, saved: Plan | None, org: list[str], tag: list[str], shard: str | None
) -> list[str]:
    """The orgs this apply touches: the selection (protected orgs only when named), or a saved plan's,
    narrowed by ``--org`` and ``--tag`` exactly as a fresh plan is (a name the plan does not cover is an
    error)."""
    if saved is None:
        return workspace.select(org, tag, for_apply=True, shard=shard)
    if shard:
        raise ReconcileError("a saved plan applies to the orgs it was made for: --shard cannot be combined with it")
    names = [o.org for o in saved.orgs]
    strangers = sorted(set(org) - set(names))
    if strangers:
        raise ReconcileError(f"the saved plan does not cover {', '.join(strangers)} (it covers {', '.join(names)})")
    if not org and not tag:
        return names
    chosen = set(workspace.select(org, tag, for_apply=False))
    return [name for name in names if name in chosen]


def make_plan(
    workspace: Workspace,
    saved: Plan | None,
    names: list[str],
    parallelism: int,
    allow_org_change: bool,
    targets: list[str],
    replace: Sequence[str] = (),
) -> Plan:
    """A fresh plan of ``names``, or the saved plan narrowed to ``names`` once it is proven not stale."""
    from reconcile.planner import verify_fresh

    if saved is None:
        return workspace.plan(
            names, targets=targets, parallelism=parallelism, allow_org_change=allow_org_change, replace=replace
        )
    if targets:
        raise ReconcileError(
            "--target narrows a fresh plan; a saved plan applies as it was made: plan again with --target and --out"
        )
    if replace:
        raise ReconcileError(
            "--replace changes a fresh plan; a saved plan applies as it was made: plan again with --replace and --out"
        )
    saved = saved.model_copy(update={"orgs": tuple(o for o in saved.orgs if o.org in names)})
    verify_fresh(
        saved,
        config_digest=workspace.config.digest,
        state=workspace.backend.read(),
        providers=workspace.connect(names, parallelism),
    )
    return saved


def report_backend_warnings(workspace: Workspace) -> None:
    """Say so when a lock left by a dead process was taken over (or anything else the backend noted)."""
    for warning in getattr(workspace.backend, "warnings", []):
        err_console().print(f"[yellow]Warning:[/] {warning}", highlight=False)


def run_provenance(workspace: Workspace, by: str | None, planfile: Path | None = None) -> Provenance:
    """Who runs this, from which commit and CI job (``reconcile.history.provenance``); the state directory
    and the plan file applied are not changes to the configuration."""
    from reconcile.history.provenance import provenance

    config = workspace.config
    exclude = [config.state_path.parent, *([planfile] if planfile is not None else [])]
    return provenance(config.root, os.environ, by, exclude=exclude)


def execute(
    workspace: Workspace,
    plan: Plan,
    parallelism: int,
    planfile: Path | None,
    checks: bool = False,
    by: str | None = None,
    workers: int | None = None,
) -> tuple[ApplyReport, VerifyReport | None]:
    """Apply ``plan``, journalling the run (``reconcile.history.ApplyJournal``, with who ran it and from
    which commit) and showing progress (failures as they happen); with ``checks``, then run the checks of
    every org applied without an org error, journaled in the same run (a failed check fails that org's
    outcome). With ``workers`` above 1, the orgs are applied in forked worker processes
    (``reconcile.fleet.apply_workers``) when this process can fork, else here with a note."""
    from reconcile.checks.runner import checks_for, verify_orgs
    from reconcile.executor import apply_plan
    from reconcile.fleet.apply_workers import apply_in_workers
    from reconcile.fleet.workers import can_fork, use_workers
    from reconcile.history import ApplyJournal
    from reconcile.history.verification import append_verification, org_failure
    from reconcile.render.apply import ApplyProgress

    journal = ApplyJournal.start(journal_for(workspace), plan, planfile, run_provenance(workspace, by, planfile))
    console = out_console()
    progress = ApplyProgress(plan, console, live=console.is_terminal)

    def keep(org: str) -> bool:  # the checks run next on the same connection
        return checks and bool(checks_for(workspace.config, org))

    names = [o.org for o in plan.orgs]
    count = use_workers(len(names), workers or 1)  # apply spreads only when asked
    if count > 1 and not can_fork():
        err_console().print(
            "Note: --workers needs Linux and no emulated org served by this command; applying in one process.",
            markup=False,
            highlight=False,
        )
        count = 1
    providers = workspace.connect(names, parallelism)  # the connections the plan opened
    state = workspace.backend.read()

    spread = count > 1
    # workers are forked inside apply_in_workers, before the live display starts its thread
    display: AbstractContextManager[object] = nullcontext() if spread else progress
    run = functools.partial(apply_in_workers, workers=count, start_display=lambda: progress) if spread else apply_plan
    with stop_on_signals() as stop, display, workspace.releasing(keep) as release:

        def on_event(event: Event) -> None:
            journal.record(event)
            progress.handle(event)
            if event.type == "org_done" and not spread:  # its provider is no longer used
                release(event.org)

        report = run(
            plan,
            providers=providers,
            backend=workspace.backend,
            state=state,
            parallelism=parallelism,
            on_event=on_event,
            stop=stop,
        )
    if spread:
        for name in names:  # the workers used these connections: the checks open their own
            workspace.release(name)
    if not checks:
        journal.finish(report)
        return report, None
    converged = [o.org for o in report.orgs if o.ok]
    verification, steps = verify_orgs(workspace, converged, parallelism)
    append_verification(journal.append, verification, steps)
    journal.finish(report, {o.org: org_failure(o) for o in verification.orgs if not o.passed})
    return report, verification


def verify_unchanged(workspace: Workspace, plan: Plan, parallelism: int, by: str | None = None) -> VerifyReport:
    """Apply had nothing to change: run the checks of the planned orgs as a ``verify`` run of the history
    (with who ran it, as an apply records it)."""
    from reconcile.checks.runner import verify_orgs
    from reconcile.history.verification import record_verify

    names = [o.org for o in plan.orgs if not o.errors]
    verification, steps = verify_orgs(workspace, names, parallelism)
    if verification.ran:
        record_verify(journal_for(workspace), verification, steps, run_provenance(workspace, by))
    return verification


def print_verification(verification: VerifyReport | None, plan_steps: Plan | None) -> None:
    """The checks' results after an apply, then the manual steps still to do, as a checklist."""
    from reconcile.cli.plan import print_rendered
    from reconcile.render.text import manual_step_lines
    from reconcile.render.verify import render_verify_text

    if verification is not None and verification.ran:
        print_rendered(render_verify_text(verification))
    if plan_steps is not None and plan_steps.has_pending_steps:
        print_rendered("\n".join(manual_step_lines(plan_steps)) + "\n")


@app.command()
@handle_errors
def apply(
    planfile: Annotated[Path | None, typer.Argument(help="A plan saved with `reconcile plan --out`.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    tag: TagOpt = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a plan that deletes more than 30% of an org's managed items.")
    ] = False,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    lock_timeout: LockTimeoutOpt = 0.0,
    allow_org_change: Annotated[
        bool, typer.Option("--allow-org-change", help="Adopt an org whose Organization Id changed.")
    ] = False,
    shard: ShardOpt = None,
    target: TargetOpt = None,
    skip_checks: Annotated[
        bool, typer.Option("--skip-checks", help="Do not run the [[check]] entries after applying.")
    ] = False,
    by: ByOpt = None,
    replace: ReplaceOpt = None,
    workers: ApplyWorkersOpt = None,
) -> None:
    """Converge the orgs to the configuration (or apply a saved plan), recording what was done, then run the
    checks of the orgs applied."""
    from reconcile.cli.plan import print_rendered
    from reconcile.planfile import load_plan
    from reconcile.render.apply import render_apply_report
    from reconcile.safety import protected_left_out
    from reconcile.workspace import Workspace
    from state.factory import lock_orgs

    with Workspace.open(config) as workspace:
        saved = load_plan(planfile) if planfile is not None else None
        names = selected_orgs(workspace, saved, org or [], tag or [], shard)
        note = protected_left_out({n for n, c in workspace.config.orgs.items() if c.protected}, names, org or [])
        if note and saved is None:
            err_console().print(f"Note: {note}", markup=False, highlight=False)
        with lock_orgs(workspace.backend, names, "apply", lock_timeout):
            report_backend_warnings(workspace)
            outcome = converge(
                workspace,
                saved,
                names,
                org or [],
                planfile,
                auto_approve=auto_approve,
                force=force,
                parallelism=parallelism,
                allow_org_change=allow_org_change,
                targets=target or [],
                checks=not skip_checks,
                by=by,
                replace=replace or [],
                workers=workers,
            )
    report, verification, plan = outcome
    if report is not None:
        width = max(out_console().width, 80)
        terminal = out_console().is_terminal
        print_rendered(render_apply_report(report, checks=verification, width=width, terminal=terminal))
    print_verification(verification, plan if report is not None else None)
    if (report is not None and not report.ok) or (verification is not None and not verification.passed):
        raise typer.Exit(1)


def converge(
    workspace: Workspace,
    saved: Plan | None,
    names: list[str],
    named: list[str],
    planfile: Path | None,
    *,
    auto_approve: bool,
    force: bool,
    parallelism: int,
    allow_org_change: bool,
    targets: list[str],
    checks: bool = False,
    by: str | None = None,
    replace: list[str] | None = None,
    workers: int | None = None,
) -> tuple[ApplyReport | None, VerifyReport | None, Plan]:
    """Plan (or verify the saved plan), check safety, confirm, apply, run the checks (with ``checks``); the
    apply report is None when there was nothing to change."""
    from reconcile.cli.plan import print_rendered, render
    from reconcile.safety import check_plan_safety, protected_orgs_ok

    plan = make_plan(workspace, saved, names, parallelism, allow_org_change, targets, replace or [])
    protected = {name for name, cfg in workspace.config.orgs.items() if cfg.protected}
    protected_orgs_ok(plan, protected, set(named))
    check_plan_safety(plan, workspace.backend.read(), force=force)
    print_rendered(render(plan, Format.text))
    if not plan.has_changes:
        if plan.has_errors:
            raise typer.Exit(1)
        return None, verify_unchanged(workspace, plan, parallelism, by) if checks else None, plan
    if not auto_approve:
        confirm(plan)
    report, verification = execute(workspace, plan, parallelism, planfile, checks, by, workers)
    return report, verification, plan
