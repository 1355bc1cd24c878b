"""Permission set grants through the real provider against the emulator over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

GRANT = "permission_set_grant"


def create(grant: PermissionSetGrant) -> Change:
    return Change(address=grant.address, action=Action.CREATE, after=grant)


def grant(assignable: str, username: str, expires: date | None = None) -> PermissionSetGrant:
    if assignable.startswith("group:"):
        return PermissionSetGrant(permission_set_group=assignable[6:], username=username, expires=expires)
    return PermissionSetGrant(permission_set=assignable, username=username, expires=expires)


def test_read_apply_read_reaches_the_desired_grants(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    provider = org.provider
    keys = [
        "Sales_Ops/alice@acme.com",
        "Sales_Ops/bob@acme.com",
        "group:Sales_Bundle/bob@acme.com",
        "group:Sales_Bundle/alice@acme.com",
    ]
    found = provider.read(GRANT, keys)
    assert sorted(str(a) for a in found) == [
        "permission_set_grant:Sales_Ops/alice@acme.com",
        "permission_set_grant:group:Sales_Bundle/bob@acme.com",
    ]
    revoke = narrow(found[Address(GRANT, "Sales_Ops/alice@acme.com")], PermissionSetGrant)
    bundle = narrow(found[Address(GRANT, "group:Sales_Bundle/bob@acme.com")], PermissionSetGrant)
    extended = bundle.model_copy(update={"expires": date(2031, 3, 1)})
    changes = [
        create(grant("Sales_Ops", "bob@acme.com")),
        create(grant("group:Sales_Bundle", "alice@acme.com")),
        Change(address=revoke.address, action=Action.DELETE, before=revoke),
        Change(address=bundle.address, action=Action.UPDATE, before=bundle, after=extended),
    ]
    results = provider.apply(GRANT, changes)
    assert [r.ok for r in results] == [True, True, True, True], results
    assert [r.address for r in results] == [c.address for c in changes]
    assert results[0].ids["assignment"].startswith("0Pa")
    assert results[1].ids["permission_set_group"].startswith("0PG")

    again = provider.read(GRANT, keys)
    assert sorted(a.key for a in again) == [
        "Sales_Ops/bob@acme.com",
        "group:Sales_Bundle/alice@acme.com",
        "group:Sales_Bundle/bob@acme.com",
    ]
    renewed = narrow(again[Address(GRANT, "group:Sales_Bundle/bob@acme.com")], PermissionSetGrant)
    assert renewed.expires == date(2031, 3, 1)
    assert again[Address(GRANT, "Sales_Ops/bob@acme.com")].ids["assignment"] == results[0].ids["assignment"]


def test_wildcards_spelling_and_namespaces(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["permission_set_assignments"].append({"username": "alice@acme.com", "permission_set": "acme__Billing_Admin"})
    org = emulated(seed)
    found = org.provider.read(GRANT, ["Sales_Ops/*", "group:sales_bundle/*", "ACME__billing_admin/Alice@Acme.com"])
    assert sorted(a.key for a in found) == [
        "ACME__billing_admin/Alice@Acme.com",  # the caller's spelling, so addresses match
        "Sales_Ops/alice@acme.com",
        "group:sales_bundle/bob@acme.com",
    ]
    # profile-owned permission sets never show up, even through a wildcard
    assert all(not key.key.startswith("X00e") for key in found)


def test_duplicate_and_already_gone_count_as_done(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    found = org.provider.read(GRANT, ["Sales_Ops/alice@acme.com"])
    existing = narrow(found[Address(GRANT, "Sales_Ops/alice@acme.com")], PermissionSetGrant)
    results = org.provider.apply(GRANT, [create(grant("Sales_Ops", "alice@acme.com"))])
    assert results[0].ok and results[0].message == "already assigned"
    assert results[0].ids["assignment"] == existing.ids["assignment"]

    delete = Change(address=existing.address, action=Action.DELETE, before=existing)
    assert org.provider.apply(GRANT, [delete])[0].ok
    gone = org.provider.apply(GRANT, [delete])[0]
    assert gone.ok, gone
    assert len(org.rows("PermissionSetAssignment", Id=existing.ids["assignment"])) == 0


def test_one_bad_record_does_not_fail_the_batch(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    results = org.provider.apply(
        GRANT,
        [
            create(grant("Sales_Ops", "nobody@acme.com")),
            create(grant("Sales_Ops", "bob@acme.com")),
            create(grant("Nope_Set", "bob@acme.com")),
            create(grant("Sales_Ops", "carol@acme.com")),
        ],
    )
    assert [r.ok for r in results] == [False, True, False, True]
    assert results[0].code == "NOT_FOUND" and "nobody@acme.com" in results[0].message
    assert "Nope_Set" in results[2].message
    assert results[3].message == "assigned (the user is inactive)"


def test_preflight_names_unknowns_with_hints(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    problems = org.provider.preflight(
        GRANT,
        [
            grant("Sales_Ops", "alicee@acme.com"),
            grant("Sales_Opps", "bob@acme.com"),
            grant("group:Sales_Bundel", "bob@acme.com"),
            grant("Sales_Ops", "carol@acme.com"),
        ],
    )
    assert [(p.address, p.message, p.hint) for p in problems] == [
        (
            "permission_set_grant:Sales_Ops/alicee@acme.com",
            "unknown user alicee@acme.com",
            "did you mean alice@acme.com?",
        ),
        (
            "permission_set_grant:Sales_Opps/bob@acme.com",
            "unknown permission set Sales_Opps",
            "did you mean Sales_Ops?",
        ),
        (
            "permission_set_grant:group:Sales_Bundel/bob@acme.com",
            "unknown permission set group Sales_Bundel",
            "did you mean Sales_Bundle?",
        ),
    ]  # carol is inactive: Salesforce allows the assignment, so it is no problem


def big_seed(users: int) -> dict[str, object]:
    seed = provider_seed()
    seed["users"] = [{"username": f"user{n:04d}@acme.com", "profile": "Sales User"} for n in range(users)]
    seed["permission_set_assignments"] = []
    return seed


def test_a_thousand_grants_take_a_handful_of_calls(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(big_seed(1000))
    keys = [f"Sales_Ops/user{n:04d}@acme.com" for n in range(1000)]
    assert org.provider.read(GRANT, keys) == {}
    read_calls = {"GET query": 5}  # users in 3 URI-sized chunks, permission sets, assignments
    assert org.provider.usage.by_endpoint == read_calls
    assert org.requests() == read_calls

    org.reset_counts()
    results = org.provider.apply(GRANT, [create(grant("Sales_Ops", f"user{n:04d}@acme.com")) for n in range(1000)])
    assert all(r.ok for r in results)
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 5}
    assert org.requests() == {"POST composite/sobjects": 5}

    org.reset_counts()
    assert len(org.provider.read(GRANT, keys)) == 1000
    assert org.provider.usage.by_endpoint == {"GET query": 1}  # users and sets are remembered
    assert org.requests() == {"GET query": 1}

    org.reset_counts()
    found = org.provider.read(GRANT, ["Sales_Ops/*"])
    deletes = [Change(address=g.address, action=Action.DELETE, before=live(g)) for g in found.values()]
    assert all(r.ok for r in org.provider.apply(GRANT, deletes))
    assert org.provider.usage.by_endpoint == {"GET query": 1, "DELETE composite/sobjects": 5}
    assert org.requests() == org.provider.usage.by_endpoint
