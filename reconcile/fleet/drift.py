"""Drift: how far each org is from its configuration, and why, as plain frozen data.

``drift_report(plan, state)`` turns a plan of every selected org into an org × kind matrix and one
item per drifted address. It does no I/O. Each item says where the difference comes from:

- ``outside``: the live resource differs from what this tool last applied to it (or is gone): someone
  changed it by hand, "changed outside reconcile since the last apply (applied <time>)".
- ``config``: the live resource is still as last applied; the configuration moved since.
- ``pending``: never applied to this org ("not yet applied").
- ``undeclared``: an assignment nobody declared, revoked because its entry is ``exclusive = true``.
- ``removed``: managed earlier, no longer declared (the plan undoes or forgets it).

Apex scripts are actions, not configuration an org holds, so drift leaves them out (``plan`` lists the
runs that are due). A cell is ``error`` when the org could not be planned, or when a preflight problem
names an address of that kind; the other kinds of that org still show their drift.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Literal

from pydantic import Field

from reconcile import kinds
from reconcile.config.schema import Entry
from reconcile.model import Action, Address, Change, Frozen, Kind, Resource, resource_type
from reconcile.plan import OrgPlan, Plan
from reconcile.planner import prior_entries
from state.base import OrgState, State, StateEntry


def drift_kinds() -> tuple[Kind, ...]:
    """The kinds drift reports on, in matrix order: every kind an org holds (not actions such as apex)."""
    return tuple(kind.name for kind in kinds.readable())


Origin = Literal["outside", "config", "pending", "undeclared", "removed"]
CellState = Literal["in_sync", "drifted", "error"]


class DriftItem(Frozen):
    """One drifted address: the planned change that would fix it and where the difference comes from."""

    change: Change
    origin: Origin
    note: str
    applied_at: datetime | None = None

    @property
    def address(self) -> Address:
        return self.change.address


class Cell(Frozen):
    """One org × kind cell of the matrix."""

    state: CellState
    drifted: int = 0

    @property
    def text(self) -> str:
        if self.state == "error":
            return "error"
        return "in sync" if self.state == "in_sync" else f"{self.drifted} drifted"


class OrgDrift(Frozen):
    """One org's row: a cell per kind, the drifted items in plan order, and the org's errors."""

    org: str
    org_id: str = ""
    cells: dict[Kind, Cell]
    items: tuple[DriftItem, ...] = ()
    errors: tuple[str, ...] = ()
    #: Manual steps not confirmed in the org (not drift: shown beside it).
    open_steps: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not self.items and not self.errors


class DriftReport(Frozen):
    """Drift across the selected orgs (sorted by name) for ``kinds``."""

    created_at: datetime
    kinds: tuple[Kind, ...] = Field(default_factory=drift_kinds)
    orgs: tuple[OrgDrift, ...] = ()

    @property
    def has_drift(self) -> bool:
        return any(org.items for org in self.orgs)

    @property
    def has_errors(self) -> bool:
        return any(org.errors for org in self.orgs)


def drift_report(plan: Plan, state: State, declared: Collection[Kind] | None = None) -> DriftReport:
    """The drift matrix of ``plan``'s orgs; ``state`` supplies what was last applied, and when. With
    ``declared`` (the kinds the configuration declares: ``declared_kinds``), the matrix has a column for
    each of those kinds and for any other kind the plan changes, the orgs' state holds or an error names;
    without it, a column for every kind an org holds."""
    reported = drift_kinds() if declared is None else _columns(plan, state, declared)
    orgs = tuple(_org_drift(org_plan, state.orgs.get(org_plan.org) or OrgState(), reported) for org_plan in plan.orgs)
    return DriftReport(created_at=plan.created_at, kinds=reported, orgs=orgs)


def declared_kinds(entries: Iterable[Entry]) -> set[Kind]:
    """The kinds ``entries`` (a configuration's) may declare resources of."""
    found: set[Kind] = set()
    for entry in entries:
        found.update(kinds.for_entry(entry).declares(entry))
    return found


def _columns(plan: Plan, state: State, declared: Collection[Kind]) -> tuple[Kind, ...]:
    shown = set(declared)
    for org_plan in plan.orgs:
        shown.update(change.address.kind for change in org_plan.changes)
        shown.update(_kinds_in_error(org_plan.errors, ()))  # an error naming no kind adds no column
        held = state.orgs.get(org_plan.org)
        if held is not None:
            shown.update(Address.parse(key).kind for key in held.resources)
    return tuple(kind for kind in drift_kinds() if kind in shown)


def _org_drift(org_plan: OrgPlan, prior: OrgState, reported: tuple[Kind, ...]) -> OrgDrift:
    entries = prior_entries(prior)
    items = tuple(
        _item(change, entries.get(change.address)) for change in org_plan.changes if change.address.kind in reported
    )
    broken = _kinds_in_error(org_plan.errors, reported)
    cells = {kind: _cell(kind, items, broken) for kind in reported}
    steps = tuple(step.name for step in org_plan.manual_steps)
    return OrgDrift(
        org=org_plan.org, org_id=org_plan.org_id, cells=cells, items=items, errors=org_plan.errors, open_steps=steps
    )


def _kinds_in_error(errors: tuple[str, ...], reported: tuple[Kind, ...]) -> set[Kind]:
    """The kinds the errors concern: an error naming an address concerns its kind, any other all."""
    broken: set[Kind] = set()
    for error in errors:
        # "picklist:Account.Tier__c: ...", or placed at its entry: "reconcile.toml:12:1: picklist:..."
        named = [kind for kind in kinds.names() if error.startswith(f"{kind}:") or f": {kind}:" in error]
        broken.update(named or reported)
    return broken


def _cell(kind: Kind, items: tuple[DriftItem, ...], broken: set[Kind]) -> Cell:
    if kind in broken:
        return Cell(state="error")
    drifted = sum(1 for item in items if item.address.kind is kind)
    return Cell(state="drifted", drifted=drifted) if drifted else Cell(state="in_sync")


def applied_text(when: datetime | None) -> str:
    """``applied 2025-03-01 10:15:00 UTC`` (or ``applied at an unknown time``)."""
    return f"applied {when:%Y-%m-%d %H:%M:%S %Z}".rstrip() if when else "applied at an unknown time"


def _item(change: Change, entry: StateEntry | None) -> DriftItem:
    when = entry.applied_at if entry else None
    if change.action in (Action.DELETE, Action.FORGET):
        if entry is None:
            return DriftItem(change=change, origin="undeclared", note="not declared; exclusive = true revokes it")
        return DriftItem(
            change=change, origin="removed", applied_at=when, note=f"no longer declared (last {applied_text(when)})"
        )
    if entry is None:
        return DriftItem(change=change, origin="pending", note="not yet applied")
    if not _matches(change.address.kind, change.before, entry):
        gone = "" if change.before is not None else "; it is no longer in the org"
        return DriftItem(
            change=change,
            origin="outside",
            applied_at=when,
            note=f"changed outside reconcile since the last apply ({applied_text(when)}){gone}",
        )
    return DriftItem(
        change=change,
        origin="config",
        applied_at=when,
        note=f"the configuration changed since the last apply ({applied_text(when)})",
    )


def _matches(kind: Kind, live: Resource | None, entry: StateEntry) -> bool:
    """Whether the live resource is what this tool last applied (state's attributes; what state adds
    beyond the resource's own fields, such as a picklist's ``managed_values``, is left aside)."""
    if live is None:
        return False
    model = resource_type(kind)
    attributes = {key: value for key, value in entry.attributes.items() if key in model.model_fields}
    try:
        applied = model.model_validate({**attributes, "kind": kind})
    except ValueError:
        return False
    plugin = kinds.get(kind)
    return bool(plugin.comparable(applied) == plugin.comparable(live))
