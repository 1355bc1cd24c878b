"""Every emulator fault kind, met through ``apply``: what is retried, what is re-read, what stops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconcile.errors import ApiLimitError, ProviderError
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Change
from tests.support.emulator import EmulatedOrg, live, narrow

GRANT = "permission_set_grant"
COLLECTION = "composite/sobjects"


def creates(*usernames: str) -> list[Change]:
    grants = [PermissionSetGrant(permission_set="Service_Desk", username=u) for u in usernames]
    return [Change(address=g.address, action=Action.CREATE, after=g) for g in grants]


def service_desk_rows(org: EmulatedOrg) -> int:
    (desk,) = org.rows("PermissionSet", Name="Service_Desk")
    return len(org.rows("PermissionSetAssignment", PermissionSetId=desk["Id"]))


def ready(org: EmulatedOrg) -> None:
    """Learn users and permission sets first, so the counted calls are the writes alone."""
    org.provider.preflight(GRANT, [c.after for c in creates("alice@acme.com", "bob@acme.com") if c.after])
    org.reset_counts()


@pytest.mark.parametrize(
    ("action", "sleeps"),
    [("503", 1), ("request_limit_concurrent", 1)],
)
def test_refused_requests_are_retried_with_backoff(
    emulated: Callable[..., EmulatedOrg], action: str, sleeps: int
) -> None:
    org = emulated()
    ready(org)
    org.faults({"action": action, "method": "POST", "path": COLLECTION})
    results = org.provider.apply(GRANT, creates("alice@acme.com", "bob@acme.com"))
    assert all(r.ok for r in results)
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 2}
    assert org.requests() == org.provider.usage.by_endpoint
    assert len(org.sleeps) == sleeps
    assert service_desk_rows(org) == 2


@pytest.mark.parametrize("action", ["drop", "500_empty", "drop_after"])
def test_a_lost_create_is_re_read_never_blindly_replayed(emulated: Callable[..., EmulatedOrg], action: str) -> None:
    org = emulated()
    ready(org)
    org.faults({"action": action, "method": "POST", "path": COLLECTION})
    results = org.provider.apply(GRANT, creates("alice@acme.com", "bob@acme.com"))
    assert all(r.ok for r in results), results
    assert service_desk_rows(org) == 2  # never a duplicate
    resent = 0 if action == "drop_after" else 1  # drop_after ran the request: nothing is sent again
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 1 + resent, "GET query": 1}
    assert org.requests() == org.provider.usage.by_endpoint


def test_a_lost_delete_rechecks_which_ids_remain(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    found = org.provider.read(GRANT, ["Sales_Ops/*"])
    org.reset_counts()
    org.faults({"action": "drop_after", "method": "DELETE", "path": COLLECTION})
    deletes = [Change(address=g.address, action=Action.DELETE, before=live(g)) for g in found.values()]
    assert all(r.ok for r in org.provider.apply(GRANT, deletes))
    assert org.provider.usage.by_endpoint == {"DELETE composite/sobjects": 1, "GET query": 1}
    assert org.requests() == org.provider.usage.by_endpoint


def test_locked_rows_are_retried_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    ready(org)
    (bob,) = org.rows("User", Username="bob@acme.com")
    org.faults({"action": "unable_to_lock_row", "method": "POST", "path": COLLECTION, "records": [bob["Id"]]})
    sent: list[int] = []
    rest = org.provider.transport.rest

    def spy(method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST":
            sent.append(len(kwargs["body"]["records"]))
        return rest(method, path, **kwargs)

    org.provider.transport.rest = spy  # type: ignore[method-assign]
    results = org.provider.apply(GRANT, creates("alice@acme.com", "bob@acme.com", "carol@acme.com"))
    assert all(r.ok for r in results), results
    assert sent == [3, 1]
    assert len(org.sleeps) == 1
    assert service_desk_rows(org) == 3


def test_an_invalid_session_is_renewed_once(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    ready(org)
    org.faults({"action": "invalid_session", "method": "POST", "path": COLLECTION})
    assert all(r.ok for r in org.provider.apply(GRANT, creates("alice@acme.com")))
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 2}
    assert org.sleeps == []

    org.faults({"action": "invalid_session", "method": "POST", "path": COLLECTION, "times": 2})
    with pytest.raises(ProviderError, match="refused a new session"):
        org.provider.apply(GRANT, creates("bob@acme.com"))


def test_an_invalid_session_on_soap_is_renewed_once(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    org.faults({"action": "invalid_session", "path": "Soap/m"})
    assert org.provider.read("picklist", ["gvs:Regions"])
    assert org.provider.usage.by_endpoint == {"POST Soap/m readMetadata": 2}


def test_the_daily_limit_stops_the_org_without_retrying(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    ready(org)
    org.provider.identity()
    org.faults({"action": "request_limit_total", "method": "POST", "path": COLLECTION})
    with pytest.raises(ApiLimitError) as caught:
        org.provider.apply(GRANT, creates("alice@acme.com"))
    assert "daily API limit reached: used" in str(caught.value)
    assert "the org is stopped, retry after the limit resets" in str(caught.value)
    assert org.provider.usage.by_endpoint == {"GET query": 1, "POST composite/sobjects": 1}
    assert org.sleeps == []


def test_metadata_writes_are_repeated_after_a_dropped_connection(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    live = org.provider.read("picklist", ["gvs:Regions"])
    (regions,) = live.values()
    assert isinstance(regions, Picklist)
    after = regions.model_copy(update={"values": (*regions.values, PicklistValue(name="APAC"))})
    org.reset_counts()
    org.faults({"action": "drop_after", "path": "Soap/m"}, {"action": "503", "path": "Soap/m", "nth": 2})
    change = Change(address=regions.address, action=Action.UPDATE, before=regions, after=after)
    assert org.provider.apply("picklist", [change])[0].ok
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 3}
    assert len(org.sleeps) == 2
    values = org.provider.read("picklist", ["gvs:Regions"])[regions.address]
    assert [v.name for v in narrow(values, Picklist).values] == ["EMEA", "AMER", "APAC"]


def test_retries_end_after_five_tries(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    org.faults({"action": "503", "path": "/query", "times": 0})
    with pytest.raises(ProviderError, match="after 5 tries") as caught:
        org.provider.identity()
    assert caught.value.code == "SERVER_UNAVAILABLE"
    assert org.provider.usage.by_endpoint == {"GET query": 5}
    assert len(org.sleeps) == 4
