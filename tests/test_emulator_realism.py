"""Salesforce rules the emulator enforces even though a lenient double would pass: setup and other
objects kept apart in one collection call, query cursors released, sessions expiring, assignment rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest

from providers.emulator.embedded import EmulatorHandle
from tests.support.emulator import BASIC_SEED, StartOrg, client_for

VERSION = "/services/data/v62.0"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _one(sf: Salesforce, soql: str) -> str:
    return str(sf.query(soql)["records"][0]["Id"])


def _psa(user: str, ps: str, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": user, "PermissionSetId": ps, **extra}


def test_setup_and_other_objects_do_not_mix_in_one_collection_call(sf: Salesforce) -> None:
    carol = _one(sf, "SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")
    sales_ops = _one(sf, "SELECT Id FROM PermissionSet WHERE Name = 'Sales_Ops'")
    records = [{"attributes": {"type": "Account"}, "Name": "Hooli"}, _psa(carol, sales_ops)]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert result[0]["success"] is True
    assert result[1]["success"] is False and "id" not in result[1]
    error = result[1]["errors"][0]
    assert error["statusCode"] == "MIXED_DML_OPERATION"
    assert error["message"].endswith("PermissionSetAssignment, original object: Account")
    assert sf.query(f"SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '{carol}'")["totalSize"] == 1


def test_a_user_holds_at_most_ten_query_cursors(start_org: StartOrg) -> None:
    seed = _big_seed(2100)
    handle = start_org(seed, name="cursors")
    sf = client_for(handle)
    first = sf.query("SELECT Id FROM User")
    for _ in range(10):
        sf.query("SELECT Id FROM User")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_an_idle_cursor_is_released_after_fifteen_minutes(start_org: StartOrg) -> None:
    handle = start_org(_big_seed(2100), name="idle")
    clock = Clock()
    handle.context.clock = clock
    sf = client_for(handle)
    first = sf.query("SELECT Id FROM User")
    clock.now += 14 * 60
    assert len(sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)["records"]) > 0
    again = sf.query("SELECT Id FROM User")
    clock.now += 15 * 60 + 1
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more(again["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_an_idle_session_expires_for_rest_and_soap(emulator: EmulatorHandle, sf: Salesforce) -> None:
    clock = Clock()
    emulator.context.clock = clock
    sf.query("SELECT Id FROM User")
    clock.now += 2 * 60 * 60 + 1
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")
    clock.now = 0  # an expired session stays expired
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")
    envelope = (
        '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:met="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><met:SessionHeader>'
        f"<met:sessionId>{emulator.access_token}</met:sessionId></met:SessionHeader></soapenv:Header>"
        "<soapenv:Body><met:describeMetadata><met:asOfVersion>62.0</met:asOfVersion></met:describeMetadata>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    answer = requests.post(
        f"{emulator.instance_url}/services/Soap/m/62.0",
        data=envelope,
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        verify=str(emulator.ca_cert),
        timeout=30,
    )
    assert answer.status_code == 500 and "INVALID_SESSION_ID" in answer.text


def _big_seed(users: int) -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(BASIC_SEED.read_text())
    seed["users"] += [{"username": f"u{n:04d}@acme.com", "profile": "Sales User"} for n in range(users)]
    return seed


def _ids_for(sf: Salesforce) -> tuple[str, str, str]:
    carol = _one(sf, "SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")
    sales_ops = _one(sf, "SELECT Id FROM PermissionSet WHERE Name = 'Sales_Ops'")
    bundle = _one(sf, "SELECT Id FROM PermissionSetGroup WHERE DeveloperName = 'Sales_Bundle'")
    return carol, sales_ops, bundle


def test_expiration_date_is_a_datetime_in_the_future(sf: Salesforce) -> None:
    carol, sales_ops, _ = _ids_for(sf)
    records = [
        _psa(carol, sales_ops, ExpirationDate="2031-01-31"),
        _psa(carol, sales_ops, ExpirationDate="2001-01-31T00:00:00.000Z"),
        _psa(carol, sales_ops, ExpirationDate="2031-01-31T08:30:00.000Z"),
    ]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in result] == [False, False, True]
    assert result[0]["errors"][0]["statusCode"] == "JSON_PARSER_ERROR"
    assert result[1]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    row = sf.PermissionSetAssignment.get(result[2]["id"])
    assert row["ExpirationDate"] == "2031-01-31T08:30:00.000+0000"


def test_an_admin_permission_set_cannot_expire(start_org: StartOrg) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["permission_sets"].append({"name": "User_Admin", "permissions": ["ManageUsers"]})
    sf = client_for(start_org(seed, name="admin"))
    carol = _one(sf, "SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")
    admin = _one(sf, "SELECT Id FROM PermissionSet WHERE Name = 'User_Admin' AND PermissionsManageUsers = true")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.PermissionSetAssignment.create(
            {"AssigneeId": carol, "PermissionSetId": admin, "ExpirationDate": "2031-01-31T00:00:00.000Z"}
        )
    assert caught.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert sf.PermissionSetAssignment.create({"AssigneeId": carol, "PermissionSetId": admin})["success"] is True


def test_expired_assignments_disappear(start_org: StartOrg) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["permission_set_assignments"].append(
        {"username": "bob@acme.com.uat", "permission_set": "Service_Desk", "expiration_date": "2001-01-31"}
    )
    handle = start_org(seed, name="expired")
    soql = "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Service_Desk'"
    assert client_for(handle).query(soql)["totalSize"] == 0
    assert not [
        r
        for r in handle.store.table("PermissionSetAssignment").values()
        if r["ExpirationDate"] and r["ExpirationDate"].startswith("2001")
    ]


@pytest.mark.parametrize("status", ["Outdated", "Updating", "Failed"])
def test_a_group_is_assignable_only_when_updated(start_org: StartOrg, status: str) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["permission_set_groups"][0]["status"] = status
    sf = client_for(start_org(seed, name="group"))
    carol, _, bundle = _ids_for(sf)
    record = {"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": carol, "PermissionSetGroupId": bundle}
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [record]})
    assert result[0]["success"] is False
    assert result[0]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert status in result[0]["errors"][0]["message"]


def test_a_permission_set_with_a_user_licence_needs_a_profile_with_it(start_org: StartOrg) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["profiles"].append({"name": "Platform User", "user_license": "Salesforce Platform"})
    seed["users"].append({"username": "pat@acme.com.uat", "profile": "Platform User"})
    seed["permission_sets"].append({"name": "Full_CRM", "user_license": "Salesforce"})
    sf = client_for(start_org(seed, name="licence"))
    pat = _one(sf, "SELECT Id FROM User WHERE Username = 'pat@acme.com.uat'")
    carol = _one(sf, "SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")
    row = sf.query("SELECT Id, LicenseId, License.Name FROM PermissionSet WHERE Name = 'Full_CRM'")["records"][0]
    assert row["LicenseId"].startswith("100") and row["License"]["Name"] == "Salesforce"
    records = [_psa(pat, row["Id"]), _psa(carol, row["Id"])]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in result] == [False, True]
    assert result[0]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "user license" in result[0]["errors"][0]["message"]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("WHERE QualifiedApiName = 'Account' OR QualifiedApiName = 'Invoice__c'", "Disjunctions not supported"),
        ("WHERE QualifiedApiName != 'Account'", "Only equals comparisons permitted"),
        ("WHERE NOT QualifiedApiName IN ('Account')", "Only equals comparisons permitted"),
    ],
)
def test_entity_definition_refuses_what_salesforce_refuses(emulator: EmulatorHandle, where: str, message: str) -> None:
    sf = client_for(emulator)
    for tooling in (False, True):
        with pytest.raises(SalesforceMalformedRequest) as caught:
            soql = f"SELECT QualifiedApiName FROM EntityDefinition {where}"
            sf.toolingexecute("query/", params={"q": soql}) if tooling else sf.query(soql)
        assert caught.value.content[0] == {"errorCode": "MALFORMED_QUERY", "message": message}


def test_entity_definition_ignores_limit_and_refuses_count(sf: Salesforce) -> None:
    every = sf.query("SELECT QualifiedApiName FROM EntityDefinition")["totalSize"]
    assert every > 1
    assert sf.query("SELECT QualifiedApiName FROM EntityDefinition LIMIT 1")["totalSize"] == every
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT COUNT() FROM EntityDefinition")
    assert "not yet supported by this SObject storage type" in caught.value.content[0]["message"]
    in_list = sf.query("SELECT QualifiedApiName FROM EntityDefinition WHERE QualifiedApiName IN ('Account')")
    assert [r["QualifiedApiName"] for r in in_list["records"]] == ["Account"]
