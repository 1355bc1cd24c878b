"""Layout assignments (Profile.layoutAssignments) through the provider and the emulator."""

from __future__ import annotations

from collections.abc import Callable

from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

LAYOUT = "layout_assignment"


def assign(profile: str, layout: str, record_type: str = "") -> LayoutAssignment:
    return LayoutAssignment(profile=profile, object="Account", record_type=record_type, layout=layout)


def test_read_apply_read_reaches_the_desired_layouts(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    keys = [
        "Sales User/Account",
        "Sales User/Account/Enterprise",
        "Custom: Marketing Profile/Account",
        "Sales Manager/Account/SMB",
    ]
    found = org.provider.read(LAYOUT, keys)
    enterprise = narrow(found[Address(LAYOUT, "Sales User/Account/Enterprise")], LayoutAssignment)
    assert enterprise.layout == "Account Layout" and enterprise.ids["profile"].startswith("00e")
    assert org.provider.usage.by_endpoint == {
        "GET query": 1,
        "POST Soap/m listMetadata": 1,
        "POST Soap/m readMetadata": 1,
    }

    desired = [
        assign("Sales User", "Account Enterprise Layout", "Enterprise"),
        assign("Custom: Marketing Profile", "Account (Marketing) Layout"),
        assign("Sales Manager", "Account Enterprise Layout", "SMB"),
    ]
    changes = [
        Change(
            address=d.address,
            action=Action.UPDATE if d.address in found else Action.CREATE,
            before=live(found.get(d.address)),
            after=d,
        )
        for d in desired
    ]
    org.reset_counts()
    results = org.provider.apply(LAYOUT, changes)
    assert all(r.ok for r in results), results
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 1}
    assert org.requests() == org.provider.usage.by_endpoint

    again = org.provider.read(LAYOUT, keys)
    for item in desired:
        assert narrow(again[item.address], LayoutAssignment).layout == item.layout
    # overlay: the untouched master assignment of Sales User is still there
    master = narrow(again[Address(LAYOUT, "Sales User/Account")], LayoutAssignment)
    assert master.layout == "Account Layout"


def test_forget_touches_nothing_and_delete_is_refused(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    item = assign("Sales User", "Account Layout")
    results = org.provider.apply(
        LAYOUT,
        [
            Change(address=item.address, action=Action.FORGET, before=item),
            Change(address=item.address, action=Action.DELETE, before=item),
        ],
    )
    assert results[0].ok and not results[1].ok
    assert "only pointed elsewhere" in results[1].message
    assert org.provider.usage.calls == 0


def test_ten_profiles_a_metadata_call(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["profiles"] += [{"name": f"Team {n:02d}"} for n in range(25)]
    org = emulated(seed)
    keys = [f"Team {n:02d}/Account" for n in range(25)]
    org.provider.read(LAYOUT, keys)
    assert org.provider.usage.by_endpoint == {
        "GET query": 1,
        "POST Soap/m listMetadata": 1,
        "POST Soap/m readMetadata": 3,
    }
    org.reset_counts()
    changes = [
        Change(address=a.address, action=Action.CREATE, after=a)
        for a in (assign(f"Team {n:02d}", "Account Enterprise Layout") for n in range(25))
    ]
    assert all(r.ok for r in org.provider.apply(LAYOUT, changes))
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 3}
    again = org.provider.read(LAYOUT, keys)
    assert {narrow(a, LayoutAssignment).layout for a in again.values()} == {"Account Enterprise Layout"}


def test_preflight_problems(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    problems = org.provider.preflight(
        LAYOUT,
        [
            assign("Sales Usr", "Account Layout"),
            assign("Sales User", "Account Layout", "Enterprize"),
            assign("Sales User", "Account Enterprise Layot"),
            LayoutAssignment(profile="Sales User", object="Acount", layout="Account Layout"),
            assign("Custom: Marketing Profile", "Account (Marketing) Layout", "SMB"),
        ],
    )
    assert [(p.address, p.message, p.hint) for p in problems] == [
        ("layout_assignment:Sales Usr/Account", "unknown profile Sales Usr", "did you mean Sales User?"),
        (
            "layout_assignment:Sales User/Account/Enterprize",
            "unknown record type Account.Enterprize",
            "did you mean Enterprise?",
        ),
        (
            "layout_assignment:Sales User/Account",
            "unknown layout Account Enterprise Layot for Account",
            "did you mean Account Enterprise Layout?",
        ),
        ("layout_assignment:Sales User/Acount", "unknown object Acount", "did you mean Account?"),
    ]
