"""``reconcile apex run``: one ad-hoc anonymous Apex script across many orgs, in parallel, logged.

The script is checked before any org is contacted (readable UTF-8, not empty, at most 32,000
characters: what executeAnonymous accepts). The orgs are named with ``--org``/``--tag`` (a protected
org only by ``--org``), confirmed on the terminal (or ``--auto-approve``), and run at most
``--parallelism`` at a time. Every org's outcome, debug log included, goes to the execution history as
one ``apex`` run (record shapes in ``reconcile.history``). Ad-hoc runs are not part of the run ledger
in state: that ledger belongs to the ``[[apex]]`` entries of the configuration.
"""

from __future__ import annotations

import getpass
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from providers.base import APEX_MAX_CHARS, ApexResult, Provider
from reconcile.cli.application import app, handle_errors, out_console, stdin_is_terminal
from reconcile.cli.apply import journal_for, run_record
from reconcile.cli.options import (
    DEFAULT_CONFIG,
    DEFAULT_PARALLELISM,
    ConfigOpt,
    OrgOpt,
    ParallelismOpt,
    TagOpt,
)
from reconcile.errors import ProviderError, ReconcileError
from reconcile.executor import apex_message
from reconcile.history import apex_fields, script_fields
from reconcile.model import sha256_hex
from reconcile.workspace import Workspace
from state.journal import JournalStore as JournalLike

apex_app = typer.Typer(help="Run anonymous Apex on orgs, outside the configuration.", no_args_is_help=True)
app.add_typer(apex_app, name="apex")


@dataclass(frozen=True)
class OrgScriptRun:
    """One org's run of the script: the org's answer (None when the org could not be used, ``error``
    then says why), the API calls the run made and the seconds it took."""

    org: str
    outcome: ApexResult | None
    error: str = ""
    api_calls: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.compiled and self.outcome.success

    @property
    def message(self) -> str:
        """Why it failed (with line and column when the org gave them), or "ok"."""
        return self.error if self.outcome is None else apex_message(self.outcome)


def read_script(path: Path) -> str:
    """The script in ``path``; a ReconcileError when it cannot be sent as it is."""
    try:
        body = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ReconcileError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ReconcileError(f"{path}: cannot read the script ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ReconcileError(f"{path} is not valid UTF-8 (offset {exc.start}): save it with UTF-8 encoding") from None
    if not body.strip():
        raise ReconcileError(f"{path} is empty: there is nothing to run")
    if len(body) > APEX_MAX_CHARS:
        raise ReconcileError(
            f"{path} has {len(body):,} characters; executeAnonymous accepts at most {APEX_MAX_CHARS:,}: "
            "split the script"
        )
    return body


def run_one(org: str, provider: Provider, script: str) -> OrgScriptRun:
    """Run ``script`` on one org; an org-level ``ProviderError`` becomes the run's error."""
    started, calls_before = time.monotonic(), provider.usage.calls
    try:
        outcome: ApexResult | None = provider.run_apex(script)
        error = ""
    except ProviderError as exc:
        outcome, error = None, str(exc)
    return OrgScriptRun(org, outcome, error, provider.usage.calls - calls_before, time.monotonic() - started)


def run_everywhere(
    providers: Mapping[str, Provider],
    script: str,
    parallelism: int,
    on_done: Callable[[OrgScriptRun], None],
) -> list[OrgScriptRun]:
    """Run ``script`` on every org (at most ``parallelism`` at once); ``on_done`` is called as each
    org finishes, never concurrently. Returns the runs sorted by org name."""
    lock = threading.Lock()

    def one(org: str) -> OrgScriptRun:
        result = run_one(org, providers[org], script)
        with lock:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(providers)))) as pool:
        return list(pool.map(one, sorted(providers)))


def confirm(orgs: Sequence[str], file: Path) -> None:
    if not stdin_is_terminal():
        raise ReconcileError(
            f"apex run asks before running {file} on {', '.join(orgs)} and there is no terminal to ask on: "
            "re-run with --auto-approve"
        )
    answer = typer.prompt(f"Run {file} on {', '.join(orgs)}? Only 'yes' will be accepted", default="")
    if answer.strip() != "yes":
        raise ReconcileError("apex run cancelled; no org was contacted")


def result_record(run_id: str, address: str, run: OrgScriptRun) -> dict[str, Any]:
    """The journal ``result`` record of one org's run."""
    fields: dict[str, Any] = {"org": run.org, "address": address, "action": "run", "ok": run.ok,
                              "message": run.message, "seconds": round(run.seconds, 3),
                              "api_calls": run.api_calls}
    if run.outcome is not None:
        fields["apex"] = apex_fields(run.outcome)
    return run_record(run_id, "result", **fields)


def end_record(run_id: str, runs: Sequence[OrgScriptRun]) -> dict[str, Any]:
    """The journal ``run_end`` record: per org, 1 applied or 1 failed, calls, time and org error."""
    return run_record(run_id, "run_end", ok=all(run.ok for run in runs), orgs={
        run.org: {"applied": int(run.ok), "failed": int(not run.ok), "skipped": 0,
                  "api_calls": run.api_calls, "seconds": round(run.seconds, 3), "error": run.error}
        for run in runs
    })


def execute(journal: JournalLike, providers: Mapping[str, Provider], file: Path, script: str,
            parallelism: int) -> tuple[str, list[OrgScriptRun]]:
    """Run and journal the script; returns the run id and every org's run."""
    run_id = uuid.uuid4().hex[:12]
    address = f"apex:{file.name}"
    orgs = sorted(providers)
    journal.append(run_record(
        run_id, "run_start", operation="apex", user=getpass.getuser(), host=socket.gethostname(), orgs=orgs,
        script=script_fields(file=str(file), body=script, sha256=sha256_hex(script)),
        changes={org: [{"address": address, "action": "run", "reason": "ad-hoc script"}] for org in orgs},
    ))
    runs = run_everywhere(providers, script, parallelism,
                          lambda run: journal.append(result_record(run_id, address, run)))
    journal.append(end_record(run_id, runs))
    return run_id, runs


def render_results(runs: Sequence[OrgScriptRun], *, width: int = 100) -> str:
    """The per-org table: org, compiled, success, line:col, message, API calls, time."""
    table = Table(title="Apex run", title_justify="left", show_edge=False)
    for column in ("org", "compiled", "success", "line:col", "message", "API calls", "time"):
        table.add_column(column, justify="right" if column in ("API calls", "time") else "left",
                         overflow="fold")
    for run in runs:
        outcome = run.outcome
        where = f"{outcome.line}:{outcome.column}" if outcome is not None and outcome.line > 0 else ""
        table.add_row(run.org, _yes_no(outcome.compiled if outcome else None),
                      _yes_no(outcome.success if outcome else None), where, _short_message(run),
                      str(run.api_calls), f"{run.seconds:.1f}s")
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


@apex_app.command("run")
@handle_errors
def run(
    file: Annotated[Path, typer.Argument(help="The anonymous Apex script to run.", show_default=False)],
    org: OrgOpt = None,
    tag: TagOpt = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    parallelism: ParallelismOpt = DEFAULT_PARALLELISM,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
) -> None:
    """Run an anonymous Apex script on the named orgs and record every outcome and debug log."""
    script = read_script(file)
    if not org and not tag:
        raise ReconcileError("name the orgs to run the script on with --org NAME or --tag T")
    with Workspace.open(config) as workspace:
        names = workspace.select(org or [], tag or [], for_apply=True)
        if not names:
            raise ReconcileError("no org matches: a protected org must be named with --org")
        if not auto_approve:
            confirm(names, file)
        run_id, runs = execute(journal_for(workspace), workspace.connect(names, parallelism), file, script,
                               parallelism)
    typer.echo(render_results(runs, width=max(out_console().width, 100)).rstrip("\n"))
    failed = [run for run in runs if not run.ok]
    for failure in failed:
        typer.echo(f"error: {failure.org}: {failure.message}")
    typer.echo(f"Recorded as run {run_id}: `reconcile history show {run_id}` shows the debug logs.")
    if failed:
        raise typer.Exit(1)
