"""The emulator's DuplicateRule: seed section, the sObject over SOQL, Metadata API readMetadata,
updateMetadata and listMetadata shapes and errors (through simple-salesforce's own zeep client), the org file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import zeep.exceptions
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from simple_salesforce.metadata import SfdcMetadataApi

from providers.emulator.embedded import EmulatorHandle
from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import StartOrg, client_for

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Duplicates"},
    "objects": [{"name": "Account"}, {"name": "Lead"}],
    "duplicate_rules": [
        {"object": "Account", "name": "Standard_Account_Duplicate_Rule", "label": "Standard Account Duplicate Rule"},
        {"object": "Account", "name": "acme__Strict_Rule", "active": False, "matching_rule": "acme__Strict_Match"},
        {"object": "Lead", "name": "Standard_Lead_Duplicate_Rule", "active": False},
    ],
}
STANDARD = "Account.Standard_Account_Duplicate_Rule"


@pytest.fixture
def handle(start_org: StartOrg) -> Iterator[EmulatorHandle]:
    yield start_org(SEED)


@pytest.fixture
def sf(handle: EmulatorHandle) -> Salesforce:
    return client_for(handle)


@pytest.fixture
def mdapi(sf: Salesforce, handle: EmulatorHandle) -> SfdcMetadataApi:
    api: SfdcMetadataApi = sf.mdapi
    session = api._client.transport.session  # zeep's own session: trust the emulator's CA
    session.verify, session.trust_env = str(handle.ca_cert), False
    return api


def post_metadata(handle: EmulatorHandle, operation: str) -> str:
    """A hand-written Metadata API request (zeep refuses to send a component missing a required element)."""
    envelope = (
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<e:Header><m:SessionHeader><m:sessionId>{handle.access_token}</m:sessionId></m:SessionHeader></e:Header>"
        f"<e:Body>{operation}</e:Body></e:Envelope>"
    )
    session = requests.Session()
    session.verify, session.trust_env = str(handle.ca_cert), False
    response = session.post(
        f"{handle.instance_url}/services/Soap/m/62.0/",
        data=envelope.encode(),
        headers={"content-type": "text/xml", "soapaction": '""'},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text


def update(api: SfdcMetadataApi, components: list[Any]) -> list[Any]:
    """Every SaveResult of one updateMetadata (simple-salesforce raises on the first failure)."""
    results = api._service.updateMetadata(components, _soapheaders=[api._session_header])
    return list(results)


def test_the_sobject_lists_rules_with_namespace_apart(sf: Salesforce) -> None:
    result = sf.query("SELECT Id, DeveloperName, NamespacePrefix, SobjectType, IsActive FROM DuplicateRule")
    rows = {(r["SobjectType"], r["NamespacePrefix"], r["DeveloperName"]): r for r in result["records"]}
    assert set(rows) == {
        ("Account", None, "Standard_Account_Duplicate_Rule"),
        ("Account", "acme", "Strict_Rule"),
        ("Lead", None, "Standard_Lead_Duplicate_Rule"),
    }
    standard = rows[("Account", None, "Standard_Account_Duplicate_Rule")]
    assert standard["Id"].startswith("0Bm") and standard["IsActive"] is True
    assert standard["attributes"]["type"] == "DuplicateRule"
    by_object = sf.query("SELECT DeveloperName FROM DuplicateRule WHERE SobjectType IN ('Lead')")
    assert [r["DeveloperName"] for r in by_object["records"]] == ["Standard_Lead_Duplicate_Rule"]


def test_the_component_is_not_an_sobject_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Metadata FROM DuplicateRule")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_read_metadata_returns_the_whole_component(mdapi: SfdcMetadataApi) -> None:
    rule = mdapi.DuplicateRule.read(STANDARD)
    assert rule.fullName == STANDARD
    assert (rule.actionOnInsert, rule.actionOnUpdate, rule.securityOption) == ("Allow", "Allow", "EnforceSharingRules")
    assert rule.isActive is True and rule.masterLabel == "Standard Account Duplicate Rule" and rule.sortOrder == 1
    assert rule.operationsOnInsert == ["Alert", "Report"] and rule.operationsOnUpdate == ["Alert", "Report"]
    (match,) = rule.duplicateRuleMatchRules
    assert (match.matchRuleSObjectType, match.matchingRule) == ("Account", "Standard_Account_Match_Rule_v1_0")
    assert rule.duplicateRuleFilter is None and rule.description is None


def test_read_metadata_elements_follow_the_wsdl_order(handle: EmulatorHandle) -> None:
    text = post_metadata(
        handle,
        f"<m:readMetadata><m:type>DuplicateRule</m:type><m:fullNames>{STANDARD}</m:fullNames>"
        "<m:fullNames>Account.Nope</m:fullNames></m:readMetadata>",
    )
    assert '<records xsi:type="DuplicateRule">' in text and '<records xsi:nil="true"/>' in text
    order = re.findall(r"<(fullName|actionOnInsert|duplicateRuleMatchRules|isActive|masterLabel|sortOrder)>", text)
    assert order == ["fullName", "actionOnInsert", "duplicateRuleMatchRules", "isActive", "masterLabel", "sortOrder"]


def test_unknown_names_come_back_empty_in_their_slot(mdapi: SfdcMetadataApi) -> None:
    known, unknown = mdapi.DuplicateRule.read([STANDARD, "Account.Nope"])
    assert known.fullName == STANDARD and unknown.fullName is None


def test_update_metadata_replaces_the_component_and_the_sobject_follows(
    mdapi: SfdcMetadataApi, sf: Salesforce, handle: EmulatorHandle
) -> None:
    rule = mdapi.DuplicateRule.read("Lead.Standard_Lead_Duplicate_Rule")
    rule.isActive = True
    rule.operationsOnUpdate = ["Report"]
    (result,) = update(mdapi, [rule])
    assert result.success is True and result.fullName == "Lead.Standard_Lead_Duplicate_Rule"
    row = sf.query("SELECT IsActive FROM DuplicateRule WHERE DeveloperName = 'Standard_Lead_Duplicate_Rule'")
    assert row["records"][0]["IsActive"] is True
    again = mdapi.DuplicateRule.read("Lead.Standard_Lead_Duplicate_Rule")
    assert again.isActive is True and again.operationsOnUpdate == ["Report"]
    assert again.duplicateRuleMatchRules[0].matchingRule == "Standard_Lead_Match_Rule_v1_0"
    document = json.loads(handle.store.path.read_text(encoding="utf-8"))
    lead = next(r for r in document["duplicate_rules"] if r["object"] == "Lead")
    assert lead["active"] is True and lead["metadata"]["operationsOnUpdate"] == ["Report"]


def test_each_component_succeeds_or_fails_on_its_own(handle: EmulatorHandle, sf: Salesforce) -> None:
    good = (
        '<m:metadata xsi:type="m:DuplicateRule"><m:fullName>Account.acme__Strict_Rule</m:fullName>'
        "<m:actionOnInsert>Block</m:actionOnInsert><m:actionOnUpdate>Allow</m:actionOnUpdate>"
        "<m:isActive>true</m:isActive><m:masterLabel>Strict</m:masterLabel>"
        "<m:securityOption>BypassSharingRules</m:securityOption><m:sortOrder>2</m:sortOrder></m:metadata>"
    )
    partial = (
        f'<m:metadata xsi:type="m:DuplicateRule"><m:fullName>{STANDARD}</m:fullName>'
        "<m:isActive>false</m:isActive></m:metadata>"
    )
    unknown = good.replace("acme__Strict_Rule", "Nope")
    text = post_metadata(handle, f"<m:updateMetadata>{good}{partial}{unknown}</m:updateMetadata>")
    results = re.findall(r"<result>(.*?)</result>", text)
    assert [re.findall(r"<success>(\w+)</success>", r) for r in results] == [["true"], ["false"], ["false"]]
    missing = re.findall(r"<message>Required field is missing: (\w+)</message>", results[1])
    assert missing == ["actionOnInsert", "actionOnUpdate", "masterLabel", "securityOption", "sortOrder"]
    assert "<statusCode>REQUIRED_FIELD_MISSING</statusCode>" in results[1]
    assert "<statusCode>INVALID_CROSS_REFERENCE_KEY</statusCode>" in results[2]
    assert "In field: fullName - no DuplicateRule named Account.Nope found" in results[2]
    rows = sf.query("SELECT DeveloperName, IsActive, MasterLabel FROM DuplicateRule WHERE SobjectType = 'Account'")
    by_name = {r["DeveloperName"]: (r["IsActive"], r["MasterLabel"]) for r in rows["records"]}
    assert by_name == {
        "Standard_Account_Duplicate_Rule": (True, "Standard Account Duplicate Rule"),
        "Strict_Rule": (True, "Strict"),
    }


def test_more_than_ten_components_is_a_fault(mdapi: SfdcMetadataApi) -> None:
    rule = mdapi.DuplicateRule.read(STANDARD)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        update(mdapi, [rule] * 11)
    assert caught.value.code == "sf:EXCEEDED_ID_LIMIT"


def test_list_metadata_names_every_rule(mdapi: SfdcMetadataApi) -> None:
    listed = mdapi.list_metadata([mdapi.ListMetadataQuery(type="DuplicateRule")])
    assert [(item.fullName, item.fileName) for item in listed] == [
        (
            "Account.Standard_Account_Duplicate_Rule",
            "duplicateRules/Account.Standard_Account_Duplicate_Rule.duplicateRule",
        ),
        ("Account.acme__Strict_Rule", "duplicateRules/Account.acme__Strict_Rule.duplicateRule"),
        ("Lead.Standard_Lead_Duplicate_Rule", "duplicateRules/Lead.Standard_Lead_Duplicate_Rule.duplicateRule"),
    ]
    assert all(item.type == "DuplicateRule" and item.id.startswith("0Bm") for item in listed)


def test_rules_round_trip_through_the_org_file() -> None:
    data = build_tables(json.loads(json.dumps(SEED)))
    document = to_document(data)
    assert build_tables(document).tables["DuplicateRule"] == data.tables["DuplicateRule"]
    first, strict, _ = document["duplicate_rules"]
    assert first == {
        "id": first["id"],
        "object": "Account",
        "name": "Standard_Account_Duplicate_Rule",
        "label": "Standard Account Duplicate Rule",
        "active": True,
    }
    assert strict["matching_rule"] == "acme__Strict_Match" and "metadata" not in strict
    assert "duplicate_rules" not in to_document(build_tables({"objects": [{"name": "Account"}]}))


def test_a_rule_on_an_unknown_object_is_a_seed_error() -> None:
    with pytest.raises(SeedError, match="unknown object Acme"):
        build_tables({"objects": [], "duplicate_rules": [{"object": "Acme", "name": "R"}]})
