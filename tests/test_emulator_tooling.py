"""The emulator's Tooling API: query envelope, picklist metadata, PATCH semantics, anonymous Apex."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from providers.emulator.embedded import EmulatorHandle

TIER = "SELECT Id, DeveloperName, Metadata FROM CustomField WHERE DeveloperName = 'Tier' AND TableEnumOrId = 'Account'"


def _tooling_query(sf: Salesforce, soql: str) -> dict[str, Any]:
    result: dict[str, Any] = sf.toolingexecute("query/", params={"q": soql})
    return result


def _tier(sf: Salesforce) -> dict[str, Any]:
    record: dict[str, Any] = _tooling_query(sf, TIER)["records"][0]
    return record


def _value_names(metadata: dict[str, Any]) -> list[str]:
    return [v["valueName"] for v in metadata["valueSet"]["valueSetDefinition"]["value"]]


def test_query_envelope_and_active_values_only(sf: Salesforce) -> None:
    result = _tooling_query(sf, TIER)
    assert {k: result[k] for k in ("size", "totalSize", "done", "queryLocator", "entityTypeName")} == {
        "size": 1,
        "totalSize": 1,
        "done": True,
        "queryLocator": None,
        "entityTypeName": "CustomField",
    }
    metadata = result["records"][0]["Metadata"]
    assert _value_names(metadata) == ["Gold", "Silver", "Bronze"]
    assert {v["isActive"] for v in metadata["valueSet"]["valueSetDefinition"]["value"]} == {None}
    assert result["records"][0]["attributes"]["url"].startswith("/services/data/v62.0/tooling/sobjects/CustomField/00N")


def test_metadata_queries_must_return_one_row(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _tooling_query(sf, "SELECT Id, Metadata FROM CustomField WHERE TableEnumOrId = 'Account'")
    assert caught.value.content[0] == {
        "message": (
            "When retrieving results with Metadata or FullName fields, the query qualifications must specify no "
            "more than one row for retrieval. Result size: 3"
        ),
        "errorCode": "MALFORMED_QUERY",
    }
    assert _tooling_query(sf, "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Account'")["size"] == 3


def test_custom_field_get_shape(sf: Salesforce) -> None:
    record = sf.toolingexecute(f"sobjects/CustomField/{_tier(sf)['Id']}")
    assert {
        k: record[k] for k in ("TableEnumOrId", "DeveloperName", "NamespacePrefix", "ManageableState", "FullName")
    } == {
        "TableEnumOrId": "Account",
        "DeveloperName": "Tier",
        "NamespacePrefix": None,
        "ManageableState": "unmanaged",
        "FullName": "Account.Tier__c",
    }
    assert _value_names(record["Metadata"]) == ["Gold", "Silver", "Bronze"]


def test_patch_deactivates_omitted_values_and_adds_new_ones(sf: Salesforce, emulator: EmulatorHandle) -> None:
    tier = _tier(sf)
    metadata = tier["Metadata"]
    values = metadata["valueSet"]["valueSetDefinition"]["value"]
    metadata["valueSet"]["valueSetDefinition"]["value"] = [
        *values[1:],
        {**values[0], "valueName": "Platinum", "label": "Platinum"},
    ]
    assert sf.toolingexecute(f"sobjects/CustomField/{tier['Id']}", method="PATCH", data={"Metadata": metadata}) == ""
    assert _value_names(_tier(sf)["Metadata"]) == ["Silver", "Bronze", "Platinum"]
    stored = emulator.store.get("CustomField", tier["Id"])
    assert stored is not None
    kept = {v["valueName"]: v["isActive"] for v in stored["Metadata"]["valueSet"]["valueSetDefinition"]["value"]}
    assert kept == {"Silver": True, "Bronze": True, "Platinum": True, "Gold": False, "Legacy": False}
    picklist = next(f for f in sf.Account.describe()["fields"] if f["name"] == "Tier__c")["picklistValues"]
    assert [v["value"] for v in picklist] == ["Silver", "Bronze", "Platinum"]


def test_patch_without_label_is_refused(sf: Salesforce) -> None:
    tier = _tier(sf)
    del tier["Metadata"]["label"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.toolingexecute(f"sobjects/CustomField/{tier['Id']}", method="PATCH", data={"Metadata": tier["Metadata"]})
    assert caught.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_global_value_set_get_and_patch(sf: Salesforce, emulator: EmulatorHandle) -> None:
    row = _tooling_query(sf, "SELECT Id, FullName, Metadata FROM GlobalValueSet WHERE DeveloperName = 'Regions'")
    record = row["records"][0]
    assert [v["valueName"] for v in record["Metadata"]["customValue"]] == ["EMEA", "AMER"]
    metadata = sf.toolingexecute(f"sobjects/GlobalValueSet/{record['Id']}")["Metadata"]
    metadata["customValue"] = [metadata["customValue"][0], {"valueName": "LATAM", "label": "LATAM", "default": False}]
    sf.toolingexecute(
        f"sobjects/GlobalValueSet/{record['Id']}", method="PATCH", data={"Metadata": metadata, "FullName": "Regions"}
    )
    stored = emulator.store.get("GlobalValueSet", record["Id"])
    assert stored is not None
    assert {v["valueName"]: v["isActive"] for v in stored["Metadata"]["customValue"]} == {
        "EMEA": True,
        "LATAM": True,
        "AMER": False,
        "APAC": False,
    }
    region = next(f for f in sf.Account.describe()["fields"] if f["name"] == "Region__c")["picklistValues"]
    assert [v["value"] for v in region] == ["EMEA", "LATAM"]


def test_layout_assignment_objects(sf: Salesforce) -> None:
    rows = _tooling_query(
        sf,
        "SELECT Layout.Name, Profile.Name, RecordType.DeveloperName, RecordTypeId FROM "
        "ProfileLayout WHERE TableEnumOrId = 'Account' AND Profile.Name = 'Sales User'",
    )
    seen = {
        (r["RecordType"]["DeveloperName"] if r["RecordType"] else None): r["Layout"]["Name"] for r in rows["records"]
    }
    assert seen == {None: "Account Layout", "Enterprise": "Account Enterprise Layout", "SMB": "Account Layout"}
    entity = _tooling_query(sf, "SELECT DurableId FROM EntityDefinition WHERE DeveloperName = 'Invoice'")
    durable_id = entity["records"][0]["DurableId"]
    layouts = _tooling_query(sf, f"SELECT Name FROM Layout WHERE TableEnumOrId = '{durable_id}'")
    assert [r["Name"] for r in layouts["records"]] == ["Invoice Layout"]


def test_record_type_get(sf: Salesforce) -> None:
    rt = _tooling_query(sf, "SELECT Id FROM RecordType WHERE DeveloperName = 'SMB'")["records"][0]
    record = sf.toolingexecute(f"sobjects/RecordType/{rt['Id']}")
    assert record["FullName"] == "Account.SMB" and record["Metadata"]["label"] == "SMB"
    assert {p["picklist"] for p in record["Metadata"]["picklistValues"]} == {"Tier__c", "Region__c", "acme__Segment__c"}


def test_execute_anonymous_success_and_logs(sf: Salesforce, http: requests.Session, emulator: EmulatorHandle) -> None:
    result = sf.toolingexecute("executeAnonymous/", params={"anonymousBody": "System.debug('hello');"})
    assert result == {
        "line": -1,
        "column": -1,
        "compiled": True,
        "success": True,
        "compileProblem": None,
        "exceptionStackTrace": None,
        "exceptionMessage": None,
    }
    logs = _tooling_query(sf, "SELECT Id, LogLength, Status FROM ApexLog")["records"]
    assert len(logs) == 1 and logs[0]["Status"] == "Success"
    body = http.get(f"{emulator.instance_url}/services/data/v62.0/tooling/sobjects/ApexLog/{logs[0]['Id']}/Body")
    assert body.headers["Content-Type"].startswith("text/plain") and "USER_DEBUG" in body.text
    assert len(body.text.encode()) == logs[0]["LogLength"]


def test_execute_anonymous_failures_are_http_200(sf: Salesforce) -> None:
    thrown = sf.toolingexecute("executeAnonymous/", params={"anonymousBody": "throw new DmlException('boom');"})
    assert thrown["compiled"] is True and thrown["success"] is False
    assert thrown["exceptionMessage"] == "System.DmlException: boom"
    broken = sf.toolingexecute("executeAnonymous/", params={"anonymousBody": "if (true) {"})
    assert broken["compiled"] is False and broken["compileProblem"] and broken["line"] >= 1
