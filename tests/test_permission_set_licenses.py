"""Permission set licences: the emulator refuses a permission set requiring one (``LicenseId`` 0PL…) for a
user who does not hold it, the seed round-trips both sections, and the provider's preflight reports the
missing licence with one extra query, made only when a granted set requires a licence."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Action, Change
from tests.support.emulator import BASIC_SEED, EmulatedOrg, StartOrg, client_for, provider_seed

GRANT = "permission_set_grant"


def _with_licence(seed: dict[str, Any], holder: str) -> dict[str, Any]:
    seed["permission_set_licenses"] = [{"developer_name": "SalesConsoleUser", "label": "Sales Console User"}]
    seed["permission_set_license_assignments"] = [{"username": holder, "license": "SalesConsoleUser"}]
    seed["permission_sets"].append({"name": "Console_Ops", "permission_set_license": "SalesConsoleUser"})
    return seed


def _psa(user: str, ps: str) -> dict[str, Any]:
    return {"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": user, "PermissionSetId": ps}


def test_a_permission_set_with_a_permission_set_licence_needs_a_user_holding_it(start_org: StartOrg) -> None:
    seed = _with_licence(json.loads(BASIC_SEED.read_text()), "carol@acme.com.uat")
    seed["users"].append({"username": "pat@acme.com.uat", "profile": seed["users"][0]["profile"]})
    sf = client_for(start_org(seed, name="psl"))
    pat = sf.query("SELECT Id FROM User WHERE Username = 'pat@acme.com.uat'")["records"][0]["Id"]
    carol = sf.query("SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")["records"][0]["Id"]
    row = sf.query("SELECT Id, LicenseId FROM PermissionSet WHERE Name = 'Console_Ops'")["records"][0]
    assert row["LicenseId"].startswith("0PL")
    held = sf.query("SELECT AssigneeId, PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssign")
    assert [(r["AssigneeId"], r["PermissionSetLicense"]["DeveloperName"]) for r in held["records"]] == [
        (carol, "SalesConsoleUser")
    ]
    records = [_psa(pat, row["Id"]), _psa(carol, row["Id"])]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in result] == [False, True]
    assert result[0]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "permission set license Sales Console User" in result[0]["errors"][0]["message"]


def test_permission_set_licences_round_trip_through_the_org_file() -> None:
    seed = _with_licence(json.loads(BASIC_SEED.read_text()), "carol@acme.com.uat")
    document = to_document(build_tables(seed))
    assert [e["developer_name"] for e in document["permission_set_licenses"]] == ["SalesConsoleUser"]
    assert [(e["username"], e["license"]) for e in document["permission_set_license_assignments"]] == [
        ("carol@acme.com.uat", "SalesConsoleUser")
    ]
    [console] = [p for p in document["permission_sets"] if p["name"] == "Console_Ops"]
    assert console["permission_set_license"] == "SalesConsoleUser" and console["user_license"] is None
    again = to_document(build_tables(document))
    assert again["permission_set_license_assignments"] == document["permission_set_license_assignments"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["permission_sets"][-1].update(permission_set_license="Nope"), "unknown permission set licence"),
        (lambda s: s["permission_set_license_assignments"][0].update(username="x@y.z"), "unknown user"),
        (lambda s: s["permission_sets"][-1].update(user_license="Salesforce"), "not both"),
    ],
)
def test_the_seed_refuses_unknown_licences_and_users(change: Callable[[dict[str, Any]], None], message: str) -> None:
    seed = _with_licence(json.loads(BASIC_SEED.read_text()), "carol@acme.com.uat")
    change(seed)
    with pytest.raises(SeedError, match=message):
        build_tables(seed)


def test_preflight_reports_a_user_without_the_permission_set_licence(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    seed = _with_licence(provider_seed(), "alice@acme.com")
    seed["users"].append({"username": "bob@acme.com", "profile": seed["users"][0]["profile"]})
    org = emulated(seed)
    grants = [
        PermissionSetGrant(permission_set="Console_Ops", username="bob@acme.com"),
        PermissionSetGrant(permission_set="Console_Ops", username="alice@acme.com"),
        PermissionSetGrant(permission_set="Sales_Ops", username="bob@acme.com"),
    ]
    org.reset_counts()
    problems = org.provider.preflight(GRANT, grants)
    [licence] = org.rows("PermissionSetLicense", DeveloperName="SalesConsoleUser")
    assert [(p.address, p.message) for p in problems] == [
        (
            "permission_set_grant:Console_Ops/bob@acme.com",
            f"bob@acme.com does not hold the permission set licence {licence['Id']} required by Console_Ops: "
            "Salesforce refuses the assignment",
        )
    ]
    # The users, the permission sets, then one query for the licences the two users hold.
    assert org.requests() == {"GET query": 3}
    [result] = org.provider.apply(GRANT, [Change(address=grants[1].address, action=Action.CREATE, after=grants[1])])
    assert result.ok, result


def test_preflight_asks_nothing_more_when_no_set_requires_a_permission_set_licence(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(_with_licence(provider_seed(), "alice@acme.com"))
    org.reset_counts()
    grant = PermissionSetGrant(permission_set="Sales_Ops", username="alice@acme.com")
    assert org.provider.preflight(GRANT, [grant]) == []
    assert org.requests() == {"GET query": 2}
