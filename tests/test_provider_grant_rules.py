"""Salesforce's assignment rules through the real provider: group recalculation, admin permission sets
that cannot expire, expiry dates sent as dateTimes, and expired grants the planner does not re-create."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from reconcile.kinds.base import PlanContext
from reconcile.kinds.permission_set_grant import PermissionSetGrant, PermissionSetGrantKind, utc_today
from reconcile.model import Action, Change
from state.base import StateEntry
from tests.support.emulator import EmulatedOrg, provider_seed

GRANT = "permission_set_grant"


def _group_seed(status: str) -> dict[str, object]:
    seed = provider_seed()
    seed["permission_set_groups"][0]["status"] = status
    return seed


def _create(grant: PermissionSetGrant) -> Change:
    return Change(address=grant.address, action=Action.CREATE, after=grant)


def test_the_provider_waits_for_a_recalculating_group(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(_group_seed("Updating"))
    group = org.rows("PermissionSetGroup", DeveloperName="Sales_Bundle")[0]
    waits: list[float] = []

    def recalculated_while_waiting(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            org.handle.store.update("PermissionSetGroup", group["Id"], {"Status": "Updated"})

    org.provider.transport.sleep = recalculated_while_waiting
    grant = PermissionSetGrant(permission_set_group="Sales_Bundle", username="alice@acme.com")
    assert org.provider.preflight(GRANT, [grant]) == []
    org.reset_counts()
    [result] = org.provider.apply(GRANT, [_create(grant)])
    assert result.ok, result
    assert len(waits) == 2
    # Two status re-reads and one create; users and the group were looked up by preflight.
    assert org.requests() == {"GET query": 2, "POST composite/sobjects": 1}


def test_a_group_that_stays_updating_is_reported_not_assigned(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(_group_seed("Outdated"))
    [bundle] = org.rows("PermissionSetGroup", DeveloperName="Sales_Bundle")
    grant = PermissionSetGrant(permission_set_group="Sales_Bundle", username="alice@acme.com")
    [result] = org.provider.apply(GRANT, [_create(grant)])
    assert not result.ok and result.code == "GROUP_NOT_UPDATED"
    assert "still Outdated after 6 checks" in result.message
    assert len(org.sleeps) == 6
    [alice] = org.rows("User", Username="alice@acme.com")
    assert not org.rows("PermissionSetAssignment", AssigneeId=alice["Id"], PermissionSetGroupId=bundle["Id"])


def test_preflight_reports_a_failed_group_and_an_expiry_salesforce_refuses(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    seed = _group_seed("Failed")
    seed["permission_sets"].append({"name": "User_Admin", "permissions": ["AssignPermissionSets"]})
    seed["permission_set_groups"].append({"developer_name": "Admin_Bundle", "permissions": ["ManageUsers"]})
    org = emulated(seed)
    later = utc_today() + timedelta(days=30)
    problems = org.provider.preflight(
        GRANT,
        [
            PermissionSetGrant(permission_set_group="Sales_Bundle", username="alice@acme.com"),
            PermissionSetGrant(permission_set="User_Admin", username="alice@acme.com", expires=later),
            PermissionSetGrant(permission_set_group="Admin_Bundle", username="alice@acme.com", expires=later),
            PermissionSetGrant(permission_set="User_Admin", username="bob@acme.com"),
        ],
    )
    assert [(p.address, p.message.split(":")[0]) for p in problems] == [
        (
            "permission_set_grant:group:Sales_Bundle/alice@acme.com",
            "permission set group Sales_Bundle failed its recalculation (Status Failed)",
        ),
        (
            "permission_set_grant:User_Admin/alice@acme.com",
            "permission set User_Admin holds Manage Users, Assign Permission Sets or Manage Profiles and "
            "Permission Sets",
        ),
        (
            "permission_set_grant:group:Admin_Bundle/alice@acme.com",
            "permission set group Admin_Bundle holds Manage Users, Assign Permission Sets or Manage Profiles "
            "and Permission Sets",
        ),
    ]


def test_an_expiry_is_written_as_a_datetime_and_read_back_as_the_date(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    later = utc_today() + timedelta(days=400)
    grant = PermissionSetGrant(permission_set="Service_Desk", username="carol@acme.com", expires=later)
    [result] = org.provider.apply(GRANT, [_create(grant)])
    assert result.ok, result
    [row] = org.rows("PermissionSetAssignment", Id=result.ids["assignment"])
    assert row["ExpirationDate"] == f"{later.isoformat()}T00:00:00.000+0000"
    read = org.provider.read(GRANT, [grant.key])
    assert [g.expires for g in read.values() if isinstance(g, PermissionSetGrant)] == [later]


def test_an_expired_grant_disappears_and_is_not_created_again(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["permission_set_assignments"].append(
        {"username": "carol@acme.com", "permission_set": "Service_Desk", "expiration_date": "2001-01-31"}
    )
    org = emulated(seed)
    desired = PermissionSetGrant(permission_set="Service_Desk", username="carol@acme.com", expires=date(2001, 1, 31))
    assert org.provider.read(GRANT, [desired.key]) == {}

    kind = PermissionSetGrantKind()
    entry = StateEntry(kind=GRANT)
    forget = kind.plan(desired, None, entry, PlanContext())
    assert forget is not None and forget.action is Action.FORGET
    assert forget.reason == "expired on 2001-01-31; Salesforce removed it"
    assert kind.plan(desired, None, None, PlanContext()) is None
    still_there = desired.model_copy(update={"ids": {"assignment": "0Pa000000000001AAA"}})
    revoke = kind.plan(desired, still_there, entry, PlanContext())
    assert revoke is not None and revoke.action is Action.DELETE and revoke.reason == "expired on 2001-01-31"
    future = desired.model_copy(update={"expires": utc_today() + timedelta(days=1)})
    create = kind.plan(future, None, None, PlanContext())
    assert create is not None and create.action is Action.CREATE


def test_preflight_reports_a_permission_set_the_users_licence_does_not_allow(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    seed = provider_seed()
    seed["profiles"].append({"name": "Platform User", "user_license": "Salesforce Platform"})
    seed["users"].append({"username": "pat@acme.com", "profile": "Platform User"})
    seed["permission_sets"].append({"name": "Full_CRM", "user_license": "Salesforce"})
    org = emulated(seed)
    grants = [
        PermissionSetGrant(permission_set="Full_CRM", username="pat@acme.com"),
        PermissionSetGrant(permission_set="Full_CRM", username="alice@acme.com"),
        PermissionSetGrant(permission_set="Sales_Ops", username="pat@acme.com"),
    ]
    org.reset_counts()
    problems = org.provider.preflight(GRANT, grants)
    assert [(p.address, p.message) for p in problems] == [
        (
            "permission_set_grant:Full_CRM/pat@acme.com",
            "permission set Full_CRM requires the Salesforce user licence, and pat@acme.com's profile has the "
            "Salesforce Platform licence: Salesforce refuses the assignment",
        )
    ]
    assert org.requests() == {"GET query": 2}  # the users, then the permission sets: no extra call
