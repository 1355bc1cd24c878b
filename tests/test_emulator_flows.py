"""The emulator's flows: FlowDefinition and Flow over Tooling queries, and activation by Tooling PATCH."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import BASIC_SEED, StartOrg, client_for

FLOWS: list[dict[str, Any]] = [
    {
        "name": "Lead_Routing",
        "versions": [
            {"number": 1, "status": "Obsolete"},
            {"number": 2, "status": "Active"},
            {"number": 3, "status": "Obsolete"},
            {"number": 4, "status": "Draft"},
        ],
        "active_version": 2,
    },
    {"name": "Case_Escalation", "namespace": "acme", "versions": [{"number": 1, "status": "Obsolete"}]},
]
DEFINITIONS = (
    "SELECT Id, DeveloperName, NamespacePrefix, ActiveVersion.VersionNumber, LatestVersion.VersionNumber "
    "FROM FlowDefinition"
)


def flow_seed() -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(BASIC_SEED.read_text(encoding="utf-8"))
    seed["flows"] = json.loads(json.dumps(FLOWS))
    return seed


@pytest.fixture
def flows_sf(start_org: StartOrg) -> Salesforce:
    return client_for(start_org(flow_seed()))


def _query(sf: Salesforce, soql: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = sf.toolingexecute("query/", params={"q": soql})["records"]
    return records


def _statuses(sf: Salesforce, name: str) -> dict[int, str]:
    rows = _query(sf, f"SELECT VersionNumber, Status FROM Flow WHERE Definition.DeveloperName = '{name}'")
    return {row["VersionNumber"]: row["Status"] for row in rows}


def _definition(sf: Salesforce, name: str) -> dict[str, Any]:
    return next(r for r in _query(sf, DEFINITIONS) if r["DeveloperName"] == name)


def test_flow_definitions_carry_their_active_and_latest_versions(flows_sf: Salesforce) -> None:
    rows = {r["DeveloperName"]: r for r in _query(flows_sf, DEFINITIONS)}
    lead = rows["Lead_Routing"]
    assert lead["Id"].startswith("300")
    assert lead["NamespacePrefix"] is None
    assert lead["ActiveVersion"]["VersionNumber"] == 2
    assert lead["ActiveVersion"]["attributes"]["type"] == "Flow"
    assert lead["LatestVersion"]["VersionNumber"] == 4
    managed = rows["Case_Escalation"]
    assert managed["NamespacePrefix"] == "acme"
    assert managed["ActiveVersion"] is None
    assert managed["LatestVersion"]["VersionNumber"] == 1


def test_a_flow_definition_shows_its_metadata_one_row_at_a_time(flows_sf: Salesforce) -> None:
    lead = _definition(flows_sf, "Lead_Routing")
    record = flows_sf.toolingexecute(f"sobjects/FlowDefinition/{lead['Id']}")
    assert record["FullName"] == "Lead_Routing"
    assert record["Metadata"]["activeVersionNumber"] == 2
    with pytest.raises(SalesforceMalformedRequest):
        _query(flows_sf, "SELECT Id, Metadata FROM FlowDefinition")


def test_activating_a_version_makes_the_previous_one_obsolete(flows_sf: Salesforce) -> None:
    lead = _definition(flows_sf, "Lead_Routing")
    path = f"sobjects/FlowDefinition/{lead['Id']}"
    assert flows_sf.toolingexecute(path, method="PATCH", data={"Metadata": {"activeVersionNumber": 3}}) == ""
    assert _statuses(flows_sf, "Lead_Routing") == {1: "Obsolete", 2: "Obsolete", 3: "Active", 4: "Draft"}
    assert _definition(flows_sf, "Lead_Routing")["ActiveVersion"]["VersionNumber"] == 3


def test_version_zero_leaves_no_version_active(flows_sf: Salesforce) -> None:
    lead = _definition(flows_sf, "Lead_Routing")
    flows_sf.toolingexecute(
        f"sobjects/FlowDefinition/{lead['Id']}", method="PATCH", data={"Metadata": {"activeVersionNumber": 0}}
    )
    assert "Active" not in _statuses(flows_sf, "Lead_Routing").values()
    assert _definition(flows_sf, "Lead_Routing")["ActiveVersion"] is None


@pytest.mark.parametrize(
    ("number", "message"),
    [(9, "Invalid version number: 9"), (4, "Version 4 of this flow is a draft and can't be activated.")],
)
def test_a_version_that_cannot_be_activated_is_refused(flows_sf: Salesforce, number: int, message: str) -> None:
    lead = _definition(flows_sf, "Lead_Routing")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        flows_sf.toolingexecute(
            f"sobjects/FlowDefinition/{lead['Id']}", method="PATCH", data={"Metadata": {"activeVersionNumber": number}}
        )
    assert caught.value.content == [
        {"message": message, "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["activeVersionNumber"]}
    ]
    assert _statuses(flows_sf, "Lead_Routing")[2] == "Active"


def test_flows_survive_the_org_file(tmp_path: Path) -> None:
    data = build_tables(flow_seed())
    again = build_tables(json.loads(json.dumps(to_document(data))))
    assert again.tables["FlowDefinition"] == data.tables["FlowDefinition"]
    assert again.tables["Flow"] == data.tables["Flow"]


def test_a_seeded_active_version_must_exist() -> None:
    seed = flow_seed()
    seed["flows"][0]["active_version"] = 7
    with pytest.raises(SeedError, match="active_version 7"):
        build_tables(seed)
