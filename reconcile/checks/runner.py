"""Run the checks of many orgs: each org's checks one after another, the orgs in parallel.

Order within an org: declaration order, except that a check runs after the checks its ``after`` names
(``check:NAME``). A check is ``skipped`` when a check it names did not pass, or while a manual step it
names (``manual_step:NAME``) is pending in that org. An org whose provider cannot be reached, or cannot
evaluate checks, gets its error and no results; the other orgs go on. Nothing here writes state or prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from graphlib import CycleError, TopologicalSorter

from providers.base import Provider, Verifier
from reconcile.checks.entry import CheckEntry
from reconcile.checks.evaluate import evaluate
from reconcile.checks.manual import Confirmation, org_steps, pending_steps
from reconcile.checks.results import CheckResult, CheckStatus, OrgChecks, VerifyReport
from reconcile.config.schema import Config
from reconcile.errors import ReconcileError
from reconcile.workspace import Workspace
from state.base import State


def checks_for(config: Config, org: str) -> list[CheckEntry]:
    """The checks that apply to ``org``, in the order they run."""
    chosen = config.orgs[org]
    entries = [e for e in config.entries if isinstance(e, CheckEntry) and e.applies_to(chosen)]
    by_name = {entry.name: entry for entry in entries}
    graph = {
        entry.name: {ref[6:] for ref in entry.after if ref.startswith("check:") and ref[6:] in by_name}
        for entry in entries
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:
        return entries
    return [by_name[name] for name in order] if order else entries


def verify_org(config: Config, org: str, provider: Provider, state: State) -> OrgChecks:
    """Run ``org``'s checks through ``provider``."""
    entries = checks_for(config, org)
    if not entries:
        return OrgChecks(org=org)
    try:
        provider.identity()  # an org that cannot be reached says so once, not once per check
    except ReconcileError as exc:
        return OrgChecks(org=org, error=str(exc))
    if not isinstance(provider, Verifier):
        return OrgChecks(org=org, error="this org's provider cannot evaluate checks")
    pending = {step.name for step in pending_steps(config, org, state.orgs.get(org))}
    results: dict[str, CheckResult] = {}
    for entry in entries:
        reason = _waiting(entry, results, pending)
        if reason:
            results[entry.name] = CheckResult(
                name=entry.name,
                org=org,
                type=entry.what,
                status=CheckStatus.skipped,
                summary=reason,
                location=str(entry.location),
            )
        else:
            results[entry.name] = evaluate(entry, config.orgs[org], provider)
    ordered = [results[entry.name] for entry in entries]
    return OrgChecks(org=org, results=tuple(ordered))


def _waiting(entry: CheckEntry, results: Mapping[str, CheckResult], pending: set[str]) -> str:
    for reference in entry.after:
        kind, _, name = reference.partition(":")
        if kind == "check" and name in results and not results[name].passed:
            return f"skipped: check '{name}' did not pass"
        if kind == "manual_step" and name in pending:
            return f"skipped: manual step '{name}' is pending"
    return ""


def run_checks(
    config: Config, orgs: Sequence[str], providers: Mapping[str, Provider], state: State, *, parallelism: int = 8
) -> VerifyReport:
    """Every org's checks, the orgs in parallel; orgs in the report sorted by name."""

    def one(name: str) -> OrgChecks:
        if not checks_for(config, name):
            return OrgChecks(org=name)  # no provider needed: an org without checks need not be connected
        return verify_org(config, name, providers[name], state)

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(orgs) or 1))) as pool:
        found = list(pool.map(one, sorted(orgs)))
    return VerifyReport(orgs=tuple(found))


def verify_orgs(
    workspace: Workspace, orgs: Sequence[str], parallelism: int
) -> tuple[VerifyReport, dict[str, list[tuple[str, str, Confirmation | None]]]]:
    """Run the checks of ``orgs`` in a workspace and collect their manual steps (nothing is journaled); only
    the orgs that declare checks are connected (an apply has let the others go)."""
    state = workspace.backend.read()
    checked = [org for org in orgs if checks_for(workspace.config, org)]
    providers = workspace.connect(checked, parallelism)
    report = run_checks(workspace.config, orgs, providers, state, parallelism=parallelism)
    steps = {org: org_steps(workspace.config, org, state.orgs.get(org)) for org in orgs}
    return report, steps
