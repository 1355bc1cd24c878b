"""Flows (FlowDefinition active versions) through the provider and the emulator over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconcile.kinds import get
from reconcile.kinds.base import PlanContext
from reconcile.kinds.flow import Flow, Version
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, narrow, provider_seed

FLOW = "flow"


def versions(*statuses: str) -> list[dict[str, Any]]:
    return [{"number": n, "status": s} for n, s in enumerate(statuses, start=1)]


def flows_seed(count: int = 0) -> dict[str, Any]:
    seed = provider_seed()
    seed["flows"] = [
        {"name": "Lead_Routing", "versions": versions("Obsolete", "Obsolete", "Active", "Obsolete")},
        {"name": "Case_Triage", "versions": versions("Obsolete", "Draft")},
        {"name": "Quote_Sync", "namespace": "acme", "versions": versions("Active")},
        *({"name": f"Bulk_{n:03}", "versions": versions("Active", "Obsolete")} for n in range(count)),
    ]
    return seed


def plan(org: EmulatedOrg, name: str, version: Version) -> Change:
    desired = Flow(name=name, active_version=version)
    live = org.provider.read(FLOW, [name]).get(desired.address)
    change = get(FLOW).plan(desired, narrow(live, Flow) if live else None, None, PlanContext())
    assert change is not None
    return change


def statuses(org: EmulatedOrg, name: str) -> dict[int, str]:
    [definition] = org.rows("FlowDefinition", DeveloperName=name)
    return {row["VersionNumber"]: row["Status"] for row in org.rows("Flow", DefinitionId=definition["Id"])}


@pytest.mark.parametrize("count", [0, 1, 250])
def test_reading_any_number_of_flows_is_one_query(emulated: Callable[..., EmulatedOrg], count: int) -> None:
    org = emulated(flows_seed(count))
    keys = ["Lead_Routing", "acme__Quote_Sync", "Missing_Flow", *(f"bulk_{n:03}" for n in range(count))]
    found = org.provider.read(FLOW, keys)
    assert org.provider.usage.by_endpoint == {"GET tooling/query": 1}
    assert org.requests() == org.provider.usage.by_endpoint
    lead = narrow(found[Address(FLOW, "Lead_Routing")], Flow)
    assert (lead.active_version, lead.active, lead.latest) == (3, 3, 4)
    assert lead.ids["definition"].startswith("300")
    assert narrow(found[Address(FLOW, "acme__Quote_Sync")], Flow).active == 1
    assert Address(FLOW, "Missing_Flow") not in found
    assert len(found) == 2 + count
    if count:
        assert narrow(found[Address(FLOW, "bulk_000")], Flow).name == "bulk_000"  # keyed as asked


def test_latest_activates_the_newest_version(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(flows_seed())
    change = plan(org, "Lead_Routing", "latest")
    assert change.action is Action.UPDATE
    assert change.reason == "active version 3 -> 4 (latest)"
    assert get(FLOW).detail_lines(change) == [("~", "active version: 3 -> 4 (latest)")]
    org.reset_counts()
    [result] = org.provider.apply(FLOW, [change])
    assert result.ok, result
    assert org.provider.usage.by_endpoint == {"PATCH tooling/sobjects/FlowDefinition/{id}": 1}
    assert org.requests() == org.provider.usage.by_endpoint
    assert statuses(org, "Lead_Routing") == {1: "Obsolete", 2: "Obsolete", 3: "Obsolete", 4: "Active"}
    again = narrow(org.provider.read(FLOW, ["Lead_Routing"])[change.address], Flow)
    assert get(FLOW).plan(Flow(name="Lead_Routing", active_version="latest"), again, None, PlanContext()) is None


def test_none_deactivates_and_a_number_reactivates(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(flows_seed())
    [off] = org.provider.apply(FLOW, [plan(org, "acme__Quote_Sync", "none")])
    assert off.ok and off.message == "deactivated"
    assert statuses(org, "Quote_Sync") == {1: "Obsolete"}
    on = plan(org, "acme__Quote_Sync", 1)
    assert on.reason == "active version none -> 1 (latest)"
    assert org.provider.apply(FLOW, [on])[0].ok
    assert statuses(org, "Quote_Sync") == {1: "Active"}


def test_preflight_names_each_flow_that_cannot_be_activated(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(flows_seed())
    desired = [
        Flow(name="Lead_Routng", active_version="latest"),
        Flow(name="Lead_Routing", active_version=7),
        Flow(name="Case_Triage", active_version="latest"),
        Flow(name="Case_Triage", active_version=1),
        Flow(name="acme__Quote_Sync", active_version="none"),
    ]
    org.provider.read(FLOW, [d.name for d in desired])
    org.reset_counts()
    problems = org.provider.preflight(FLOW, desired)
    assert [(p.address, p.message, p.hint) for p in problems] == [
        ("flow:Lead_Routng", "no flow Lead_Routng in the org", "did you mean Lead_Routing?"),
        ("flow:Lead_Routing", "flow Lead_Routing has no version 7", "its versions are 1 to 4"),
        (
            "flow:Case_Triage",
            "version 2 of flow Case_Triage is a draft (Draft); Salesforce will not activate it",
            "activate a saved version, or save this one as a new version first",
        ),
    ]
    assert org.provider.usage.by_endpoint == {"GET tooling/query": 2}  # the unknown name, then the statuses


def test_a_version_salesforce_refuses_fails_that_change_only(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(flows_seed())
    draft = plan(org, "Case_Triage", "latest")
    fine = plan(org, "Lead_Routing", 2)
    results = org.provider.apply(FLOW, [draft, fine])
    assert [r.ok for r in results] == [False, True]
    assert results[0].code == "FIELD_INTEGRITY_EXCEPTION"
    assert "draft" in results[0].message
    assert statuses(org, "Lead_Routing")[2] == "Active"


def test_inventory_lists_every_flow_in_one_query(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(flows_seed())
    found = org.provider.inventory(FLOW)
    assert org.provider.usage.by_endpoint == {"GET tooling/query": 1}
    assert [(str(a), narrow(f, Flow).active_version) for a, f in found.items()] == [
        ("flow:Case_Triage", "none"),
        ("flow:Lead_Routing", 3),
        ("flow:acme__Quote_Sync", 1),
    ]
