"""The planner: what must change in each org so it matches the desired configuration.

``plan_org`` is pure: from the desired org, the live resources and the org's state it computes the
ordered changes. ``build_plan`` does the I/O around it (identity, reads, preflight) for every org in
parallel, and ``verify_fresh`` tells whether a saved plan still matches the config, state and live org.

What a change is for each resource is its kind's rule (``ResourceKind.plan`` and ``plan_removal`` in
``reconcile/kinds/``: DESIGN §4's ownership rules). The planner adds what spans kinds: resources that
leave the configuration, members of exclusive groups that are not declared, what an interrupted script
left switched off (``reconcile.switching``), and the order.

Order: creates, updates and runs in dependency order first; deletes and forgets last, in reverse
dependency order. Granting new access before revoking old means nobody is locked out mid-apply.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import networkx as nx

from providers.base import OrgIdentity, Provider
from reconcile import kinds
from reconcile.config.desired import DesiredOrg
from reconcile.errors import Problem, ProviderError, ReconcileError, StalePlanError, StateError
from reconcile.graph import add_recorded_dependencies, build_graph, dependencies, nearest_in, order
from reconcile.kinds.base import PlanContext
from reconcile.model import Action, Address, Change, Kind, Resource, live_fingerprint
from reconcile.plan import OrgPlan, Plan
from reconcile.plan_warnings import plan_warnings
from reconcile.switching import restore_addresses, restore_changes
from state.base import OrgState, State, StateEntry

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


# -- per resource: the kind's rules ------------------------------------------------------------------


def _exclusive_removals(desired: DesiredOrg, current: Mapping[Address, Resource]) -> list[Change]:
    """Live members of an exclusive group (``DesiredOrg.exclusive``) that the configuration does not declare."""
    changes: list[Change] = []
    for address, live in current.items():
        if address in desired.resources:
            continue
        group = kinds.of(address).group_of(live)
        if group is not None and Address(address.kind, group) in desired.exclusive:
            changes.append(
                Change(address=address, action=Action.DELETE, before=live, reason="exclusive = true: not declared")
            )
    return changes


# -- ordering ----------------------------------------------------------------------------------------


def _change_graph(desired: DesiredOrg, entries: Mapping[Address, StateEntry], changed: Iterable[Address]) -> nx.DiGraph:
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


def _group(change: Change) -> Address | None:
    """The exclusive group a change's resource belongs to (``permission_set_grant:Sales_Ops``), if any."""
    resource = change.before or change.after
    group = kinds.of(change.address).group_of(resource) if resource is not None else None
    return Address(change.address.kind, group) if group is not None else None


def _select_targets(graph: nx.DiGraph, changes: list[Change], targets: Collection[Address]) -> list[Change]:
    by_address = {change.address: change for change in changes}
    keep: set[Address] = set()
    stack = list(targets) + [change.address for change in changes if _group(change) in targets]
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
    context = PlanContext(prior=prior, same_org=same_org, replace=desired.replace)
    changes: dict[Address, Change] = {}
    unchanged = 0
    for address, resource in desired.resources.items():
        kind = kinds.of(address)
        change = kind.plan(resource, current.get(address), entries.get(address), context)
        if change is not None:
            changes[address] = change
        elif not kind.read_from_org or address in current:
            unchanged += 1
    for address, entry in entries.items():
        kind = kinds.of(address)
        if address not in desired.resources and kind.read_from_org:
            changes[address] = kind.plan_removal(address, current.get(address), entry)
    for change in _exclusive_removals(desired, current):
        changes.setdefault(change.address, change)
    for change in restore_changes(prior, current):
        changes.setdefault(change.address, change)  # a declared resource is converged by its own change
    if not changes:
        return [], unchanged
    graph = _change_graph(desired, entries, changes)
    ordered = _ordered(graph, changes)
    return (_select_targets(graph, ordered, targets) if targets else ordered), unchanged


def read_keys(desired: DesiredOrg, prior: OrgState) -> dict[Kind, set[str]]:
    """The keys to read per kind: desired and managed keys, plus every member of an exclusive group
    (``Sales_Ops/*``). Kinds that are actions (apex) are never read from the org."""
    keys: dict[Kind, set[str]] = {}
    for address in [*desired.resources, *prior_entries(prior)]:
        if kinds.of(address).read_from_org:
            keys.setdefault(address.kind, set()).add(address.key)
    for group in desired.exclusive:
        keys.setdefault(group.kind, set()).add(kinds.of(group).wildcard_key(group.key))
    for address in restore_addresses(prior):
        keys.setdefault(address.kind, set()).add(address.key)
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


def _preflight(provider: Provider, desired: DesiredOrg) -> list[Problem]:
    """What the provider says cannot work, each problem placed at the entry that declared its address."""
    by_kind: dict[Kind, list[Resource]] = {}
    for address in sorted(desired.resources):
        by_kind.setdefault(address.kind, []).append(desired.resources[address])
    problems: list[Problem] = []
    for kind, resources in by_kind.items():
        if kind not in provider.supports:
            problems.append(Problem(f"this org's provider does not support {kind}"))
        else:
            problems.extend(_placed(problem, desired) for problem in provider.preflight(kind, resources))
    return problems


def _conflicts(desired: DesiredOrg, current: Mapping[Address, Resource], prior: OrgState) -> list[Problem]:
    """What the kinds say stands in the way of declared resources (``ResourceKind.conflict``), placed."""
    entries = prior_entries(prior)
    found: list[Problem] = []
    for address in sorted(desired.resources):
        resource = desired.resources[address]
        problem = kinds.of(address).conflict(resource, current.get(address), entries.get(address))
        if problem is not None:
            found.append(_placed(replace(problem, address=problem.address or str(address)), desired))
    return found


def _placed(problem: Problem, desired: DesiredOrg) -> Problem:
    if problem.location is not None or not problem.address:
        return problem
    try:
        location = desired.locations.get(Address.parse(problem.address))
    except ValueError:
        return problem
    return replace(problem, location=location)


def _failing_in_sync(
    desired: DesiredOrg, current: Mapping[Address, Resource], changes: list[Change], problems: list[Problem]
) -> int:
    """How many resources ``plan_org`` counted as in sync that a problem names (a conflict): not in sync."""
    failing = {problem.address for problem in problems if problem.address}
    changed = {change.address for change in changes}
    return sum(
        1
        for address in desired.resources
        if str(address) in failing
        and address not in changed
        and (address in current or not kinds.of(address).read_from_org)
    )


def _without_failing(changes: list[Change], problems: list[Problem]) -> list[Change]:
    """The changes minus those of addresses a problem names (they cannot be applied: not changes)."""
    failing = {problem.address for problem in problems if problem.address}
    return [change for change in changes if str(change.address) not in failing]


def _plan_one_org(
    desired: DesiredOrg,
    prior: OrgState,
    provider: Provider | None,
    targets: Collection[Address] | None,
    allow: bool,
) -> OrgPlan:
    if provider is None:
        return OrgPlan(org=desired.org, errors=("no provider configured for this org",))
    identity: OrgIdentity | None = None
    try:
        identity = provider.identity()
        _check_org_id(prior, identity, allow)
        current = _read_current(provider, desired, prior)
        problems = _preflight(provider, desired) + _conflicts(desired, current, prior)
        changes, unchanged = plan_org(desired, current, prior, identity, targets=targets or ())
        if targets is not None and not targets:
            changes = []  # --target named nothing in this org
        unchanged -= _failing_in_sync(desired, current, changes, problems)
        changes = _without_failing(changes, problems)
        errors = [str(problem) for problem in problems]
        warnings = plan_warnings(provider, desired, changes, current)
    except ReconcileError as exc:
        changes, unchanged, errors, warnings = [], 0, [str(exc)], []
    return OrgPlan(
        org=desired.org,
        org_id=identity.org_id if identity else "",
        org_name=identity.name if identity else "",
        is_sandbox=identity.is_sandbox if identity else None,
        changes=tuple(changes),
        unchanged=unchanged,
        errors=tuple(errors),
        warnings=tuple(warnings),
        api_calls=provider.usage.calls,
        api_remaining=provider.usage.remaining,
    )


def build_plan(
    *,
    config_digest: str,
    desired: Mapping[str, DesiredOrg],
    state: State,
    providers: Mapping[str, Provider],
    targets: Mapping[str, Collection[Address]] | None = None,
    parallelism: int = 8,
    allow_org_change: bool = False,
    on_org_done: Callable[[str], None] | None = None,
) -> Plan:
    """Plan every org in ``desired`` in parallel; orgs in the result are sorted by name.

    A ``ReconcileError`` (``ProviderError`` included) in one org becomes that org's errors and never stops
    the others; preflight problems become errors too. Any other exception propagates. ``state`` is only
    read; its lineage and serial are recorded in the plan. ``on_org_done(name)`` is called as soon as an
    org's plan is made (or failed), so its provider can be let go then.
    """

    def plan_one(name: str) -> OrgPlan:
        prior = state.orgs.get(name) or OrgState()
        chosen = None if targets is None else targets.get(name, frozenset())
        try:
            return _plan_one_org(desired[name], prior, providers.get(name), chosen, allow_org_change)
        finally:
            if on_org_done is not None:
                on_org_done(name)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        orgs = one_org_once(tuple(pool.map(plan_one, sorted(desired))))
    return Plan(
        created_at=datetime.now(UTC),
        config_digest=config_digest,
        state_lineage=state.lineage if state.serial else "",  # no lineage until first written
        state_serial=state.serial,
        orgs=orgs,
    )


def one_org_once(orgs: tuple[OrgPlan, ...]) -> tuple[OrgPlan, ...]:
    """Orgs of the configuration that are the same Salesforce org (one Organization Id) get an error each:
    applying both would change that org twice, from two different expansions."""
    by_id: dict[str, list[str]] = {}
    for org in orgs:
        if org.org_id:
            by_id.setdefault(org.org_id, []).append(org.org)
    shared = {org_id: names for org_id, names in by_id.items() if len(names) > 1}
    if not shared:
        return orgs

    def flagged(org: OrgPlan) -> OrgPlan:
        names = shared.get(org.org_id)
        if names is None:
            return org
        others = " and ".join(name for name in names if name != org.org)
        error = (
            f"this is the same Salesforce org as {others} (Organization Id {org.org_id}): applying both would "
            "change it twice; remove one of them from the configuration, or plan one with --org"
        )
        return org.model_copy(update={"errors": (*org.errors, error)})

    return tuple(flagged(org) for org in orgs)


def _moved_addresses(org_plan: OrgPlan, provider: Provider) -> list[Address]:
    touched = [change for change in org_plan.changes if kinds.of(change.address).read_from_org]
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
    Orgs whose plan has errors are not checked (they are not applied), nor orgs that cannot be read now
    (applying them fails that org alone)."""
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
        try:
            addresses = _moved_addresses(org_plan, provider)
        except ProviderError:
            continue  # the org cannot be read: applying it fails that org alone, the others go on
        if addresses:
            moved.append(_describe_moved(org_plan.org, addresses))
    if moved:
        raise StalePlanError("plan is stale: " + "; ".join(moved) + "; run plan again")
