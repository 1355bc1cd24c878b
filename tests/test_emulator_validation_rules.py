"""The emulator's Tooling ValidationRule: seed section, query, GET and PATCH shapes, errors, the org file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from providers.emulator.org import ids
from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import StartOrg, client_for

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Rules"},
    "objects": [{"name": "Account"}, {"name": "Invoice__c"}],
    "validation_rules": [
        {
            "object": "Account",
            "name": "Require_Tier",
            "active": False,
            "error_message": "Tier is required",
            "formula": "ISBLANK(TEXT(Tier__c))",
            "error_display_field": "Tier__c",
        },
        {"object": "Account", "name": "Name_Length", "error_message": "Too long", "formula": "LEN(Name) > 80"},
        {"object": "Invoice__c", "name": "Amount_Positive", "error_message": "Amount > 0", "formula": "Amount__c <= 0"},
    ],
}
BY_OBJECT = (
    "SELECT Id, ValidationName, Active, EntityDefinition.QualifiedApiName FROM ValidationRule "
    "WHERE EntityDefinition.QualifiedApiName IN ('Account', 'Invoice__c')"
)


def tooling_query(sf: Salesforce, soql: str) -> dict[str, Any]:
    result: dict[str, Any] = sf.toolingexecute("query/", params={"q": soql})
    return result


@pytest.fixture
def sf(start_org: StartOrg) -> Salesforce:
    return client_for(start_org(SEED))


def rule_id(sf: Salesforce, name: str) -> str:
    soql = f"SELECT Id FROM ValidationRule WHERE ValidationName = '{name}'"
    return str(tooling_query(sf, soql)["records"][0]["Id"])


def test_query_by_object_returns_rules_with_their_entity(sf: Salesforce) -> None:
    result = tooling_query(sf, BY_OBJECT)
    assert result["entityTypeName"] == "ValidationRule" and result["size"] == 3
    first = result["records"][0]
    assert first["Id"].startswith("03d") and first["ValidationName"] == "Require_Tier" and first["Active"] is False
    assert first["EntityDefinition"]["QualifiedApiName"] == "Account"
    assert first["EntityDefinition"]["attributes"]["type"] == "EntityDefinition"
    custom = next(r for r in result["records"] if r["ValidationName"] == "Amount_Positive")
    assert custom["EntityDefinition"]["QualifiedApiName"] == "Invoice__c"


def test_metadata_is_queried_one_row_at_a_time(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        tooling_query(sf, "SELECT Id, Metadata FROM ValidationRule")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    one = tooling_query(sf, "SELECT Id, FullName, Metadata FROM ValidationRule WHERE ValidationName = 'Name_Length'")
    assert one["records"][0]["FullName"] == "Account.Name_Length"
    assert one["records"][0]["Metadata"]["active"] is True


def test_validation_rule_is_not_a_rest_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM ValidationRule")
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_get_shape(sf: Salesforce) -> None:
    record = sf.toolingexecute(f"sobjects/ValidationRule/{rule_id(sf, 'Require_Tier')}")
    assert record["attributes"]["type"] == "ValidationRule"
    assert record["EntityDefinitionId"] == "Account" and record["FullName"] == "Account.Require_Tier"
    assert record["ErrorMessage"] == "Tier is required" and record["ErrorDisplayField"] == "Tier__c"
    assert record["Metadata"] == {
        "description": None,
        "errorConditionFormula": "ISBLANK(TEXT(Tier__c))",
        "errorDisplayField": "Tier__c",
        "errorMessage": "Tier is required",
        "active": False,
        "urls": None,
    }


def test_patch_of_the_whole_metadata_switches_the_rule(sf: Salesforce) -> None:
    path = f"sobjects/ValidationRule/{rule_id(sf, 'Require_Tier')}"
    metadata = sf.toolingexecute(path)["Metadata"]
    answer = sf.toolingexecute(path, method="PATCH", data={"Metadata": {**metadata, "active": True}})
    assert answer == ""  # 204 No Content
    after = sf.toolingexecute(path)
    assert after["Active"] is True and after["Metadata"]["active"] is True
    assert after["Metadata"]["errorConditionFormula"] == "ISBLANK(TEXT(Tier__c))"


def test_patch_of_a_partial_metadata_is_refused(sf: Salesforce) -> None:
    path = f"sobjects/ValidationRule/{rule_id(sf, 'Require_Tier')}"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.toolingexecute(path, method="PATCH", data={"Metadata": {"active": True}})
    error = caught.value.content[0]
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert set(error["fields"]) == {"errorConditionFormula", "errorMessage"}
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.toolingexecute(path, method="PATCH", data={"Active": True})
    assert caught.value.content[0]["fields"] == ["Metadata"]
    assert sf.toolingexecute(path)["Active"] is False  # nothing changed


def test_unknown_and_malformed_ids(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.toolingexecute("sobjects/ValidationRule/" + ids.to_18("03dEm0000000000"))
    assert missing.value.content == [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.toolingexecute("sobjects/ValidationRule/nope", method="PATCH", data={"Metadata": {}})
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_ID"


def test_rules_round_trip_through_the_org_file() -> None:
    data = build_tables(json.loads(json.dumps(SEED)))
    document = to_document(data)
    again = build_tables(document)
    assert again.tables["ValidationRule"] == data.tables["ValidationRule"]
    assert document["validation_rules"][0] == {
        "id": document["validation_rules"][0]["id"],
        "object": "Account",
        "name": "Require_Tier",
        "active": False,
        "error_message": "Tier is required",
        "formula": "ISBLANK(TEXT(Tier__c))",
        "error_display_field": "Tier__c",
    }
    assert "validation_rules" not in to_document(build_tables({"objects": [{"name": "Account"}]}))


def test_a_rule_on_an_unknown_object_is_a_seed_error() -> None:
    seed = {"objects": [], "validation_rules": [{"object": "Acme", "name": "R", "error_message": "m", "formula": "f"}]}
    with pytest.raises(SeedError, match="unknown object Acme"):
        build_tables(seed)
