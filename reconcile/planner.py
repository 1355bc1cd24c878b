"""The planner: what must change in each org so it matches the desired configuration.

``plan_org`` is pure: from the desired org, the live resources and the org's state it computes the
ordered changes. ``build_plan`` does the I/O around it (identity, reads, preflight) for every org in
parallel, and ``verify_fresh`` tells whether a saved plan still matches the config, state and live org.

The rules users predict (DESIGN §4):

- picklist: the live value list (org order, inactive values kept) merged with the declared values.
  Declared values become active with their declared label; new ones are appended; a declared
  ``default`` moves the default. ``mode = "exact"`` deactivates every undeclared active value; in either
  mode a value this tool added or reactivated earlier and no longer declares is deactivated. A picklist is
  never created or deleted as a whole: a missing target is skipped here (preflight reports it), and a
  picklist leaving the config is a ``delete`` that deactivates the values this tool added.
- layout_assignment: created or repointed; leaving the config only forgets it (Salesforce cannot
  remove an assignment).
- permission_set_grant: created, its expiry updated, revoked when it leaves the config; with
  ``exclusive = true`` every undeclared assignment of that permission set is revoked too.
- apex: run per policy against the org's run ledger in state. A ledger recorded for another org id (a
  refreshed sandbox adopted with --allow-org-change) does not count: that is a new org.

Order: creates, updates and runs in dependency order first; deletes and forgets last, in reverse
dependency order. Granting new access before revoking old means nobody is locked out mid-apply.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import networkx as nx

from providers.base import OrgIdentity, Provider
from reconcile.config.desired import DesiredOrg
from reconcile.errors import ReconcileError, StalePlanError, StateError
from reconcile.graph import add_recorded_dependencies, build_graph, dependencies, nearest_in, order
from reconcile.model import (
    Action,
    Address,
    ApexScript,
    Change,
    Kind,
    LayoutAssignment,
    PermissionSetGrant,
    Picklist,
    Resource,
    live_fingerprint,
)
from reconcile.picklists import deactivate_owned, describe_details, managed_values, merge_values
from reconcile.plan import OrgPlan, Plan
from state.base import ApexRun, OrgState, State, StateEntry

REMOVALS = frozenset({Action.DELETE, Action.FORGET})


def prior_entries(prior: OrgState) -> dict[Address, StateEntry]:
    """The org's state entries by address; an unparsable address is a ``StateError``."""
    entries: dict[Address, StateEntry] = {}
    for text, entry in prior.resources.items():
        try:
            entries[Address.parse(text)] = entry
        except ValueError as exc:
            raise StateError(f"state holds an invalid address: {exc}") from None
    return entries


# -- picklists ---------------------------------------------------------------------------------------


def _plan_picklist(desired: Picklist, live: Picklist | None, entry: StateEntry | None) -> Change | None:
    if live is None:
        return None
    values, details = merge_values(desired, live, managed_values(entry))
    sorted_ = desired.sorted if desired.sorted is not None else live.sorted
    if values == live.values and sorted_ == live.sorted:
        return None
    after = Picklist(target=desired.target, values=values, sorted=sorted_, mode=desired.mode, ids=live.ids)
    reason = describe_details(details) or f"sorted becomes {str(sorted_).lower()}"
    return Change(
        address=desired.address,
        action=Action.UPDATE,
        before=live,
        after=after,
        reason=reason,
        details=details,
    )


def _plan_picklist_removal(address: Address, live: Picklist | None, entry: StateEntry) -> Change:
    if live is None:
        return Change(address=address, action=Action.FORGET, reason="no longer in the org")
    after_values, details = deactivate_owned(live, managed_values(entry))
    if after_values == live.values:
        reason = "values already inactive" if managed_values(entry) else "it added no values"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)
    return Change(
        address=address,
        action=Action.DELETE,
        before=live,
        after=live.model_copy(update={"values": after_values}),
        reason="no longer declared: deactivating the values this tool added",
        details=details,
    )


# -- layouts, grants, apex ---------------------------------------------------------------------------


_Single = TypeVar("_Single", LayoutAssignment, PermissionSetGrant)


def _plan_layout(desired: LayoutAssignment, live: LayoutAssignment | None) -> Change | None:
    if live is None:
        return _create_or_update(desired, None, "not assigned yet")
    return _create_or_update(desired, live, f"layout is {live.layout!r}", same=live.layout == desired.layout)


def _plan_grant(desired: PermissionSetGrant, live: PermissionSetGrant | None) -> Change | None:
    if live is None:
        return _create_or_update(desired, None, "not granted yet")
    reason = f"expires {live.expires or 'never'}, should expire {desired.expires or 'never'}"
    return _create_or_update(desired, live, reason, same=live.expires == desired.expires)


def _create_or_update(desired: _Single, live: _Single | None, reason: str, *, same: bool = False) -> Change | None:
    """CREATE when nothing is live, UPDATE (keeping the live record ids) when it differs, else nothing."""
    if live is None:
        return Change(address=desired.address, action=Action.CREATE, after=desired, reason=reason)
    if same:
        return None
    return Change(
        address=desired.address,
        action=Action.UPDATE,
        before=live,
        after=desired.model_copy(update={"ids": live.ids}),
        reason=reason,
    )


def _plan_apex(script: ApexScript, runs: list[ApexRun]) -> Change | None:
    if script.run == "always":
        reason = "run = always"
    else:
        succeeded = [run for run in runs if run.success]
        if not succeeded:
            reason = "last run failed" if runs else "never ran in this org"
        elif script.run == "once" or any(run.sha256 == script.sha256 for run in succeeded):
            return None
        else:
            reason = "file changed since last successful run"
    return Change(address=script.address, action=Action.RUN, after=script, reason=reason)


def _plan_desired(
    resource: Resource, live: Resource | None, entry: StateEntry | None, ledger: Mapping[str, list[ApexRun]]
) -> Change | None:
    if isinstance(resource, Picklist):
        return _plan_picklist(resource, live if isinstance(live, Picklist) else None, entry)
    if isinstance(resource, LayoutAssignment):
        return _plan_layout(resource, live if isinstance(live, LayoutAssignment) else None)
    if isinstance(resource, PermissionSetGrant):
        return _plan_grant(resource, live if isinstance(live, PermissionSetGrant) else None)
    if isinstance(resource, ApexScript):
        return _plan_apex(resource, ledger.get(resource.name, []))
    raise TypeError(f"no planning rule for {type(resource).__name__}")


def _plan_removal(address: Address, live: Resource | None, entry: StateEntry) -> Change:
    if address.kind is Kind.PICKLIST:
        return _plan_picklist_removal(address, live if isinstance(live, Picklist) else None, entry)
    if address.kind is Kind.LAYOUT_ASSIGNMENT:
        layout = live if isinstance(live, LayoutAssignment) else None
        reason = "no longer declared: Salesforce cannot remove an assignment, the org is left as it is"
        return Change(address=address, action=Action.FORGET, before=layout, reason=reason)
    if not isinstance(live, PermissionSetGrant):
        return Change(address=address, action=Action.FORGET, reason="already revoked")
    return Change(address=address, action=Action.DELETE, before=live, reason="no longer declared")


def _exclusive_revokes(desired: DesiredOrg, current: Mapping[Address, Resource]) -> list[Change]:
    return [
        Change(address=address, action=Action.DELETE, before=live, reason="exclusive = true: not declared")
        for address, live in current.items()
        if isinstance(live, PermissionSetGrant)
        and live.assignable in desired.exclusive
        and address not in desired.resources
    ]


# -- ordering ----------------------------------------------------------------------------------------


def _change_graph(
    desired: DesiredOrg, entries: Mapping[Address, StateEntry], changed: Iterable[Address]
) -> nx.DiGraph:
    graph = build_graph(desired, extra=changed)
    for address, entry in entries.items():
        if address not in desired.resources:
            add_recorded_dependencies(graph, address, entry.dependencies)
    return graph


def _ordered(graph: nx.DiGraph, changes: Mapping[Address, Change]) -> list[Change]:
    """The changes in apply order, each copied once with its live fingerprint and ``depends_on``."""
    forward = {a for a, c in changes.items() if c.action not in REMOVALS}
    removals = {a for a, c in changes.items() if c.action in REMOVALS}
    reverse = nx.reverse_view(graph)

    def placed(address: Address, view: nx.DiGraph, members: set[Address]) -> Change:
        change = changes[address]
        depends_on = tuple(nearest_in(view, address, members))
        return change.model_copy(update={"fingerprint": live_fingerprint(change.before), "depends_on": depends_on})

    result = [placed(a, graph, forward) for a in order(graph, forward)]
    result += [placed(a, reverse, removals) for a in reversed(order(graph, removals))]
    return result


def _select_targets(graph: nx.DiGraph, changes: list[Change], targets: Collection[Address]) -> list[Change]:
    by_address = {change.address: change for change in changes}
    keep: set[Address] = set()
    stack = list(targets)
    while stack:
        address = stack.pop()
        if address in keep:
            continue
        keep.add(address)
        stack.extend(dependencies(graph, address))
        if address in by_address:
            stack.extend(by_address[address].depends_on)
    return [change for change in changes if change.address in keep]


# -- one org, pure -----------------------------------------------------------------------------------


def plan_org(
    desired: DesiredOrg,
    current: Mapping[Address, Resource],
    prior: OrgState,
    identity: OrgIdentity | None,
    *,
    targets: Collection[Address] = (),
) -> tuple[list[Change], int]:
    """The ordered changes for one org and how many managed resources are already in sync. No I/O.

    Each change carries the fingerprint of the live resource it was computed from, the nearest changing
    resources it must wait for (``depends_on``) and a short reason. ``targets`` (if any) keeps only those
    addresses and what they depend on. ``identity`` (None when unknown) scopes the apex run ledger to the
    org id it was recorded for.
    """
    entries = prior_entries(prior)
    same_org = identity is None or not prior.org_id or prior.org_id == identity.org_id
    ledger = prior.apex_runs if same_org else {}
    changes: dict[Address, Change] = {}
    unchanged = 0
    for address, resource in desired.resources.items():
        change = _plan_desired(resource, current.get(address), entries.get(address), ledger)
        if change is not None:
            changes[address] = change
        elif isinstance(resource, ApexScript) or address in current:
            unchanged += 1
    for address, entry in entries.items():
        if address not in desired.resources and address.kind is not Kind.APEX:
            changes[address] = _plan_removal(address, current.get(address), entry)
    for change in _exclusive_revokes(desired, current):
        changes.setdefault(change.address, change)
    graph = _change_graph(desired, entries, changes)
    ordered = _ordered(graph, changes)
    return (_select_targets(graph, ordered, targets) if targets else ordered), unchanged


def read_keys(desired: DesiredOrg, prior: OrgState) -> dict[Kind, set[str]]:
    """The keys to read per kind: desired and managed keys, plus ``<assignable>/*`` for exclusive grants.
    Apex is never read from the org."""
    keys: dict[Kind, set[str]] = {}
    for address in [*desired.resources, *prior_entries(prior)]:
        if address.kind is not Kind.APEX:
            keys.setdefault(address.kind, set()).add(address.key)
    for assignable in desired.exclusive:
        keys.setdefault(Kind.PERMISSION_SET_GRANT, set()).add(f"{assignable}/*")
    return keys


# -- every org, with I/O -----------------------------------------------------------------------------


def _check_org_id(prior: OrgState, identity: OrgIdentity, allow_org_change: bool) -> None:
    if prior.org_id and prior.org_id != identity.org_id and not allow_org_change:
        raise StateError(
            f"org id changed from {prior.org_id} to {identity.org_id} (a refreshed sandbox?); "
            "re-run with --allow-org-change to adopt it"
        )


def _read_current(provider: Provider, desired: DesiredOrg, prior: OrgState) -> dict[Address, Resource]:
    current: dict[Address, Resource] = {}
    for kind, keys in sorted(read_keys(desired, prior).items()):
        if kind in provider.supports:
            current.update(provider.read(kind, sorted(keys)))
    return current


def _preflight(provider: Provider, desired: DesiredOrg) -> list[str]:
    by_kind: dict[Kind, list[Resource]] = {}
    for address in sorted(desired.resources):
        by_kind.setdefault(address.kind, []).append(desired.resources[address])
    errors: list[str] = []
    for kind, resources in by_kind.items():
        if kind not in provider.supports:
            errors.append(f"this org's provider does not support {kind.value}")
        else:
            errors.extend(str(problem) for problem in provider.preflight(kind, resources))
    return errors


def _plan_one_org(
    desired: DesiredOrg, prior: OrgState, provider: Provider | None, targets: Collection[Address], allow: bool
) -> OrgPlan:
    if provider is None:
        return OrgPlan(org=desired.org, errors=("no provider configured for this org",))
    identity: OrgIdentity | None = None
    try:
        identity = provider.identity()
        _check_org_id(prior, identity, allow)
        current = _read_current(provider, desired, prior)
        errors = _preflight(provider, desired)
        changes, unchanged = plan_org(desired, current, prior, identity, targets=targets)
    except ReconcileError as exc:
        changes, unchanged, errors = [], 0, [str(exc)]
    return OrgPlan(
        org=desired.org,
        org_id=identity.org_id if identity else "",
        org_name=identity.name if identity else "",
        is_sandbox=identity.is_sandbox if identity else False,
        changes=tuple(changes),
        unchanged=unchanged,
        errors=tuple(errors),
        api_calls=provider.usage.calls,
        api_remaining=provider.usage.remaining,
    )


def build_plan(
    *,
    config_digest: str,
    desired: Mapping[str, DesiredOrg],
    state: State,
    providers: Mapping[str, Provider],
    targets: Collection[Address] = (),
    parallelism: int = 8,
    allow_org_change: bool = False,
) -> Plan:
    """Plan every org in ``desired`` in parallel; orgs in the result are sorted by name.

    A ``ReconcileError`` (``ProviderError`` included) in one org becomes that org's errors and never stops
    the others; preflight problems become errors too. Any other exception propagates. ``state`` is only
    read; its lineage and serial are recorded in the plan.
    """

    def plan_one(name: str) -> OrgPlan:
        prior = state.orgs.get(name) or OrgState()
        return _plan_one_org(desired[name], prior, providers.get(name), targets, allow_org_change)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        orgs = tuple(pool.map(plan_one, sorted(desired)))
    return Plan(
        created_at=datetime.now(UTC),
        config_digest=config_digest,
        state_lineage=state.lineage if state.serial else "",  # no lineage until first written
        state_serial=state.serial,
        orgs=orgs,
    )


def _moved_addresses(org_plan: OrgPlan, provider: Provider) -> list[Address]:
    touched = [change for change in org_plan.changes if change.address.kind is not Kind.APEX]
    keys: dict[Kind, set[str]] = {}
    for change in touched:
        keys.setdefault(change.address.kind, set()).add(change.address.key)
    current: dict[Address, Resource] = {}
    for kind, kind_keys in sorted(keys.items()):
        current.update(provider.read(kind, sorted(kind_keys)))
    return [c.address for c in touched if live_fingerprint(current.get(c.address)) != c.fingerprint]


def _describe_moved(org: str, moved: list[Address]) -> str:
    shown = ", ".join(str(address) for address in moved[:10])
    more = f" and {len(moved) - 10} more" if len(moved) > 10 else ""
    return f"org {org}: changed in the org since the plan: {shown}{more}"


def verify_fresh(plan: Plan, *, config_digest: str, state: State, providers: Mapping[str, Provider]) -> None:
    """Raise ``StalePlanError`` naming everything that moved since ``plan`` was made: the config digest,
    the state lineage or serial, and per org the touched resources whose live fingerprint changed.
    Orgs whose plan has errors are not checked (they are not applied)."""
    moved: list[str] = []
    if plan.config_digest != config_digest:
        moved.append("the configuration changed since the plan was made")
    if not plan.state_lineage and state.serial:
        moved.append(f"the state changed since the plan (serial {plan.state_serial} -> {state.serial})")
    elif plan.state_lineage and plan.state_lineage != state.lineage:
        moved.append(f"the state lineage changed from {plan.state_lineage} to {state.lineage}")
    elif plan.state_serial != state.serial:
        moved.append(f"the state changed since the plan (serial {plan.state_serial} -> {state.serial})")
    for org_plan in plan.orgs:
        if org_plan.errors or not org_plan.changes:
            continue
        provider = providers.get(org_plan.org)
        if provider is None:
            moved.append(f"org {org_plan.org}: no provider configured")
            continue
        addresses = _moved_addresses(org_plan, provider)
        if addresses:
            moved.append(_describe_moved(org_plan.org, addresses))
    if moved:
        raise StalePlanError("plan is stale: " + "; ".join(moved) + "; run plan again")
