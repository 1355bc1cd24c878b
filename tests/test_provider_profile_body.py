"""Profiles read at a realistic size: thousands of field permissions come back with every readMetadata of a
profile, the provider writes back only what it manages, and its read batch size can be lowered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconcile.errors import ProviderError
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.record_type_visibility import RecordTypeVisibility
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

FIELDS = 3000
CLASSES = 300
PROFILE = "Sales User"


def _large_profile_seed() -> dict[str, object]:
    seed = provider_seed()
    seed["field_permissions"] = [
        {"profile": PROFILE, "field": f"Account.Field_{n:04d}__c", "read": True, "edit": n % 3 == 0}
        for n in range(FIELDS)
    ]
    seed["object_permissions"] = [
        {"profile": PROFILE, "object": f"Object_{n:02d}__c", "read": True, "edit": n % 2 == 0} for n in range(40)
    ]
    seed["class_accesses"] = [{"profile": PROFILE, "class": f"Service_{n:03d}"} for n in range(CLASSES)]
    return seed


Body = tuple[list[tuple[str, bool, bool]], list[tuple[str, bool, bool]], list[tuple[str, bool]]]


def _body(org: EmulatedOrg) -> Body:
    (record,) = org.provider.transport.metadata("readMetadata", "Profile", [PROFILE])  # a custom profile's fullName
    fields = [(str(f.field), bool(f.readable), bool(f.editable)) for f in record.fieldPermissions]
    objects = [(str(o.object), bool(o.allowRead), bool(o.allowEdit)) for o in record.objectPermissions]
    classes = [(str(c.apexClass), bool(c.enabled)) for c in record.classAccesses]
    return fields, objects, classes


def test_a_large_profile_is_read_whole_and_written_back_without_losing_what_is_not_managed(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(_large_profile_seed())
    layout_key = f"{PROFILE}/Account/Enterprise"
    visibility_key = f"{PROFILE}/Account.Enterprise"
    layouts = org.provider.read("layout_assignment", [layout_key])
    visibilities = org.provider.read("record_type_visibility", [visibility_key])
    before = _body(org)
    assert len(before[0]) == FIELDS and len(before[1]) == 40 and len(before[2]) == CLASSES
    assert before[2][0] == ("Service_000", True)
    assert before[0][3] == ("Account.Field_0003__c", True, True)

    layout = LayoutAssignment(
        profile=PROFILE, object="Account", record_type="Enterprise", layout="Account Enterprise Layout"
    )
    visibility = RecordTypeVisibility(profile=PROFILE, object="Account", record_type="Enterprise", default=True)
    layout_change = Change(
        address=layout.address, action=Action.UPDATE, before=live(layouts.get(layout.address)), after=layout
    )
    visibility_change = Change(
        address=visibility.address,
        action=Action.UPDATE,
        before=live(visibilities.get(visibility.address)),
        after=visibility,
    )
    # The emulator refuses Profile sections it does not store, so echoing the read body would fail here.
    assert all(r.ok for r in org.provider.apply("layout_assignment", [layout_change]))
    assert all(r.ok for r in org.provider.apply("record_type_visibility", [visibility_change]))

    assert _body(org) == before, "field, object and class permissions are untouched by the overlay writes"
    again = org.provider.read("layout_assignment", [layout_key])
    assert narrow(again[Address("layout_assignment", layout_key)], LayoutAssignment).layout == layout.layout
    rows = org.provider.transport.query_all(f"SELECT Id FROM FieldPermissions WHERE Parent.Profile.Name = '{PROFILE}'")
    assert len(rows) == FIELDS


def test_the_profile_read_batch_is_configurable(
    emulated: Callable[..., EmulatedOrg], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = provider_seed()
    seed["profiles"] += [{"name": f"Team {n:02d}"} for n in range(25)]
    org = emulated(seed)
    monkeypatch.setenv("RECONCILE_PROFILE_READ_BATCH", "4")
    org.provider.read("layout_assignment", [f"Team {n:02d}/Account" for n in range(25)])
    assert org.provider.usage.by_endpoint["POST Soap/m readMetadata"] == 7  # 25 profiles, 4 a call

    for bad in ("0", "11", "ten"):
        monkeypatch.setenv("RECONCILE_PROFILE_READ_BATCH", bad)
        with pytest.raises(ProviderError, match=r"RECONCILE_PROFILE_READ_BATCH=.*whole number from 1 to 10"):
            org.provider.read("record_type_visibility", ["Sales Manager/Account.Enterprise"])
