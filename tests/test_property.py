"""apply(plan(desired, current, prior)) reaches desired, and planning again finds nothing to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.config.desired import DesiredOrg
from reconcile.executor import apply_plan
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Address, Resource
from reconcile.planner import build_plan
from state.base import OrgState, State, StateEntry
from state.memory import MemoryStateBackend
from tests.support.fakes import FakeProvider

TARGETS = ("Account.Tier__c", "gvs:Regions")
NAMES = ("A", "B", "C", "D", "E")
ASSIGNABLES = ("PS1", "group:PG1")
USERS = ("u1@x", "u2@x", "u3@x")
PROFILES = ("P1", "P2")
EXPIRIES = (None, date(2030, 1, 1), date(2031, 6, 30))


@dataclass
class World:
    desired: DesiredOrg
    live: list[Resource]
    prior: OrgState


def _grant(assignable: str, user: str, expires: date | None) -> PermissionSetGrant:
    if assignable.startswith("group:"):
        return PermissionSetGrant(permission_set_group=assignable[6:], username=user, expires=expires)
    return PermissionSetGrant(permission_set=assignable, username=user, expires=expires)


@st.composite
def _values(draw: st.DrawFn, *, live: bool) -> tuple[PicklistValue, ...]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    values = [
        PicklistValue(
            name=name,
            label=draw(st.sampled_from((name, f"{name} label"))),
            active=draw(st.booleans()) if live else True,
        )
        for name in names
    ]
    default_pool = [i for i, v in enumerate(values) if v.active]
    default = draw(st.sampled_from([None, *default_pool]))
    return tuple(v.model_copy(update={"default": i == default}) for i, v in enumerate(values))


@st.composite
def _picklists(draw: st.DrawFn) -> tuple[list[Resource], list[Resource], dict[str, StateEntry]]:
    live: list[Resource] = []
    desired: list[Resource] = []
    prior: dict[str, StateEntry] = {}
    for target in TARGETS:
        current = Picklist(target=target, values=draw(_values(live=True)), sorted=draw(st.booleans()))
        if draw(st.booleans()):
            live.append(current)
            if draw(st.booleans()):
                mode = draw(st.sampled_from(("additive", "exact")))
                sorted_ = draw(st.sampled_from((None, True, False)))
                values = draw(_values(live=False))
                desired.append(
                    Picklist.model_validate({"target": target, "values": values, "mode": mode, "sorted": sorted_})
                )
        if draw(st.booleans()):
            managed = draw(st.lists(st.sampled_from(NAMES), unique=True))
            prior[f"picklist:{target}"] = StateEntry(kind="picklist", attributes={"managed_values": managed})
    return live, desired, prior


@st.composite
def _worlds(draw: st.DrawFn) -> World:
    live, desired, prior = draw(_picklists())
    pairs = [(a, u) for a in ASSIGNABLES for u in USERS]
    for assignable, user in pairs:
        if draw(st.booleans()):
            live.append(_grant(assignable, user, draw(st.sampled_from(EXPIRIES))))
        if draw(st.booleans()):
            desired.append(_grant(assignable, user, draw(st.sampled_from(EXPIRIES))))
        if draw(st.booleans()):
            prior[f"permission_set_grant:{_grant(assignable, user, None).key}"] = StateEntry(
                kind="permission_set_grant"
            )
    for profile in PROFILES:
        for resources in (live, desired):
            if draw(st.booleans()):
                resources.append(
                    LayoutAssignment(profile=profile, object="Account", layout=draw(st.sampled_from(("L1", "L2"))))
                )
        if draw(st.booleans()):
            prior[f"layout_assignment:{profile}/Account"] = StateEntry(kind="layout_assignment")
    addresses = sorted(r.address for r in desired)
    edges = (
        draw(st.lists(st.tuples(st.sampled_from(addresses), st.sampled_from(addresses)), max_size=4))
        if addresses
        else []
    )
    acyclic = frozenset((a, b) for a, b in edges if a < b)
    exclusive = frozenset(
        Address("permission_set_grant", assignable)
        for assignable in draw(st.lists(st.sampled_from(ASSIGNABLES), unique=True))
    )
    want = DesiredOrg(org="dev", resources={r.address: r for r in desired}, edges=acyclic, exclusive=exclusive)
    return World(want, live, OrgState(resources=prior))


def _check_picklist(want: Picklist, live: Picklist, previously_managed: set[str]) -> None:
    by_name = {v.name: v for v in live.values}
    declared = {v.name for v in want.values}
    for value in want.values:
        assert by_name[value.name].active and by_name[value.name].label == value.label
    defaults = [v.name for v in live.values if v.default]
    if want.default_value is not None:
        assert defaults == [want.default_value]
    assert all(by_name[name].active for name in defaults)
    undeclared_active = {v.name for v in live.values if v.active and v.name not in declared}
    if want.mode == "exact":
        assert not undeclared_active
    assert not undeclared_active & previously_managed
    if want.sorted is not None:
        assert live.sorted is want.sorted


def _check_reached(world: World, provider: FakeProvider) -> None:
    org = provider.resources
    prior = {Address.parse(a): e for a, e in world.prior.resources.items()}
    for address, resource in world.desired.resources.items():
        if isinstance(resource, Picklist):
            managed = {str(v) for v in prior[address].attributes["managed_values"]} if address in prior else set()
            current = org[address]
            assert isinstance(current, Picklist)
            _check_picklist(resource, current, managed)
        else:
            assert org[address].attributes() == resource.attributes()
    for address, resource in org.items():
        if isinstance(resource, PermissionSetGrant) and address not in world.desired.resources:
            assert address not in prior and Address(address.kind, resource.assignable) not in world.desired.exclusive
        if isinstance(resource, Picklist) and address in prior and address not in world.desired.resources:
            managed = set(prior[address].attributes["managed_values"])
            assert not any(v.active for v in resource.values if v.name in managed)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_worlds())
def test_apply_reaches_desired_and_a_second_plan_is_empty(world: World) -> None:
    provider = FakeProvider(world.live)
    state = State(orgs={"dev": world.prior})
    backend = MemoryStateBackend(state)

    first = build_plan(config_digest="d", desired={"dev": world.desired}, state=state, providers={"dev": provider})
    assert first.org("dev").errors == ()
    report = apply_plan(first, providers={"dev": provider}, backend=backend, state=state)
    assert report.ok, report
    _check_reached(world, provider)
    second = build_plan(
        config_digest="d", desired={"dev": world.desired}, state=report.state, providers={"dev": provider}
    )
    assert second.org("dev").changes == (), [str(c.address) + " " + c.reason for c in second.org("dev").changes]
