from __future__ import annotations

import pytest

from reconcile.config.desired import DesiredOrg
from reconcile.errors import CycleError, Location
from reconcile.graph import (
    add_recorded_dependencies,
    build_graph,
    check_cycles,
    dependents,
    nearest_in,
    order,
)
from reconcile.kinds.apex import ApexScript
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist
from reconcile.model import Address, Resource

TIER = Address("picklist", "Account.Tier__c")
REGIONS = Address("picklist", "gvs:Regions")
LAYOUT = Address("layout_assignment", "Sales User/Account")
GRANT = Address("permission_set_grant", "Sales_Ops/alice@acme.com")
BACKFILL = Address("apex", "backfill")
CLEANUP = Address("apex", "cleanup")


def _resources() -> dict[Address, Resource]:
    resources: list[Resource] = [
        Picklist(target="Account.Tier__c"),
        Picklist(target="gvs:Regions"),
        LayoutAssignment(profile="Sales User", object="Account", layout="Account Layout"),
        PermissionSetGrant(permission_set="Sales_Ops", username="alice@acme.com"),
        ApexScript(name="backfill", file="b.apex", sha256="1"),
        ApexScript(name="cleanup", file="c.apex", sha256="2"),
    ]
    return {r.address: r for r in resources}


def _desired(*edges: tuple[Address, Address], locations: dict[Address, Location] | None = None) -> DesiredOrg:
    return DesiredOrg(org="dev", resources=_resources(), edges=frozenset(edges), locations=locations or {})


def test_order_without_edges_follows_kind_order_then_address() -> None:
    graph = build_graph(_desired())
    assert order(graph, list(_resources())[::-1]) == [TIER, REGIONS, LAYOUT, GRANT, BACKFILL, CLEANUP]


def test_order_puts_a_dependency_first_even_against_kind_order() -> None:
    graph = build_graph(_desired((CLEANUP, TIER), (GRANT, CLEANUP)))
    ordered = order(graph, list(_resources()))
    assert ordered.index(GRANT) < ordered.index(CLEANUP) < ordered.index(TIER)
    assert ordered[0] == REGIONS  # TIER must wait for CLEANUP


def test_order_respects_paths_through_addresses_left_out() -> None:
    graph = build_graph(_desired((CLEANUP, GRANT), (GRANT, TIER)))
    assert order(graph, [TIER, CLEANUP]) == [CLEANUP, TIER]


def test_extra_addresses_are_ordered_too() -> None:
    gone = Address("permission_set_grant", "Old/bob@acme.com")
    graph = build_graph(_desired(), extra=[gone])
    assert gone in graph
    assert order(graph, [gone, TIER]) == [TIER, gone]


def test_dependents_are_transitive() -> None:
    graph = build_graph(_desired((TIER, BACKFILL), (BACKFILL, CLEANUP)))
    assert dependents(graph, TIER) == {BACKFILL, CLEANUP}
    assert dependents(graph, CLEANUP) == set()
    assert dependents(graph, Address("apex", "unknown")) == set()


def test_check_cycles_accepts_an_acyclic_graph() -> None:
    check_cycles(_desired((TIER, BACKFILL), (BACKFILL, CLEANUP)))


def test_cycle_message_prints_the_cycle_and_where_each_address_is_declared() -> None:
    locations = {
        TIER: Location("orgs.toml", 3, 1),
        BACKFILL: Location("apex.toml", 10, 1),
        CLEANUP: Location("apex.toml", 20, 1),
    }
    with pytest.raises(CycleError) as caught:
        check_cycles(_desired((TIER, BACKFILL), (BACKFILL, CLEANUP), (CLEANUP, TIER), locations=locations))
    message = str(caught.value)
    cycle = message.split("dependency cycle: ")[1].split(" (")[0]
    parts = cycle.split(" -> ")
    assert len(parts) == 4 and parts[0] == parts[-1]
    assert set(parts) == {str(TIER), str(BACKFILL), str(CLEANUP)}
    assert "picklist:Account.Tier__c declared at orgs.toml:3:1" in message
    assert "apex:backfill declared at apex.toml:10:1" in message
    assert "apex:cleanup declared at apex.toml:20:1" in message


def test_a_self_dependency_is_a_cycle() -> None:
    with pytest.raises(CycleError, match=r"apex:backfill -> apex:backfill"):
        check_cycles(_desired((BACKFILL, BACKFILL)))


def test_nearest_in_looks_through_members_left_out() -> None:
    graph = build_graph(_desired((TIER, BACKFILL), (BACKFILL, CLEANUP), (REGIONS, CLEANUP)))
    assert nearest_in(graph, CLEANUP, {TIER, REGIONS}) == [TIER, REGIONS]
    assert nearest_in(graph, CLEANUP, {TIER, BACKFILL}) == [BACKFILL]


def test_recorded_dependencies_never_close_a_cycle() -> None:
    gone = Address("permission_set_grant", "Old/bob@acme.com")
    graph = build_graph(_desired(), extra=[gone])
    add_recorded_dependencies(graph, gone, [str(TIER), "not an address", "apex:missing"])
    assert list(graph.predecessors(gone)) == [TIER]
    add_recorded_dependencies(graph, TIER, [str(gone)])
    assert not graph.has_edge(gone, TIER)
