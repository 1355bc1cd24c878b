"""Checks that stop an apply which needs an explicit confirmation flag.

- A plan that deletes a large share of what an org manages is more likely a config mistake (a file left
  out, a wrong org filter) than an intent: it needs ``--force``.
- A protected org is applied only when it is named explicitly with ``--org``.
"""

from __future__ import annotations

from reconcile.errors import UnsafePlanError
from reconcile.model import Action
from reconcile.plan import OrgPlan, Plan
from state.base import State

#: An org must manage at least this many resources before the delete ratio is checked.
MIN_MANAGED = 10
#: The share of an org's managed resources a plan may delete without --force.
MAX_DELETE_RATIO = 0.30


def _deletes(org_plan: OrgPlan) -> int:
    return sum(1 for change in org_plan.changes if change.action is Action.DELETE)


def _too_many_deletes(org_plan: OrgPlan, managed: int) -> str | None:
    deletes = _deletes(org_plan)
    if managed < MIN_MANAGED or deletes <= MAX_DELETE_RATIO * managed:
        return None
    share = round(100 * deletes / managed)
    return (
        f"org {org_plan.org}: the plan deletes {deletes} of {managed} managed resources ({share}%, more "
        f"than {round(100 * MAX_DELETE_RATIO)}%)"
    )


def check_plan_safety(plan: Plan, state: State, *, force: bool) -> None:
    """Raise ``UnsafePlanError`` unless ``force`` when, in any org managing at least ``MIN_MANAGED``
    resources (its state entries), the plan deletes (``delete`` actions: revocations and picklist
    deactivations) more than ``MAX_DELETE_RATIO`` of them. The message names every such org and its
    counts, and says how to proceed."""
    if force:
        return
    findings: list[str] = []
    for org_plan in plan.orgs:
        org_state = state.orgs.get(org_plan.org)
        finding = _too_many_deletes(org_plan, len(org_state.resources) if org_state else 0)
        if finding:
            findings.append(finding)
    if findings:
        raise UnsafePlanError(
            "; ".join(findings) + ". If that is intended, re-run with --force; otherwise check the "
            "configuration (a file or org filter left out?)"
        )


def protected_orgs_ok(plan: Plan, protected: set[str], named: set[str]) -> None:
    """Raise ``UnsafePlanError`` when a protected org has changes in ``plan`` but was not named with
    ``--org`` (``named``). Protected orgs without changes are fine."""
    unnamed = sorted(
        org_plan.org
        for org_plan in plan.orgs
        if org_plan.has_changes and org_plan.org in protected and org_plan.org not in named
    )
    if unnamed:
        flags = " ".join(f"--org {org}" for org in unnamed)
        raise UnsafePlanError(
            f"protected org{'s' if len(unnamed) > 1 else ''} {', '.join(unnamed)} "
            f"{'have' if len(unnamed) > 1 else 'has'} changes: name {'them' if len(unnamed) > 1 else 'it'} "
            f"explicitly to apply ({flags})"
        )


def protected_left_out(protected: set[str], selected: list[str], named: list[str]) -> str | None:
    """A note naming the protected orgs an apply without ``--org`` (``named`` empty) leaves out
    (``selected``: the orgs it applies), so "no changes" is not read as "those orgs are in sync"."""
    left_out = sorted(protected - set(selected))
    if named or not left_out:
        return None
    flags = " ".join(f"--org {org}" for org in left_out)
    return f"protected org{'s' if len(left_out) > 1 else ''} {', '.join(left_out)} left out (apply with {flags})"
