"""The emulator's REST API over HTTPS, through simple-salesforce as the provider uses it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from providers.emulator.embedded import EmulatorHandle
from providers.emulator.org.ids import to_18
from tests.support.emulator import BASIC_SEED, StartOrg, client_for, trusted_session

PSA_FILTER = "WHERE PermissionSet.IsOwnedByProfile = false"
NEVER_EXISTED = to_18("0PaEm0000000000")


def _ids(sf: Salesforce, soql: str) -> list[str]:
    return [r["Id"] for r in sf.query_all(soql)["records"]]


def _user_id(sf: Salesforce, username: str) -> str:
    return _ids(sf, f"SELECT Id FROM User WHERE Username = '{username}'")[0]


def _ps_id(sf: Salesforce, name: str) -> str:
    return _ids(sf, f"SELECT Id FROM PermissionSet WHERE Name = '{name}'")[0]


def _psa(user: str, ps: str) -> dict[str, Any]:
    return {"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": user, "PermissionSetId": ps}


def test_version_list_needs_no_session_and_has_no_limit_header(emulator: EmulatorHandle) -> None:
    response = trusted_session(emulator).get(f"{emulator.instance_url}/services/data/")
    assert response.status_code == 200 and "Sforce-Limit-Info" not in response.headers
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in response.json()


def test_resources_and_limit_header(http: requests.Session, emulator: EmulatorHandle) -> None:
    response = http.get(f"{emulator.instance_url}/services/data/v62.0/")
    assert response.json()["query"] == "/services/data/v62.0/query"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_grant_query_nests_parents_and_nulls(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT Id, AssigneeId, Assignee.Username, PermissionSet.Name, PermissionSet.NamespacePrefix, "
        "PermissionSetGroupId, PermissionSetGroup.DeveloperName, ExpirationDate "
        f"FROM PermissionSetAssignment {PSA_FILTER}"
    )
    rows = {(r["Assignee"]["Username"], r["PermissionSet"]["Name"]): r for r in result["records"]}
    alice = rows[("alice@acme.com.uat", "Sales_Ops")]
    assert alice["PermissionSetGroup"] is None and alice["attributes"]["type"] == "PermissionSetAssignment"
    assert alice["Assignee"]["attributes"]["url"].startswith("/services/data/v62.0/sobjects/User/005")
    assert rows[("alice@acme.com.uat", "Billing_Admin")]["PermissionSet"]["NamespacePrefix"] == "acme"
    bob = next(r for r in result["records"] if r["PermissionSetGroupId"])
    assert (
        bob["PermissionSetGroup"]["DeveloperName"] == "Sales_Bundle"
        and bob["ExpirationDate"] == "2030-01-31T00:00:00.000+0000"
    )
    assert sf.api_usage["api-usage"].used == 1


def test_child_subquery_is_null_when_empty(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT Username, (SELECT PermissionSet.Name FROM PermissionSetAssignments "
        f"{PSA_FILTER}) FROM User WHERE Username IN ('admin@acme.com.uat', 'alice@acme.com.uat') ORDER BY Username"
    )
    admin, alice = result["records"]
    assert admin["PermissionSetAssignments"] is None
    assert alice["PermissionSetAssignments"]["totalSize"] == 2


def test_soql_errors_are_400_lists(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Nope__c FROM User")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM CustomField")
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_pagination_past_2000_records(start_org: StartOrg) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["users"] += [{"username": f"u{n:04d}@acme.com", "profile": "Sales User"} for n in range(4500)]
    handle = start_org(seed, name="big")
    sf = client_for(handle)
    first = sf.query("SELECT Id, Username FROM User")
    assert first["done"] is False and len(first["records"]) == 2000 and first["totalSize"] == 4504
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    everything = sf.query_all("SELECT Id, Username FROM User")
    assert everything["totalSize"] == 4504 and len({r["Id"] for r in everything["records"]}) == 4504
    assert handle.stats()["requests"]["GET query/{locator}"] == 2


def test_describe_lists_only_active_values(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    tier = fields["Tier__c"]["picklistValues"]
    assert [v["value"] for v in tier] == ["Gold", "Silver", "Bronze"]
    assert tier[1] == {"active": True, "defaultValue": True, "label": "Silver", "validFor": None, "value": "Silver"}
    assert [v["value"] for v in fields["Region__c"]["picklistValues"]] == ["EMEA", "AMER"]
    assert [v["value"] for v in fields["Industry"]["picklistValues"]] == ["Banking", "Energy"]
    names = {s["name"] for s in sf.describe()["sobjects"]}
    assert {"User", "PermissionSetAssignment", "Account", "Invoice__c"} <= names


def test_single_record_crud_and_errors(sf: Salesforce, emulator: EmulatorHandle) -> None:
    carol, sales_ops = _user_id(sf, "carol@acme.com.uat"), _ps_id(sf, "Sales_Ops")
    created = sf.PermissionSetAssignment.create({"AssigneeId": carol, "PermissionSetId": sales_ops})
    assert created["success"] is True and created["errors"] == [] and created["id"].startswith("0Pa")
    assert sf.PermissionSetAssignment.update(created["id"], {"ExpirationDate": "2031-05-01T00:00:00.000Z"}) == 204
    assert sf.PermissionSetAssignment.get(created["id"])["ExpirationDate"] == "2031-05-01T00:00:00.000+0000"
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.PermissionSetAssignment.create({"AssigneeId": carol, "PermissionSetId": sales_ops})
    error = duplicate.value.content[0]
    assert error["errorCode"] == "DUPLICATE_VALUE"
    assert error["message"] == f"Duplicate PermissionSetAssignment. Assignee: {carol}, Permission Set: {sales_ops}"
    assert sf.PermissionSetAssignment.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.PermissionSetAssignment.get(created["id"])
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.PermissionSetAssignment.delete(NEVER_EXISTED)
    assert missing.value.content == [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.PermissionSetAssignment.get("0Pa123")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_ID"
    with pytest.raises(SalesforceMalformedRequest) as bad_field:
        sf.Account.create({"Name": "X", "Bogus__c": 1})
    assert bad_field.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert json.loads(emulator.store.path.read_text())["deleted"]


def test_profile_owned_assignment_cannot_be_deleted(sf: Salesforce) -> None:
    owned = _ids(sf, "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.IsOwnedByProfile = true")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.PermissionSetAssignment.delete(owned[0])
    assert caught.value.content[0]["errorCode"] == "DELETE_FAILED"


def test_group_grant_through_the_group_id(sf: Salesforce) -> None:
    group = _ids(sf, "SELECT Id FROM PermissionSetGroup WHERE DeveloperName = 'Sales_Bundle'")[0]
    carol = _user_id(sf, "carol@acme.com.uat")
    created = sf.PermissionSetAssignment.create({"AssigneeId": carol, "PermissionSetGroupId": group})
    row = sf.PermissionSetAssignment.get(created["id"])
    assert row["PermissionSetGroupId"] == group
    assert sf.PermissionSet.get(row["PermissionSetId"])["Type"] == "Group"


def test_collection_create_reports_each_record(sf: Salesforce) -> None:
    carol, bob, alice = (_user_id(sf, f"{n}@acme.com.uat") for n in ("carol", "bob", "alice"))
    sales_ops = _ps_id(sf, "Sales_Ops")
    records = [_psa(carol, sales_ops), _psa(alice, sales_ops), _psa("005bad", sales_ops), _psa(bob, sales_ops)]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in result] == [True, False, False, True]
    assert result[0]["id"].startswith("0Pa") and "id" not in result[1]
    assert result[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert result[2]["errors"][0] == {
        "statusCode": "MALFORMED_ID",
        "message": "Assignee ID: id value of incorrect type: 005bad",
        "fields": ["AssigneeId"],
    }


def test_collection_all_or_none_rolls_back(sf: Salesforce) -> None:
    carol, alice = _user_id(sf, "carol@acme.com.uat"), _user_id(sf, "alice@acme.com.uat")
    sales_ops = _ps_id(sf, "Sales_Ops")
    before = sf.query(f"SELECT COUNT() FROM PermissionSetAssignment {PSA_FILTER}")["totalSize"]
    result = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": [_psa(carol, sales_ops), _psa(alice, sales_ops)]},
    )
    assert result[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "fields": [],
                "message": "Record rolled back because not all records were valid and the request was using "
                "AllOrNone header",
            }
        ],
    }
    assert result[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert sf.query(f"SELECT COUNT() FROM PermissionSetAssignment {PSA_FILTER}")["totalSize"] == before


def test_collection_limits_and_update(sf: Salesforce) -> None:
    too_many = [{"attributes": {"type": "Account"}, "Name": f"A{n}"} for n in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="POST", json={"records": too_many})
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    globex = _ids(sf, "SELECT Id FROM Account WHERE Name = 'Globex'")[0]
    result = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "records": [
                {"attributes": {"type": "Account"}, "id": globex, "Tier__c": "Bronze"},
                {"attributes": {"type": "Account"}, "Name": "no id"},
            ]
        },
    )
    assert result[0] == {"id": globex, "success": True, "errors": []}
    assert result[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert sf.Account.get(globex)["Tier__c"] == "Bronze"


def test_collection_delete_error_shapes(sf: Salesforce) -> None:
    alice = _user_id(sf, "alice@acme.com.uat")
    grants = _ids(sf, f"SELECT Id FROM PermissionSetAssignment {PSA_FILTER} AND AssigneeId = '{alice}'")
    sf.restful("composite/sobjects", method="DELETE", params={"ids": grants[0], "allOrNone": "false"})
    never = NEVER_EXISTED
    ids = ",".join([grants[1], grants[0], never, "001RM000003oLrB000"])
    result = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids, "allOrNone": "false"})
    assert result[0] == {"id": grants[1], "success": True, "errors": []}
    assert result[1]["errors"][0] == {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}
    assert result[2]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert result[2]["errors"][0]["message"] == "invalid cross reference id"
    assert result[3] == {
        "success": False,
        "errors": [{"statusCode": "MALFORMED_ID", "message": "malformed id 001RM000003oLrB000", "fields": []}],
    }


def test_composite_references_and_all_or_none(sf: Salesforce) -> None:
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v62.0/sobjects/Account",
                "referenceId": "acct",
                "body": {"Name": "Hooli"},
            },
            {"method": "GET", "url": "/services/data/v62.0/sobjects/Account/@{acct.id}", "referenceId": "read"},
            {"method": "GET", "url": "/services/data/v62.0/sobjects/Foo", "referenceId": "missing"},
        ],
    }
    answers = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [201, 200, 404]
    assert answers[1]["body"]["Name"] == "Hooli" and answers[2]["referenceId"] == "missing"
    body["allOrNone"] = True
    body["compositeRequest"][0]["body"] = {"Name": "Pied Piper"}
    answers = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert not _ids(sf, "SELECT Id FROM Account WHERE Name = 'Pied Piper'")
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite", method="POST", json={"compositeRequest": body["compositeRequest"] * 9})


def test_limits_report_daily_usage(sf: Salesforce) -> None:
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 14999}
    assert all(isinstance(v["Max"], int) for v in limits.values())


def test_wrong_token_is_401_invalid_session(emulator: EmulatorHandle) -> None:
    with pytest.raises(SalesforceExpiredSession) as caught:
        client_for(emulator, token="00Dbogus!token").query("SELECT Id FROM User")
    assert caught.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert emulator.stats()["api_calls_used"] == 0


def test_daily_limit_is_enforced(start_org: StartOrg) -> None:
    seed = json.loads(BASIC_SEED.read_text())
    seed["organization"]["daily_api_limit"] = 3
    sf = client_for(start_org(seed, name="tiny"))
    for _ in range(3):
        sf.query("SELECT Id FROM Organization")
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Organization")
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_unknown_paths_old_versions_and_long_uris(http: requests.Session, emulator: EmulatorHandle) -> None:
    base = emulator.instance_url
    assert http.get(f"{base}/services/data/v62.0/nothing").json()[0]["errorCode"] == "NOT_FOUND"
    assert http.get(f"{base}/services/data/v49.0/limits").status_code == 404
    assert http.get(f"{base}/services/data/v63.0/limits").status_code == 200
    assert http.get(f"{base}/services/data/v62.0/query/", params={"q": "x" * 17000}).status_code == 414


def test_live_file_is_written_after_each_change(sf: Salesforce, emulator: EmulatorHandle) -> None:
    sf.Account.create({"Name": "Hooli"})
    document = json.loads(Path(emulator.store.path).read_text())
    account = next(o for o in document["objects"] if o["name"] == "Account")
    assert "Hooli" in [r["Name"] for r in account["records"]]


def test_concurrent_duplicate_grants_are_serialised(sf: Salesforce, emulator: EmulatorHandle) -> None:
    carol, sales_ops = _user_id(sf, "carol@acme.com.uat"), _ps_id(sf, "Sales_Ops")

    def grant(_: int) -> int:
        session = trusted_session(emulator, bearer=True)
        url = f"{emulator.instance_url}/services/data/v62.0/sobjects/PermissionSetAssignment/"
        return session.post(url, json={"AssigneeId": carol, "PermissionSetId": sales_ops}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(grant, range(8)))
    assert statuses == [201] + [400] * 7


def test_changing_a_users_profile_moves_the_profile_assignment(sf: Salesforce) -> None:
    carol = _user_id(sf, "carol@acme.com.uat")
    admin_profile = _ids(sf, "SELECT Id FROM Profile WHERE Name = 'System Administrator'")[0]
    sf.User.update(carol, {"ProfileId": admin_profile})
    owned = sf.query(
        "SELECT PermissionSet.Label FROM PermissionSetAssignment "
        f"WHERE AssigneeId = '{carol}' AND PermissionSet.IsOwnedByProfile = true"
    )["records"]
    assert [r["PermissionSet"]["Label"] for r in owned] == ["System Administrator"]


def test_columns_true_answers_the_column_metadata_instead_of_records(
    http: requests.Session, emulator: EmulatorHandle
) -> None:
    soql = "SELECT Id, Username, Profile.Name, (SELECT Id FROM PermissionSetAssignments) FROM User"
    answer = http.get(f"{emulator.instance_url}/services/data/v62.0/query", params={"q": soql, "columns": "true"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "records" not in body
    assert (body["entityName"], body["idSelected"], body["keyPrefix"]) == ("User", True, "005")
    columns = body["columnMetadata"]
    assert [c["columnName"] for c in columns] == ["Id", "Username", "Profile", "PermissionSetAssignments"]
    assert [j["columnName"] for j in columns[2]["joinColumns"]] == ["Name"] and not columns[2]["aggregate"]
    assert columns[3]["aggregate"] and [j["columnName"] for j in columns[3]["joinColumns"]] == ["Id"]
    bad = http.get(
        f"{emulator.instance_url}/services/data/v62.0/query", params={"q": "SELECT Nope FROM User", "columns": "true"}
    )
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"
