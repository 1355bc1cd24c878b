"""The emulator's Apex test runs and permissions: the ``apex_test_classes``, ``object_permissions`` and
``field_permissions`` seed sections, Tooling ``runTestsSynchronous`` / ``runTestsAsynchronous``, the run's
AsyncApexJob / ApexTestQueueItem / ApexTestResult rows, ObjectPermissions and FieldPermissions over SOQL,
and the org file round trip."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import StartOrg, client_for

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Verified"},
    "profiles": [{"name": "Sales User"}],
    "permission_sets": [{"name": "Sales_Ops"}],
    "permission_set_groups": [{"developer_name": "Sales_Bundle"}],
    "users": [{"username": "alice@acme.com", "profile": "Sales User"}],
    "objects": [{"name": "Account", "fields": [{"name": "Tier__c", "type": "Picklist", "values": ["Gold"]}]}],
    "permission_set_assignments": [{"username": "alice@acme.com", "permission_set": "Sales_Ops"}],
    "apex_test_classes": [
        {"name": "TierServiceTest", "methods": ["goldIsDefault", {"name": "silverIsRenamed", "outcome": "Pass"}]},
        {
            "name": "BrokenTest",
            "methods": [
                {
                    "name": "fails",
                    "outcome": "Fail",
                    "message": "System.AssertException: Assertion Failed",
                    "stack_trace": "Class.BrokenTest.fails: line 7, column 1",
                }
            ],
        },
    ],
    "object_permissions": [
        {"profile": "Sales User", "object": "Account", "read": True},
        {"permission_set": "Sales_Ops", "object": "Account", "read": True, "edit": True},
        {"permission_set_group": "Sales_Bundle", "object": "Account", "delete": True},
    ],
    "field_permissions": [{"permission_set": "Sales_Ops", "field": "Account.Tier__c", "read": True, "edit": True}],
}


@pytest.fixture
def sf(start_org: StartOrg) -> Salesforce:
    return client_for(start_org(SEED))


def test_run_tests_synchronously_answers_the_run_tests_result(sf: Salesforce) -> None:
    passing = sf.toolingexecute(
        "runTestsSynchronous", method="POST", data={"tests": [{"className": "TierServiceTest"}]}
    )
    assert passing["numTestsRun"] == 2 and passing["numFailures"] == 0 and passing["failures"] == []
    assert {s["methodName"] for s in passing["successes"]} == {"goldIsDefault", "silverIsRenamed"}
    assert passing["successes"][0]["name"] == "TierServiceTest"
    failing = sf.toolingexecute("runTestsSynchronous", method="POST", data={"classNames": "BrokenTest"})
    [failure] = failing["failures"]
    assert failing["numFailures"] == 1
    assert failure["name"] == "BrokenTest" and failure["methodName"] == "fails"
    assert failure["message"] == "System.AssertException: Assertion Failed"
    assert failure["stackTrace"] == "Class.BrokenTest.fails: line 7, column 1"


def test_run_tests_asynchronously_returns_a_job_whose_results_are_queryable(sf: Salesforce) -> None:
    job_id = sf.toolingexecute("runTestsAsynchronous", method="POST", data={"classNames": "TierServiceTest,BrokenTest"})
    assert isinstance(job_id, str) and job_id.startswith("707")
    [job] = sf.query(f"SELECT Status, JobType, NumberOfErrors FROM AsyncApexJob WHERE Id = '{job_id}'")["records"]
    assert (job["Status"], job["JobType"], job["NumberOfErrors"]) == ("Completed", "TestRequest", 1)
    items = sf.query(f"SELECT Status, ApexClass.Name FROM ApexTestQueueItem WHERE ParentJobId = '{job_id}'")
    assert sorted(item["ApexClass"]["Name"] for item in items["records"]) == ["BrokenTest", "TierServiceTest"]
    soql = f"SELECT ApexClass.Name, MethodName, Outcome, Message FROM ApexTestResult WHERE AsyncApexJobId = '{job_id}'"
    results = sf.toolingexecute("query/", params={"q": soql})["records"]
    outcomes = {(r["ApexClass"]["Name"], r["MethodName"]): r["Outcome"] for r in results}
    assert outcomes == {
        ("TierServiceTest", "goldIsDefault"): "Pass",
        ("TierServiceTest", "silverIsRenamed"): "Pass",
        ("BrokenTest", "fails"): "Fail",
    }


def test_an_unknown_test_class_or_a_get_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceError) as refused:
        sf.toolingexecute("runTestsSynchronous", method="POST", data={"tests": [{"className": "NoSuchTest"}]})
    assert "INVALID_INPUT" in str(refused.value) and "NoSuchTest" in str(refused.value)
    with pytest.raises(SalesforceError) as wrong_method:
        sf.toolingexecute("runTestsAsynchronous")
    assert "METHOD_NOT_ALLOWED" in str(wrong_method.value)


def test_object_and_field_permissions_sit_on_the_holders_permission_sets(sf: Salesforce) -> None:
    rows = sf.query(
        "SELECT Parent.Name, Parent.IsOwnedByProfile, Parent.Profile.Name, PermissionsRead, PermissionsEdit, "
        "PermissionsDelete FROM ObjectPermissions WHERE SobjectType = 'Account'"
    )["records"]
    by_holder = {
        (r["Parent"]["Profile"] or {}).get("Name") or r["Parent"]["Name"]: (
            r["PermissionsRead"],
            r["PermissionsEdit"],
            r["PermissionsDelete"],
        )
        for r in rows
    }
    assert by_holder["Sales User"] == (True, False, False)
    assert by_holder["Sales_Ops"] == (True, True, False)
    group = [r for r in rows if not r["Parent"]["IsOwnedByProfile"] and r["Parent"]["Name"] != "Sales_Ops"]
    assert [(r["PermissionsRead"], r["PermissionsDelete"]) for r in group] == [(False, True)]
    count = sf.query(
        "SELECT COUNT() FROM FieldPermissions WHERE Field = 'Account.Tier__c' AND Parent.Name = 'Sales_Ops' "
        "AND PermissionsEdit = true"
    )
    assert count["totalSize"] == 1


def test_the_new_sections_survive_the_org_file_round_trip() -> None:
    tables = build_tables(SEED)
    again = build_tables(to_document(tables))
    for table in ("ApexClass", "ObjectPermissions", "FieldPermissions"):
        assert again.tables[table] == tables.tables[table]


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        ("object_permissions", {"permission_set": "Nope", "object": "Account"}, "unknown permission set Nope"),
        ("object_permissions", {"object": "Account"}, "names exactly one of"),
        ("field_permissions", {"profile": "Sales User", "field": "Tier__c"}, "write the field as Object.Field__c"),
        ("apex_test_classes", {"name": "X", "methods": [{"name": "m", "outcome": "Maybe"}]}, "is not one of"),
    ],
)
def test_a_bad_seed_entry_is_a_seed_error(section: str, entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError, match=message):
        build_tables({**SEED, section: [entry]})
